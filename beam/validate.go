package mlsecbeam

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/mlsec-dev/mlsec/validation"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf((*validationPart)(nil)), encodeValidationPart, decodeValidationPart)
	beam.RegisterCoder(reflect.TypeOf((*validation.Result)(nil)), encodeValidationResult, decodeValidationResult)
	register.Function1x2(keyBySource)
	register.Combiner3[*validationPart, Batch, *validationPart](&sourceValidationFn{})
	register.DoFn3x1[[]byte, func(*string, **validationPart) bool, func(*validation.Result), error](&finishValidationFn{})
	register.Iter2[string, *validationPart]()
	register.Emitter1[*validation.Result]()
}

// Validation states and results travel between workers as JSON, the
// encoding the validation package documents for its State.
func encodeValidationPart(p *validationPart) ([]byte, error) { return json.Marshal(p) }

func decodeValidationPart(b []byte) (*validationPart, error) {
	p := new(validationPart)
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("mlsecbeam: decode validation state: %w", err)
	}
	return p, nil
}

func encodeValidationResult(r *validation.Result) ([]byte, error) { return json.Marshal(r) }

func decodeValidationResult(b []byte) (*validation.Result, error) {
	r := new(validation.Result)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("mlsecbeam: decode validation result: %w", err)
	}
	return r, nil
}

// ValidateDataset validates every batch of batches against suite on the
// workers and merges the workers' partial states into one
// *validation.Result: the same result, field for field, that
// validation.Validate computes on one machine over the same rows (row
// counts, unexpected counts, observed statistics, samples and dataset-wide
// row indices; quantiles beyond the validation package's exact limit are
// sketched on both sides and agree within the sketch's bound).
//
// Batches are validated per Source (a file) with a CombineFn, lifted by
// the runner so each worker folds its batches into one validation.State;
// the per-source states are then ordered by Source and merged into the
// dataset's state, which is finalised once. Row indices and
// monotonicity checks therefore follow the order a single machine reads
// sorted files in. Rows from FromRows have no order: their indices count
// rows in the order the runner happened to see them.
//
// o may pin the suite digest (a mismatch is returned as a
// *validation.DigestError when the pipeline is built) and ask for raw
// samples; Progress and Logger are not carried to workers. Baseline
// files a suite refers to must be readable by the workers at the same
// path.
func ValidateDataset(s beam.Scope, suite *validation.Suite, batches beam.PCollection, o validation.Options) (beam.PCollection, error) {
	s = s.Scope("mlsec.ValidateDataset")
	if suite == nil {
		return beam.PCollection{}, fmt.Errorf("mlsecbeam: ValidateDataset: nil suite")
	}
	if o.SuiteDigest != "" && suite.Digest() != o.SuiteDigest {
		return beam.PCollection{}, &validation.DigestError{What: "suite " + suite.Source(), Got: suite.Digest(), Want: o.SuiteDigest}
	}
	cfg, err := suiteConfig(suite, o.RawSamples)
	if err != nil {
		return beam.PCollection{}, err
	}
	keyed := beam.ParDo(s, keyBySource, batches)
	parts := beam.CombinePerKey(s, &sourceValidationFn{Config: cfg}, keyed)
	return beam.ParDo(s, &finishValidationFn{Config: cfg}, beam.Impulse(s), beam.SideInput{Input: parts}), nil
}

