package mlsecbeam

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/csv"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/require"
)

// TestMain runs the pipelines of this package on Beam's local runner
// (prism, in process, loopback workers), as ptest does by default.
// The runner logs every job at INFO; the tests keep only warnings.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	ptest.Main(m)
}

// testSchema is the schema of the generated test dataset.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "country", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "label", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// testRow is the struct form of one row of the test dataset, for FromRows.
type testRow struct {
	ID      int64    `beam:"id"`
	Amount  *float64 `beam:"amount"`
	Country *string  `beam:"country"`
	Label   int64    `beam:"label"`
}

// genRows makes n deterministic rows with nulls, duplicates and a skewed
// categorical column, so merged metrics exercise more than counting.
func genRows(n int, seed uint64, shift float64) []testRow {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	countries := []string{"DE", "FR", "US", "US", "US", "JP", "BR"}
	rows := make([]testRow, n)
	for i := range rows {
		row := testRow{ID: int64(i), Label: int64(r.IntN(2))}
		if r.IntN(20) != 0 {
			a := math.Round((r.NormFloat64()*15+100+shift)*100) / 100
			row.Amount = &a
		}
		if r.IntN(25) != 0 {
			c := countries[r.IntN(len(countries))]
			row.Country = &c
		}
		if i > 0 && r.IntN(50) == 0 { // an exact duplicate of the previous row
			row = rows[i-1]
		}
		rows[i] = row
	}
	return rows
}

// toRecord builds one record of the rows.
func toRecord(rows []testRow) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, testSchema)
	defer b.Release()
	for _, row := range rows {
		b.Field(0).(*array.Int64Builder).Append(row.ID)
		if row.Amount == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Float64Builder).Append(*row.Amount)
		}
		if row.Country == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append(*row.Country)
		}
		b.Field(3).(*array.Int64Builder).Append(row.Label)
	}
	return b.NewRecord()
}

// split cuts rows into parts of the given sizes (the last takes the rest).
func split(rows []testRow, sizes ...int) [][]testRow {
	var parts [][]testRow
	for _, n := range sizes {
		n = min(n, len(rows))
		parts = append(parts, rows[:n])
		rows = rows[n:]
	}
	return append(parts, rows)
}

// partitioning is one way of cutting the same dataset into partitions.
type partitioning struct {
	name  string
	sizes []int // file sizes in rows; the last file takes the rest
}

// partitionings are the cuts every equality test runs over: one file,
// even files, and uneven files including a tiny one and an empty one.
var partitionings = []partitioning{
	{"one-file", nil},
	{"four-even", []int{1000, 1000, 1000}},
	{"seven-uneven", []int{1, 2500, 0, 37, 800, 13}},
}

// writeParts writes each part as a file of the format into a fresh
// directory and returns the glob matching them.
func writeParts(t testing.TB, format string, parts [][]testRow) string {
	t.Helper()
	return writePartsIn(t, t.TempDir(), format, parts)
}

// writePartsIn is writeParts into a given directory.
func writePartsIn(t testing.TB, dir, format string, parts [][]testRow) string {
	t.Helper()
	for i, part := range parts {
		rec := toRecord(part)
		path := filepath.Join(dir, fmt.Sprintf("part-%03d.%s", i, format))
		f, err := os.Create(path)
		require.NoError(t, err)
		switch format {
		case "csv":
			w := csv.NewWriter(f, testSchema, csv.WithHeader(true), csv.WithNullWriter(""))
			require.NoError(t, w.Write(rec))
			require.NoError(t, w.Flush())
		case "parquet":
			props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(700))
			w, err := pqarrow.NewFileWriter(testSchema, f, props, pqarrow.DefaultWriterProps())
			require.NoError(t, err)
			require.NoError(t, w.Write(rec))
			require.NoError(t, w.Close())
		default:
			t.Fatalf("unknown format %s", format)
		}
		rec.Release()
		f.Close()
	}
	return filepath.Join(dir, "part-*."+format)
}

// runToJSON runs the pipeline on the local runner and decodes the single
// element of col, written with WriteJSON, into out.
func runToJSON(t testing.TB, p *beam.Pipeline, s beam.Scope, col beam.PCollection, out any) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.json")
	WriteJSON(s, path, col)
	err := ptest.Run(p)
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, out))
}

// ptestRun runs the pipeline on the local runner and returns its error.
func ptestRun(p *beam.Pipeline) error { return ptest.Run(p) }
