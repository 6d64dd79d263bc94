package validation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// InferOptions control suite inference.
type InferOptions struct {
	// Name of the proposed suite (default "inferred").
	Name string
	// MaxCategories is the most distinct values for a column to get a
	// value set and baseline proportions (default 20).
	MaxCategories int
	// Progress, when set, is called after each record with the rows read
	// so far, from the goroutine that called Infer.
	Progress func(rows int64)
}

// colProfile is what inference gathers about one column.
type colProfile struct {
	cs      CheckState
	lengths Moments // of string values, in characters
}

// Infer profiles a trusted dataset and proposes a suite for a person to
// review: the exact schema (pinned by digest), types, nullability, value
// ranges, value sets and baseline proportions of low-cardinality
// columns, string lengths, uniqueness, and a duplicate-row bound. It also
// returns the baseline metrics that expect_column_stats_to_match_baseline
// reads. Memory grows with the number of distinct values per column.
func Infer(ctx context.Context, rr array.RecordReader, opts InferOptions) (*Suite, *Metrics, error) {
	o := InferOptions{Name: "inferred", MaxCategories: 20}
	if opts.Name != "" {
		o.Name = opts.Name
	}
	if opts.MaxCategories > 0 {
		o.MaxCategories = opts.MaxCategories
	}
	schema := rr.Schema()
	profs := make([]colProfile, schema.NumFields())
	for i, f := range schema.Fields() {
		pt := parts{hashes: true, counts: true}
		if isNumeric(f.Type) {
			pt.moments = true
		}
		initParts(&profs[i].cs, pt)
	}
	dups := &rowHashEval{dupRows: true, ratio: true}
	for i := range schema.NumFields() {
		dups.cols = append(dups.cols, i)
	}
	var dupState CheckState
	dups.init(&dupState)
	var rows int64
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		rec := rr.Record()
		for i, f := range schema.Fields() {
			pt := parts{hashes: true, counts: len(profs[i].cs.Counts) <= o.MaxCategories, moments: isNumeric(f.Type)}
			foldColumn(&profs[i].cs, rec.Column(i), pt)
			if isString(f.Type) {
				s := rec.Column(i).(stringer)
				for j := 0; j < s.Len(); j++ {
					if s.IsValid(j) {
						n := float64(utf8.RuneCountInString(s.Value(j)))
						profs[i].lengths.addBatch(1, n, n, n, 0)
					}
				}
			}
		}
		dups.update(&dupState, rec, rows, false)
		rows += rec.NumRows()
		if opts.Progress != nil {
			opts.Progress(rows)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) { // pqarrow ends with io.EOF
		return nil, nil, err
	}
	if rows == 0 {
		return nil, nil, fmt.Errorf("validation: cannot infer a suite from a dataset without rows")
	}

	s := &Suite{Name: o.Name, SchemaDigest: SchemaDigest(schema),
		Description: fmt.Sprintf("Proposed from %d rows of a trusted dataset; review every bound before use.", rows)}
	m := &Metrics{Rows: rows, Columns: map[string]ColumnMetrics{}}
	add := func(typ string, sev Severity, kw map[string]any) {
		s.Checks = append(s.Checks, Check{Type: typ, Severity: sev, Kwargs: kw})
	}
	add("expect_table_columns_to_match_ordered_list", SeverityError, map[string]any{"column_list": anyStrings(columnNames(schema))})
	dupRes := CheckResult{}
	dups.b = bounds{hasHi: true, hi: math.Inf(1)}
	dups.finish(&dupState, rows, &dupRes)
	dupRatio, _ := dupRes.Observed.(float64)
	add("expect_table_duplicate_row_ratio_to_be_between", SeverityError, map[string]any{"max_value": round(dupRatio+0.01, 4)})

	for i, f := range schema.Fields() {
		pr := &profs[i]
		cs := &pr.cs
		nonNull := cs.Elements - cs.Nulls
		cm := ColumnMetrics{Type: typeName(f.Type), Count: cs.Elements}
		if cs.Elements > 0 {
			cm.NullFraction = float64(cs.Nulls) / float64(cs.Elements)
		}
		add("expect_column_values_to_be_of_type", SeverityError, map[string]any{"column": f.Name, "type_": typeName(f.Type)})
		if cs.Nulls == 0 {
			add("expect_column_values_to_not_be_null", SeverityError, map[string]any{"column": f.Name})
		} else {
			add("expect_column_null_fraction_to_be_between", SeverityError, map[string]any{"column": f.Name,
				"max_value": round(math.Min(1, cm.NullFraction*2+0.01), 4)})
		}
		distinctN := len(cs.Hashes)
		if nonNull > 1 && int64(distinctN) == nonNull && f.Type.ID() != arrow.FLOAT64 && f.Type.ID() != arrow.BOOL {
			add("expect_column_values_to_be_unique", SeverityError, map[string]any{"column": f.Name})
		}
		categorical := !cs.Overflow && distinctN <= o.MaxCategories && len(cs.Counts) == distinctN &&
			distinctN > 0 && (isString(f.Type) || isInteger(f.Type) || f.Type.ID() == arrow.BOOL) &&
			int64(distinctN)*2 <= nonNull
		if categorical {
			keys := make([]string, 0, len(cs.Counts))
			for k := range cs.Counts {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			set := make([]any, 0, len(keys))
			props := map[string]any{}
			for _, k := range keys {
				set = append(set, suiteScalar(f.Type, k))
				props[k] = round(float64(cs.Counts[k])/float64(nonNull), 6)
			}
			add("expect_column_values_to_be_in_set", SeverityError, map[string]any{"column": f.Name, "value_set": set})
			add("expect_column_proportions_to_match_baseline", SeverityWarn, map[string]any{"column": f.Name, "baseline": props, "tolerance": 0.1})
		}
		if cs.Moments != nil && cs.Moments.N > 0 {
			mo := cs.Moments
			mean, std, lo, hi := mo.Mean, mo.Std(), mo.Min, mo.Max
			cm.Mean, cm.Min, cm.Max = &mean, &lo, &hi
			if !math.IsNaN(std) {
				cm.Std = &std
			}
			if !categorical {
				add("expect_column_values_to_be_between", SeverityError, map[string]any{"column": f.Name,
					"min_value": boundFor(f.Type, lo), "max_value": boundFor(f.Type, hi)})
				if !math.IsNaN(std) && std > 0 && isNumericPlain(f.Type) {
					add("expect_column_mean_to_be_between", SeverityWarn, map[string]any{"column": f.Name,
						"min_value": round(mean-0.5*std, 6), "max_value": round(mean+0.5*std, 6)})
					add("expect_column_value_z_scores_to_be_less_than", SeverityWarn, map[string]any{"column": f.Name,
						"threshold": 4, "mean": round(mean, 6), "std": round(std, 6), "mostly": 0.99})
				}
			}
		}
		if isString(f.Type) && pr.lengths.N > 0 && !categorical {
			add("expect_column_value_lengths_to_be_between", SeverityError, map[string]any{"column": f.Name,
				"min_value": pr.lengths.Min, "max_value": pr.lengths.Max})
		}
		m.Columns[f.Name] = cm
	}
	// Round-trip through the parser so the proposal is valid and digested.
	y, err := s.MarshalYAML()
	if err != nil {
		return nil, nil, err
	}
	parsed, err := ParseSuite(o.Name, y)
	if err != nil {
		return nil, nil, fmt.Errorf("validation: inferred suite does not validate: %w", err)
	}
	return parsed, m, nil
}

func isNumericPlain(dt arrow.DataType) bool {
	return isInteger(dt) || dt.ID() == arrow.FLOAT32 || dt.ID() == arrow.FLOAT64
}

func anyStrings(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// suiteScalar is a counted value's text as the suite scalar it came from.
func suiteScalar(dt arrow.DataType, v string) any {
	switch {
	case isInteger(dt):
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case dt.ID() == arrow.BOOL:
		return v == "true"
	}
	return v
}

// boundFor writes a numeric bound in the column's terms: dates and
// timestamps as ISO 8601 text.
func boundFor(dt arrow.DataType, v float64) any {
	switch t := dt.(type) {
	case *arrow.TimestampType:
		return arrow.Timestamp(int64(v)).ToTime(t.Unit).Format("2006-01-02T15:04:05.999999999Z07:00")
	case *arrow.Date32Type:
		return arrow.Date32(int32(v)).FormattedString()
	case *arrow.Date64Type:
		return arrow.Date64(int64(v)).FormattedString()
	}
	return v
}
