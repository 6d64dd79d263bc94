// Command benchtool generates the wide synthetic dataset of the pandas
// comparison (scripts/bench.d/validation-pandas) and times mlsec's checks
// on it.
//
//	benchtool gen -rows N -dir DIR     # DIR/data.parquet, DIR/data.csv, DIR/suite.yaml
//	benchtool run -mode memory|stream -suite S -data F
//
// "memory" reads all records first and times only the checks (as pandas'
// checks are timed after read_csv); "stream" times reading and checking
// together in bounded memory. Both print one JSON line with the peak RSS.
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"github.com/mlsec-dev/mlsec/internal/dataread"
	"github.com/mlsec-dev/mlsec/validation"
)

const nInt, nFloat = 10, 10

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal("usage: benchtool gen|run ...")
	}
	switch os.Args[1] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		rows := fs.Int("rows", 1_000_000, "rows")
		dir := fs.String("dir", ".", "output directory")
		fs.Parse(os.Args[2:])
		gen(*rows, *dir)
	case "run":
		fs := flag.NewFlagSet("run", flag.ExitOnError)
		mode := fs.String("mode", "stream", "memory or stream")
		suite := fs.String("suite", "", "suite file")
		data := fs.String("data", "", "data file")
		fs.Parse(os.Args[2:])
		run(*mode, *suite, *data)
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
}

