package drift_test

import (
	"context"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/drift"
)

// TestProgressCallbacks checks that ProfileReader and CompareReader report
// the rows read so far after each record, ending at the row count.
func TestProgressCallbacks(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	var recs []arrow.Record
	for _, n := range []int{100, 1, 50} {
		for i := range n {
			b.Field(0).(*array.Float64Builder).Append(float64(i))
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
	var got []int64
	progress := func(rows int64) { got = append(got, rows) }

	ref, err := drift.ProfileReader(ctx, reader(), drift.ProfileOptions{Progress: progress})
	require.NoError(t, err)
	require.EqualValues(t, 151, ref.Rows())
	require.Equal(t, []int64{100, 101, 151}, got)

	got = nil
	rep, err := drift.CompareReader(ctx, ref, reader(), drift.CompareOptions{Progress: progress})
	require.NoError(t, err)
	require.False(t, rep.Dataset.Drifted, "the same data does not drift")
	require.Equal(t, []int64{100, 101, 151}, got)
}
