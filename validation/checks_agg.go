package validation

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// maxCounts bounds the distinct values a categorical check counts; past
// it the check errors instead of growing without bound.
const maxCounts = 100_000

// parts says which state parts an aggregate needs.
type parts struct {
	moments, sketch, hashes, counts bool
}

// aggEval is an aggregate check on one column (col < 0: the table).
type aggEval struct {
	col    int
	parts  parts
	metric func(cs *CheckState, rows int64) (float64, error)
	b      bounds
	label  string // "mean", for messages
	// temporal is the column type when the value is a date or time (the
	// min, max or median of one): observed as ISO 8601 text, as in GX.
	temporal arrow.DataType
}

func (e *aggEval) init(cs *CheckState) { initParts(cs, e.parts) }

func initParts(cs *CheckState, p parts) {
	if p.moments {
		cs.Moments = &Moments{}
	}
	if p.sketch {
		cs.Sketch = newSketch()
	}
	if p.hashes {
		cs.Hashes = map[uint64]int64{}
	}
	if p.counts {
		cs.Counts = map[string]int64{}
	}
}

func (e *aggEval) update(cs *CheckState, rec arrow.Record, _ int64, _ bool) {
	if e.col < 0 {
		cs.Elements += rec.NumRows()
		return
	}
	foldColumn(cs, rec.Column(e.col), e.parts)
}

// validity returns a fast validity test for arr, or nil when it has no nulls.
func validity(arr arrow.Array) func(int) bool {
	if arr.NullN() == 0 {
		return nil
	}
	bm, off := arr.NullBitmapBytes(), arr.Data().Offset()
	return func(i int) bool { return bitutil.BitIsSet(bm, off+i) }
}

