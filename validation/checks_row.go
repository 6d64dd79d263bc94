package validation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// rowEval is a row-level check on one column: scan counts the unexpected
// non-null rows of a batch and reports each to bad.
type rowEval struct {
	col       int
	mostly    float64
	allRows   bool // nulls count in the denominator (null checks)
	noSamples bool // never sample values (PII, credentials)
	scan      func(arr arrow.Array, bad func(i int)) int64
	what      string // "values outside [0, 10]", for the message
}

func (e *rowEval) init(*CheckState) {}

func (e *rowEval) update(cs *CheckState, rec arrow.Record, offset int64, raw bool) {
	arr := rec.Column(e.col)
	cs.Elements += int64(arr.Len())
	cs.Nulls += int64(nullCount(arr))
	if isNullType(arr) && !e.allRows {
		return // only nulls, which a value check skips
	}
	// Once the samples are full, scans run without a callback.
	var bad func(int)
	if len(cs.Samples) < maxSamples {
		bad = func(i int) {
			if len(cs.Samples) < maxSamples {
				v := ""
				if !e.noSamples && !isNull(arr, i) {
					v = sampleText(valueText(arr, i), raw)
				}
				cs.Samples = append(cs.Samples, Sample{Row: offset + int64(i), Value: v})
			}
		}
	}
	cs.Unexpected += e.scan(arr, bad)
}

func (e *rowEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	rowResult(cs, r, e.mostly, e.allRows, e.what)
}

// rowResult fills the GX-style counts of a row-level result.
func rowResult(cs *CheckState, r *CheckResult, mostly float64, allRows bool, what string) {
	r.ElementCount, r.MissingCount, r.UnexpectedCount = cs.Elements, cs.Nulls, cs.Unexpected
	denom := cs.Elements - cs.Nulls
	if allRows {
		denom = cs.Elements
	}
	if denom > 0 {
		r.UnexpectedPercent = 100 * float64(cs.Unexpected) / float64(denom)
	}
	for _, s := range cs.Samples {
		r.UnexpectedIndices = append(r.UnexpectedIndices, s.Row)
		if s.Value != "" {
			r.UnexpectedSample = append(r.UnexpectedSample, s.Value)
		}
	}
	r.Observed = map[string]any{"unexpected_percent": r.UnexpectedPercent}
	r.Success = denom == 0 || float64(denom-cs.Unexpected)/float64(denom) >= mostly
	if !r.Success {
		r.Message = fmt.Sprintf("%d of %d rows (%.4g%%) have %s", cs.Unexpected, denom, r.UnexpectedPercent, what)
		if mostly < 1 {
			r.Message += fmt.Sprintf("; mostly=%g allows %.4g%%", mostly, 100*(1-mostly))
		}
	}
}

// sampleText redacts a sampled value unless raw values were asked for:
// a truncated SHA-256 lets equal values be matched without showing them.
func sampleText(v string, raw bool) string {
	if raw {
		if len(v) > 256 {
			v = v[:256] + "…"
		}
		return v
	}
	h := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(h[:8])
}

// scanFloats runs a numeric predicate over a column without boxing:
// unexpected candidates are checked against the validity bitmap only when
// the predicate fails, so null-free columns take one tight loop.
func scanFloats(arr arrow.Array, ok func(float64) bool, bad func(int)) int64 {
	vals, done := floats(arr)
	defer done()
	var n int64
	nulls := arr.NullN() > 0
	for i, v := range vals {
		if !ok(v) {
			if nulls && arr.IsNull(i) {
				continue
			}
			n++
			if bad != nil {
				bad(i)
			}
		}
	}
	return n
}

// scanBetween counts the valid values outside [lo, hi]; int64 columns
// compare as integers, word by word (see scan.go), other numeric columns
// as float64.
func scanBetween(arr arrow.Array, lo, hi float64, bad func(int)) int64 {
	if a, ok := arr.(*array.Int64); ok {
		return scanBetweenInt64(a, lo, hi, bad)
	}
	// Floats keep a plain loop: values of a float column are mostly in
	// range, so its branch predicts well and it measured faster than the
	// word-at-a-time form.
	vals, done := floats(arr)
	defer done()
	var n int64
	nulls := arr.NullN() > 0
	for i, v := range vals {
		if !(v >= lo && v <= hi) { // NaN fails too
			if nulls && arr.IsNull(i) {
				continue
			}
			n++
			if bad != nil {
				bad(i)
			}
		}
	}
	return n
}

