package validation

import (
	"github.com/mlsec-dev/mlsec/internal/strictjson"

	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
)

// rowHashEval counts rows by a hash of some columns: uniqueness of a
// column or column set, and exact duplicate rows (all columns).
type rowHashEval struct {
	cols     []int
	mostly   float64
	dupRows  bool // count extra copies (duplicates) rather than rows in repeated groups
	b        bounds
	ratio    bool
	skipNull bool // rows with a null in a key column are not counted (uniqueness)
}

func (e *rowHashEval) init(cs *CheckState) { cs.Hashes = map[uint64]int64{} }

func (e *rowHashEval) update(cs *CheckState, rec arrow.Record, _ int64, _ bool) {
	n := int(rec.NumRows())
	hs := make([]uint64, n)
	for _, c := range e.cols {
		hashInto(rec.Column(c), hs)
	}
	cs.Elements += int64(n)
	for i, h := range hs {
		if e.skipNull && anyNull(rec, e.cols, i) {
			cs.Nulls++
			continue
		}
		cs.Hashes[h]++
	}
}

func anyNull(rec arrow.Record, cols []int, i int) bool {
	for _, c := range cols {
		if isNull(rec.Column(c), i) {
			return true
		}
	}
	return false
}

func (e *rowHashEval) finish(cs *CheckState, rows int64, r *CheckResult) {
	var inGroups, extra int64
	for _, n := range cs.Hashes {
		if n > 1 {
			inGroups += n
			extra += n - 1
		}
	}
	if !e.dupRows {
		cs.Unexpected = inGroups
		rowResult(cs, r, e.mostly, false, "values that are not unique")
		return
	}
	r.ElementCount, r.UnexpectedCount = rows, extra
	if rows > 0 {
		r.UnexpectedPercent = 100 * float64(extra) / float64(rows)
	}
	v, label := float64(extra), "duplicate row count"
	if e.ratio {
		v, label = 0, "duplicate row ratio"
		if rows > 0 {
			v = float64(extra) / float64(rows)
		}
	}
	r.Observed = v
	r.Success = e.b.contains(v)
	if !r.Success {
		r.Message = fmt.Sprintf("%s is %s (%d rows are copies of another row), want %s", label, fmtFloat(v), extra, e.b)
	}
}

// orderEval checks that a numeric column is monotone in row order.
type orderEval struct {
	col        int
	decreasing bool
	strict     bool
	mostly     float64
}

func (e *orderEval) init(cs *CheckState) {
	cs.Order = &Order{Decreasing: e.decreasing, Strict: e.strict}
}

func (e *orderEval) update(cs *CheckState, rec arrow.Record, offset int64, raw bool) {
	arr := rec.Column(e.col)
	cs.Elements += int64(arr.Len())
	cs.Nulls += int64(arr.NullN())
	if isNullType(arr) {
		return // only nulls, which order checks skip
	}
	vals, done := floats(arr)
	defer done()
	sg := Segment{Start: offset, End: offset + int64(arr.Len())}
	o := cs.Order
	for i, v := range vals {
		if arr.IsNull(i) {
			continue
		}
		if !sg.Has {
			sg.Has, sg.First, sg.Last = true, v, v
			continue
		}
		if o.violates(sg.Last, v) {
			sg.Violations++
			if len(cs.Samples) < maxSamples {
				cs.Samples = append(cs.Samples, Sample{Row: offset + int64(i), Value: sampleText(valueText(arr, i), raw)})
			}
		}
		sg.Last = v
	}
	*o = *mergeOrder(o, &Order{Segments: []Segment{sg}})
}

func (e *orderEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	cs.Unexpected = cs.Order.Total()
	what := "values out of increasing order"
	if e.decreasing {
		what = "values out of decreasing order"
	}
	rowResult(cs, r, e.mostly, false, what)
}

// labelEval finds feature vectors that occur with different labels.
type labelEval struct {
	label    int
	features []int
	b        bounds
}

func (e *labelEval) init(cs *CheckState) { cs.Groups = map[uint64]LabelGroup{} }

func (e *labelEval) update(cs *CheckState, rec arrow.Record, _ int64, _ bool) {
	n := int(rec.NumRows())
	fh, lh := make([]uint64, n), make([]uint64, n)
	for _, c := range e.features {
		hashInto(rec.Column(c), fh)
	}
	hashInto(rec.Column(e.label), lh)
	cs.Elements += int64(n)
	for i := range fh {
		g := cs.Groups[fh[i]]
		cs.Groups[fh[i]] = mergeGroup(g, LabelGroup{Label: lh[i], Rows: 1})
	}
}