// moments computes count, sum, min, max and the sum of squared deviations
// of the valid, non-NaN values, in two passes (stable M2).
func moments(vals []float64, valid func(int) bool) (n int64, sum, lo, hi, m2 float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	ok := func(i int, v float64) bool { return v == v && (valid == nil || valid(i)) }
	if valid == nil {
		for _, v := range vals {
			if v != v {
				continue
			}
			n++
			sum += v
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
	} else {
		for i, v := range vals {
			if !ok(i, v) {
				continue
			}
			n++
			sum += v
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
	}
	if n == 0 {
		return
	}
	mean := sum / float64(n)
	for i, v := range vals {
		if valid == nil && v == v || valid != nil && ok(i, v) {
			d := v - mean
			m2 += d * d
		}
	}
	return
}

// foldColumn adds a batch of one column to the state parts.
func foldColumn(cs *CheckState, arr arrow.Array, p parts) {
	cs.Elements += int64(arr.Len())
	nullN := nullCount(arr)
	cs.Nulls += int64(nullN)
	if isNullType(arr) {
		return // only nulls: nothing to aggregate
	}
	nulls := nullN > 0
	if p.moments || p.sketch {
		vals, done := floats(arr)
		valid := validity(arr)
		if valid != nil {
			// Compact the valid values once, so the loops below are tight.
			bp := floatPool.Get().(*[]float64)
			buf := compactValid((*bp)[:0], vals, validityOf(arr))
			prev := done
			vals, valid = buf, nil
			done = func() { prev(); *bp = buf; floatPool.Put(bp) }
		}
		if p.moments {
			n, sum, lo, hi, m2 := moments(vals, valid)
			cs.Moments.NaN += int64(arr.Len()-arr.NullN()) - n
			cs.Moments.addBatch(n, sum, lo, hi, m2)
		}
		if p.sketch {
			for i, v := range vals {
				if (valid == nil || valid(i)) && !math.IsNaN(v) {
					cs.Sketch.Add(v)
				}
			}
		}
		done()
	}
	if p.hashes {
		hs := make([]uint64, arr.Len())
		hashInto(arr, hs)
		for i, h := range hs {
			if !(nulls && isNull(arr, i)) {
				cs.Hashes[h]++
			}
		}
	}
	if p.counts && !cs.Overflow {
		for i := 0; i < arr.Len(); i++ {
			if nulls && isNull(arr, i) {
				continue
			}
			v := valueText(arr, i)
			if _, ok := cs.Counts[v]; ok {
				cs.Counts[v]++
			} else {
				cs.Counts[strings.Clone(v)] = 1
			}
		}
		if len(cs.Counts) > maxCounts {
			cs.Overflow = true
		}
	}
}

func (e *aggEval) finish(cs *CheckState, rows int64, r *CheckResult) {
	if e.col >= 0 {
		r.ElementCount, r.MissingCount = cs.Elements, cs.Nulls
	} else {
		r.ElementCount = rows
	}
	v, err := e.metric(cs, rows)
	if err != nil {
		r.Error = err.Error()
		return
	}
	r.Observed = jsonFloat(v)
	if e.temporal != nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		r.Observed = temporalText(e.temporal, v)
	}
	r.Success = e.b.contains(v)
	if !r.Success {
		r.Message = fmt.Sprintf("%s is %s, want %s", e.label, fmtFloat(v), e.b)
	}
}

// jsonFloat makes NaN and infinities representable in JSON results.
func jsonFloat(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	return v
}

func fmtFloat(v float64) string { return fmt.Sprintf("%.6g", v) }

var errNoValues = fmt.Errorf("no non-null values to compute it from")

func momentsMetric(f func(m *Moments) float64) func(cs *CheckState, _ int64) (float64, error) {
	return func(cs *CheckState, _ int64) (float64, error) {
		if cs.Moments.N == 0 {
			return 0, errNoValues
		}
		return f(cs.Moments), nil
	}
}

// aggCheck registers a bounded aggregate of a numeric column.
func aggCheck(name, label, summary string, pt parts, metric func(cs *CheckState, rows int64) (float64, error)) {
	register(&checkType{
		name: name, kind: KindAggregate, summary: summary,
		params: withParams([]param{p("column", true, tString)}, boundParams),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			var i int
			var f arrow.Field
			var err error
			if name == "expect_column_mean_to_be_between" {
				// GX coerces booleans: the mean is the share of true.
				i, f, err = c.column(k.str("column"))
				if err == nil && f.Type.ID() != arrow.BOOL && !isNumeric(f.Type) && f.Type.ID() != arrow.NULL {
					err = &typeError{column: f.Name, msg: fmt.Sprintf("column %q has type %s, not a numeric or boolean type", f.Name, f.Type)}
				}
				if err == nil && f.Type.ID() == arrow.BOOL {
					f.Type = arrow.PrimitiveTypes.Float64 // bounds are plain numbers
				}
			} else if pt.moments || pt.sketch {
				i, f, err = c.numericColumn(k.str("column"))
			} else {
				i, f, err = c.column(k.str("column"))
			}
			if err != nil {
				return nil, err
			}
			bt := f.Type
			if !pt.moments && !pt.sketch {
				bt = arrow.PrimitiveTypes.Float64 // counts and fractions
			}
			b, err := readBoundsOpt(k, bt, gxVacuousBounds[name])
			if err != nil {
				return nil, err
			}
			if !b.hasLo && !b.hasHi {
				if err := c.vacuous("min_value", "a "+label+" with neither bound"); err != nil {
					return nil, err
				}
			}
			ev := &aggEval{col: i, parts: pt, metric: metric, b: b, label: label}
			switch name {
			case "expect_column_min_to_be_between", "expect_column_max_to_be_between", "expect_column_median_to_be_between":
				if id := f.Type.ID(); id == arrow.TIMESTAMP || id == arrow.DATE32 || id == arrow.DATE64 {
					ev.temporal = f.Type
				}
			}
			return ev, nil
		},
	})
}

// temporalText writes a date or time held in a column's units as ISO
// 8601: a date, a time without zone for a naive timestamp, or with it.
func temporalText(dt arrow.DataType, v float64) string {
	switch t := dt.(type) {
	case *arrow.TimestampType:
		tm := arrow.Timestamp(int64(v)).ToTime(t.Unit)
		if t.TimeZone == "" {
			return tm.Format("2006-01-02T15:04:05.999999999")
		}
		if loc, err := time.LoadLocation(t.TimeZone); err == nil {
			tm = tm.In(loc)
		}
		return tm.Format(time.RFC3339Nano)
	case *arrow.Date32Type:
		return arrow.Date32(int32(v)).FormattedString()
	case *arrow.Date64Type:
		return arrow.Date64(int64(v)).FormattedString()
	}
	return fmt.Sprint(v)
}

