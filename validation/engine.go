package validation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// Status is the verdict of a suite run.
type Status string

const (
	StatusPassed Status = "PASSED"
	StatusWarned Status = "WARNED" // only warn-severity checks failed
	StatusFailed Status = "FAILED"
)

// CheckStatus is the outcome of one check.
type CheckStatus string

const (
	CheckPassed CheckStatus = "passed"
	CheckFailed CheckStatus = "failed"
	CheckWarned CheckStatus = "warned" // failed, severity warn
	CheckError  CheckStatus = "error"  // could not be evaluated; fails the suite
)

// Result is the outcome of a suite over a dataset, shaped after Great
// Expectations' validation result (SUMMARY format).
type Result struct {
	Suite        string        `json:"suite"`
	SuiteDigest  string        `json:"suite_digest"`
	SchemaDigest string        `json:"schema_digest"`
	Success      bool          `json:"success"`
	Status       Status        `json:"status"`
	Reason       string        `json:"reason,omitempty"` // why a run failed as a whole
	Rows         int64         `json:"rows"`
	Statistics   Statistics    `json:"statistics"`
	Checks       []CheckResult `json:"results"`
	StartedAt    time.Time     `json:"started_at,omitzero"`
	EndedAt      time.Time     `json:"ended_at,omitzero"`
}

// Statistics count the checks by outcome.
type Statistics struct {
	Evaluated int `json:"evaluated_checks"`
	Passed    int `json:"successful_checks"`
	Warned    int `json:"warned_checks"`
	Failed    int `json:"unsuccessful_checks"`
	Errored   int `json:"errored_checks"`
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Index    int            `json:"index"`
	ID       string         `json:"id,omitempty"`
	Type     string         `json:"type"`
	Kwargs   map[string]any `json:"kwargs"`
	Severity Severity       `json:"severity"`
	Status   CheckStatus    `json:"status"`
	Success  bool           `json:"success"`
	// Observed is the measured value (a statistic, a schema property).
	Observed          any     `json:"observed_value,omitempty"`
	ElementCount      int64   `json:"element_count"`
	MissingCount      int64   `json:"missing_count"`
	UnexpectedCount   int64   `json:"unexpected_count"`
	UnexpectedPercent float64 `json:"unexpected_percent"`
	// UnexpectedSample holds the first unexpected values, redacted as
	// "sha256:<16 hex>" unless Options.RawSamples; PII and credential
	// checks never sample.
	UnexpectedSample []string `json:"partial_unexpected_list,omitempty"`
	// UnexpectedIndices are the dataset-wide row indices (0-based) of the
	// first unexpected rows.
	UnexpectedIndices []int64 `json:"partial_unexpected_index_list,omitempty"`
	Message           string  `json:"message,omitempty"`
	Error             string  `json:"exception,omitempty"`
}

// Name identifies the check in reports: its id, or index and type.
func (c *CheckResult) Name() string {
	if c.ID != "" {
		return c.ID
	}
	return fmt.Sprintf("%d:%s", c.Index, c.Type)
}

// Options control a validation run.
type Options struct {
	// RawSamples puts raw unexpected values in results instead of hashes.
	RawSamples bool
	// SuiteDigest, when set, pins the suite: a suite with another digest
	// is refused with a *DigestError before any data is read.
	SuiteDigest string
	// Progress, when set, is called after each record with the rows so far.
	Progress func(rows int64)
	// Logger receives debug logs (default: none).
	Logger *slog.Logger
}

// Plan is a suite compiled against a data schema. It is the entry point
// for distributed validation: every worker calls NewState and Update on
// its partition, the states are merged with State.Merge, and Finalize
// turns the merged state into the same Result a single machine computes.
// A Plan is safe for concurrent use by several goroutines, each with its
// own State.
type Plan struct {
	suite        *Suite
	schema       *arrow.Schema
	schemaDigest string
	checks       []Check
	evals        []evaluator // nil where compiling failed
	errs         []error
	raw          bool
	log          *slog.Logger
	columns      []string // nil: every column
}

