package validation

import (
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow/go/v17/arrow"
)

// Kind is what a check looks at.
type Kind string

const (
	KindSchema    Kind = "schema"    // the schema alone
	KindRow       Kind = "row"       // each row; has mostly, unexpected counts and samples
	KindAggregate Kind = "aggregate" // a statistic of the whole dataset
)

// param is one kwarg of a check type, described for the suite JSON Schema.
type param struct {
	name     string
	schema   map[string]any
	required bool
}

func p(name string, required bool, schema map[string]any) param {
	return param{name: name, schema: schema, required: required}
}

var (
	tString  = map[string]any{"type": "string", "minLength": 1}
	tNumber  = map[string]any{"type": "number"}
	tBool    = map[string]any{"type": "boolean"}
	tFrac    = map[string]any{"type": "number", "minimum": 0, "maximum": 1}
	tPosInt  = map[string]any{"type": "integer", "minimum": 0}
	tStrings = map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "minItems": 1}
	tBound   = map[string]any{"type": []any{"number", "string", "null"}}
	// tValueSet is a GX value_set: null items match nothing (nulls are
	// not checked by map expectations); a null set is GX's "no
	// constraint" where the check allows it.
	tValueSet = map[string]any{"type": []any{"array", "null"}, "items": map[string]any{"type": []any{"string", "number", "boolean", "null"}}}
	tRegex    = map[string]any{"type": "string"} // "" matches every value, as in GX
	tNames    = map[string]any{"type": []any{"array", "null"}, "items": map[string]any{"type": "string"}}
	tObject   = map[string]any{"type": "object"}
	tSHA256   = map[string]any{"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}
)

// checkType is one entry of the check catalogue.
type checkType struct {
	name    string
	kind    Kind
	summary string
	params  []param
	build   func(c *compiler, k kwargs) (evaluator, error)
}

var registry = map[string]*checkType{}

func register(ct *checkType) {
	if _, dup := registry[ct.name]; dup {
		panic("validation: check type registered twice: " + ct.name)
	}
	if ct.kind != KindSchema {
		// Every check that looks at rows may be restricted to some.
		ct.params = append(ct.params, conditionParams...)
	}
	registry[ct.name] = ct
}

