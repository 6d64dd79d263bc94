package mlsecbeam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/csv"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/validation"
)

// The validation package's own test vectors: a clean and a poisoned loans
// dataset, and suites that exercise every check type (all pass on the
// clean data, all fail on it) plus the realistic gate.
const validationTestdata = "../validation/testdata"

// readAll reads a data file into memory, as one slice of records.
func readAll(t testing.TB, path string) (*arrow.Schema, []arrow.Record) {
	t.Helper()
	r, err := datafile.Open(context.Background(), path, datafile.Options{})
	require.NoError(t, err)
	defer r.Release()
	var recs []arrow.Record
	for r.Next() {
		rec := r.Record()
		rec.Retain()
		recs = append(recs, rec)
	}
	require.NoError(t, r.Err())
	return r.Schema(), recs
}

// sliceRows cuts the rows of recs into parts of the given sizes (the last
// part takes the rest) without copying.
func sliceRows(schema *arrow.Schema, recs []arrow.Record, sizes []int) [][]arrow.Record {
	var parts [][]arrow.Record
	var part []arrow.Record
	want := -1 // rows still wanted in the current part; -1 for the rest
	if len(sizes) > 0 {
		want = sizes[0]
	}
	next := func() {
		parts = append(parts, part)
		part = nil
		want = -1
		if len(parts) < len(sizes) {
			want = sizes[len(parts)]
		}
	}
	for _, rec := range recs {
		off := int64(0)
		for off < rec.NumRows() {
			for want == 0 {
				next()
			}
			n := rec.NumRows() - off
			if want > 0 {
				n = min(n, int64(want))
				want -= int(n)
			}
			part = append(part, rec.NewSlice(off, off+n))
			off += n
		}
	}
	for len(parts) < len(sizes) {
		next()
	}
	return append(parts, part)
}

// writeRecordParts writes each part as one file of the format and returns
// the sorted paths.
func writeRecordParts(t testing.TB, format string, schema *arrow.Schema, parts [][]arrow.Record) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, part := range parts {
		path := filepath.Join(dir, fmt.Sprintf("part-%03d.%s", i, format))
		f, err := os.Create(path)
		require.NoError(t, err)
		switch format {
		case "csv":
			w := csv.NewWriter(f, schema, csv.WithHeader(true), csv.WithNullWriter(""))
			if len(part) == 0 { // an empty part still has its header row
				b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
				part = []arrow.Record{b.NewRecord()}
				b.Release()
			}
			for _, rec := range part {
				require.NoError(t, w.Write(rec))
			}
			require.NoError(t, w.Flush())
		case "parquet":
			props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(300))
			w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.DefaultWriterProps())
			require.NoError(t, err)
			for _, rec := range part {
				require.NoError(t, w.Write(rec))
			}
			require.NoError(t, w.Close()) // closes f too
		}
		if format == "csv" {
			require.NoError(t, f.Close())
		}
		paths = append(paths, path)
	}
	sort.Strings(paths)
	return paths
}

// requireSameResult checks a distributed result against the one-machine
// result: every field equal, integers (counts, row indices) exactly and
// other numbers (means, standard deviations) to 1e-12 relative, since
// partial moments merged in another order round differently in the last
// bits. Wall-clock times are ignored, and a null equals an absent field.
func requireSameResult(t testing.TB, want, got *validation.Result) {
	t.Helper()
	require.Equal(t, want.Rows, got.Rows)
	require.Equal(t, want.Success, got.Success)
	require.Equal(t, want.Statistics, got.Statistics)
	if diff := jsonDiff("result", jsonTree(t, want), jsonTree(t, got)); diff != "" {
		t.Fatal(diff)
	}
}

func jsonTree(t testing.TB, r *validation.Result) any {
	t.Helper()
	c := *r
	c.StartedAt, c.EndedAt = time.Time{}, time.Time{}
	b, err := json.Marshal(&c)
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

func jsonDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %v != %v", path, a, b)
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		for k := range keys {
			if av[k] == nil && bv[k] == nil {
				continue
			}
			if d := jsonDiff(path+"."+k, av[k], bv[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return fmt.Sprintf("%s: %v != %v", path, a, b)
		}
		for i := range av {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i]); d != "" {
				return d
			}
		}
		return ""
	case float64:
		bv, ok := b.(float64)
		if !ok {
			return fmt.Sprintf("%s: %v != %v", path, a, b)
		}
		if av == math.Trunc(av) && bv == math.Trunc(bv) && math.Abs(av) < 1<<53 {
			if av != bv {
				return fmt.Sprintf("%s: %v != %v (integers must match exactly)", path, av, bv)
			}
			return ""
		}
		if math.Abs(av-bv) > 1e-12*math.Max(math.Abs(av), math.Abs(bv)) {
			return fmt.Sprintf("%s: %v != %v", path, av, bv)
		}
		return ""
	default:
		if a != b {
			return fmt.Sprintf("%s: %v != %v", path, a, b)
		}
		return ""
	}
}

