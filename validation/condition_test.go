package validation_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/validation"
)

// condRecord is the data of the row_condition tests: six rows with a
// null in every column.
func condRecord(t testing.TB) arrow.Record {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Second}, Nullable: true},
		{Name: "two words", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(`[
		{"x": 1, "s": "a", "flag": true,  "ts": "2020-01-01 00:00:00", "two words": 1.5},
		{"x": 2, "s": "b", "flag": false, "ts": "2021-01-01 00:00:00", "two words": 2.5},
		{"x": 3, "s": "a", "flag": true,  "ts": "2022-01-01 00:00:00", "two words": null},
		{"x": 4, "s": null, "flag": null, "ts": null, "two words": 4.5},
		{"x": 5, "s": "c", "flag": false, "ts": "2023-01-01 00:00:00", "two words": 5.5},
		{"x": null, "s": "a", "flag": true, "ts": "2024-01-01 00:00:00", "two words": 6.5}
	]`))
	require.NoError(t, err)
	return rec
}

func runCond(t testing.TB, suite *validation.Suite) (*validation.Result, error) {
	t.Helper()
	rec := condRecord(t)
	defer rec.Release()
	rr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
	require.NoError(t, err)
	defer rr.Release()
	return validation.Validate(ctx, suite, rr, validation.Options{RawSamples: true})
}

// condCheck is expect_column_values_to_be_in_set on column x with the
// set {1}, restricted by cond: the rows it selects that hold anything but
// 1 are unexpected.
func condCheck(cond, parser string) validation.Check {
	k := map[string]any{"column": "x", "value_set": []any{1.0}, "row_condition": cond}
	if parser != "" {
		k["condition_parser"] = parser
	}
	return validation.Check{Type: "expect_column_values_to_be_in_set", Kwargs: k}
}

func TestRowCondition(t *testing.T) {
	for _, tc := range []struct {
		name, cond, parser string
		elements           int64   // rows the condition selects
		unexpected         []int64 // their row indices where x is not 1
	}{
		{"good_equal_string", `s == "a"`, "pandas", 3, []int64{2}},
		{"good_single_quotes", `s == 'a'`, "pandas", 3, []int64{2}},
		{"good_not_equal_keeps_nulls", `s != "a"`, "pandas", 3, []int64{1, 3, 4}},
		{"good_and_symbol", `x > 1 & s == "a"`, "pandas", 1, []int64{2}},
		{"good_and_word", `x > 1 and s == "a"`, "pandas", 1, []int64{2}},
		{"good_or", `x == 5 | s == "b"`, "pandas", 2, []int64{1, 4}},
		{"good_not", `not s == "a"`, "pandas", 3, []int64{1, 3, 4}},
		{"good_tilde_group", `~(x >= 2)`, "pandas", 2, nil},
		{"good_chained", `2 <= x < 5`, "pandas", 3, []int64{1, 2, 3}},
		{"good_negative_literal", `x > -1`, "pandas", 5, []int64{1, 2, 3, 4}},
		{"good_in_list", `s in ["b", "c"]`, "pandas", 2, []int64{1, 4}},
		{"good_not_in_list", `s not in ["a"]`, "pandas", 3, []int64{1, 3, 4}},
		{"good_isnull", `s.isnull()`, "pandas", 1, []int64{3}},
		{"good_notnull", `x.notnull() & s.notna()`, "pandas", 4, []int64{1, 2, 4}},
		{"good_float_nan_is_null", "`two words`.isnull()", "pandas", 1, []int64{2}},
		{"good_bool_column", `flag`, "pandas", 3, []int64{2}},
		{"good_bool_literal", `flag == False`, "pandas", 2, []int64{1, 4}},
		{"good_timestamp_text", `ts >= "2022-01-01"`, "pandas", 3, []int64{2, 4}},
		{"good_backticks", "`two words` > 5", "pandas", 2, []int64{4}},
		{"good_number_never_equals_text", `x == "1"`, "pandas", 0, nil},
		{"good_gx_syntax", `col("x") > 3 AND col("s").notNull()`, "great_expectations", 1, []int64{4}},
		{"good_gx_experimental", `col("two words") < 3 or col("x") == 5`, "great_expectations__experimental__", 3, []int64{1, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runCond(t, suiteOf(t, []validation.Check{condCheck(tc.cond, tc.parser)}))
			require.NoError(t, err)
			r := res.Checks[0]
			require.Empty(t, r.Error)
			require.Equal(t, tc.elements, r.ElementCount)
			require.Equal(t, int64(len(tc.unexpected)), r.UnexpectedCount)
			if len(tc.unexpected) == 0 {
				require.Empty(t, r.UnexpectedIndices)
			} else {
				require.Equal(t, tc.unexpected, r.UnexpectedIndices, "row indices are the dataset's")
			}
			require.Equal(t, len(tc.unexpected) == 0, r.Success)
		})
	}
}