// scanBetweenInt64 compares int64 values with integer bounds, exactly and
// without converting the column.
func scanBetweenInt64(a *array.Int64, lo, hi float64, bad func(int)) int64 {
	ilo, ihi := int64(math.MinInt64), int64(math.MaxInt64)
	if lo > math.MaxInt64 || hi < math.MinInt64 || lo > hi {
		ilo, ihi = 1, 0 // empty range
	} else {
		if lo > math.MinInt64 {
			ilo = int64(math.Ceil(lo))
		}
		if hi < math.MaxInt64 {
			ihi = int64(math.Floor(hi))
		}
	}
	valid := validityOf(a)
	if ilo > ihi {
		allFail := flags{}
		for j := range allFail {
			allFail[j] = 1
		} // every valid value fails
		return scanWords(a.Int64Values(), valid, bad, func(c []int64, f *flags) { *f = allFail })
	}
	span := uint64(ihi - ilo)
	return scanWords(a.Int64Values(), valid, bad, func(c []int64, f *flags) { outsideInt64(c, f, ilo, span) })
}

func scanStrings(arr arrow.Array, ok func(string) bool, bad func(int)) int64 {
	s := arr.(stringer)
	var n int64
	for i := 0; i < arr.Len(); i++ {
		if arr.IsValid(i) && !ok(s.Value(i)) {
			n++
			if bad != nil {
				bad(i)
			}
		}
	}
	return n
}

var mostlyParam = p("mostly", false, tFrac)

func rowParams(ps ...param) []param {
	return append([]param{p("column", true, tString), mostlyParam}, ps...)
}

func mostlyOf(k kwargs) float64 { return k.numOr("mostly", 1) }

// valueSet is a membership test specialised by column type.
type valueSet struct {
	strs map[string]bool
	nums map[float64]bool
	// Integer sets spanning fewer than 1<<16 values are also a bitset:
	// bit v-base is set for each member v; bit size (past the span) is
	// clear, so out-of-span values can be clamped onto it.
	dense []uint64
	size  uint64
	base  float64
}

func newValueSet(dt arrow.DataType, vals []any) (*valueSet, error) {
	s := &valueSet{}
	switch {
	case isString(dt):
		s.strs = map[string]bool{}
		for _, v := range vals {
			str, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("value_set: %v is not a string, the column is %s", v, dt)
			}
			s.strs[str] = true
		}
	case dt.ID() == arrow.BOOL:
		s.strs = map[string]bool{}
		for _, v := range vals {
			s.strs[fmt.Sprint(v)] = true
		}
	case isNumeric(dt):
		s.nums = map[float64]bool{}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range vals {
			f, err := parseBound(dt, v)
			if err != nil {
				return nil, fmt.Errorf("value_set: %w", err)
			}
			s.nums[f] = true
			lo, hi = math.Min(lo, f), math.Max(hi, f)
		}
		if isInteger(dt) && len(vals) > 0 && hi-lo < 1<<16 {
			s.base = lo
			s.size = uint64(hi-lo) + 1
			s.dense = make([]uint64, s.size/64+1)
			for f := range s.nums {
				if f == math.Trunc(f) {
					off := uint64(f - lo)
					s.dense[off/64] |= 1 << (off % 64)
				}
			}
		}
	case dt.ID() == arrow.NULL:
		// A column without values: any set fits, and no value is scanned.
	default:
		return nil, fmt.Errorf("value sets are not supported for type %s", dt)
	}
	return s, nil
}

