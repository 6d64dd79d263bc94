package dataread_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/dataread"
	"github.com/mlsec-dev/mlsec/internal/dataread/hostile"
)

// readAll reads path to the end and returns the first error.
func readPath(t *testing.T, path string, opts *dataread.Options) (rows int64, err error) {
	t.Helper()
	r, err := dataread.Open(context.Background(), path, opts)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	for r.Next() {
		rows += r.Record().NumRows()
	}
	return rows, r.Err()
}

func requireLimit(t *testing.T, err error, limit string) {
	t.Helper()
	require.Error(t, err)
	var le *dataread.LimitError
	require.ErrorAs(t, err, &le, "%v", err)
	require.Equal(t, limit, le.Limit)
	require.Contains(t, err.Error(), limit)
	var fe *dataread.FileError
	require.ErrorAs(t, err, &fe)
	require.NotEmpty(t, fe.Path)
}

func TestHostileParquetBomb(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		lie   hostile.Lie
		limit string // the LimitError's limit, or the error's text
	}{
		{"honest", hostile.Honest, "MaxRowGroupBytes"},
		{"lying_footer", hostile.LyingFooter, "MaxPageBytes"},
		{"lying_page", hostile.LyingPage, "more bytes than its header declares"},
		{"huge_compressed", hostile.HugeCompressed, "the footer places 2147483670 compressed bytes at offset 4"},
		{"huge_page_header", hostile.HugePageHeader, "its header claims 2147483647 compressed bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".parquet")
			require.NoError(t, hostile.ParquetBomb(p, tc.lie))
			fi, err := os.Stat(p)
			require.NoError(t, err)
			require.Less(t, fi.Size(), int64(1<<20), "the bomb is small on disk")
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err = readPath(t, p, nil)
			runtime.ReadMemStats(&after)
			require.Error(t, err)
			require.Contains(t, err.Error(), p)
			t.Logf("%s: %v (allocated %d MiB)", tc.name, err, (after.TotalAlloc-before.TotalAlloc)>>20)
			if strings.HasPrefix(tc.limit, "Max") {
				requireLimit(t, err, tc.limit)
			} else {
				require.Contains(t, err.Error(), tc.limit)
			}
			// Refused before the claimed sizes are reserved.
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "allocated while refusing")
		})
	}
}

func TestHostileWideParquet(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wide.parquet")
	require.NoError(t, hostile.WideParquet(p, 20_000, 4))
	_, err := readPath(t, p, nil)
	requireLimit(t, err, "MaxColumns")

	// A projection reads what the caller needs, whatever the width.
	rows, err := readPath(t, p, &dataread.Options{Columns: []string{"c00007", "c19999"}})
	require.NoError(t, err)
	require.EqualValues(t, 4, rows)
	r, err := dataread.Open(context.Background(), p, &dataread.Options{Columns: []string{"c19999", "c00007"}})
	require.NoError(t, err)
	defer r.Close()
	require.Equal(t, 2, r.Schema().NumFields())
	require.Equal(t, "c00007", r.Schema().Field(0).Name, "file order")
	require.True(t, r.Next())
	require.EqualValues(t, 3*19999, r.Record().Column(1).GetOneForMarshal(3))

	// The schema of a wide file can be read whole, to choose the columns
	// to read; with a projection it is the projected one.
	full, err := dataread.ReadSchema(context.Background(), p, nil)
	require.NoError(t, err)
	require.Equal(t, 20_000, full.NumFields())
	part, err := dataread.ReadSchema(context.Background(), p, &dataread.Options{Columns: []string{"c00003"}})
	require.NoError(t, err)
	require.Equal(t, 1, part.NumFields())

	// An empty projection reads one column, for counting rows.
	rows, err = readPath(t, p, &dataread.Options{Columns: []string{}})
	require.NoError(t, err)
	require.EqualValues(t, 4, rows)

	// Raising the limit reads the whole file.
	p2 := filepath.Join(t.TempDir(), "wide2000.parquet")
	require.NoError(t, hostile.WideParquet(p2, 2000, 4))
	_, err = readPath(t, p2, &dataread.Options{MaxColumns: 1000})
	requireLimit(t, err, "MaxColumns")
	rows, err = readPath(t, p2, &dataread.Options{MaxColumns: 2000})
	require.NoError(t, err)
	require.EqualValues(t, 4, rows)
}