func (e *labelEval) finish(cs *CheckState, rows int64, r *CheckResult) {
	var conflictRows, groups int64
	for _, g := range cs.Groups {
		if g.Conflict {
			conflictRows += g.Rows
			groups++
		}
	}
	r.ElementCount, r.UnexpectedCount = rows, conflictRows
	ratio := 0.0
	if rows > 0 {
		ratio = float64(conflictRows) / float64(rows)
		r.UnexpectedPercent = 100 * ratio
	}
	r.Observed = map[string]any{"conflicting_rows": conflictRows, "conflicting_groups": groups, "ratio": ratio}
	r.Success = e.b.contains(ratio)
	if !r.Success {
		r.Message = fmt.Sprintf("%d rows in %d groups of identical features carry different labels (ratio %s, want %s)", conflictRows, groups, fmtFloat(ratio), e.b)
	}
}

// proportionEval compares category shares with a pinned baseline.
type proportionEval struct {
	col       int
	baseline  map[string]float64
	tolerance float64
}

func (e *proportionEval) init(cs *CheckState) { cs.Counts = map[string]int64{} }
func (e *proportionEval) update(cs *CheckState, rec arrow.Record, _ int64, _ bool) {
	foldColumn(cs, rec.Column(e.col), parts{counts: true})
}
func (e *proportionEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	r.ElementCount, r.MissingCount = cs.Elements, cs.Nulls
	if cs.Overflow {
		r.Error = fmt.Sprintf("more than %d distinct values", maxCounts)
		return
	}
	n := cs.Elements - cs.Nulls
	if n == 0 {
		r.Error = errNoValues.Error()
		return
	}
	keys := map[string]bool{}
	for k := range cs.Counts {
		keys[k] = true
	}
	for k := range e.baseline {
		keys[k] = true
	}
	obs := map[string]float64{}
	worst, worstKey := 0.0, ""
	for k := range keys {
		got := float64(cs.Counts[k]) / float64(n)
		if cs.Counts[k] > 0 {
			obs[k] = got
		}
		if d := math.Abs(got - e.baseline[k]); d > worst || (d == worst && k < worstKey) {
			worst, worstKey = d, k
		}
	}
	r.Observed = map[string]any{"proportions": obs, "max_abs_diff": worst}
	r.Success = worst <= e.tolerance
	if !r.Success {
		r.Message = fmt.Sprintf("share of %q is %.4g, baseline %.4g (diff %.4g > tolerance %g)", worstKey, obs[worstKey], e.baseline[worstKey], worst, e.tolerance)
	}
}

// outlierEval measures the fraction of values outside mean ± t·std
// (z-score) or [q1 - m·IQR, q3 + m·IQR]. With pinned reference values it
// is an exact row-level scan; without, the reference comes from the data
// itself (moments, sketch) and the count from the sketch.
type outlierEval struct {
	col    int
	zscore bool
	// oneSided: z-scores only flag values above mean+t·std.
	oneSided bool
	t        float64 // z threshold or IQR multiplier
	pinned   bool
	lo, hi   float64 // pinned acceptance range
	maxFr    float64 // tolerated outlier fraction
}

func (e *outlierEval) init(cs *CheckState) {
	if !e.pinned {
		cs.Sketch = newSketch()
		if e.zscore {
			cs.Moments = &Moments{}
		}
	}
}

func (e *outlierEval) update(cs *CheckState, rec arrow.Record, offset int64, raw bool) {
	arr := rec.Column(e.col)
	if !e.pinned {
		foldColumn(cs, arr, parts{moments: e.zscore, sketch: true})
		return
	}
	cs.Elements += int64(arr.Len())
	cs.Nulls += int64(arr.NullN())
	if isNullType(arr) {
		return
	}
	cs.Unexpected += scanBetween(arr, e.lo, e.hi, func(i int) {
		if len(cs.Samples) < maxSamples {
			cs.Samples = append(cs.Samples, Sample{Row: offset + int64(i), Value: sampleText(valueText(arr, i), raw)})
		}
	})
}