func (s *valueSet) scan(arr arrow.Array, want bool, bad func(int)) int64 {
	switch {
	case s.dense != nil && arr.DataType().ID() == arrow.INT64:
		// Integers index the bitset directly, no conversion.
		a := arr.(*array.Int64)
		set, base, size, w := s.dense, int64(s.base), s.size, b2u(want)
		return scanWords(a.Int64Values(), validityOf(a), bad, func(c []int64, f *flags) { inBitset(c, f, set, base, size, w) })
	case s.dense != nil:
		vals, done := floats(arr)
		defer done()
		var n int64
		nulls := arr.NullN() > 0
		size := float64(s.size)
		for i, v := range vals {
			off := v - s.base
			in := off >= 0 && off < size && s.dense[uint64(off)/64]>>(uint64(off)%64)&1 == 1
			if in != want {
				if nulls && arr.IsNull(i) {
					continue
				}
				n++
				if bad != nil {
					bad(i)
				}
			}
		}
		return n
	case s.nums != nil:
		return scanFloats(arr, func(v float64) bool { return s.nums[v] == want }, bad)
	case arr.DataType().ID() == arrow.BOOL:
		b := arr.(*array.Boolean)
		var n int64
		for i := 0; i < b.Len(); i++ {
			if b.IsValid(i) && s.strs[fmt.Sprint(b.Value(i))] != want {
				n++
				if bad != nil {
					bad(i)
				}
			}
		}
		return n
	}
	return scanStrings(arr, func(v string) bool { return s.strs[v] == want }, bad)
}

func setCheck(want bool) func(c *compiler, k kwargs) (evaluator, error) {
	return func(c *compiler, k kwargs) (evaluator, error) {
		i, f, err := c.column(k.str("column"))
		if err != nil {
			return nil, err
		}
		if k["value_set"] == nil {
			if err := c.vacuous("value_set", "a null value_set"); err != nil {
				return nil, err
			}
			if want {
				// GX: no set is the universal set.
				return &rowEval{col: i, mostly: mostlyOf(k), what: "values outside the set",
					scan: func(arrow.Array, func(int)) int64 { return 0 }}, nil
			}
			return nil, fmt.Errorf("value_set: null; list the forbidden values")
		}
		vals := nonNull(k["value_set"].([]any))
		set, err := newValueSet(f.Type, vals)
		if err != nil {
			return nil, err
		}
		what := "values outside the set"
		if !want {
			what = "values in the forbidden set"
		}
		return &rowEval{col: i, mostly: mostlyOf(k), what: what,
			scan: func(arr arrow.Array, bad func(int)) int64 { return set.scan(arr, want, bad) }}, nil
	}
}

func regexCheck(want bool) func(c *compiler, k kwargs) (evaluator, error) {
	return func(c *compiler, k kwargs) (evaluator, error) {
		i, _, err := c.stringColumn(k.str("column"))
		if err != nil {
			return nil, err
		}
		re, err := regexp.Compile(k.str("regex"))
		if err != nil {
			return nil, fmt.Errorf("regex: %w", err)
		}
		what := "values not matching " + re.String()
		if !want {
			what = "values matching " + re.String()
		}
		return &rowEval{col: i, mostly: mostlyOf(k), what: what,
			scan: func(arr arrow.Array, bad func(int)) int64 {
				return scanStrings(arr, func(v string) bool { return re.MatchString(v) == want }, bad)
			}}, nil
	}
}

// strftimeLayout converts a C strftime format to a Go time layout.
func strftimeLayout(f string) (string, error) {
	repl := map[byte]string{
		'Y': "2006", 'y': "06", 'm': "01", 'd': "02", 'H': "15", 'I': "03", 'M': "04",
		'S': "05", 'p': "PM", 'b': "Jan", 'B': "January", 'a': "Mon", 'A': "Monday",
		'z': "-0700", 'Z': "MST", 'j': "002", 'f': "000000", '%': "%",
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		if i+1 == len(f) {
			return "", fmt.Errorf("strftime_format ends in %%")
		}
		r, ok := repl[f[i+1]]
		if !ok {
			return "", fmt.Errorf("strftime_format: unsupported directive %%%c", f[i+1])
		}
		b.WriteString(r)
		i++
	}
	return b.String(), nil
}

// dateLayouts are the forms expect_column_values_to_be_dateutil_parseable
// accepts (a practical subset of what Python's dateutil parses).
var dateLayouts = []string{
	time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05",
	"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04", time.DateOnly, "2006/01/02", "01/02/2006",
	"02 Jan 2006", "Jan 2 2006", "January 2, 2006", "Jan 2, 2006", time.RFC1123, time.RFC1123Z,
	time.RFC822, time.RFC850, time.ANSIC, "20060102", "2006-01-02T15:04:05.000Z",
}

