package validation

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// schemaEval is a check decided by the data schema alone.
type schemaEval struct {
	ok       bool
	observed any
	msg      string
}

func (e *schemaEval) init(*CheckState)                              {}
func (e *schemaEval) update(*CheckState, arrow.Record, int64, bool) {}
func (e *schemaEval) finish(_ *CheckState, _ int64, r *CheckResult) {
	r.Observed, r.Success = e.observed, e.ok
	if !e.ok {
		r.Message = e.msg
	}
}

func columnNames(s *arrow.Schema) []string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return names
}

func init() {
	register(&checkType{
		name: "expect_column_to_exist", kind: KindSchema,
		summary: "the column is present (optionally at a given index)",
		params:  []param{p("column", true, tString), p("column_index", false, tPosInt)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			name := k.str("column")
			if _, ok := k.num("column_index"); ok {
				c.all = true // the index counts every column
			}
			idx := c.fieldIndices(name)
			if len(idx) == 0 {
				return &schemaEval{observed: false, msg: fmt.Sprintf("column %q is missing", name)}, nil
			}
			if want, ok := k.num("column_index"); ok && int(want) != idx[0] {
				return &schemaEval{observed: idx[0], msg: fmt.Sprintf("column %q is at index %d, want %d", name, idx[0], int(want))}, nil
			}
			return &schemaEval{ok: true, observed: true}, nil
		},
	})
	register(&checkType{
		name: "expect_table_columns_to_match_ordered_list", kind: KindSchema,
		summary: "the columns are exactly these, in this order",
		params:  []param{p("column_list", true, tNames)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			want, got := k.strs("column_list"), c.allColumnNames()
			if k["column_list"] == nil {
				if err := c.vacuous("column_list", "a null column_list"); err != nil {
					return nil, err
				}
				return &schemaEval{ok: true, observed: got}, nil // GX: no list, no constraint
			}
			if slices.Equal(want, got) {
				return &schemaEval{ok: true, observed: got}, nil
			}
			return &schemaEval{observed: got, msg: describeColumnDiff(want, got, true)}, nil
		},
	})
	register(&checkType{
		name: "expect_table_columns_to_match_set", kind: KindSchema,
		summary: "the columns are these in any order (a subset when exact_match is false)",
		params:  []param{p("column_set", true, tNames), p("exact_match", false, tBool)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			want, got := k.strs("column_set"), c.allColumnNames()
			exact := true
			if v, ok := k["exact_match"].(bool); ok {
				exact = v
			}
			missing, extra := setDiff(want, got), setDiff(got, want)
			if len(missing) == 0 && (!exact || len(extra) == 0) {
				return &schemaEval{ok: true, observed: got}, nil
			}
			if !exact {
				extra = nil
			}
			return &schemaEval{observed: got, msg: describeMissingExtra(missing, extra)}, nil
		},
	})
	register(&checkType{
		name: "expect_table_column_count_to_equal", kind: KindSchema,
		summary: "the number of columns",
		params:  []param{p("value", true, tPosInt)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			want, _ := k.num("value")
			n := c.numFields()
			return &schemaEval{ok: n == int(want), observed: n, msg: fmt.Sprintf("%d columns, want %d", n, int(want))}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_be_of_type", kind: KindSchema,
		summary: "the column's type: an Arrow name (int64, utf8, timestamp[us, tz=UTC]) or a GX/pandas/NumPy name (int, float, str, object, datetime64; see GX.md)",
		params:  []param{p("column", true, tString), p("type_", true, tString)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, f, err := c.column(k.str("column"))
			if err != nil {
				return nil, err
			}
			want := k.str("type_")
			if ev := typeValues(i, f, []string{want}); ev != nil {
				return ev, nil
			}
			return &schemaEval{ok: typeMatches(f.Type, want), observed: observedTypeName(f.Type, []string{want}), msg: fmt.Sprintf("column %q has type %s, want %s", f.Name, typeName(f.Type), want)}, nil
		},
	})
	register(&checkType{
		name: "expect_column_values_to_be_in_type_list", kind: KindSchema,
		summary: "the column's type is one of a list (Arrow or GX names, as of_type; null: any type)",
		params:  []param{p("column", true, tString), p("type_list", true, map[string]any{"type": []any{"array", "null"}, "items": map[string]any{"type": "string"}, "minItems": 1})},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, f, err := c.column(k.str("column"))
			if err != nil {
				return nil, err
			}
			list := k.strs("type_list")
			if k["type_list"] != nil {
				if ev := typeValues(i, f, list); ev != nil {
					return ev, nil
				}
			}
			if k["type_list"] == nil {
				if err := c.vacuous("type_list", "a null type_list"); err != nil {
					return nil, err
				}
				// GX: no list is no constraint (a placeholder).
				return &schemaEval{ok: true, observed: typeName(f.Type)}, nil
			}
			return &schemaEval{ok: slices.ContainsFunc(list, func(n string) bool { return typeMatches(f.Type, n) }), observed: observedTypeName(f.Type, list), msg: fmt.Sprintf("column %q has type %s, want one of %s", f.Name, typeName(f.Type), strings.Join(list, ", "))}, nil
		},
	})
	register(&checkType{
		name: "expect_column_nullability_to_equal", kind: KindSchema,
		summary: "the schema declares the column nullable (or not)",
		params:  []param{p("column", true, tString), p("nullable", true, tBool)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			_, f, err := c.column(k.str("column"))
			if err != nil {
				return nil, err
			}
			want := k.boolean("nullable")
			return &schemaEval{ok: f.Nullable == want, observed: f.Nullable, msg: fmt.Sprintf("column %q nullable=%t, want %t", f.Name, f.Nullable, want)}, nil
		},
	})
	register(&checkType{
		name: "expect_table_columns_to_not_contain", kind: KindSchema,
		summary: "no column name matches a forbidden glob pattern (case-insensitive), e.g. *ssn*, *password*",
		params:  []param{p("forbidden", true, tStrings)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			pats := k.strs("forbidden")
			for _, pat := range pats {
				if _, err := path.Match(strings.ToLower(pat), ""); err != nil {
					return nil, fmt.Errorf("forbidden: bad pattern %q: %w", pat, err)
				}
			}
			var hits []string
			for _, name := range c.allColumnNames() {
				for _, pat := range pats {
					if ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(name)); ok {
						hits = append(hits, name)
						break
					}
				}
			}
			return &schemaEval{ok: len(hits) == 0, observed: hits, msg: fmt.Sprintf("forbidden columns present: %s", strings.Join(hits, ", "))}, nil
		},
	})
	register(&checkType{
		name: "expect_table_schema_digest_to_equal", kind: KindSchema,
		summary: "the data schema's canonical digest (see SchemaDigest) equals the pinned one",
		params:  []param{p("digest", true, tSHA256)},
		build: func(c *compiler, k kwargs) (evaluator, error) {
			got, want := c.schemaDigest(), k.str("digest")
			return &schemaEval{ok: got == want, observed: got, msg: fmt.Sprintf("schema digest %s, pinned %s", got, want)}, nil
		},
	})
}

