package dataread_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/dataread"
)

// readAll returns every row of the reader as text cells, and the batch sizes.
func readAll(t testing.TB, r *dataread.Reader) ([][]string, []int64) {
	t.Helper()
	var rows [][]string
	var batches []int64
	for r.Next() {
		rec := r.Record()
		batches = append(batches, rec.NumRows())
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]string, rec.NumCols())
			for j := range row {
				col := rec.Column(j)
				if col.IsNull(i) {
					row[j] = "<null>"
				} else {
					row[j] = col.ValueStr(i)
				}
			}
			rows = append(rows, row)
		}
	}
	require.NoError(t, r.Err())
	return rows, batches
}

var wantPeople = [][]string{
	{"1", "Ada", "91.5", "true", "2024-01-02"},
	{"2", "Grace", "88", "false", "2024-01-03"},
	{"3", "Hopper, Jr.", "<null>", "true", "2024-01-04"},
	{"4", "Linus", "73.25", "false", "<null>"},
	{"5", "Ken", "99", "true", "2024-02-29"},
	{"6", "Multi\nline", "60.5", "false", "2024-03-01"},
	{"7", "Barbara", "<null>", "true", "2024-03-02"},
	{"8", "Dennis", "55", "true", "2024-03-03"},
	{"9", "Frances", "81", "false", "2024-03-04"},
	{"10", "Edsger", "77.75", "true", "2024-03-05"},
}

func TestGoodFilesEveryFormat(t *testing.T) {
	for _, name := range []string{
		"good_people.csv", "good_people.jsonl", "good_people.parquet",
		"good_people.arrow", "good_people.arrows", "good_people_onebatch.arrows",
	} {
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			r, err := dataread.Open(context.Background(), filepath.Join("testdata", name), &dataread.Options{BatchSize: 3, Allocator: mem})
			require.NoError(t, err)
			defer r.Close()
			require.Equal(t, []string{"id", "name", "score", "active", "day"}, fieldNames(r.Schema()))
			require.Equal(t, arrow.INT64, r.Schema().Field(0).Type.ID())
			require.Equal(t, arrow.FLOAT64, r.Schema().Field(2).Type.ID())
			require.Equal(t, arrow.BOOL, r.Schema().Field(3).Type.ID())
			rows, batches := readAll(t, r)
			require.Equal(t, wantPeople, rows)
			for _, b := range batches {
				require.LessOrEqual(t, b, int64(3), "batch size bound")
			}
		})
	}
}

func fieldNames(s *arrow.Schema) []string {
	var n []string
	for _, f := range s.Fields() {
		n = append(n, f.Name)
	}
	return n
}

func TestCSVInferredTypes(t *testing.T) {
	s, err := dataread.ReadSchema(context.Background(), "testdata/good_people.csv", nil)
	require.NoError(t, err)
	require.Equal(t, "schema:\n  fields: 5\n    - id: type=int64, nullable\n    - name: type=utf8, nullable\n    - score: type=float64, nullable\n    - active: type=bool, nullable\n    - day: type=date32, nullable", s.String())
}

func TestOpenAllConsistentSchema(t *testing.T) {
	ctx := context.Background()
	r, err := dataread.OpenAll(ctx, []string{"testdata/good_people.csv", "testdata/good_people2.csv"}, nil)
	require.NoError(t, err)
	rows, _ := readAll(t, r)
	require.Len(t, rows, 12)
	require.Equal(t, "Margaret", rows[11][1])
	r.Close()

	// Mixed formats of one dataset are fine when the schemas agree.
	r, err = dataread.OpenAll(ctx, []string{"testdata/good_people.parquet", "testdata/good_people.arrow"}, nil)
	require.NoError(t, err)
	rows, _ = readAll(t, r)
	require.Len(t, rows, 20)
	r.Close()

	// A later file with an added column stops the stream, naming the file.
	r, err = dataread.OpenAll(ctx, []string{"testdata/good_people.parquet", "testdata/fail_extra_column.parquet"}, nil)
	require.NoError(t, err)
	for r.Next() {
	}
	var fe *dataread.FileError
	require.ErrorAs(t, r.Err(), &fe)
	require.Equal(t, "testdata/fail_extra_column.parquet", fe.Path)
	require.ErrorContains(t, r.Err(), "6 columns, want 5")
	r.Close()

	// A CSV whose header differs from the first file's.
	dir := t.TempDir()
	other := filepath.Join(dir, "other.csv")
	require.NoError(t, os.WriteFile(other, []byte("id,name,score,active,when\n1,a,2,true,2024-01-01\n"), 0o644))
	r, err = dataread.OpenAll(ctx, []string{"testdata/good_people.csv", other}, nil)
	require.NoError(t, err)
	for r.Next() {
	}
	require.ErrorContains(t, r.Err(), other+`: line 1: header column 4 is "when", the schema says "day"`)
	r.Close()
}

