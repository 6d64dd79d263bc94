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
		res, err := validation.Validate(ctx, suiteOf(t, checks), rr, &validation.Options{RawSamples: raw})
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
