package validation_test

import (
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/validation"
)

// TestObservedValueShapes: results carry GX's observed_value shapes — the
// sorted distinct values (redacted unless raw samples were asked for),
// quantiles as {quantiles, values}, the extremes of a time column as ISO
// 8601 text.
func TestObservedValueShapes(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(`[
		{"n": 3, "s": "b", "ts": "2001-01-01 12:00:01", "d": "2020-02-29"},
		{"n": 1, "s": "a", "ts": "1999-12-31 00:00:00", "d": "2019-01-01"},
		{"n": 3, "s": null, "ts": null, "d": null},
		{"n": 2, "s": "b", "ts": "2000-06-01 00:00:00", "d": "2019-06-01"}
	]`))
	require.NoError(t, err)
	defer rec.Release()
	checks := []validation.Check{
		{Type: "expect_column_distinct_values_to_be_in_set", Kwargs: map[string]any{"column": "n", "value_set": nil}},
		{Type: "expect_column_distinct_values_to_be_in_set", Kwargs: map[string]any{"column": "s", "value_set": []any{"a"}}},
		{Type: "expect_column_quantile_values_to_be_between", Kwargs: map[string]any{"column": "n",
			"quantile_ranges": map[string]any{"quantiles": []any{0.0, 1.0}, "value_ranges": []any{[]any{0.0, 1.0}, []any{3.0, 3.0}}}}},
		{Type: "expect_column_max_to_be_between", Kwargs: map[string]any{"column": "ts", "min_value": "2000-01-01"}},
		{Type: "expect_column_min_to_be_between", Kwargs: map[string]any{"column": "d", "max_value": "2019-01-01"}},
	}
	run := func(raw bool) []validation.CheckResult {
		rr, err := array.NewRecordReader(schema, []arrow.Record{rec})
		require.NoError(t, err)
		defer rr.Release()
		res, err := validation.Validate(ctx, suiteOf(t, checks), rr, validation.Options{RawSamples: raw})
		require.NoError(t, err)
		return res.Checks
	}
	raw := run(true)
	require.Equal(t, []any{1.0, 2.0, 3.0}, raw[0].Observed)
	require.Equal(t, []any{"a", "b"}, raw[1].Observed)
	require.Equal(t, []string{"b"}, raw[1].UnexpectedSample)
	require.Equal(t, map[string]any{"quantiles": []any{0.0, 1.0}, "values": []any{1.0, 3.0}}, raw[2].Observed)
	require.True(t, raw[2].Success)
	require.Equal(t, "2001-01-01T12:00:01", raw[3].Observed)
	require.Equal(t, "2019-01-01", raw[4].Observed)
	require.True(t, raw[4].Success)

	redacted := run(false)
	vals := redacted[1].Observed.([]any)
	require.Len(t, vals, 2)
	for _, v := range vals {
		require.True(t, strings.HasPrefix(v.(string), "sha256:"), "data values are redacted: %v", v)
	}
	require.NotContains(t, redacted[1].UnexpectedSample, "b")
}

// TestZScoreBoundary: GX expects |z| < threshold, so a value exactly
// threshold standard deviations from the mean is an outlier, with the
// reference from the data and pinned alike.
func TestZScoreBoundary(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(
		`[{"v": -1}, {"v": 0}, {"v": 1}, {"v": null}, {"v": null}]`))
	require.NoError(t, err)
	defer rec.Release()
	for _, tc := range []struct {
		name       string
		kwargs     map[string]any
		unexpected int64
	}{
		{"fail_from_data", map[string]any{"column": "v", "threshold": 1.0}, 2}, // mean 0, sample std 1
		{"fail_pinned", map[string]any{"column": "v", "threshold": 1.0, "mean": 0.0, "std": 1.0}, 2},
		{"fail_one_sided", map[string]any{"column": "v", "threshold": 1.0, "double_sided": false}, 1},
		{"good_wider", map[string]any{"column": "v", "threshold": 1.01}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr, err := array.NewRecordReader(schema, []arrow.Record{rec})
			require.NoError(t, err)
			defer rr.Release()
			s := suiteOf(t, []validation.Check{{Type: "expect_column_value_z_scores_to_be_less_than", Kwargs: tc.kwargs}})
			res, err := validation.Validate(ctx, s, rr, validation.Options{})
			require.NoError(t, err)
			r := res.Checks[0]
			require.Empty(t, r.Error)
			require.Equal(t, tc.unexpected, r.UnexpectedCount)
			require.Equal(t, tc.unexpected == 0, r.Success)
		})
	}
}

// TestTypeCheckObservedVocabulary: a type check reports the column type
// in the vocabulary of the suite's names: GX's pandas names when the
// suite used only those, else Arrow's.
func TestTypeCheckObservedVocabulary(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "tz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	}, nil)
	for _, tc := range []struct {
		column string
		names  []string
		want   string
	}{
		{"s", []string{"object"}, "object_"},
		{"s", []string{"O"}, "object_"},
		{"s", []string{"str", "np.int64"}, "object_"},
		{"s", []string{"utf8"}, "utf8"},
		{"s", []string{"str", "utf8"}, "utf8"},
		{"i", []string{"int"}, "int32"},
		{"b", []string{"bool"}, "bool"}, // also Arrow's name for the type
		{"b", []string{"bool_"}, "bool_"},
		{"ts", []string{"datetime64"}, "datetime64"},
		{"tz", []string{"Timestamp"}, "Timestamp"},
		{"tz", []string{"timestamp[us, tz=UTC]"}, "timestamp[us, tz=UTC]"},
	} {
		for _, typ := range []string{"expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list"} {
			if typ == "expect_column_values_to_be_of_type" && len(tc.names) > 1 {
				continue
			}
			k := map[string]any{"column": tc.column, "type_list": toAny(tc.names)}
			if typ == "expect_column_values_to_be_of_type" {
				k = map[string]any{"column": tc.column, "type_": tc.names[0]}
			}
			p, err := validation.NewPlan(suiteOf(t, []validation.Check{{Type: typ, Kwargs: k}}), schema, validation.Options{})
			require.NoError(t, err)
			r := p.Finalize(p.NewState(0)).Checks[0]
			require.Equal(t, tc.want, r.Observed, "%s %v", typ, tc.names)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