// typeName is the Arrow type's canonical text.
func typeName(dt arrow.DataType) string { return dt.String() }

func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func describeMissingExtra(missing, extra []string) string {
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing columns: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected columns: "+strings.Join(extra, ", "))
	}
	return strings.Join(parts, "; ")
}

func describeColumnDiff(want, got []string, ordered bool) string {
	if m := describeMissingExtra(setDiff(want, got), setDiff(got, want)); m != "" {
		return m
	}
	return fmt.Sprintf("columns in order %s, want %s", strings.Join(got, ","), strings.Join(want, ","))
}

// typeValues is GX's per-value type check, for the columns where pandas
// makes one (object columns): a mixed-value column (a union) passes when
// every value's own type is one of names, as in GX; a text or other
// object column whose type is not named fails as a column, and, as GX
// counts, each of its values is unexpected. It is nil where the column's
// type alone decides (every other column, or a named object column).
func typeValues(col int, f arrow.Field, names []string) evaluator {
	match := func(dt arrow.DataType) bool {
		return slices.ContainsFunc(names, func(n string) bool { return typeMatches(dt, n) })
	}
	_, union := f.Type.(arrow.UnionType)
	if match(f.Type) || !union && !isObject(f.Type) {
		return nil // the column's own type is named, or decides alone
	}
	return &typeValuesEval{col: col, match: match, union: union, observed: observedTypeName(f.Type, names),
		want: strings.Join(names, ", ")}
}

type typeValuesEval struct {
	col      int
	match    func(arrow.DataType) bool
	union    bool
	observed string
	want     string
}

func (e *typeValuesEval) init(*CheckState) {}

func (e *typeValuesEval) update(cs *CheckState, rec arrow.Record, offset int64, raw bool) {
	arr := rec.Column(e.col)
	cs.Elements += int64(arr.Len())
	cs.Nulls += int64(nullCount(arr))
	u, _ := arr.(array.Union)
	for i := 0; i < arr.Len(); i++ {
		if isNull(arr, i) {
			continue
		}
		if u != nil && e.match(u.Field(u.ChildID(i)).DataType()) {
			continue
		}
		cs.Unexpected++
		if len(cs.Samples) < maxSamples {
			cs.Samples = append(cs.Samples, Sample{Row: offset + int64(i), Value: sampleText(valueText(arr, i), raw)})
		}
	}
}

func (e *typeValuesEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	rowResult(cs, r, 1, false, "values of a type not in "+e.want)
	r.Observed = e.observed
	if !e.union {
		// The column's type is not named: a failure whatever its values
		// (an all-null column too), the counts say how many values.
		r.Success = false
		r.Message = fmt.Sprintf("column type %s is not one of %s; %d values", e.observed, e.want, cs.Elements-cs.Nulls)
	}
}