// CheckTypes lists the check types this package evaluates, sorted by name,
// with their arguments. The same catalogue is in CHECKS.md beside the
// package source.
func CheckTypes() []CheckTypeInfo {
	out := make([]CheckTypeInfo, 0, len(registry))
	for _, ct := range registry {
		out = append(out, CheckTypeInfo{Name: ct.name, Kind: ct.kind, Summary: ct.summary, Params: paramInfos(ct.params)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// CheckTypeInfo describes a check type.
type CheckTypeInfo struct {
	Name    string
	Kind    Kind
	Summary string
	Params  []ParamInfo // the check's own arguments, in declaration order
}

// evaluator computes one check: it sets up its state parts, folds
// records into them, and turns the merged state into a result.
type evaluator interface {
	init(cs *CheckState)
	update(cs *CheckState, rec arrow.Record, offset int64, raw bool)
	finish(cs *CheckState, rows int64, r *CheckResult)
}

// kwargs are a check's arguments as decoded from the suite's JSON form.
type kwargs map[string]any

func (k kwargs) str(name string) string {
	s, _ := k[name].(string)
	return s
}

func (k kwargs) num(name string) (float64, bool) {
	f, ok := k[name].(float64)
	return f, ok
}

func (k kwargs) numOr(name string, def float64) float64 {
	if f, ok := k.num(name); ok {
		return f
	}
	return def
}

func (k kwargs) boolean(name string) bool {
	b, _ := k[name].(bool)
	return b
}

func (k kwargs) strs(name string) []string {
	l, _ := k[name].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// compiler resolves a check against the data schema.
type compiler struct {
	schema *arrow.Schema
	dir    string // directory of the suite file, for baseline files
	// used collects the columns the checks read; all is set by a check
	// that looks at every column or at the schema as a whole. Together
	// they are Plan.Columns, the projection a data reader can apply.
	used map[string]bool
	all  bool
	// failClosed is Suite.FailClosed: vacuous checks are refused.
	failClosed bool
	// raw is Options.RawSamples: data values may appear unredacted.
	raw bool
}

// vacuous is called where GX's semantics make a check pass whatever the
// data; under fail_closed it is a misconfiguration instead.
func (c *compiler) vacuous(arg, what string) error {
	if c.failClosed {
		return fmt.Errorf("%s: %s would pass whatever the data; the suite is fail_closed", arg, what)
	}
	return nil
}

// dataError is a compile error that depends on the data, not on the
// suite: a column the data lacks, a pinned baseline file that is missing
// or altered. The check stays in the suite and fails (errored) with the
// reason. Every other compile error is a misconfigured check, and NewPlan
// refuses the suite for it, as Great Expectations raises: a typo in a
// suite is told apart from bad data.
type dataError struct{ err error }

func (e *dataError) Error() string { return e.err.Error() }
func (e *dataError) Unwrap() error { return e.err }

// typeError is a column whose type does not fit the check (the length of
// an integer, the mean of strings): the suite is refused when the schema
// is known, naming the argument that holds the column.
type typeError struct {
	column string
	msg    string
}

func (e *typeError) Error() string { return e.msg }

// column returns the index of the named column, or an error that makes
// the check fail (a missing column is a failure, not a skip).
func (c *compiler) column(name string) (int, arrow.Field, error) {
	idx := c.fieldIndices(name)
	if len(idx) == 0 {
		return 0, arrow.Field{}, &dataError{fmt.Errorf("column %q not found in the data", name)}
	}
	return idx[0], c.schema.Field(idx[0]), nil
}

// fieldIndices looks a column up and records it as used.
func (c *compiler) fieldIndices(name string) []int {
	idx := c.schema.FieldIndices(name)
	if len(idx) > 0 {
		if c.used == nil {
			c.used = map[string]bool{}
		}
		c.used[name] = true
	}
	return idx
}

// allColumnNames, numFields and schemaDigest look at the whole schema, so
// the check needs every column.
func (c *compiler) allColumnNames() []string {
	c.all = true
	return columnNames(c.schema)
}

func (c *compiler) numFields() int {
	c.all = true
	return c.schema.NumFields()
}

func (c *compiler) schemaDigest() string {
	c.all = true
	return SchemaDigest(c.schema)
}

func (c *compiler) numericColumn(name string) (int, arrow.Field, error) {
	i, f, err := c.column(name)
	if err == nil && !isNumeric(f.Type) && f.Type.ID() != arrow.NULL {
		err = &typeError{column: name, msg: fmt.Sprintf("column %q has type %s, not a numeric type", name, f.Type)}
	}
	return i, f, err
}

func (c *compiler) stringColumn(name string) (int, arrow.Field, error) {
	i, f, err := c.column(name)
	if err == nil && !isString(f.Type) && f.Type.ID() != arrow.NULL {
		err = &typeError{column: name, msg: fmt.Sprintf("column %q has type %s, not a string type", name, f.Type)}
	}
	return i, f, err
}

// rangeOf reads min_value/max_value (either may be absent or null) and
// strict_min/strict_max into an inclusive range check.
type bounds struct {
	lo, hi             float64
	hasLo, hasHi       bool
	strictLo, strictHi bool
	loText, hiText     any
}

func (b bounds) contains(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if b.hasLo && (v < b.lo || (b.strictLo && v == b.lo)) {
		return false
	}
	if b.hasHi && (v > b.hi || (b.strictHi && v == b.hi)) {
		return false
	}
	return true
}

func (b bounds) String() string {
	lo, hi := "-inf", "+inf"
	if b.hasLo {
		lo = fmt.Sprint(b.loText)
	}
	if b.hasHi {
		hi = fmt.Sprint(b.hiText)
	}
	l, r := "[", "]"
	if b.strictLo {
		l = "("
	}
	if b.strictHi {
		r = ")"
	}
	return l + lo + ", " + hi + r
}

func readBounds(k kwargs, dt arrow.DataType) (bounds, error) {
	return readBoundsOpt(k, dt, false)
}

// readBoundsOpt reads bounds where vacuousOK allows neither bound (GX's
// vacuously true aggregates: mean, median, stdev, unique counts and
// proportions, row count).
func readBoundsOpt(k kwargs, dt arrow.DataType, vacuousOK bool) (bounds, error) {
	var b bounds
	for _, side := range []struct {
		key string
		v   *float64
		has *bool
		txt *any
	}{{"min_value", &b.lo, &b.hasLo, &b.loText}, {"max_value", &b.hi, &b.hasHi, &b.hiText}} {
		raw, ok := k[side.key]
		if !ok || raw == nil {
			continue
		}
		f, err := parseBound(dt, raw)
		if err != nil {
			return b, fmt.Errorf("%s: %w", side.key, err)
		}
		*side.v, *side.has, *side.txt = f, true, raw
	}
	if !b.hasLo && !b.hasHi && !vacuousOK {
		return b, fmt.Errorf("needs min_value or max_value")
	}
	if b.hasLo && b.hasHi && b.lo > b.hi {
		return b, fmt.Errorf("min_value %v is above max_value %v", b.loText, b.hiText)
	}
	b.strictLo, b.strictHi = k.boolean("strict_min"), k.boolean("strict_max")
	return b, nil
}

var boundParams = []param{
	p("min_value", false, tBound), p("max_value", false, tBound),
	p("strict_min", false, tBool), p("strict_max", false, tBool),
}

func withParams(ps ...[]param) []param {
	var out []param
	for _, l := range ps {
		out = append(out, l...)
	}
	return out
}
