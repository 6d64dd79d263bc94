package dataread_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsec-dev/mlsec/internal/dataread"
	"github.com/mlsec-dev/mlsec/internal/dataread/hostile"
)

// fuzzRead writes data to a file named name and reads it to the end: any
// outcome but a panic is fine, and a recovered decoder panic counts as a
// bug in the text readers, which are ours.
func fuzzRead(t *testing.T, name string, data []byte) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := dataread.Open(context.Background(), p, &dataread.Options{BatchSize: 2, InferRows: 3})
	if err != nil {
		checkFuzzErr(t, err)
		return
	}
	defer r.Close()
	for r.Next() {
		rec := r.Record()
		if rec.NumRows() > 2 {
			t.Fatalf("batch of %d rows, limit 2", rec.NumRows())
		}
	}
	if err := r.Err(); err != nil {
		checkFuzzErr(t, err)
	}
}

func checkFuzzErr(t *testing.T, err error) {
	if strings.Contains(err.Error(), "malformed file:") {
		t.Fatalf("decoder panicked: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "datafile: ") {
		t.Fatalf("error without context: %v", err)
	}
}

func addSeeds(f *testing.F, glob string) {
	files, _ := filepath.Glob(filepath.Join("testdata", glob))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzCSV(f *testing.F) {
	addSeeds(f, "*.csv")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, "data.csv", data) })
}

func FuzzJSONL(f *testing.F) {
	addSeeds(f, "*.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, "data.jsonl", data) })
}

// fuzzLimits keep each execution small: a hostile input meets them at
// once, as it would meet the defaults at a larger size.
var fuzzLimits = dataread.Options{BatchSize: 2, InferRows: 3, MaxColumns: 64,
	MaxPageBytes: 1 << 20, MaxRowGroupBytes: 4 << 20, MaxFieldBytes: 1 << 10, MaxLineBytes: 4 << 10}

// fuzzReadBinary is fuzzRead for Parquet and Arrow IPC: Arrow's own
// decoders may panic on crafted input, and the reader turns that into an
// error naming the file ("malformed file"), which is the behaviour wanted.
func fuzzReadBinary(t *testing.T, name string, data []byte) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	opts := fuzzLimits
	r, err := dataread.Open(context.Background(), p, &opts)
	if err != nil {
		requireContext(t, err)
		return
	}
	defer r.Close()
	for r.Next() {
		if n := r.Record().NumRows(); n > 2 {
			t.Fatalf("batch of %d rows, limit 2", n)
		}
	}
	if err := r.Err(); err != nil {
		requireContext(t, err)
	}
}

func requireContext(t *testing.T, err error) {
	if !strings.HasPrefix(err.Error(), "datafile: ") {
		t.Fatalf("error without context: %v", err)
	}
}

// hostileSeeds adds the hostile shapes of package hostile, made small:
// a compression bomb (honest, lying footer, lying page), a wide file and
// corrupted IPC, so the fuzzer starts from the inputs that broke readers
// before.
func hostileSeeds(f *testing.F, kind string) {
	dir := f.TempDir()
	add := func(path string, err error) {
		if err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	switch kind {
	case "parquet":
		for i, lie := range []hostile.Lie{hostile.Honest, hostile.LyingFooter, hostile.LyingPage} {
			p := filepath.Join(dir, fmt.Sprintf("bomb%d.parquet", i))
			add(p, hostile.ParquetBomb(p, lie))
		}
		p := filepath.Join(dir, "wide.parquet")
		add(p, hostile.WideParquet(p, 100, 3))
	case "arrow", "arrows":
		p := filepath.Join(dir, "corrupt."+kind)
		add(p, hostile.CorruptIPC(p, kind == "arrows"))
	case "csv":
		p := filepath.Join(dir, "huge.csv")
		add(p, hostile.HugeCSVField(p, 8<<10))
	}
}

func FuzzParquet(f *testing.F) {
	addSeeds(f, "*.parquet")
	hostileSeeds(f, "parquet")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzReadBinary(t, "data.parquet", data) })
}

func FuzzArrowIPC(f *testing.F) {
	addSeeds(f, "*.arrow")
	hostileSeeds(f, "arrow")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzReadBinary(t, "data.arrow", data) })
}

func FuzzArrowStream(f *testing.F) {
	addSeeds(f, "*.arrows")
	hostileSeeds(f, "arrows")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzReadBinary(t, "data.arrows", data) })
}

// FuzzCSVLimits fuzzes CSV under tight limits, from the hostile shapes.
func FuzzCSVLimits(f *testing.F) {
	addSeeds(f, "*.csv")
	hostileSeeds(f, "csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "data.csv")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		opts := fuzzLimits
		r, err := dataread.Open(context.Background(), p, &opts)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		defer r.Close()
		for r.Next() {
		}
		if err := r.Err(); err != nil {
			checkFuzzErr(t, err)
		}
	})
}