func distinct(cs *CheckState) float64 { return float64(len(cs.Hashes)) }

// gxVacuousBounds are the aggregates Great Expectations passes when both
// bounds are null (its test definitions call them vacuously true); the
// others (min, max, sum, null fraction) raise, as mlsec refuses them.
var gxVacuousBounds = map[string]bool{
	"expect_column_mean_to_be_between": true, "expect_column_median_to_be_between": true,
	"expect_column_stdev_to_be_between": true, "expect_column_unique_value_count_to_be_between": true,
	"expect_column_proportion_of_unique_values_to_be_between": true,
}

func init() {
	register(&checkType{
		name: "expect_table_row_count_to_be_between", kind: KindAggregate,
		summary: "the number of rows", params: boundParams,
		build: func(c *compiler, k kwargs) (evaluator, error) {
			b, err := readBoundsOpt(k, arrow.PrimitiveTypes.Int64, true)
			if err != nil {
				return nil, err
			}
			if !b.hasLo && !b.hasHi {
				if err := c.vacuous("min_value", "a row count with neither bound"); err != nil {
					return nil, err
				}
			}
			return &aggEval{col: -1, b: b, label: "row count", metric: func(_ *CheckState, rows int64) (float64, error) { return float64(rows), nil }}, nil
		},
	})
	register(&checkType{
		name: "expect_table_row_count_to_equal", kind: KindAggregate,
		summary: "the number of rows is exactly value", params: []param{p("value", true, tPosInt)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			v, _ := k.num("value")
			return &aggEval{col: -1, b: bounds{lo: v, hi: v, hasLo: true, hasHi: true, loText: v, hiText: v}, label: "row count",
				metric: func(_ *CheckState, rows int64) (float64, error) { return float64(rows), nil }}, nil
		},
	})
	aggCheck("expect_column_null_fraction_to_be_between", "null fraction", "the fraction of nulls in the column", parts{},
		func(cs *CheckState, _ int64) (float64, error) {
			if cs.Elements == 0 {
				return 0, errNoValues
			}
			return float64(cs.Nulls) / float64(cs.Elements), nil
		})
	aggCheck("expect_column_unique_value_count_to_be_between", "distinct value count", "the number of distinct non-null values", parts{hashes: true},
		func(cs *CheckState, _ int64) (float64, error) { return distinct(cs), nil })
	aggCheck("expect_column_proportion_of_unique_values_to_be_between", "unique proportion", "distinct non-null values / non-null values", parts{hashes: true},
		func(cs *CheckState, _ int64) (float64, error) {
			n := cs.Elements - cs.Nulls
			if n == 0 {
				return 0, errNoValues
			}
			return distinct(cs) / float64(n), nil
		})
	aggCheck("expect_column_min_to_be_between", "min", "the column minimum", parts{moments: true}, momentsMetric(func(m *Moments) float64 { return m.Min }))
	aggCheck("expect_column_max_to_be_between", "max", "the column maximum", parts{moments: true}, momentsMetric(func(m *Moments) float64 { return m.Max }))
	aggCheck("expect_column_mean_to_be_between", "mean", "the column mean", parts{moments: true}, momentsMetric(func(m *Moments) float64 { return m.Mean }))
	aggCheck("expect_column_sum_to_be_between", "sum", "the column sum", parts{moments: true}, momentsMetric(func(m *Moments) float64 { return m.Sum }))
	aggCheck("expect_column_stdev_to_be_between", "standard deviation", "the sample standard deviation (ddof=1)", parts{moments: true}, momentsMetric((*Moments).Std))
	aggCheck("expect_column_median_to_be_between", "median", "the median (exact up to 4096 values, then a quantile sketch)", parts{sketch: true},
		func(cs *CheckState, _ int64) (float64, error) {
			if cs.Sketch.N() == 0 {
				return 0, errNoValues
			}
			return cs.Sketch.InterpolatedQuantile(0.5), nil
		})

	register(&checkType{
		name: "expect_column_quantile_values_to_be_between", kind: KindAggregate,
		summary: "each listed quantile within its range",
		params: []param{p("column", true, tString), p("quantile_ranges", true, map[string]any{
			"type": "object", "required": []any{"quantiles", "value_ranges"}, "additionalProperties": false,
			"properties": map[string]any{
				"quantiles":    map[string]any{"type": "array", "minItems": 1, "items": tFrac},
				"value_ranges": map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": "array", "minItems": 2, "maxItems": 2, "items": map[string]any{"type": []any{"number", "null"}}}},
			},
		})},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.numericColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			qr, _ := k["quantile_ranges"].(map[string]any)
			qs, _ := qr["quantiles"].([]any)
			vr, _ := qr["value_ranges"].([]any)
			if len(qs) != len(vr) {
				return nil, fmt.Errorf("quantile_ranges: %d quantiles but %d value_ranges", len(qs), len(vr))
			}
			e := &quantileEval{col: i}
			for j := range qs {
				q, _ := qs[j].(float64)
				pair, _ := vr[j].([]any)
				b := bounds{}
				if lo, ok := pair[0].(float64); ok {
					b.lo, b.hasLo, b.loText = lo, true, lo
				}
				if hi, ok := pair[1].(float64); ok {
					b.hi, b.hasHi, b.hiText = hi, true, hi
				}
				if b.hasLo && b.hasHi && b.lo > b.hi {
					return nil, fmt.Errorf("quantile_ranges: value_ranges[%d] [%v, %v] has its minimum above its maximum", j, b.lo, b.hi)
				}
				e.qs, e.bs = append(e.qs, q), append(e.bs, b)
			}
			return e, nil
		},
	})
	register(&checkType{
		name: "expect_column_distinct_values_to_be_in_set", kind: KindAggregate,
		summary: "the set of distinct values is a subset of value_set",
		params:  []param{p("column", true, tString), p("value_set", true, tValueSet)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, f, err := c.column(k.str("column"))
			if err != nil {
				return nil, err
			}
			kind := f.Type.ID()
			if isInteger(f.Type) || kind == arrow.FLOAT16 || kind == arrow.FLOAT32 || kind == arrow.FLOAT64 {
				kind = arrow.FLOAT64
			}
			if k["value_set"] == nil {
				if err := c.vacuous("value_set", "a null value_set"); err != nil {
					return nil, err
				}
				return &distinctSetEval{col: i, any: true, raw: c.raw, kind: kind}, nil // GX: the universal set
			}
			vals := nonNull(k["value_set"].([]any))
			set := map[string]bool{}
			for _, v := range vals {
				set[scalarText(v)] = true
			}
			return &distinctSetEval{col: i, set: set, raw: c.raw, kind: kind}, nil
		},
	})
}