// NewPlan compiles suite against schema. Checks that cannot be compiled
// because of the data (a missing column, a pinned baseline file missing
// or altered) become errored checks in the result, which fail it. A
// misconfigured check is refused with a *SuiteError naming the check
// index, the argument and the reason: bounds missing where the check
// needs one, min_value above max_value, a bound that is not a number, an
// invalid regex or strftime_format, disordered quantile_ranges, or a
// column whose type does not fit the check (the mean of strings, the
// lengths of integers) — the cases where Great Expectations raises.
// NewPlan also fails for a pinned suite digest that does not match and
// for a suite that is not valid (see Suite.Validate).
func NewPlan(suite *Suite, schema *arrow.Schema, o Options) (*Plan, error) {
	if o.SuiteDigest != "" && suite.Digest() != o.SuiteDigest {
		return nil, &DigestError{What: fmt.Sprintf("suite %q", suite.source), Got: suite.Digest(), Want: o.SuiteDigest}
	}
	// Parsed or built in Go, a suite is checked and read one way.
	suite, err := suite.normalized()
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Plan{suite: suite, schema: schema, schemaDigest: SchemaDigest(schema), raw: o.RawSamples, log: log}
	p.checks = append([]Check(nil), suite.Checks...)
	if suite.SchemaDigest != "" {
		p.checks = append(p.checks, Check{Type: "expect_table_schema_digest_to_equal", ID: "schema_digest",
			Severity: SeverityError, Kwargs: map[string]any{"digest": suite.SchemaDigest}})
	}
	c := &compiler{schema: schema, dir: suite.dir, failClosed: suite.FailClosed, raw: o.RawSamples}
	for i, ch := range p.checks {
		ct, ok := registry[ch.Type]
		var ev evaluator
		var err error
		if !ok {
			err = fmt.Errorf("unknown check type %q", ch.Type)
		} else {
			ev, err = c.withCondition(ct, kwargs(ch.Kwargs))
		}
		if err != nil {
			var de *dataError
			if !errors.As(err, &de) {
				// A misconfigured check: refuse the suite, as GX raises.
				name := suite.source
				if name == "" {
					name = suite.Name
				}
				field, msg := argumentOf(err, ch.Kwargs, ct)
				return nil, &SuiteError{Suite: name, Check: i, Type: ch.Type, Field: field, Msg: msg}
			}
			err = &SuiteError{Suite: suite.source, Check: i, Type: ch.Type, Msg: err.Error()}
			log.Debug("check not evaluable", "check", i, "err", err)
		}
		p.evals = append(p.evals, ev)
		p.errs = append(p.errs, err)
	}
	if !c.all {
		p.columns = []string{}
		for _, f := range schema.Fields() {
			if c.used[f.Name] {
				p.columns = append(p.columns, f.Name)
			}
		}
	}
	return p, nil
}

// Columns returns the columns the plan's checks read, in schema order, or
// nil when they need every column (a check on the whole schema, a pinned
// schema digest, duplicate rows over all columns). An empty, non-nil
// slice means no column's values are needed (only the row count).
//
// Pass it as the column projection of the data reader
// (datafile.Options.Columns) so that a suite reads only what it checks;
// validating the projected data gives the same result, since a plan
// compiled on the projected schema reads the same columns.
func (p *Plan) Columns() []string {
	if p.columns == nil {
		return nil
	}
	return append([]string{}, p.columns...)
}

// NewState returns an empty state for a part of the dataset whose first
// row has the dataset-wide index offset (0 for a single stream).
func (p *Plan) NewState(offset int64) *State {
	st := &State{SuiteDigest: p.suite.Digest(), SchemaDigest: p.schemaDigest, Offset: offset,
		Checks: make([]CheckState, len(p.checks))}
	for i, ev := range p.evals {
		if ev != nil {
			ev.init(&st.Checks[i])
		}
	}
	return st
}

// errSchemaMismatch is a record whose schema is not the plan's.
var errSchemaMismatch = errors.New("record schema differs from the plan's")

// Update folds one record into st. The record's rows follow the rows
// already in st (their indices start at st.Offset+st.Rows).
// The checks of a large record run in parallel on GOMAXPROCS cores; the
// result is the same as on one core.
func (p *Plan) Update(st *State, rec arrow.Record) (err error) {
	if !rec.Schema().Equal(p.schema) && SchemaDigest(rec.Schema()) != p.schemaDigest {
		return fmt.Errorf("validation: %w", errSchemaMismatch)
	}
	offset := st.Offset + st.Rows
	workers := min(runtime.GOMAXPROCS(0), len(p.evals))
	if workers < 2 || rec.NumRows() < parallelMinRows {
		for i := range p.evals {
			p.updateCheck(st, i, rec, offset)
		}
	} else {
		// Checks are independent (each touches only its own CheckState),
		// so they run on all cores; the result does not depend on which
		// worker ran which check. Arrow counts the nulls of a sliced
		// array lazily and caches the count, so count them here, before
		// several workers read the same column.
		for _, col := range rec.Columns() {
			col.NullN()
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(p.evals); i = int(next.Add(1) - 1) {
					p.updateCheck(st, i, rec, offset)
				}
			})
		}
		wg.Wait()
	}
	st.Rows += rec.NumRows()
	return nil
}

// parallelMinRows is the smallest record whose checks Update spreads over
// several cores; below it, starting workers costs more than it saves.
const parallelMinRows = 4096

