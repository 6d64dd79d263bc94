// Command csvbench writes the CSV files of the CSV-reading comparison
// (scripts/bench.d/csv-pandas) and times reading them with dataread.
//
//	csvbench gen -kind numeric|mixed -rows N -cols C -seed S -out FILE
//	csvbench read [-workers W] FILE
//
// read prints one JSON object: rows, wall seconds, CPU seconds
// (user+system of the process while reading) and peak RSS in MiB.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/mlsec-dev/mlsec/internal/dataread"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: csvbench gen|read ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "read":
		err = read(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "csvbench:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	kind := fs.String("kind", "numeric", "numeric or mixed")
	rows := fs.Int("rows", 1_000_000, "rows")
	cols := fs.Int("cols", 5, "float columns (numeric)")
	seed := fs.Uint64("seed", 1, "random seed")
	shift := fs.Float64("shift", 0, "added to every numeric value (drift)")
	out := fs.String("out", "", "output file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(*seed, 7))
	var buf []byte
	switch *kind {
	case "numeric":
		for j := range *cols {
			if j > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, "x%d", j)
		}
		w.WriteByte('\n')
		for range *rows {
			buf = buf[:0]
			for j := range *cols {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendFloat(buf, rng.NormFloat64()*float64(j+1)+*shift, 'f', 6, 64)
			}
			buf = append(buf, '\n')
			w.Write(buf)
		}
	case "mixed":
		w.WriteString("id,user,city,score,amount,active,day,note\n")
		cities := []string{"Berlin", "Paris", `"Washington, D.C."`, "Oslo", "", "NA", `"São Paulo"`}
		for i := range *rows {
			buf = buf[:0]
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, ",user"...)
			buf = strconv.AppendInt(buf, int64(rng.IntN(100000)), 10)
			buf = append(buf, ',')
			buf = append(buf, cities[rng.IntN(len(cities))]...)
			buf = append(buf, ',')
			if rng.IntN(20) > 0 {
				buf = strconv.AppendFloat(buf, rng.NormFloat64()*10+*shift, 'f', 4, 64)
			}
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, rng.Float64()*1e4, 'f', 2, 64)
			buf = append(buf, ',')
			buf = strconv.AppendBool(buf, rng.IntN(2) == 0)
			buf = fmt.Appendf(buf, ",2024-%02d-%02d,", 1+rng.IntN(12), 1+rng.IntN(28))
			if i%7 == 0 {
				buf = append(buf, `"said ""hi"", then left"`...)
			} else {
				buf = append(buf, "plain note"...)
			}
			buf = append(buf, '\n')
			w.Write(buf)
		}
	default:
		return fmt.Errorf("unknown kind %q", *kind)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func read(args []string) error {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	workers := fs.Int("workers", 0, "parse goroutines (0: all cores)")
	prof := fs.String("cpuprofile", "", "write a CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("read takes one file")
	}
	t0, c0 := time.Now(), cpuSeconds()
	r, err := dataread.Open(context.Background(), fs.Arg(0), &dataread.Options{Workers: *workers})
	if err != nil {
		return err
	}
	var rows int64
	for r.Next() {
		rows += r.Record().NumRows()
	}
	if err := r.Err(); err != nil {
		return err
	}
	r.Close()
	wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-c0
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"rows": rows, "seconds": wall, "cpu_seconds": cpu, "peak_rss_mb": float64(ru.Maxrss) / 1024,
	})
}