// suiteConfig finds a JSON form of suite that parses, on a worker, into
// a suite with the same digest. The digest covers the document as
// written, and the parsed suite fills in defaults (severity "error"), so
// the plain JSON form is tried first and then the form without defaulted
// severities. A suite for which neither works is refused here, when the
// pipeline is built, rather than validated under another digest.
func suiteConfig(suite *validation.Suite, raw bool) (validationConfig, error) {
	c := *suite
	forms := make([]*validation.Suite, 0, 2)
	forms = append(forms, &c)
	bare := c
	bare.Checks = make([]validation.Check, len(c.Checks))
	for i, ch := range c.Checks {
		if ch.Severity == validation.SeverityError {
			ch.Severity = ""
		}
		bare.Checks[i] = ch
	}
	forms = append(forms, &bare)
	var lastErr error
	for _, f := range forms {
		doc, err := json.Marshal(f)
		if err != nil {
			return validationConfig{}, fmt.Errorf("mlsecbeam: ValidateDataset: suite %s: %w", suite.Source(), err)
		}
		cfg := validationConfig{Name: suite.Source(), Suite: doc, Digest: suite.Digest(), RawSamples: raw}
		if _, err := cfg.suite(); err != nil {
			lastErr = err
			continue
		}
		return cfg, nil
	}
	return validationConfig{}, fmt.Errorf("mlsecbeam: ValidateDataset: suite %s cannot be sent to the workers with its digest intact (load it with validation.LoadSuite from a path the workers can read): %w", suite.Source(), lastErr)
}

func keyBySource(b Batch) (string, Batch) { return b.Source, b }

// validationConfig is what every worker needs to rebuild the suite.
type validationConfig struct {
	Name       string
	Suite      []byte // the suite's JSON form
	Digest     string // its digest, checked again on the workers
	RawSamples bool
}

func (c validationConfig) suite() (*validation.Suite, error) {
	// A suite loaded from a file is loaded again from the same path when
	// the worker can read it, so baseline files named relative to the
	// suite resolve as they do on one machine; the digest check below
	// ensures it is the same suite. Otherwise its JSON form is parsed.
	suite, err := validation.LoadSuite(c.Name)
	if err != nil || suite.Digest() != c.Digest {
		suite, err = validation.ParseSuite(c.Name, c.Suite)
	}
	if err != nil {
		return nil, fmt.Errorf("mlsecbeam: suite %s: %w", c.Name, err)
	}
	if suite.Digest() != c.Digest {
		return nil, &validation.DigestError{What: "suite " + c.Name + " on a worker", Got: suite.Digest(), Want: c.Digest}
	}
	return suite, nil
}

// validationPart is the validation state of one source (or, for rows
// without an order, of the rows one worker saw), with the schema its plan
// was compiled for.
type validationPart struct {
	Schema []byte            `json:"schema"` // Arrow IPC schema message
	State  *validation.State `json:"state"`
	// Ordered is false for rows without a Source: their parts are
	// concatenated in any order rather than placed by row index.
	Ordered bool `json:"ordered"`
}

// planCache compiles the suite once per schema on a worker.
type planCache struct {
	cfg    validationConfig
	suite  *validation.Suite
	plans  map[string]*validation.Plan // by schema digest
	schema map[string][]byte
}

func (c *planCache) plan(schema *arrow.Schema) (*validation.Plan, []byte, error) {
	if c.suite == nil {
		s, err := c.cfg.suite()
		if err != nil {
			return nil, nil, err
		}
		c.suite = s
		c.plans = map[string]*validation.Plan{}
		c.schema = map[string][]byte{}
	}
	key := validation.SchemaDigest(schema)
	if p, ok := c.plans[key]; ok {
		return p, c.schema[key], nil
	}
	p, err := validation.NewPlan(c.suite, schema, validation.Options{RawSamples: c.cfg.RawSamples})
	if err != nil {
		return nil, nil, fmt.Errorf("mlsecbeam: suite %s: %w", c.cfg.Name, err)
	}
	enc, err := encodeSchema(schema)
	if err != nil {
		return nil, nil, err
	}
	c.plans[key], c.schema[key] = p, enc
	return p, enc, nil
}

// sourceValidationFn folds the batches of one source into its state.
type sourceValidationFn struct {
	Config validationConfig

	plans planCache
}

func (f *sourceValidationFn) Setup() { f.plans.cfg = f.Config }

func (f *sourceValidationFn) CreateAccumulator() *validationPart { return &validationPart{} }