// updateCheck folds rec into the state of check i; a panic in the check
// becomes that check's error.
func (p *Plan) updateCheck(st *State, i int, rec arrow.Record, offset int64) {
	ev := p.evals[i]
	if ev == nil || st.Checks[i].Error != "" {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			st.Checks[i].Error = fmt.Sprintf("evaluation failed: %v", r)
		}
	}()
	ev.update(&st.Checks[i], rec, offset, p.raw)
}

// Finalize turns a (merged) state into the result. It does not modify st.
func (p *Plan) Finalize(st *State) *Result {
	res := &Result{Suite: p.suite.Name, SuiteDigest: p.suite.Digest(), SchemaDigest: p.schemaDigest, Rows: st.Rows}
	for i, ch := range p.checks {
		r := CheckResult{Index: i, ID: ch.ID, Type: ch.Type, Kwargs: ch.Kwargs, Severity: ch.Severity}
		if r.Kwargs == nil {
			r.Kwargs = map[string]any{}
		}
		switch {
		case p.errs[i] != nil:
			var se *SuiteError
			if errors.As(p.errs[i], &se) {
				r.Error = se.Msg
			} else {
				r.Error = p.errs[i].Error()
			}
		case i >= len(st.Checks):
			r.Error = "no state for this check"
		case st.Checks[i].Error != "":
			r.Error = st.Checks[i].Error
		default:
			cs := st.Checks[i].clone()
			func() {
				defer func() {
					if x := recover(); x != nil {
						r.Error = fmt.Sprintf("evaluation failed: %v", x)
					}
				}()
				p.evals[i].finish(&cs, st.Rows, &r)
			}()
		}
		switch {
		case r.Error != "":
			r.Status, r.Success = CheckError, false
			res.Statistics.Errored++
		case r.Success:
			r.Status = CheckPassed
			res.Statistics.Passed++
			res.Statistics.Evaluated++
		case ch.Severity == SeverityWarn:
			r.Status = CheckWarned
			res.Statistics.Warned++
			res.Statistics.Evaluated++
		default:
			r.Status = CheckFailed
			res.Statistics.Failed++
			res.Statistics.Evaluated++
		}
		res.Checks = append(res.Checks, r)
	}
	// Fail closed: nothing evaluated, an errored check, or no data at all
	// is never a pass.
	switch {
	case res.Statistics.Evaluated == 0:
		res.Status, res.Reason = StatusFailed, "no check could be evaluated"
	case res.Statistics.Errored > 0:
		res.Status, res.Reason = StatusFailed, fmt.Sprintf("%d checks could not be evaluated", res.Statistics.Errored)
	case st.Rows == 0:
		res.Status, res.Reason = StatusFailed, "the dataset has no rows"
	case res.Statistics.Failed > 0:
		res.Status = StatusFailed
	case res.Statistics.Warned > 0:
		res.Status = StatusWarned
	default:
		res.Status = StatusPassed
	}
	res.Success = res.Status != StatusFailed
	return res
}

// clone copies the scalar fields finish sets (Unexpected for derived
// counts), so Finalize leaves the caller's state as it was.
func (c CheckState) clone() CheckState { return c }

// Validate runs suite over every record of rr, in one pass and bounded
// memory (except for checks whose state grows with distinct values:
// uniqueness, duplicates, conflicting labels). An error means the data
// could not be read or the pinned suite digest did not match; a failed
// gate is a Result with Success false.
func Validate(ctx context.Context, suite *Suite, rr array.RecordReader, opts Options) (*Result, error) {
	start := time.Now().UTC()
	p, err := NewPlan(suite, rr.Schema(), opts)
	if err != nil {
		return nil, err
	}
	st := p.NewState(0)
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := p.Update(st, rr.Record()); err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(st.Rows)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) { // pqarrow ends with io.EOF
		return nil, err
	}
	res := p.Finalize(st)
	res.StartedAt, res.EndedAt = start, time.Now().UTC()
	return res, nil
}

// argumentOf names the argument a compile error is about, as
// "kwargs.<name>": the argument holding a column of the wrong type, or
// the argument named at the start of the message ("min_value: ..."),
// and the message without that name.
func argumentOf(err error, kw map[string]any, ct *checkType) (field, msg string) {
	msg = err.Error()
	var te *typeError
	if errors.As(err, &te) {
		for _, name := range []string{"column", "column_A", "column_B"} {
			if kw[name] == te.column {
				return "kwargs." + name, msg
			}
		}
		return "kwargs.column_list", msg
	}
	if ct == nil {
		return "", msg
	}
	for _, p := range ct.params {
		if rest, ok := strings.CutPrefix(msg, p.name+": "); ok {
			return "kwargs." + p.name, rest
		}
		if strings.HasPrefix(msg, p.name+" ") {
			return "kwargs." + p.name, msg
		}
	}
	return "", msg
}
