package validation_test

import (
	"context"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/validation"
)

// TestProgressCallbacks checks that Validate and Infer report the rows
// read so far after each record, ending at the row count.
func TestProgressCallbacks(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "age", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	var recs []arrow.Record
	for _, n := range []int{3, 1, 5} {
		for i := range n {
			b.Field(0).(*array.Int64Builder).Append(int64(20 + i))
		}
		rec := b.NewRecord()
		defer rec.Release()
		recs = append(recs, rec)
	}
	reader := func() array.RecordReader {
		rr, err := array.NewRecordReader(schema, recs)
		require.NoError(t, err)
		return rr
	}
	suite := &validation.Suite{Name: "ages", Checks: []validation.Check{{
		Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "age", "min_value": 18, "max_value": 100}}}}

	for _, tc := range []struct {
		name string
		run  func(progress func(int64)) error
	}{
		{"Validate", func(progress func(int64)) error {
			res, err := validation.Validate(ctx, suite, reader(), validation.Options{Progress: progress})
			if err == nil {
				require.True(t, res.Success)
				require.EqualValues(t, 9, res.Rows)
			}
			return err
		}},
		{"Infer", func(progress func(int64)) error {
			_, m, err := validation.Infer(ctx, reader(), validation.InferOptions{Progress: progress})
			if err == nil {
				require.EqualValues(t, 9, m.Rows)
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int64
			require.NoError(t, tc.run(func(rows int64) { got = append(got, rows) }))
			require.Equal(t, []int64{3, 4, 9}, got)
			// Without a callback the result is the same.
			require.NoError(t, tc.run(nil))
		})
	}
}
