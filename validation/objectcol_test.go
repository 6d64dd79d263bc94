package validation_test

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/validation"
)

// objectRecord has a column without values (Arrow's null type, as readers
// type an all-empty column), a column of mixed numbers and strings (a
// dense union, Arrow's form of a pandas object column) and an integer
// column x = 0..5.
func objectRecord(t testing.TB) arrow.Record {
	t.Helper()
	mem := memory.DefaultAllocator
	ints := array.NewInt64Builder(mem)
	ints.AppendValues([]int64{1, 2}, nil)
	ints.AppendNull()
	strs := array.NewStringBuilder(mem)
	strs.AppendValues([]string{"1", "b", "b"}, nil)
	ids := array.NewInt8Builder(mem)
	ids.AppendValues([]int8{0, 1, 0, 0, 1, 1}, nil)
	offs := array.NewInt32Builder(mem)
	offs.AppendValues([]int32{0, 0, 1, 2, 1, 2}, nil) // 1, "1", 2, null, "b", "b"
	mixed, err := array.NewDenseUnionFromArraysWithFields(ids.NewArray(), offs.NewArray(),
		[]arrow.Array{ints.NewArray(), strs.NewArray()}, []string{"int", "str"})
	require.NoError(t, err)
	x := array.NewInt64Builder(mem)
	x.AppendValues([]int64{0, 1, 2, 3, 4, 5}, nil)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "empty", Type: arrow.Null, Nullable: true},
		{Name: "m", Type: mixed.DataType(), Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	return array.NewRecord(schema, []arrow.Array{array.NewNull(6), mixed, x.NewArray()}, 6)
}

func runObject(t testing.TB, checks []validation.Check) *validation.Result {
	t.Helper()
	rec := objectRecord(t)
	defer rec.Release()
	rr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
	require.NoError(t, err)
	defer rr.Release()
	res, err := validation.Validate(ctx, suiteOf(t, checks), rr, validation.Options{RawSamples: true})
	require.NoError(t, err)
	return res
}

// TestColumnWithoutValues: every row of a null-typed column is null. Map
// checks skip nulls and pass, as in GX; null checks see the nulls;
// aggregates have nothing to compute from and fail closed.
func TestColumnWithoutValues(t *testing.T) {
	for _, tc := range []struct {
		name       string
		check      validation.Check
		status     validation.CheckStatus
		unexpected int64
		indices    []int64
	}{
		{"fail_not_null", validation.Check{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"column": "empty"}},
			validation.CheckFailed, 6, []int64{0, 1, 2, 3, 4, 5}},
		{"good_null", validation.Check{Type: "expect_column_values_to_be_null", Kwargs: map[string]any{"column": "empty"}},
			validation.CheckPassed, 0, nil},
		{"good_regex", validation.Check{Type: "expect_column_values_to_match_regex", Kwargs: map[string]any{"column": "empty", "regex": "^a"}},
			validation.CheckPassed, 0, nil},
		{"good_between", validation.Check{Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "empty", "min_value": 0.0}},
			validation.CheckPassed, 0, nil},
		{"good_increasing", validation.Check{Type: "expect_column_values_to_be_increasing", Kwargs: map[string]any{"column": "empty"}},
			validation.CheckPassed, 0, nil},
		{"good_in_set", validation.Check{Type: "expect_column_values_to_be_in_set", Kwargs: map[string]any{"column": "empty", "value_set": []any{"a"}}},
			validation.CheckPassed, 0, nil},
		{"good_unique", validation.Check{Type: "expect_column_values_to_be_unique", Kwargs: map[string]any{"column": "empty"}},
			validation.CheckPassed, 0, nil},
		{"fail_mean", validation.Check{Type: "expect_column_mean_to_be_between", Kwargs: map[string]any{"column": "empty", "min_value": 0.0}},
			validation.CheckError, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runObject(t, []validation.Check{tc.check}).Checks[0]
			require.Equal(t, tc.status, r.Status, "%+v", r)
			require.Equal(t, int64(6), r.MissingCount)
			require.Equal(t, tc.unexpected, r.UnexpectedCount)
			require.Equal(t, tc.indices, r.UnexpectedIndices)
			if tc.status == validation.CheckError {
				require.Contains(t, r.Error, "no non-null values")
			}
		})
	}
}

// TestMixedColumn: a column of numbers and strings keeps each value's
// kind: 1 and "1" are different values, its nulls are nulls, and a
// row_condition compares each value by its kind.
func TestMixedColumn(t *testing.T) {
	inSet := func(cond string) validation.Check {
		return validation.Check{Type: "expect_column_values_to_be_in_set", Kwargs: map[string]any{
			"column": "x", "value_set": []any{0.0}, "row_condition": cond, "condition_parser": "pandas"}}
	}
	res := runObject(t, []validation.Check{
		{Type: "expect_column_values_to_be_unique", Kwargs: map[string]any{"column": "m"}},
		{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"column": "m"}},
		inSet(`m == 1`),
		inSet(`m == "b"`),
		inSet(`m != 1`),
		inSet(`m < 3`),
	})
	c := res.Checks
	require.Equal(t, int64(2), c[0].UnexpectedCount, "only the two \"b\" repeat")
	require.Equal(t, int64(1), c[0].MissingCount)
	require.Equal(t, []int64{3}, c[1].UnexpectedIndices)
	require.True(t, c[2].Success)
	require.Equal(t, int64(1), c[2].ElementCount, "1 matches, \"1\" does not")
	require.Equal(t, []int64{4, 5}, c[3].UnexpectedIndices)
	require.Equal(t, int64(5), c[4].ElementCount, "a null is unequal to 1")
	require.Equal(t, validation.CheckError, c[5].Status, "pandas refuses to order strings and numbers")
	require.Contains(t, c[5].Error, "cannot order a string and a number")
}

// TestTypeOfEachValue: GX checks each value's type in object columns. A
// mixed column passes when every value's type is named; a text column
// whose type is not named fails, counting each of its values.
func TestTypeOfEachValue(t *testing.T) {
	res := runObject(t, []validation.Check{
		{Type: "expect_column_values_to_be_in_type_list", Kwargs: map[string]any{"column": "m", "type_list": []any{"int", "str"}}},
		{Type: "expect_column_values_to_be_in_type_list", Kwargs: map[string]any{"column": "m", "type_list": []any{"int"}}},
		{Type: "expect_column_values_to_be_of_type", Kwargs: map[string]any{"column": "m", "type_": "str"}},
	})
	c := res.Checks
	require.True(t, c[0].Success, "%+v", c[0])
	require.False(t, c[1].Success)
	require.Equal(t, []int64{1, 4, 5}, c[1].UnexpectedIndices, "the strings")
	require.Equal(t, []string{"1", "b", "b"}, c[1].UnexpectedSample)
	require.False(t, c[2].Success)
	require.Equal(t, []int64{0, 2}, c[2].UnexpectedIndices, "the integers")

	text, err := runCond(t, suiteOf(t, []validation.Check{
		{Type: "expect_column_values_to_be_in_type_list", Kwargs: map[string]any{"column": "s", "type_list": []any{"bool"}}},
		{Type: "expect_column_values_to_be_in_type_list", Kwargs: map[string]any{"column": "s", "type_list": []any{"str"}}},
	}))
	require.NoError(t, err)
	require.False(t, text.Checks[0].Success)
	require.Equal(t, int64(5), text.Checks[0].UnexpectedCount, "every non-null value")
	require.Equal(t, "object_", text.Checks[0].Observed)
	require.True(t, text.Checks[1].Success)
}
