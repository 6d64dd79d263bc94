package mlsecbeam

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/validation"
)

// The benchmarks run whole pipelines on the local runner (prism, with
// its loopback worker in this process), so `go test -bench . -cpu 1,2`
// measures the same pipeline with one and with two cores for the runner
// and its worker. Throughput is rows per second of wall time, including
// the runner's per-job overhead; the single-machine benchmark beside them
// reads and validates the same files in one stream, without Beam.

const (
	benchFiles       = 8
	benchRowsPerFile = 50000
)

var benchSuiteYAML = []byte(`name: bench
checks:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: id}
  - type: expect_column_values_to_be_between
    kwargs: {column: amount, min_value: 0, max_value: 1000, mostly: 0.99}
  - type: expect_column_values_to_be_in_set
    kwargs: {column: country, value_set: [DE, FR, US, JP, BR]}
  - type: expect_column_mean_to_be_between
    kwargs: {column: amount, min_value: 50, max_value: 150}
  - type: expect_column_median_to_be_between
    kwargs: {column: amount, min_value: 50, max_value: 150}
  - type: expect_column_values_to_be_in_set
    kwargs: {column: label, value_set: [0, 1]}
`)

var (
	benchOnce sync.Once
	benchGlob string
	benchErr  error
)

// benchData writes the benchmark's Parquet files once per test binary.
func benchData(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mlsecbeam-bench-")
		if err != nil {
			benchErr = err
			return
		}
		rows := genRows(benchFiles*benchRowsPerFile, 3, 0)
		sizes := make([]int, benchFiles-1)
		for i := range sizes {
			sizes[i] = benchRowsPerFile
		}
		benchGlob = writePartsIn(b, dir, "parquet", split(rows, sizes...))
	})
	require.NoError(b, benchErr)
	return benchGlob
}

func benchSuite(b *testing.B) *validation.Suite {
	suite, err := validation.ParseSuite("bench.yaml", benchSuiteYAML)
	require.NoError(b, err)
	return suite
}

func reportRows(b *testing.B, start time.Time) {
	rows := float64(benchFiles * benchRowsPerFile * b.N)
	b.ReportMetric(rows/time.Since(start).Seconds(), "rows/s")
}

func BenchmarkValidateDatasetPrism(b *testing.B) {
	glob, suite := benchData(b), benchSuite(b)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		p, s := beam.NewPipelineWithRoot()
		res, err := ValidateDataset(s, suite, ReadFiles(s, glob, ReadOptions{}), validation.Options{})
		require.NoError(b, err)
		WriteJSON(s, filepath.Join(b.TempDir(), "result.json"), res)
		require.NoError(b, ptest.Run(p))
	}
	reportRows(b, start)
}

func BenchmarkValidateSingleMachine(b *testing.B) {
	glob, suite := benchData(b), benchSuite(b)
	paths, err := filepath.Glob(glob)
	require.NoError(b, err)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		r, err := datafile.OpenAll(context.Background(), paths, datafile.Options{})
		require.NoError(b, err)
		_, err = validation.Validate(context.Background(), suite, r, validation.Options{})
		r.Release()
		require.NoError(b, err)
	}
	reportRows(b, start)
}

func BenchmarkProfileDatasetPrism(b *testing.B) {
	glob := benchData(b)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		p, s := beam.NewPipelineWithRoot()
		prof := ProfileDataset(s, ReadFiles(s, glob, ReadOptions{}), drift.ProfileOptions{})
		WriteJSON(s, filepath.Join(b.TempDir(), "profile.json"), prof)
		require.NoError(b, ptest.Run(p))
	}
	reportRows(b, start)
}

func BenchmarkProfileSingleMachine(b *testing.B) {
	glob := benchData(b)
	paths, err := filepath.Glob(glob)
	require.NoError(b, err)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		r, err := datafile.OpenAll(context.Background(), paths, datafile.Options{})
		require.NoError(b, err)
		_, err = drift.ProfileReader(context.Background(), r, drift.ProfileOptions{})
		r.Release()
		require.NoError(b, err)
	}
	reportRows(b, start)
}