// scalarText is how a suite scalar compares with valueText of a cell.
func scalarText(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprint(f)
	}
	return fmt.Sprint(v)
}

type quantileEval struct {
	col int
	qs  []float64
	bs  []bounds
}

func (e *quantileEval) init(cs *CheckState) { cs.Sketch = newSketch() }
func (e *quantileEval) update(cs *CheckState, rec arrow.Record, _ int64, _ bool) {
	foldColumn(cs, rec.Column(e.col), parts{sketch: true})
}
func (e *quantileEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	r.ElementCount, r.MissingCount = cs.Elements, cs.Nulls
	if cs.Sketch.N() == 0 {
		r.Error = errNoValues.Error()
		return
	}
	// GX's shape: the quantiles asked for and their values, in order.
	qs, vs := make([]any, len(e.qs)), make([]any, len(e.qs))
	var bad []string
	for j, q := range e.qs {
		v := cs.Sketch.InterpolatedQuantile(q)
		qs[j], vs[j] = q, jsonFloat(v)
		if !e.bs[j].contains(v) {
			bad = append(bad, fmt.Sprintf("q%g=%s not in %s", q, fmtFloat(v), e.bs[j]))
		}
	}
	r.Observed, r.Success = map[string]any{"quantiles": qs, "values": vs}, len(bad) == 0
	r.Message = strings.Join(bad, "; ")
}

