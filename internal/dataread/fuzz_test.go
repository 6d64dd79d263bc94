package dataread_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsec-dev/mlsec/internal/dataread"
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
