package drift

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// eofReader reports io.EOF from Err at a normal end, as pqarrow's record
// reader does; that is the end of the data, not a failure.
type eofReader struct {
	array.RecordReader
	done bool
}

func (r *eofReader) Next() bool {
	if r.RecordReader.Next() {
		return true
	}
	r.done = true
	return false
}

func (r *eofReader) Err() error {
	if r.done {
		return io.EOF
	}
	return nil
}

func recordsOf(t *testing.T, schema *arrow.Schema, recs ...arrow.Record) array.RecordReader {
	t.Helper()
	rr, err := array.NewRecordReader(schema, recs)
	require.NoError(t, err)
	return &eofReader{RecordReader: rr}
}

func TestReadersTreatEOFAsTheEnd(t *testing.T) {
	ctx := context.Background()
	x, k, c := makeTable(1, 500, 0)
	rec := record(t, x, nil, k, c)
	defer rec.Release()
	ref, err := ProfileReader(ctx, recordsOf(t, testSchema, rec), ProfileOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 500, ref.Rows())
	rep, err := CompareReader(ctx, ref, recordsOf(t, testSchema, rec), CompareOptions{})
	require.NoError(t, err)
	require.False(t, rep.Dataset.Drifted)
}

// A profile made of chosen columns defines what a comparison looks at: a
// batch with more columns is accepted without listing them in Ignore.
func TestChosenColumnsDefineTheComparison(t *testing.T) {
	ctx := context.Background()
	x, k, c := makeTable(2, 400, 0)
	rec := record(t, x, nil, k, c)
	defer rec.Release()
	ref, err := ProfileReader(ctx, recordsOf(t, testSchema, rec), ProfileOptions{Columns: []string{"x", "color"}})
	require.NoError(t, err)
	require.Len(t, ref.Columns(), 2)
	rep, err := CompareReader(ctx, ref, recordsOf(t, testSchema, rec), CompareOptions{})
	require.NoError(t, err)
	var names []string
	for _, col := range rep.Columns {
		names = append(names, col.Column)
	}
	require.ElementsMatch(t, []string{"x", "color"}, names)

	// A profile of every column still refuses a batch with a column it
	// has never seen.
	full, err := ProfileReader(ctx, recordsOf(t, testSchema, rec), ProfileOptions{})
	require.NoError(t, err)
	wider := arrow.NewSchema(append(testSchema.Fields(), arrow.Field{Name: "extra", Type: arrow.PrimitiveTypes.Int64}), nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, wider)
	defer b.Release()
	b.Field(0).(*array.Float64Builder).AppendValues(x, nil)
	b.Field(1).(*array.Int64Builder).AppendValues(k, nil)
	b.Field(2).(*array.StringBuilder).AppendValues(c, nil)
	b.Field(3).(*array.Int64Builder).AppendValues(k, nil)
	wrec := b.NewRecord()
	defer wrec.Release()
	_, err = CompareReader(ctx, full, recordsOf(t, wider, wrec), CompareOptions{})
	require.ErrorContains(t, err, "extra")
}

// A long category value is stored as a prefix and a digest: distinct long
// values stay distinct, and the raw value never lands in the profile.
func TestLongCategoryValuesAreNotStored(t *testing.T) {
	f := NewFrequencySketch(100)
	secret := strings.Repeat("a", 300) + "confidential-tail"
	other := strings.Repeat("a", 300) + "another-tail"
	f.Add(secret)
	f.Add(secret)
	f.Add(other)
	f.Add("short")
	require.EqualValues(t, 2, f.Count(secret))
	require.EqualValues(t, 1, f.Count(other))
	require.EqualValues(t, 1, f.Count("short"))
	b, err := json.Marshal(f)
	require.NoError(t, err)
	require.NotContains(t, string(b), "confidential-tail")
	require.Contains(t, string(b), "short")
	require.Less(t, len(b), 2*MaxCategoryBytes+200)
}