func (e *outlierEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	lo, hi := e.lo, e.hi
	if !e.pinned {
		if cs.Sketch.N() < 2 {
			r.ElementCount, r.MissingCount = cs.Elements, cs.Nulls
			r.Error = "fewer than two values to compute a reference from"
			return
		}
		if e.zscore {
			m, s := cs.Moments.Mean, cs.Moments.Std()
			lo, hi = m-e.t*s, m+e.t*s
			if e.oneSided {
				lo = math.Inf(-1)
			}
		} else {
			q1, q3 := cs.Sketch.InterpolatedQuantile(0.25), cs.Sketch.InterpolatedQuantile(0.75)
			lo, hi = q1-e.t*(q3-q1), q3+e.t*(q3-q1)
		}
		if e.zscore {
			// |z| < threshold is expected (GX): a value at mean ± t·std
			// is an outlier.
			var n int64
			for _, it := range cs.Sketch.Items() {
				if it.V >= hi || !e.oneSided && it.V <= lo {
					n += it.W
				}
			}
			cs.Unexpected = n
		} else {
			cs.Unexpected = cs.Sketch.CountOutside(lo, hi)
		}
	}
	rowResult(cs, r, 1-e.maxFr, false, fmt.Sprintf("outliers outside [%s, %s]", fmtFloat(lo), fmtFloat(hi)))
	r.Observed = map[string]any{"outlier_fraction": r.UnexpectedPercent / 100, "low": lo, "high": hi}
}

// Metrics are baseline statistics of a trusted dataset, as written by
// Infer and read by expect_column_stats_to_match_baseline.
type Metrics struct {
	Rows    int64                    `json:"rows"`
	Columns map[string]ColumnMetrics `json:"columns"`
}

// ColumnMetrics are one column's baseline statistics.
type ColumnMetrics struct {
	Type         string   `json:"type"`
	Count        int64    `json:"count"`
	NullFraction float64  `json:"null_fraction"`
	Mean         *float64 `json:"mean,omitempty"`
	Std          *float64 `json:"std,omitempty"`
	Min          *float64 `json:"min,omitempty"`
	Max          *float64 `json:"max,omitempty"`
}

// statsShiftEval compares a column's statistics with a baseline file.
type statsShiftEval struct {
	col                               int
	base                              ColumnMetrics
	maxMeanShift, maxStdRatio, maxNul float64
}

func (e *statsShiftEval) init(cs *CheckState) { cs.Moments = &Moments{} }
func (e *statsShiftEval) update(cs *CheckState, rec arrow.Record, _ int64, _ bool) {
	foldColumn(cs, rec.Column(e.col), parts{moments: true})
}
func (e *statsShiftEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	r.ElementCount, r.MissingCount = cs.Elements, cs.Nulls
	m := cs.Moments
	if m.N < 2 || e.base.Mean == nil || e.base.Std == nil {
		r.Error = "not enough values (or no baseline mean/std) to compare"
		return
	}
	nullFr := float64(cs.Nulls) / float64(cs.Elements)
	bstd := *e.base.Std
	shift := math.Abs(m.Mean-*e.base.Mean) / math.Max(bstd, 1e-12)
	ratio := m.Std() / math.Max(bstd, 1e-12)
	dNull := math.Abs(nullFr - e.base.NullFraction)
	r.Observed = map[string]any{"mean": m.Mean, "std": m.Std(), "null_fraction": nullFr,
		"mean_shift_in_std": shift, "std_ratio": ratio, "null_fraction_delta": dNull}
	var bad []string
	if shift > e.maxMeanShift {
		bad = append(bad, fmt.Sprintf("mean moved %.3g baseline std (max %g)", shift, e.maxMeanShift))
	}
	if ratio > e.maxStdRatio || ratio < 1/e.maxStdRatio {
		bad = append(bad, fmt.Sprintf("std ratio %.3g outside [1/%g, %g]", ratio, e.maxStdRatio, e.maxStdRatio))
	}
	if dNull > e.maxNul {
		bad = append(bad, fmt.Sprintf("null fraction moved %.3g (max %g)", dNull, e.maxNul))
	}
	r.Success = len(bad) == 0
	r.Message = strings.Join(bad, "; ")
}