func schema() *arrow.Schema {
	var f []arrow.Field
	for i := 0; i < nInt; i++ {
		f = append(f, arrow.Field{Name: fmt.Sprintf("i%02d", i), Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	for i := 0; i < nFloat; i++ {
		f = append(f, arrow.Field{Name: fmt.Sprintf("f%02d", i), Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	}
	return arrow.NewSchema(f, nil)
}

func gen(rows int, dir string) {
	sc := schema()
	r := rand.New(rand.NewPCG(7, 9))
	pf, err := os.Create(filepath.Join(dir, "data.parquet"))
	check(err)
	pw, err := pqarrow.NewFileWriter(sc, pf, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(256*1024)), pqarrow.DefaultWriterProps())
	check(err)
	cf, err := os.Create(filepath.Join(dir, "data.csv"))
	check(err)
	cbuf := bufio.NewWriterSize(cf, 1<<20)
	cw := csv.NewWriter(cbuf)
	var hdr []string
	for _, f := range sc.Fields() {
		hdr = append(hdr, f.Name)
	}
	check(cw.Write(hdr))
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	rec := make([]string, nInt+nFloat)
	const batch = 64 * 1024
	for done := 0; done < rows; {
		n := min(batch, rows-done)
		for k := 0; k < n; k++ {
			for i := 0; i < nInt; i++ {
				v := int64(r.IntN(1000))
				if i == 0 {
					v = int64(done + k) // an id
				}
				b.Field(i).(*array.Int64Builder).Append(v)
				rec[i] = strconv.FormatInt(v, 10)
			}
			for i := 0; i < nFloat; i++ {
				fb := b.Field(nInt + i).(*array.Float64Builder)
				if r.IntN(100) == 0 {
					fb.AppendNull()
					rec[nInt+i] = ""
					continue
				}
				v := float64(int64((r.NormFloat64()*10+50)*1000)) / 1000
				fb.Append(v)
				rec[nInt+i] = strconv.FormatFloat(v, 'g', -1, 64)
			}
			check(cw.Write(rec))
		}
		out := b.NewRecord()
		check(pw.WriteBuffered(out))
		out.Release()
		done += n
	}
	check(pw.Close())
	cw.Flush()
	check(cw.Error())
	check(cbuf.Flush())
	check(cf.Close())

	// The suite: not null + between on every column, in set on 4 ints.
	var y strings.Builder
	y.WriteString("name: wide\nchecks:\n")
	for _, f := range sc.Fields() {
		fmt.Fprintf(&y, "  - type: expect_column_values_to_not_be_null\n    kwargs: {column: %s, mostly: 0.95}\n", f.Name)
		lo, hi := 0, 999
		if f.Name == "i00" {
			hi = rows
		}
		if strings.HasPrefix(f.Name, "f") {
			lo, hi = 10, 90
		}
		fmt.Fprintf(&y, "  - type: expect_column_values_to_be_between\n    kwargs: {column: %s, min_value: %d, max_value: %d, mostly: 0.99}\n", f.Name, lo, hi)
	}
	for i := 1; i <= 4; i++ {
		var set []string
		for v := 0; v < 1000; v += 2 {
			set = append(set, strconv.Itoa(v))
		}
		fmt.Fprintf(&y, "  - type: expect_column_values_to_be_in_set\n    kwargs: {column: i%02d, mostly: 0.4, value_set: [%s]}\n", i, strings.Join(set, ", "))
	}
	check(os.WriteFile(filepath.Join(dir, "suite.yaml"), []byte(y.String()), 0o644))
}

func run(mode, suitePath, data string) {
	ctx := context.Background()
	suite, err := validation.LoadSuite(suitePath)
	check(err)
	r, err := dataread.Open(ctx, data, &dataread.Options{Schema: schemaFor(data)})
	check(err)
	defer r.Close()
	out := map[string]any{"mode": mode, "data": filepath.Base(data)}
	var res *validation.Result
	switch mode {
	case "memory":
		t0, c0 := time.Now(), cpuSeconds()
		var recs []arrow.Record
		for r.Next() {
			rec := r.Record()
			rec.Retain()
			recs = append(recs, rec)
		}
		check(r.Err())
		out["read_seconds"], out["read_cpu_seconds"] = time.Since(t0).Seconds(), cpuSeconds()-c0
		plan, err := validation.NewPlan(suite, r.Schema(), validation.Options{})
		check(err)
		st := plan.NewState(0)
		if pf := os.Getenv("BENCHTOOL_CPUPROFILE"); pf != "" {
			f, err := os.Create(pf)
			check(err)
			check(pprof.StartCPUProfile(f))
			defer pprof.StopCPUProfile()
		}
		t1, c1 := time.Now(), cpuSeconds()
		for _, rec := range recs {
			check(plan.Update(st, rec))
		}
		res = plan.Finalize(st)
		out["check_seconds"], out["check_cpu_seconds"] = time.Since(t1).Seconds(), cpuSeconds()-c1
	case "stream":
		if pf := os.Getenv("BENCHTOOL_CPUPROFILE"); pf != "" {
			f, err := os.Create(pf)
			check(err)
			check(pprof.StartCPUProfile(f))
			defer pprof.StopCPUProfile()
		}
		t0, c0 := time.Now(), cpuSeconds()
		res, err = validation.Validate(ctx, suite, r, validation.Options{})
		check(err)
		out["total_seconds"], out["total_cpu_seconds"] = time.Since(t0).Seconds(), cpuSeconds()-c0
	}
	cells := int64(0)
	unexpected := map[string]int64{}
	for _, c := range res.Checks {
		cells += c.ElementCount
		unexpected[fmt.Sprintf("%s:%s", c.Type, c.Kwargs["column"])] = c.UnexpectedCount
	}
	out["rows"], out["checks"], out["cells"], out["status"] = res.Rows, len(res.Checks), cells, res.Status
	out["unexpected"] = unexpected
	out["peak_rss_mb"] = peakRSSMB()
	check(json.NewEncoder(os.Stdout).Encode(out))
}

// schemaFor gives CSV the Parquet file's types (ints stay int64 even when
// a sample has no nulls, floats float64), so both formats check alike.
func schemaFor(data string) *arrow.Schema {
	if strings.HasSuffix(data, ".csv") {
		return schema()
	}
	return nil
}

// cpuSeconds is the process's user+system CPU time: on a shared machine
// it measures the work done, where wall time also measures the neighbours.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