func parseDate(v string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(v)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func init() {
	register(&checkType{
		name: "expect_column_values_to_not_be_null", kind: KindRow,
		summary: "no nulls (or at least a mostly fraction of non-nulls)",
		params:  rowParams(),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.column(k.str("column"))
			if err != nil {
				return nil, err
			}
			return &rowEval{col: i, mostly: mostlyOf(k), allRows: true, noSamples: true, what: "null values",
				scan: func(arr arrow.Array, bad func(int)) int64 {
					nulls := int64(nullCount(arr))
					if nulls == 0 || bad == nil {
						return nulls
					}
					for j := 0; j < arr.Len(); j++ {
						if isNull(arr, j) {
							bad(j)
						}
					}
					return nulls
				}}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_be_null", kind: KindRow,
		summary: "all values null (a column that must stay empty)",
		params:  rowParams(),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.column(k.str("column"))
			if err != nil {
				return nil, err
			}
			return &rowEval{col: i, mostly: mostlyOf(k), allRows: true, what: "non-null values",
				scan: func(arr arrow.Array, bad func(int)) int64 {
					var n int64
					if bad == nil {
						return int64(arr.Len() - nullCount(arr))
					}
					for j := 0; j < arr.Len(); j++ {
						if !isNull(arr, j) {
							n++
							bad(j)
						}
					}
					return n
				}}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_be_in_set", kind: KindRow,
		summary: "every value is one of value_set",
		params:  rowParams(p("value_set", true, tValueSet)),
		build:   setCheck(true),
	})
	register(&checkType{
		name: "expect_column_values_to_not_be_in_set", kind: KindRow,
		summary: "no value is one of value_set",
		params:  rowParams(p("value_set", true, tValueSet)),
		build:   setCheck(false),
	})
	register(&checkType{
		name: "expect_column_values_to_be_between", kind: KindRow,
		summary: "numeric, date or timestamp values within [min_value, max_value]",
		params:  withParams(rowParams(), boundParams),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, f, err := c.numericColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			b, err := readBounds(k, f.Type)
			if err != nil {
				return nil, err
			}
			lo, hi := math.Inf(-1), math.Inf(1)
			if b.hasLo {
				lo = b.lo
				if b.strictLo {
					lo = math.Nextafter(lo, math.Inf(1))
				}
			}
			if b.hasHi {
				hi = b.hi
				if b.strictHi {
					hi = math.Nextafter(hi, math.Inf(-1))
				}
			}
			return &rowEval{col: i, mostly: mostlyOf(k), what: "values outside " + b.String(),
				scan: func(arr arrow.Array, bad func(int)) int64 { return scanBetween(arr, lo, hi, bad) }}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_match_regex", kind: KindRow,
		summary: "string values match a regular expression (RE2 syntax, unanchored)",
		params:  rowParams(p("regex", true, tRegex)),
		build:   regexCheck(true),
	})
	register(&checkType{
		name: "expect_column_values_to_not_match_regex", kind: KindRow,
		summary: "string values do not match a regular expression",
		params:  rowParams(p("regex", true, tRegex)),
		build:   regexCheck(false),
	})
	register(&checkType{
		name: "expect_column_value_lengths_to_be_between", kind: KindRow,
		summary: "string lengths in characters within [min_value, max_value]",
		params:  withParams(rowParams(), boundParams),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.stringColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			b, err := readBounds(k, arrow.PrimitiveTypes.Int64)
			if err != nil {
				return nil, err
			}
			return &rowEval{col: i, mostly: mostlyOf(k), what: "lengths outside " + b.String(),
				scan: func(arr arrow.Array, bad func(int)) int64 {
					return scanStrings(arr, func(v string) bool { return b.contains(float64(utf8.RuneCountInString(v))) }, bad)
				}}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_match_strftime_format", kind: KindRow,
		summary: "string values parse with a strftime format (e.g. %Y-%m-%d)",
		params:  rowParams(p("strftime_format", true, tString)),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.stringColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			layout, err := strftimeLayout(k.str("strftime_format"))
			if err != nil {
				return nil, err
			}
			return &rowEval{col: i, mostly: mostlyOf(k), what: "values not in format " + k.str("strftime_format"),
				scan: func(arr arrow.Array, bad func(int)) int64 {
					return scanStrings(arr, func(v string) bool { _, err := time.Parse(layout, v); return err == nil }, bad)
				}}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_be_dateutil_parseable", kind: KindRow,
		summary: "string values are dates or times, optionally within [min_value, max_value] (ISO 8601 bounds)",
		params:  rowParams(p("min_value", false, tString), p("max_value", false, tString)),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.stringColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			var lo, hi time.Time
			for _, b := range []struct {
				key string
				t   *time.Time
			}{{"min_value", &lo}, {"max_value", &hi}} {
				if s := k.str(b.key); s != "" {
					t, ok := parseDate(s)
					if !ok {
						return nil, fmt.Errorf("%s: %q is not a date", b.key, s)
					}
					*b.t = t
				}
			}
			what := "values that are not dates"
			if !lo.IsZero() || !hi.IsZero() {
				what = "values that are not dates in range"
			}
			return &rowEval{col: i, mostly: mostlyOf(k), what: what,
				scan: func(arr arrow.Array, bad func(int)) int64 {
					return scanStrings(arr, func(v string) bool {
						t, ok := parseDate(v)
						return ok && (lo.IsZero() || !t.Before(lo)) && (hi.IsZero() || !t.After(hi))
					}, bad)
				}}, nil
		},
	})
	register(&checkType{
		name: "expect_column_pair_values_a_to_be_greater_than_b", kind: KindRow,
		summary: "column_A > column_B row by row (>= with or_equal)",
		params: []param{p("column_A", true, tString), p("column_B", true, tString), p("or_equal", false, tBool),
			p("ignore_row_if", false, map[string]any{"enum": []any{"either_value_is_missing", "both_values_are_missing", "neither"}}), mostlyParam},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			ia, _, err := c.numericColumn(k.str("column_A"))
			if err != nil {
				return nil, err
			}
			ib, _, err := c.numericColumn(k.str("column_B"))
			if err != nil {
				return nil, err
			}
			// mlsec's default skips a row with a null on either side; GX's
			// default (both_values_are_missing) and "neither" count a
			// compared null as unexpected, as pandas' NaN > x is false.
			mode := k.str("ignore_row_if")
			if mode == "" {
				mode = "either_value_is_missing"
			}
			return &pairEval{a: ia, b: ib, orEqual: k.boolean("or_equal"), mostly: mostlyOf(k), ignore: mode}, nil
		},
	})
}