func TestHostileCorruptIPC(t *testing.T) {
	dir := t.TempDir()
	for _, stream := range []bool{false, true} {
		p := filepath.Join(dir, "corrupt.arrow")
		if stream {
			p += "s"
		}
		require.NoError(t, hostile.CorruptIPC(p, stream))
		_, err := readPath(t, p, nil)
		require.Error(t, err, p)
		require.Contains(t, err.Error(), p)
		require.NotContains(t, err.Error(), "malformed file", "the buffers are checked, not a panic recovered")
		require.Contains(t, err.Error(), "offset")
	}
}

func TestHostileHugeCSVField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.csv")
	require.NoError(t, hostile.HugeCSVField(p, 3<<20))
	_, err := readPath(t, p, &dataread.Options{MaxFieldBytes: 1 << 20})
	requireLimit(t, err, "MaxFieldBytes")
	_, err = readPath(t, p, &dataread.Options{MaxFieldBytes: 8 << 20, MaxLineBytes: 2 << 20})
	requireLimit(t, err, "MaxLineBytes")
	rows, err := readPath(t, p, &dataread.Options{MaxFieldBytes: 8 << 20})
	require.NoError(t, err)
	require.EqualValues(t, 2, rows)
	// The limit also holds while the schema is inferred from the sample.
	_, err = readPath(t, p, &dataread.Options{MaxFieldBytes: 1 << 20, InferRows: 1})
	requireLimit(t, err, "MaxFieldBytes")
}

func TestHostileJSONLLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "long.jsonl")
	long := `{"a":1,"b":"` + strings.Repeat("x", 300<<10) + `"}` + "\n"
	require.NoError(t, os.WriteFile(p, []byte(`{"a":1,"b":"y"}`+"\n"+long), 0o600))
	_, err := readPath(t, p, &dataread.Options{MaxLineBytes: 100 << 10})
	requireLimit(t, err, "MaxLineBytes")
	rows, err := readPath(t, p, nil)
	require.NoError(t, err)
	require.EqualValues(t, 2, rows)
}

func TestCSVBOMHeader(t *testing.T) {
	r, err := dataread.Open(context.Background(), "testdata/good_bom.csv", nil)
	require.NoError(t, err)
	defer r.Close()
	require.Equal(t, "id", r.Schema().Field(0).Name)
	require.True(t, r.Next())
	require.EqualValues(t, 2, r.Record().NumRows())
}

func TestProjectionAllFormats(t *testing.T) {
	for _, name := range []string{"good_people.csv", "good_people.parquet", "good_people.arrow", "good_people.arrows", "good_people.jsonl"} {
		t.Run(name, func(t *testing.T) {
			full, err := dataread.ReadSchema(context.Background(), filepath.Join("testdata", name), nil)
			require.NoError(t, err)
			last := full.Field(full.NumFields() - 1).Name
			r, err := dataread.Open(context.Background(), filepath.Join("testdata", name), &dataread.Options{Columns: []string{last}})
			require.NoError(t, err)
			defer r.Close()
			require.Equal(t, 1, r.Schema().NumFields())
			var rows int64
			for r.Next() {
				require.Equal(t, 1, int(r.Record().NumCols()))
				rows += r.Record().NumRows()
			}
			require.NoError(t, r.Err())
			require.Positive(t, rows)

			_, err = dataread.Open(context.Background(), filepath.Join("testdata", name), &dataread.Options{Columns: []string{"no_such"}})
			require.ErrorContains(t, err, `column "no_such" is not in the file`)
		})
	}
}

func TestLimitErrorMessage(t *testing.T) {
	err := error(&dataread.LimitError{Limit: "MaxColumns", Max: 10, Got: 20, What: "columns to read"})
	require.Equal(t, "columns to read of 20 exceeds the limit MaxColumns=10 (raise Options.MaxColumns to read it)", err.Error())
	require.False(t, errors.Is(err, os.ErrNotExist))
}

// A Parquet row group without rows (Arrow writes one for an empty record,
// with its data page offset at 0) is read as no rows: the page-header walk
// skips it, as Arrow's reader does.
func TestParquetEmptyRowGroup(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.parquet")
	f, err := os.Create(p)
	require.NoError(t, err)
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	rec := b.NewRecord()
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	rec.Release()
	b.Release()
	rows, err := readPath(t, p, nil)
	require.NoError(t, err)
	require.Zero(t, rows)
}