// loadBaseline reads a metrics file, verifying its pinned digest.
func loadBaseline(dir, file, digest string) (*Metrics, error) {
	if !filepath.IsAbs(file) && dir != "" {
		file = filepath.Join(dir, file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("baseline_file: %w", err)
	}
	sum := sha256.Sum256(b)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != digest {
		return nil, &DigestError{What: "baseline file " + file, Got: got, Want: digest}
	}
	var m Metrics
	if err := strictjson.Decode(b, &m); err != nil {
		return nil, fmt.Errorf("baseline_file %s: %w", file, err)
	}
	return &m, nil
}

func init() {
	register(&checkType{
		name: "expect_column_values_to_be_unique", kind: KindRow,
		summary: "no non-null value occurs twice (memory grows with distinct values)",
		params:  rowParams(),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.column(k.str("column"))
			if err != nil {
				return nil, err
			}
			return &rowHashEval{cols: []int{i}, mostly: mostlyOf(k), skipNull: true}, nil
		},
	})
	register(&checkType{
		name: "expect_compound_columns_to_be_unique", kind: KindRow,
		summary: "no combination of column_list values occurs twice",
		params: []param{p("column_list", true, tStrings), mostlyParam,
			// mlsec skips a row with a null in any key column (GX's
			// any_value_is_missing); GX's other modes are not implemented.
			p("ignore_row_if", false, map[string]any{"enum": []any{"any_value_is_missing"}})},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			var cols []int
			for _, n := range k.strs("column_list") {
				i, _, err := c.column(n)
				if err != nil {
					return nil, err
				}
				cols = append(cols, i)
			}
			return &rowHashEval{cols: cols, mostly: mostlyOf(k), skipNull: true}, nil
		},
	})
	for _, dec := range []bool{false, true} {
		name, what := "expect_column_values_to_be_increasing", "increasing"
		if dec {
			name, what = "expect_column_values_to_be_decreasing", "decreasing"
		}
		register(&checkType{
			name: name, kind: KindRow,
			summary: "values " + what + " in row order (strictly with strictly: true)",
			params:  rowParams(p("strictly", false, tBool)),
			build: func(c *compiler, k kwargs) (evaluator, error) {
				i, _, err := c.numericColumn(k.str("column"))
				if err != nil {
					return nil, err
				}
				return &orderEval{col: i, decreasing: dec, strict: k.boolean("strictly"), mostly: mostlyOf(k)}, nil
			},
		})
	}
	for _, ratio := range []bool{false, true} {
		name, summary := "expect_table_duplicate_row_count_to_be_between", "rows that exactly copy an earlier row (duplicate injection)"
		if ratio {
			name, summary = "expect_table_duplicate_row_ratio_to_be_between", "duplicate rows / rows (duplicate injection, oversampling)"
		}
		register(&checkType{
			name: name, kind: KindAggregate, summary: summary, params: withParams([]param{p("column_list", false, tStrings)}, boundParams),
			build: func(c *compiler, k kwargs) (evaluator, error) {
				b, err := readBounds(k, arrow.PrimitiveTypes.Float64)
				if err != nil {
					return nil, err
				}
				var cols []int
				names := k.strs("column_list")
				if len(names) == 0 {
					names = c.allColumnNames()
				}
				for _, n := range names {
					i, _, err := c.column(n)
					if err != nil {
						return nil, err
					}
					cols = append(cols, i)
				}
				return &rowHashEval{cols: cols, dupRows: true, ratio: ratio, b: b}, nil
			},
		})
	}
	register(&checkType{
		name: "expect_table_labels_to_not_conflict", kind: KindAggregate,
		summary: "rows with identical features carry the same label (label flipping); ratio of conflicting rows at most max_value (default 0)",
		params:  []param{p("label_column", true, tString), p("feature_columns", false, tStrings), p("max_value", false, tFrac)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			li, _, err := c.column(k.str("label_column"))
			if err != nil {
				return nil, err
			}
			names := k.strs("feature_columns")
			if len(names) == 0 {
				for _, n := range c.allColumnNames() {
					if n != k.str("label_column") {
						names = append(names, n)
					}
				}
			}
			var fs []int
			for _, n := range names {
				i, _, err := c.column(n)
				if err != nil {
					return nil, err
				}
				fs = append(fs, i)
			}
			mx := k.numOr("max_value", 0)
			return &labelEval{label: li, features: fs, b: bounds{hi: mx, hasHi: true, hiText: mx}}, nil
		},
	})
	register(&checkType{
		name: "expect_column_proportions_to_match_baseline", kind: KindAggregate,
		summary: "category (label) shares within tolerance (max absolute difference) of pinned baseline shares",
		params: []param{p("column", true, tString), p("tolerance", true, tFrac),
			p("baseline", true, map[string]any{"type": "object", "minProperties": 1, "additionalProperties": tFrac})},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.column(k.str("column"))
			if err != nil {
				return nil, err
			}
			base := map[string]float64{}
			m, _ := k["baseline"].(map[string]any)
			for key, v := range m {
				base[key], _ = v.(float64)
			}
			tol, _ := k.num("tolerance")
			return &proportionEval{col: i, baseline: base, tolerance: tol}, nil
		},
	})
	register(&checkType{
		name: "expect_column_value_z_scores_to_be_less_than", kind: KindRow,
		summary: "|z| < threshold for a mostly fraction of values (z < threshold with double_sided: false); z from pinned mean/std, else from the data",
		params:  rowParams(p("threshold", true, map[string]any{"type": "number", "exclusiveMinimum": 0}), p("double_sided", false, tBool), p("mean", false, tNumber), p("std", false, map[string]any{"type": "number", "exclusiveMinimum": 0})),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.numericColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			t, _ := k.num("threshold")
			e := &outlierEval{col: i, zscore: true, t: t, maxFr: 1 - mostlyOf(k)}
			if ds, ok := k["double_sided"].(bool); ok && !ds {
				e.oneSided = true // GX: only z above the threshold is unexpected
			}
			mean, okm := k.num("mean")
			std, oks := k.num("std")
			if okm != oks {
				return nil, fmt.Errorf("mean and std must be given together")
			}
			if okm {
				// |z| < threshold is expected, as in GX: the range is open,
				// so the inclusive scan gets the nearest floats inside it.
				e.pinned = true
				e.lo, e.hi = math.Nextafter(mean-t*std, math.Inf(1)), math.Nextafter(mean+t*std, math.Inf(-1))
				if e.oneSided {
					e.lo = math.Inf(-1)
				}
			}
			return e, nil
		},
	})
	register(&checkType{
		name: "expect_column_iqr_outlier_fraction_to_be_less_than", kind: KindAggregate,
		summary: "fraction of values outside [q1 - multiplier·IQR, q3 + multiplier·IQR] at most max_value; q1/q3 pinned or from the data",
		params:  []param{p("column", true, tString), p("max_value", true, tFrac), p("multiplier", false, map[string]any{"type": "number", "exclusiveMinimum": 0}), p("q1", false, tNumber), p("q3", false, tNumber)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.numericColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			mx, _ := k.num("max_value")
			e := &outlierEval{col: i, t: k.numOr("multiplier", 1.5), maxFr: mx}
			q1, ok1 := k.num("q1")
			q3, ok3 := k.num("q3")
			if ok1 != ok3 {
				return nil, fmt.Errorf("q1 and q3 must be given together")
			}
			if ok1 {
				e.pinned, e.lo, e.hi = true, q1-e.t*(q3-q1), q3+e.t*(q3-q1)
			}
			return e, nil
		},
	})
	register(&checkType{
		name: "expect_column_stats_to_match_baseline", kind: KindAggregate,
		summary: "mean, std and null fraction close to a baseline metrics file pinned by SHA-256",
		params: []param{p("column", true, tString), p("baseline_file", true, tString), p("baseline_sha256", true, tSHA256),
			p("max_mean_shift", false, tNumber), p("max_std_ratio", false, map[string]any{"type": "number", "minimum": 1}), p("max_null_fraction_delta", false, tFrac)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, f, err := c.numericColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			m, err := loadBaseline(c.dir, k.str("baseline_file"), k.str("baseline_sha256"))
			if err != nil {
				return nil, &dataError{err}
			}
			base, ok := m.Columns[f.Name]
			if !ok {
				return nil, &dataError{fmt.Errorf("baseline file has no column %q", f.Name)}
			}
			return &statsShiftEval{col: i, base: base, maxMeanShift: k.numOr("max_mean_shift", 0.5),
				maxStdRatio: k.numOr("max_std_ratio", 1.5), maxNul: k.numOr("max_null_fraction_delta", 0.05)}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_not_contain_pii", kind: KindRow,
		summary: "no email, phone, credit card (Luhn), IBAN (mod 97) or US SSN in the text; samples are never recorded",
		params: rowParams(p("detectors", false, map[string]any{"type": "array", "minItems": 1,
			"items": map[string]any{"enum": []any{"email", "phone", "credit_card", "iban", "us_ssn"}}})),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.stringColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			dets := k.strs("detectors")
			if len(dets) == 0 {
				dets = PIIDetectors
			}
			return &rowEval{col: i, mostly: mostlyOf(k), noSamples: true, what: "PII (" + strings.Join(dets, ", ") + ")",
				scan: func(arr arrow.Array, bad func(int)) int64 {
					return scanStrings(arr, func(v string) bool { return len(DetectPII(v, dets...)) == 0 }, bad)
				}}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_not_contain_credentials", kind: KindRow,
		summary: "no API keys, tokens, private keys or passwords in the text; samples are never recorded",
		params:  rowParams(),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.stringColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			return &rowEval{col: i, mostly: mostlyOf(k), noSamples: true, what: "credentials",
				scan: func(arr arrow.Array, bad func(int)) int64 {
					return scanStrings(arr, func(v string) bool { return DetectCredential(v) == "" }, bad)
				}}, nil
		},
	})
}