type distinctSetEval struct {
	col  int
	set  map[string]bool
	any  bool       // value_set null: every value is in it
	raw  bool       // Options.RawSamples: list values unredacted
	kind arrow.Type // FLOAT64 for every number type, BOOL, else the text
}

// maxObservedDistinct bounds the distinct values a result lists.
const maxObservedDistinct = 1000

func (e *distinctSetEval) init(cs *CheckState) { cs.Counts = map[string]int64{} }
func (e *distinctSetEval) update(cs *CheckState, rec arrow.Record, _ int64, _ bool) {
	foldColumn(cs, rec.Column(e.col), parts{counts: true})
}
func (e *distinctSetEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	r.ElementCount, r.MissingCount = cs.Elements, cs.Nulls
	if cs.Overflow {
		r.Error = fmt.Sprintf("more than %d distinct values", maxCounts)
		return
	}
	var extra []string
	for v := range cs.Counts {
		if !e.set[v] && !e.any {
			extra = append(extra, v)
		}
	}
	sort.Strings(extra)
	r.Observed = e.observed(cs.Counts)
	r.Success = len(extra) == 0
	if len(cs.Counts) > maxObservedDistinct {
		r.Message = fmt.Sprintf("%d distinct values; observed_value lists the first %d", len(cs.Counts), maxObservedDistinct)
	}
	if !r.Success {
		// Values outside the set are data: redacted unless raw samples
		// were asked for.
		for _, v := range extra[:min(len(extra), maxSamples)] {
			r.UnexpectedSample = append(r.UnexpectedSample, sampleText(v, e.raw))
		}
		r.UnexpectedCount = int64(len(extra))
		r.Message = strings.TrimPrefix(r.Message+fmt.Sprintf("; %d distinct values outside the set", len(extra)), "; ")
	}
}

// observed is GX's observed_value: the sorted distinct values, as
// numbers, booleans or text by the column type. Values are data, so
// without raw samples each is its redacted hash (sorted by hash).
func (e *distinctSetEval) observed(counts map[string]int64) []any {
	out := make([]any, 0, min(len(counts), maxObservedDistinct))
	if !e.raw {
		hs := make([]string, 0, len(counts))
		for v := range counts {
			hs = append(hs, sampleText(v, false))
		}
		sort.Strings(hs)
		for _, h := range hs[:min(len(hs), maxObservedDistinct)] {
			out = append(out, h)
		}
		return out
	}
	texts := make([]string, 0, len(counts))
	for v := range counts {
		texts = append(texts, v)
	}
	switch e.kind {
	case arrow.FLOAT64:
		nums := make([]float64, 0, len(texts))
		for _, t := range texts {
			f, err := strconv.ParseFloat(t, 64)
			if err != nil {
				return e.textList(texts)
			}
			nums = append(nums, f)
		}
		sort.Float64s(nums)
		for _, f := range nums[:min(len(nums), maxObservedDistinct)] {
			out = append(out, jsonFloat(f))
		}
		return out
	case arrow.BOOL:
		sort.Strings(texts) // false before true
		for _, t := range texts {
			out = append(out, t == "true")
		}
		return out
	}
	return e.textList(texts)
}

func (e *distinctSetEval) textList(texts []string) []any {
	sort.Strings(texts)
	out := make([]any, 0, min(len(texts), maxObservedDistinct))
	for _, t := range texts[:min(len(texts), maxObservedDistinct)] {
		out = append(out, sampleText(t, true))
	}
	return out
}

// compactValid appends the valid values of vals to buf, in row order, a
// word of the validity bitmap at a time: all-valid runs are copied whole.
func compactValid(buf, vals []float64, valid validWords) []float64 {
	for base := 0; base < len(vals); base += 64 {
		chunk := vals[base:min(base+64, len(vals))]
		w := valid.word(base) & lenMask(len(chunk))
		if w == lenMask(len(chunk)) {
			buf = append(buf, chunk...)
			continue
		}
		for ; w != 0; w &= w - 1 {
			buf = append(buf, chunk[bits.TrailingZeros64(w)])
		}
	}
	return buf
}