// pairEval compares two numeric columns row by row; a row with a null in
// either column is missing.
type pairEval struct {
	a, b    int
	orEqual bool
	mostly  float64
	ignore  string // ignore_row_if
}

func (e *pairEval) init(*CheckState) {}

func (e *pairEval) update(cs *CheckState, rec arrow.Record, offset int64, raw bool) {
	A, B := rec.Column(e.a), rec.Column(e.b)
	va, da := floats(A)
	defer da()
	vb, db := floats(B)
	defer db()
	cs.Elements += int64(len(va))
	for i := range va {
		na, nb := isNull(A, i), isNull(B, i)
		if (na && nb && e.ignore != "neither") || ((na || nb) && e.ignore == "either_value_is_missing") {
			cs.Nulls++
			continue
		}
		if !na && !nb && (va[i] > vb[i] || (e.orEqual && va[i] == vb[i])) {
			continue
		}
		cs.Unexpected++
		if len(cs.Samples) < maxSamples {
			cs.Samples = append(cs.Samples, Sample{Row: offset + int64(i), Value: sampleText(valueText(A, i)+" vs "+valueText(B, i), raw)})
		}
	}
}

func (e *pairEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	rowResult(cs, r, e.mostly, false, "column_A not greater than column_B")
}

// nonNull drops the nulls of a value_set: nulls are never checked by a
// map expectation, so a null member matches nothing.
func nonNull(vals []any) []any {
	out := make([]any, 0, len(vals))
	for _, v := range vals {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}