func TestExplicitSchema(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "active", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "day", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for _, name := range []string{"good_people.csv", "good_people.jsonl"} {
		r, err := dataread.Open(ctx, "testdata/"+name, &dataread.Options{Schema: schema})
		require.NoError(t, err)
		require.True(t, r.Schema().Equal(schema))
		rows, _ := readAll(t, r)
		require.Len(t, rows, 10)
		r.Close()
	}
	// A self-describing file must match the explicit schema.
	_, err := dataread.Open(ctx, "testdata/good_people.parquet", &dataread.Options{Schema: schema})
	require.ErrorContains(t, err, `testdata/good_people.parquet: schema differs from the expected one: column "id" has type int64, want int32`)
}

func TestMalformedFiles(t *testing.T) {
	tests := []struct {
		file string
		opts *dataread.Options
		want string
	}{
		{"fail_bad_float.csv", &dataread.Options{InferRows: 2}, `fail_bad_float.csv: line 4: row 3: column "score": a 2-byte value is not a valid float64: invalid syntax`},
		{"fail_ragged.csv", nil, `fail_ragged.csv: line 3: column 1: wrong number of fields`},
		{"fail_quote.csv", nil, `fail_quote.csv: line 3: column 5: extraneous or missing " in quoted-field`},
		{"fail_empty.csv", nil, `fail_empty.csv: empty file: no header row`},
		{"fail_dup_header.csv", nil, `fail_dup_header.csv: line 1: column 1: duplicate column name "id"`},
		{"fail_invalid.jsonl", nil, `fail_invalid.jsonl: line 3: invalid JSON`},
		{"fail_not_object.jsonl", nil, `fail_not_object.jsonl: line 2: not a JSON object`},
		{"fail_mixed.jsonl", nil, `fail_mixed.jsonl: line 2: key "v": mixed types string and integer`},
		{"fail_type_beyond_sample.jsonl", &dataread.Options{InferRows: 2}, `fail_type_beyond_sample.jsonl: line 3: `},
		{"fail_key_beyond_sample.jsonl", &dataread.Options{InferRows: 2}, `fail_key_beyond_sample.jsonl: line 3: key "added" is not in the schema`},
		{"fail_truncated.parquet", nil, `fail_truncated.parquet: `},
		{"fail_corrupt.arrow", nil, `fail_corrupt.arrow: `},
		{"fail_truncated.arrows", nil, `fail_truncated.arrows: `},
		{"missing.csv", nil, `missing.csv: no such file`},
		{"good_people.txt", nil, `unknown data file extension ".txt"`},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			err := readErr(filepath.Join("testdata", tc.file), tc.opts)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "datafile: "), err.Error())
		})
	}
}

// readErr opens and reads a file to its end and returns the error.
func readErr(path string, opts *dataread.Options) error {
	r, err := dataread.Open(context.Background(), path, opts)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() {
	}
	return r.Err()
}

func TestFileErrorIsTyped(t *testing.T) {
	err := readErr("testdata/fail_bad_float.csv", &dataread.Options{InferRows: 1})
	var fe *dataread.FileError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, int64(4), fe.Line)
	require.Equal(t, int64(3), fe.Row)
}

func TestFormatOverride(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "data.txt")
	b, err := os.ReadFile("testdata/good_people.jsonl")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	r, err := dataread.Open(context.Background(), p, &dataread.Options{Format: dataread.JSONL})
	require.NoError(t, err)
	rows, _ := readAll(t, r)
	require.Len(t, rows, 10)
	r.Close()

	f, err := dataread.ParseFormat("NDJSON")
	require.NoError(t, err)
	require.Equal(t, dataread.JSONL, f)
	_, err = dataread.ParseFormat("xls")
	require.ErrorContains(t, err, `unknown format "xls"`)
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := dataread.Open(ctx, "testdata/good_people.csv", &dataread.Options{BatchSize: 1})
	require.NoError(t, err)
	defer r.Close()
	require.True(t, r.Next())
	cancel()
	require.False(t, r.Next())
	require.ErrorIs(t, r.Err(), context.Canceled)
}

func TestTSV(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.tsv")
	require.NoError(t, os.WriteFile(p, []byte("a\tb\n1\tx,y\n2\tz\n"), 0o644))
	r, err := dataread.Open(context.Background(), p, nil)
	require.NoError(t, err)
	rows, _ := readAll(t, r)
	require.Equal(t, [][]string{{"1", "x,y"}, {"2", "z"}}, rows)
	r.Close()
}

func ExampleOpen() {
	r, err := dataread.Open(context.Background(), "testdata/good_people.csv", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	rows := 0
	for r.Next() {
		rows += int(r.Record().NumRows())
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Schema().Field(2), rows)
	// Output: score: type=float64, nullable 10
}

// FileIndex names the file each record came from, counting a file named
// twice twice, for progress displays.
func TestFileIndex(t *testing.T) {
	ctx := context.Background()
	paths := []string{"testdata/good_people.csv", "testdata/good_people.csv", "testdata/good_people2.csv"}
	r, err := dataread.OpenAll(ctx, paths, &dataread.Options{BatchSize: 4})
	require.NoError(t, err)
	defer r.Close()
	var seen []int
	for r.Next() {
		if len(seen) == 0 || seen[len(seen)-1] != r.FileIndex() {
			seen = append(seen, r.FileIndex())
		}
	}
	require.NoError(t, r.Err())
	require.Equal(t, []int{0, 1, 2}, seen)
}
