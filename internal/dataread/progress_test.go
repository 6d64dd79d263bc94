package dataread_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/dataread"
)

// progressRows is enough rows for several CSV chunks, Parquet row groups
// and Arrow batches in every format.
const progressRows = 60_000

// writeProgressFiles writes the same table in every format and returns
// the paths by format.
func writeProgressFiles(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64},
		{Name: "name", Type: arrow.BinaryTypes.String},
	}, nil)
	const batch = 10_000
	var recs []arrow.Record
	var csv, jsonl strings.Builder
	csv.WriteString("id,score,name\n")
	for start := 0; start < progressRows; start += batch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := start; i < start+batch; i++ {
			score := float64(i%997) / 7
			name := fmt.Sprintf("user-%d", i*7919%100_003)
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.Float64Builder).Append(score)
			b.Field(2).(*array.StringBuilder).Append(name)
			fmt.Fprintf(&csv, "%d,%g,%s\n", i, score, name)
			fmt.Fprintf(&jsonl, "{\"id\":%d,\"score\":%g,\"name\":%q}\n", i, score, name)
		}
		recs = append(recs, b.NewRecord())
		b.Release()
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	paths := map[string]string{}
	write := func(name string, fn func(f *os.File)) {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		require.NoError(t, err)
		fn(f)
		f.Close() // the Parquet writer closes it itself
		paths[filepath.Ext(name)[1:]] = p
	}
	write("d.csv", func(f *os.File) { _, err := f.WriteString(csv.String()); require.NoError(t, err) })
	write("d.tsv", func(f *os.File) {
		_, err := f.WriteString(strings.ReplaceAll(csv.String(), ",", "\t"))
		require.NoError(t, err)
	})
	write("d.jsonl", func(f *os.File) { _, err := f.WriteString(jsonl.String()); require.NoError(t, err) })
	write("d.parquet", func(f *os.File) {
		props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(batch), parquet.WithCompression(compress.Codecs.Snappy))
		w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.DefaultWriterProps())
		require.NoError(t, err)
		for _, r := range recs {
			require.NoError(t, w.Write(r))
		}
		require.NoError(t, w.Close())
	})
	write("d.arrow", func(f *os.File) {
		w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
		require.NoError(t, err)
		for _, r := range recs {
			require.NoError(t, w.Write(r))
		}
		require.NoError(t, w.Close())
	})
	write("d.arrows", func(f *os.File) {
		w := ipc.NewWriter(f, ipc.WithSchema(schema))
		for _, r := range recs {
			require.NoError(t, w.Write(r))
		}
		require.NoError(t, w.Close())
	})
	return paths
}

func sizeOf(t *testing.T, paths ...string) int64 {
	var n int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		n += fi.Size()
	}
	return n
}

// readCounting reads r to its end and returns BytesRead after each
// batch.
func readCounting(t *testing.T, r *dataread.Reader) (counts []int64, rows int64) {
	t.Helper()
	for r.Next() {
		rows += r.Record().NumRows()
		counts = append(counts, r.BytesRead())
	}
	require.NoError(t, r.Err())
	return counts, rows
}

func TestBytesReadEveryFormat(t *testing.T) {
	defer dataread.SetChunkBytes(dataread.SetChunkBytes(64 << 10))
	paths := writeProgressFiles(t)
	for _, tc := range []struct {
		name    string
		format  string
		columns []string
	}{
		{"csv", "csv", nil},
		{"csv one column", "csv", []string{"score"}},
		{"tsv", "tsv", nil},
		{"jsonl", "jsonl", nil},
		{"jsonl one column", "jsonl", []string{"name"}},
		{"parquet", "parquet", nil},
		// A projection reads only some columns' bytes: the count still
		// runs to the file's size.
		{"parquet first column", "parquet", []string{"id"}},
		{"parquet last column", "parquet", []string{"name"}},
		{"arrow file", "arrow", nil},
		{"arrow file one column", "arrow", []string{"score"}},
		{"arrow stream", "arrows", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := paths[tc.format]
			size := sizeOf(t, path)
			r, err := dataread.Open(context.Background(), path, &dataread.Options{BatchSize: 4096, Columns: tc.columns})
			require.NoError(t, err)
			defer r.Close()
			require.Zero(t, r.BytesRead(), "nothing counted before the first batch")
			counts, rows := readCounting(t, r)
			require.EqualValues(t, progressRows, rows)
			require.Equal(t, size, r.BytesRead(), "the count ends at the file's size")
			require.Greater(t, len(counts), 3)
			mid := 0
			for i, c := range counts {
				require.LessOrEqual(t, c, size)
				if i > 0 {
					require.GreaterOrEqual(t, c, counts[i-1], "batch %d: the count never goes down", i)
				}
				if c > 0 && c < size {
					mid++
				}
			}
			// Progress shows while reading, not only as a jump at the end.
			require.GreaterOrEqual(t, mid, 2, "counts %v of %d", counts, size)
		})
	}
}

func TestBytesReadManyFiles(t *testing.T) {
	defer dataread.SetChunkBytes(dataread.SetChunkBytes(64 << 10))
	paths := writeProgressFiles(t)
	for _, tc := range []struct {
		name  string
		files []string
	}{
		{"csv", []string{paths["csv"], paths["csv"], paths["csv"]}},
		{"parquet", []string{paths["parquet"], paths["parquet"]}},
		{"arrow", []string{paths["arrow"], paths["arrow"]}},
		{"jsonl", []string{paths["jsonl"], paths["jsonl"]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := dataread.OpenAll(context.Background(), tc.files, nil)
			require.NoError(t, err)
			defer r.Close()
			one := sizeOf(t, tc.files[0])
			var prev int64
			seen := map[int]int64{} // the largest count seen in each file
			for r.Next() {
				c := r.BytesRead()
				require.GreaterOrEqual(t, c, prev)
				prev = c
				// A file's count lies between the sizes of the files before
				// it and those up to it.
				i := r.FileIndex()
				require.GreaterOrEqual(t, c, int64(i)*one, "file %d", i)
				require.LessOrEqual(t, c, int64(i+1)*one, "file %d", i)
				seen[i] = c
			}
			require.NoError(t, r.Err())
			require.Len(t, seen, len(tc.files))
			require.Equal(t, sizeOf(t, tc.files...), r.BytesRead())
		})
	}
}

// TestBytesReadConcurrent reads the count from another goroutine while
// the parallel CSV reader runs (go test -race checks the access).
func TestBytesReadConcurrent(t *testing.T) {
	defer dataread.SetChunkBytes(dataread.SetChunkBytes(32 << 10))
	paths := writeProgressFiles(t)
	files := []string{paths["csv"], paths["parquet"]}
	r, err := dataread.OpenAll(context.Background(), files[:1], &dataread.Options{Workers: 4})
	require.NoError(t, err)
	defer r.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var watched []int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				watched = append(watched, r.BytesRead())
			}
		}
	}()
	_, rows := readCounting(t, r)
	close(stop)
	wg.Wait()
	require.EqualValues(t, progressRows, rows)
	for i := 1; i < len(watched); i++ {
		require.GreaterOrEqual(t, watched[i], watched[i-1])
	}
	require.Equal(t, sizeOf(t, files[0]), r.BytesRead())
}
