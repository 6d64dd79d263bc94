package dataread_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mlsec-dev/mlsec/internal/dataread"
)

// writeBenchCSV writes a numeric (5 float64 columns and an int64 id) or
// a mixed (ints, floats, strings with quoted commas, nulls, bools, dates)
// CSV of rows rows, and returns its path and size.
func writeBenchCSV(b *testing.B, mixed bool, rows int) (string, int64) {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(1, 1))
	if mixed {
		fmt.Fprintln(w, "id,name,city,score,amount,active,day,note")
		cities := []string{"Berlin", "Paris", `"Washington, D.C."`, "Oslo", "", "NA"}
		for i := range rows {
			note := "plain"
			if i%7 == 0 {
				note = `"said ""hi"", left"`
			}
			fmt.Fprintf(w, "%d,user%05d,%s,%.4f,%.2f,%t,2024-%02d-%02d,%s\n", i, rng.IntN(100000),
				cities[rng.IntN(len(cities))], rng.NormFloat64()*10, rng.Float64()*1e4, rng.IntN(2) == 0,
				1+rng.IntN(12), 1+rng.IntN(28), note)
		}
	} else {
		fmt.Fprintln(w, "id,a,b,c,d,e")
		for i := range rows {
			fmt.Fprintf(w, "%d,%.6f,%.6f,%.6f,%.6f,%.6f\n", i, rng.NormFloat64(), rng.NormFloat64()*100,
				rng.Float64(), rng.ExpFloat64(), rng.NormFloat64()*1e-3)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	return p, fi.Size()
}

func benchCSV(b *testing.B, mixed bool) {
	p, size := writeBenchCSV(b, mixed, 200_000)
	for _, tc := range []struct {
		name    string
		arrow   bool
		workers int
	}{{"parallel", false, 0}, {"parallel-1worker", false, 1}, {"arrow", true, 0}} {
		b.Run(tc.name, func(b *testing.B) {
			defer dataread.SetArrowCSV(dataread.SetArrowCSV(tc.arrow))
			b.SetBytes(size)
			b.ReportAllocs()
			cpu0 := cpuSeconds()
			for b.Loop() {
				r, err := dataread.Open(context.Background(), p, &dataread.Options{Workers: tc.workers})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for r.Next() {
					n += int(r.Record().NumRows())
				}
				if r.Err() != nil || n != 200_000 {
					b.Fatal(r.Err(), n)
				}
				r.Close()
			}
			// Wall time on a shared machine measures the other processes
			// too; the process's CPU time is the robust figure.
			b.ReportMetric(float64(size)*float64(b.N)/1e6/(cpuSeconds()-cpu0), "MB/cpu-s")
		})
	}
}

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func BenchmarkCSVNumeric(b *testing.B) { benchCSV(b, false) }
func BenchmarkCSVMixed(b *testing.B)   { benchCSV(b, true) }

func BenchmarkParseFloat64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	in := make([][]byte, 1024)
	for i := range in {
		in[i] = []byte(fmt.Sprintf("%.6f", rng.NormFloat64()*100))
	}
	b.Run("fast", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := dataread.ParseFloat64(in[i&1023]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := strconv.ParseFloat(string(in[i&1023]), 64); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkScanFloat64 parses the shapes numeric CSVs hold (fixed and
// shortest formatting, a few digits each side of the point) as the
// reader does, field by field up to the delimiter.
func BenchmarkScanFloat64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	// 64Ki fields, too many for the branch predictor to learn the
	// digit counts by heart as it does for a short repeated list.
	var text []byte
	for i := range 1 << 16 {
		if i%2 == 0 {
			text = fmt.Appendf(text, "%.6f,", rng.NormFloat64()*100)
		} else {
			text = strconv.AppendFloat(text, float64(int64((rng.NormFloat64()*10+50)*1000))/1000, 'g', -1, 64)
			text = append(text, ',')
		}
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		for i := 0; i < len(text); i++ {
			_, next, ok := dataread.ScanFloat64(text, i)
			if !ok {
				b.Fatal(string(text[i:next]))
			}
			i = next
		}
	}
}
