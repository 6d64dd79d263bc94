package validation_test

import (
	"context"
	"io"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/validation"
)

// eofReader reports io.EOF from Err at a normal end, as pqarrow's record
// reader does.
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

func TestValidateAndInferTreatEOFAsTheEnd(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "age", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{20, 30, 40}, nil)
	rec := b.NewRecord()
	defer rec.Release()
	reader := func() array.RecordReader {
		rr, err := array.NewRecordReader(schema, []arrow.Record{rec})
		require.NoError(t, err)
		return &eofReader{RecordReader: rr}
	}
	suite := &validation.Suite{Name: "ages", Checks: []validation.Check{{
		Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "age", "min_value": 18, "max_value": 100}}}}
	res, err := validation.Validate(ctx, suite, reader(), validation.Options{})
	require.NoError(t, err)
	require.True(t, res.Success)
	inferred, _, err := validation.Infer(ctx, reader(), validation.InferOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, inferred.Checks)
}