var validationPartitionings = []partitioning{
	{"one-file", nil},
	{"four-even", []int{500, 500, 500}},
	{"seven-uneven", []int{1, 700, 0, 37, 450, 13}},
}

func TestValidateDatasetEqualsSingleMachine(t *testing.T) {
	cases := []struct{ suite, data string }{
		{"all_checks_pass.json", "loans_clean.parquet"},
		{"all_checks_fail.json", "loans_clean.parquet"},
		{"loans_gate.yaml", "loans_poisoned.parquet"},
	}
	ctx := context.Background()
	for _, tc := range cases {
		suite, err := validation.LoadSuite(filepath.Join(validationTestdata, tc.suite))
		require.NoError(t, err)
		schema, recs := readAll(t, filepath.Join(validationTestdata, tc.data))
		for _, pt := range validationPartitionings {
			parts := sliceRows(schema, recs, pt.sizes)
			for _, format := range []string{"parquet", "csv"} {
				t.Run(tc.suite+"/"+tc.data+"/"+pt.name+"/"+format, func(t *testing.T) {
					paths := writeRecordParts(t, format, schema, parts)
					// One machine: the same files, read in sorted order
					// as one stream.
					r, err := datafile.OpenAll(ctx, paths, datafile.Options{Schema: schema, BatchSize: 256})
					require.NoError(t, err)
					want, err := validation.Validate(ctx, suite, r, validation.Options{})
					r.Release()
					require.NoError(t, err)

					p, s := beam.NewPipelineWithRoot()
					batches := ReadFiles(s, filepath.Join(filepath.Dir(paths[0]), "part-*."+format), ReadOptions{Schema: schema, BatchSize: 200})
					res, err := ValidateDataset(s, suite, batches, validation.Options{})
					require.NoError(t, err)
					var got validation.Result
					runToJSON(t, p, s, res, &got)
					requireSameResult(t, want, &got)
				})
			}
		}
	}
}

// Records cut at arbitrary rows, validated per record and merged, give the
// result of one pass over all rows, row indices included.
func TestValidateDatasetFromRecordsKeepsRowOrder(t *testing.T) {
	suite, err := validation.LoadSuite(filepath.Join(validationTestdata, "loans_gate.yaml"))
	require.NoError(t, err)
	schema, recs := readAll(t, filepath.Join(validationTestdata, "loans_poisoned.parquet"))
	want, err := validation.Validate(context.Background(), suite, recordReader(t, schema, recs), validation.Options{})
	require.NoError(t, err)

	p, s := beam.NewPipelineWithRoot()
	var flat []arrow.Record
	for _, part := range sliceRows(schema, recs, []int{3, 900, 101}) {
		flat = append(flat, part...)
	}
	res, err := ValidateDataset(s, suite, FromRecords(s, flat...), validation.Options{})
	require.NoError(t, err)
	var got validation.Result
	runToJSON(t, p, s, res, &got)
	requireSameResult(t, want, &got)
}

func recordReader(t testing.TB, schema *arrow.Schema, recs []arrow.Record) array.RecordReader {
	r, err := array.NewRecordReader(schema, recs)
	require.NoError(t, err)
	return r
}

func TestValidateDatasetRefusesSuiteWithOtherDigest(t *testing.T) {
	suite, err := validation.LoadSuite(filepath.Join(validationTestdata, "loans_gate.yaml"))
	require.NoError(t, err)
	_, s := beam.NewPipelineWithRoot()
	_, err = ValidateDataset(s, suite, FromRecords(s), validation.Options{SuiteDigest: "sha256:" + fmt.Sprintf("%064d", 0)})
	var de *validation.DigestError
	require.True(t, errors.As(err, &de), "got %v", err)
}

func TestValidateDatasetOfNoRowsFails(t *testing.T) {
	suite, err := validation.LoadSuite(filepath.Join(validationTestdata, "loans_gate.yaml"))
	require.NoError(t, err)
	p, s := beam.NewPipelineWithRoot()
	res, err := ValidateDataset(s, suite, FromRecords(s), validation.Options{})
	require.NoError(t, err)
	var got validation.Result
	runToJSON(t, p, s, res, &got)
	require.False(t, got.Success)
	require.Zero(t, got.Rows)
}

// A suite parsed from bytes (no file the workers could reload) reaches
// the workers with its digest intact.
func TestValidateDatasetSuiteFromBytes(t *testing.T) {
	suite, err := validation.ParseSuite("bench.yaml", benchSuiteYAML)
	require.NoError(t, err)
	rows := genRows(3000, 5, 0)
	want, err := validation.Validate(context.Background(), suite, recordReader(t, testSchema, []arrow.Record{toRecord(rows)}), validation.Options{})
	require.NoError(t, err)
	p, s := beam.NewPipelineWithRoot()
	res, err := ValidateDataset(s, suite, FromRecords(s, toRecord(rows[:1000]), toRecord(rows[1000:])), validation.Options{})
	require.NoError(t, err)
	var got validation.Result
	runToJSON(t, p, s, res, &got)
	require.Equal(t, suite.Digest(), got.SuiteDigest)
	requireSameResult(t, want, &got)
}