// TestRowConditionRefused: anything outside the supported subset, and
// comparisons pandas refuses for every row, refuse the suite when it is
// compiled, naming the check and the argument.
func TestRowConditionRefused(t *testing.T) {
	for _, tc := range []struct{ name, cond, parser, field, msg string }{
		{"fail_arithmetic", `x + 1 > 2`, "pandas", "kwargs.row_condition", `unexpected '+'`},
		{"fail_call", `__import__("os").system("id")`, "pandas", "kwargs.row_condition", `unexpected "("`},
		{"fail_variable", `x > @limit`, "pandas", "kwargs.row_condition", `unexpected '@'`},
		{"fail_method", `s.str.contains("a")`, "pandas", "kwargs.row_condition", `method "str"`},
		{"fail_order_text_number", `x < "3"`, "pandas", "kwargs.row_condition", "compares a number with a string with <"},
		{"fail_none", `s == None`, "pandas", "kwargs.row_condition", "isnull()"},
		{"fail_truth_of_number", `x`, "pandas", "kwargs.row_condition", `column "x" is not boolean`},
		{"fail_unclosed_string", `s == "a`, "pandas", "kwargs.row_condition", "unclosed string"},
		{"fail_unbalanced", `(x > 1`, "pandas", "kwargs.row_condition", "expected )"},
		{"fail_dangling", `x > 1 &`, "pandas", "kwargs.row_condition", "ends early"},
		{"fail_too_deep", strings.Repeat("(", 40) + "x > 1" + strings.Repeat(")", 40), "pandas", "kwargs.row_condition", "nested deeper than 32"},
		{"fail_bad_date", `ts > "yesterday"`, "pandas", "kwargs.row_condition", "not a date or time"},
		{"fail_gx_bare_name", `x > 1`, "great_expectations", "kwargs.row_condition", `col("name")`},
		{"fail_no_parser", `x > 1`, "", "kwargs.condition_parser", "needed with row_condition"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCond(t, suiteOf(t, []validation.Check{condCheck(tc.cond, tc.parser)}))
			var se *validation.SuiteError
			require.True(t, errors.As(err, &se), "%v", err)
			require.Equal(t, 0, se.Check)
			require.Equal(t, tc.field, se.Field)
			require.Contains(t, se.Msg, tc.msg)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

// TestRowConditionParser: condition_parser takes GX's names for the
// syntaxes mlsec parses; GX's others (spark, sql) are refused.
func TestRowConditionParser(t *testing.T) {
	b := []byte(`{"name": "t", "checks": [{"type": "expect_column_values_to_not_be_null",
		"kwargs": {"column": "x", "row_condition": "x > 1", "condition_parser": "spark"}}]}`)
	_, err := validation.ParseSuite("t.json", b)
	var se *validation.SuiteError
	require.True(t, errors.As(err, &se), "%v", err)
	require.Equal(t, 0, se.Check)
	require.Equal(t, "kwargs.condition_parser", se.Field)
}

// TestRowConditionFailClosed: an equality between a number column and a
// text selects no row and the check passes, as in GX; a fail_closed
// suite refuses it.
func TestRowConditionFailClosed(t *testing.T) {
	s := suiteOf(t, []validation.Check{condCheck(`x == "1"`, "pandas")})
	s.FailClosed = true
	_, err := runCond(t, s)
	var se *validation.SuiteError
	require.True(t, errors.As(err, &se), "%v", err)
	require.Contains(t, se.Msg, "fail_closed")
}

// TestRowConditionMissingColumn: a condition on a column the data lacks
// is the data's fault, like a missing checked column: the check errors.
func TestRowConditionMissingColumn(t *testing.T) {
	res, err := runCond(t, suiteOf(t, []validation.Check{condCheck(`nope == 1`, "pandas")}))
	require.NoError(t, err)
	require.False(t, res.Success)
	require.Equal(t, validation.CheckError, res.Checks[0].Status)
	require.Contains(t, res.Checks[0].Error, `column "nope" not found`)
}

// TestRowConditionOrderAndAggregates: checks that follow row order see the
// selected rows in order, and aggregates count only the selected rows.
func TestRowConditionOrderAndAggregates(t *testing.T) {
	checks := []validation.Check{
		{Type: "expect_column_values_to_be_increasing", Kwargs: map[string]any{"column": "x", "strictly": true,
			"row_condition": `s == "a"`, "condition_parser": "pandas"}},
		{Type: "expect_table_row_count_to_equal", Kwargs: map[string]any{"value": 3.0,
			"row_condition": `s == "a"`, "condition_parser": "pandas"}},
		{Type: "expect_column_mean_to_be_between", Kwargs: map[string]any{"column": "x", "min_value": 2.0, "max_value": 2.0,
			"row_condition": `s == "a"`, "condition_parser": "pandas"}},
		{Type: "expect_column_values_to_be_decreasing", Kwargs: map[string]any{"column": "x",
			"row_condition": `x >= 4 | x == 1`, "condition_parser": "pandas"}},
	}
	res, err := runCond(t, suiteOf(t, checks))
	require.NoError(t, err)
	require.True(t, res.Checks[0].Success, "%+v", res.Checks[0])
	require.True(t, res.Checks[1].Success, "%+v", res.Checks[1])
	require.True(t, res.Checks[2].Success, "%+v", res.Checks[2])
	require.False(t, res.Checks[3].Success)
	require.Equal(t, int64(2), res.Checks[3].UnexpectedCount, "1, 4, 5 is not decreasing")
	require.Equal(t, []int64{3, 4}, res.Checks[3].UnexpectedIndices)
}
