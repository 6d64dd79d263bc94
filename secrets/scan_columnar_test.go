package secrets_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

// A credential inside a compressed Parquet column is found by decoding
// the file and reported by row and column.
func TestScanParquet(t *testing.T) {
	g := newGen(47)
	tok := "sk_live_" + g.s(alnum, 24)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "prompt", Type: arrow.BinaryTypes.String},
		{Name: "notes", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	const rows = 5000
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append("summarise the quarterly report for region " + g.s(lower, 8))
		switch i {
		case 4321:
			b.Field(2).(*array.StringBuilder).Append("billing via " + tok)
		case 7:
			b.Field(2).AppendNull()
		default:
			b.Field(2).(*array.StringBuilder).Append("ok")
		}
	}
	rec := b.NewRecord()
	defer rec.Release()

	dir := t.TempDir()
	p := filepath.Join(dir, "prompts.parquet")
	f, err := os.Create(p)
	require.NoError(t, err)
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDictionaryDefault(false), parquet.WithStats(false)), pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())

	raw, err := os.ReadFile(p)
	require.NoError(t, err)

	findings, err := secrets.ScanPath(testCtx(t), dir, secrets.ScanOptions{})
	require.NoError(t, err)
	require.Len(t, findings, 1)
	require.Equal(t, "stripe-secret-key", findings[0].Rule)
	require.Equal(t, 4322, findings[0].Line)
	require.Equal(t, 3, findings[0].Column)
	require.Equal(t, "notes", findings[0].Field)
	require.NotContains(t, findings[0].String(), tok)

	// A damaged Parquet file is reported, naming it.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.parquet"), raw[:len(raw)/2], 0o644))
	_, err = secrets.ScanPath(testCtx(t), dir, secrets.ScanOptions{})
	require.ErrorContains(t, err, "broken.parquet")
}