func (f *sourceValidationFn) AddInput(a *validationPart, b Batch) (*validationPart, error) {
	plan, schema, err := f.plans.plan(b.Record.Schema())
	if err != nil {
		return nil, err
	}
	ordered := b.Source != ""
	switch {
	case a.State == nil:
		offset := b.Row
		if !ordered {
			offset = 0
		}
		a.State, a.Schema, a.Ordered = plan.NewState(offset), schema, ordered
		return a, wrapCheck(plan.Update(a.State, b.Record), b.Source)
	case !ordered || a.State.Offset+a.State.Rows == b.Row:
		// The batch continues the rows already in the state.
		return a, wrapCheck(plan.Update(a.State, b.Record), b.Source)
	default:
		st := plan.NewState(b.Row)
		if err := plan.Update(st, b.Record); err != nil {
			return nil, wrapCheck(err, b.Source)
		}
		return a, mergeParts(a, &validationPart{Schema: schema, State: st, Ordered: true})
	}
}

func wrapCheck(err error, source string) error {
	if err == nil {
		return nil
	}
	if source == "" {
		return fmt.Errorf("mlsecbeam: %w", err)
	}
	return fmt.Errorf("mlsecbeam: %s: %w", source, err)
}

func (f *sourceValidationFn) MergeAccumulators(a, b *validationPart) (*validationPart, error) {
	return a, mergeParts(a, b)
}

func (f *sourceValidationFn) ExtractOutput(a *validationPart) *validationPart { return a }

// mergeParts folds b into a. Parts of ordered rows carry their own row
// indices; parts of unordered rows are appended after a's rows.
func mergeParts(a, b *validationPart) error {
	if b.State == nil {
		return nil
	}
	if a.State == nil {
		*a = *b
		return nil
	}
	if !a.Ordered || !b.Ordered {
		shiftState(b.State, a.State.Offset+a.State.Rows-b.State.Offset)
	}
	if err := a.State.Merge(b.State); err != nil {
		return fmt.Errorf("mlsecbeam: merge validation states: %w", err)
	}
	return nil
}

// shiftState moves every row index of st by delta, turning indices
// relative to one source into dataset-wide ones. It touches the fields
// of validation.State that hold row indices (Offset, samples, order
// segments).
func shiftState(st *validation.State, delta int64) {
	if delta == 0 {
		return
	}
	st.Offset += delta
	for i := range st.Checks {
		c := &st.Checks[i]
		for j := range c.Samples {
			c.Samples[j].Row += delta
		}
		if c.Order != nil {
			for j := range c.Order.Segments {
				c.Order.Segments[j].Start += delta
				c.Order.Segments[j].End += delta
			}
		}
	}
}

// finishValidationFn orders the per-source states, places each after the
// rows of the sources before it, merges them and finalises the result.
type finishValidationFn struct {
	Config validationConfig

	plans planCache
}

func (f *finishValidationFn) Setup() { f.plans.cfg = f.Config }

func (f *finishValidationFn) ProcessElement(_ []byte, parts func(*string, **validationPart) bool, emit func(*validation.Result)) error {
	type sourcePart struct {
		source string
		part   *validationPart
	}
	var all []sourcePart
	var src string
	var part *validationPart
	for parts(&src, &part) {
		if part != nil && part.State != nil {
			all = append(all, sourcePart{src, part})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].source < all[j].source })

	merged := &validationPart{}
	var rows int64
	for _, sp := range all {
		// A source's state starts at its first row within the source
		// (0 once every batch was seen); place it after the rows before.
		shiftState(sp.part.State, rows-sp.part.State.Offset)
		rows += sp.part.State.Rows
		if merged.State == nil {
			*merged = *sp.part
			merged.Ordered = true
			continue
		}
		if err := merged.State.Merge(sp.part.State); err != nil {
			return fmt.Errorf("mlsecbeam: %s: %w", sp.source, err)
		}
	}

	var schema *arrow.Schema
	if merged.State != nil {
		s, err := decodeSchema(merged.Schema)
		if err != nil {
			return err
		}
		schema = s
	} else {
		// No rows at all: the suite still runs, over no columns, and
		// fails closed (no rows, missing columns) as on one machine.
		schema = arrow.NewSchema(nil, nil)
	}
	plan, _, err := f.plans.plan(schema)
	if err != nil {
		return err
	}
	st := merged.State
	if st == nil {
		st = plan.NewState(0)
	}
	emit(plan.Finalize(st))
	return nil
}
