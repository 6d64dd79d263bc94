package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// benchColumns is the benchmark table width: 10 numeric columns.
const benchColumns = 10

// benchRows is the rows per side, MLSEC_BENCH_DRIFT_ROWS or 2^20.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("MLSEC_BENCH_DRIFT_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1 << 20
}

// benchRecords returns rows×10 float64 columns in batches of 64k rows,
// drawn from the same generator as the golden tests (and as
// scripts/bench.d/drift-scipy, so the peer comparison sees the same data).
func benchRecords(b *testing.B, rows int, seed uint64, shift float64) []arrow.Record {
	var fields []arrow.Field
	for j := 0; j < benchColumns; j++ {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", j), Type: arrow.PrimitiveTypes.Float64})
	}
	schema := arrow.NewSchema(fields, nil)
	cols := make([][]float64, benchColumns)
	for j := range cols {
		cols[j] = recipe{Kind: "normal", N: rows, Seed: seed + uint64(j), Shift: shift}.sample()
	}
	var recs []arrow.Record
	const batch = 1 << 16
	for lo := 0; lo < rows; lo += batch {
		hi := min(lo+batch, rows)
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for j := range cols {
			bld.Field(j).(*array.Float64Builder).AppendValues(cols[j][lo:hi], nil)
		}
		recs = append(recs, bld.NewRecord())
		bld.Release()
	}
	return recs
}

func profileRecs(b *testing.B, recs []arrow.Record, opts ProfileOptions) *Profile {
	p := NewProfile(opts)
	for _, r := range recs {
		if err := p.AddRecord(r); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// cpuTime is the process's user+system CPU time. Per-core throughput is
// reported per CPU second, because wall time on a shared machine mostly
// measures the other processes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportValues(b *testing.B, rows int, cpu0 time.Duration) {
	v := float64(rows*benchColumns) * float64(b.N)
	b.ReportMetric(v/b.Elapsed().Seconds()/1e6, "Mvalues/s")
	if c := cpuTime() - cpu0; c > 0 {
		b.ReportMetric(v/c.Seconds()/1e6, "Mvalues/cpu-s")
	}
}

// BenchmarkProfile profiles 1M rows × 10 numeric columns.
func BenchmarkProfile(b *testing.B) {
	rows := benchRows()
	recs := benchRecords(b, rows, 1, 0)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		profileRecs(b, recs, ProfileOptions{})
	}
	reportValues(b, rows, cpu0)
}

// BenchmarkCompareProfileMode compares current rows × 10 columns against
// a reference profile of as many rows with CompareReader (what `mlsec
// drift compare --reference profile.json` does): one pass over the
// current data, KS, Wasserstein and the histogram distances per column.
func BenchmarkCompareProfileMode(b *testing.B) {
	rows := benchRows()
	ref := profileRecs(b, benchRecords(b, rows, 1, 0), ProfileOptions{})
	recs := benchRecords(b, rows, 100, 0.01)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		rr, err := array.NewRecordReader(recs[0].Schema(), recs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := CompareReader(context.Background(), ref, rr, CompareOptions{Test: TestKS}); err != nil {
			b.Fatal(err)
		}
	}
	reportValues(b, rows, cpu0)
}

// BenchmarkCompareProfiles compares a current profile with a reference
// profile (both sketched), including profiling the current data.
func BenchmarkCompareProfiles(b *testing.B) {
	rows := benchRows()
	ref := profileRecs(b, benchRecords(b, rows, 1, 0), ProfileOptions{})
	recs := benchRecords(b, rows, 100, 0.01)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		cur := profileRecs(b, recs, ProfileOptions{})
		if _, err := Compare(ref, cur, CompareOptions{Test: TestKS}); err != nil {
			b.Fatal(err)
		}
	}
	reportValues(b, rows, cpu0)
}

// BenchmarkCompareExactMode compares raw data with raw data: 1M + 1M rows
// × 10 columns, every value kept (KS exact statistic, asymptotic p).
func BenchmarkCompareExactMode(b *testing.B) {
	rows := benchRows()
	refRecs := benchRecords(b, rows, 1, 0)
	recs := benchRecords(b, rows, 100, 0.01)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		ref := profileRecs(b, refRecs, ProfileOptions{Exact: true})
		cur := profileRecs(b, recs, ProfileOptions{Exact: true})
		if _, err := Compare(ref, cur, CompareOptions{Test: TestKS}); err != nil {
			b.Fatal(err)
		}
	}
	reportValues(b, 2*rows, cpu0)
}

// BenchmarkProfileStreaming10M profiles 10M rows × 10 numeric columns
// generated batch by batch (the data never exists in memory at once) and
// reports the peak heap in use and the profile's JSON size: memory is
// bounded by the sketches, not by the rows (the throughput includes
// generating the data). MLSEC_BENCH_DRIFT_STREAM_ROWS
// overrides the row count.
func BenchmarkProfileStreaming10M(b *testing.B) {
	rows := 10_000_000
	if n, err := strconv.Atoi(os.Getenv("MLSEC_BENCH_DRIFT_STREAM_ROWS")); err == nil && n > 0 {
		rows = n
	}
	var fields []arrow.Field
	for j := 0; j < benchColumns; j++ {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", j), Type: arrow.PrimitiveTypes.Float64})
	}
	schema := arrow.NewSchema(fields, nil)
	const batch = 1 << 16
	var peak uint64
	var size int
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		p := NewProfile(ProfileOptions{})
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for lo := 0; lo < rows; lo += batch {
			n := min(batch, rows-lo)
			for j := 0; j < benchColumns; j++ {
				// A fresh stretch of the generator per batch and column.
				vals := recipe{Kind: "normal", N: n, Seed: uint64(j)<<40 + uint64(lo)}.sample()
				bld.Field(j).(*array.Float64Builder).AppendValues(vals, nil)
			}
			rec := bld.NewRecord()
			if err := p.AddRecord(rec); err != nil {
				b.Fatal(err)
			}
			rec.Release()
			if lo%(batch*16) == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		bld.Release()
		raw, err := json.Marshal(p)
		if err != nil {
			b.Fatal(err)
		}
		size = len(raw)
	}
	reportValues(b, rows, cpu0)
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(size)/(1<<20), "profile-MiB")
}
