package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/stretchr/testify/require"
)

func writeParquet(t *testing.T, path string, recs ...arrow.Record) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := pqarrow.NewFileWriter(recs[0].Schema(), f, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
}

func writeArrow(t *testing.T, path string, recs ...arrow.Record) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(recs[0].Schema()))
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
}

// Profiles of real Parquet and Arrow IPC files (read with the shared
// dataset reader) equal profiles of the same records in memory: same
// digest, same counts, same verdicts.
func TestProfileFiles(t *testing.T) {
	dir := t.TempDir()
	x, k, c := makeTable(21, 20000, 0)
	var recs []arrow.Record
	for lo := 0; lo < len(x); lo += 7000 {
		hi := min(lo+7000, len(x))
		valid := make([]bool, hi-lo)
		for i := range valid {
			valid[i] = (lo+i)%97 != 5
		}
		recs = append(recs, record(t, x[lo:hi], valid, k[lo:hi], c[lo:hi]))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	pq := filepath.Join(dir, "ref.parquet")
	writeParquet(t, pq, recs...)
	ar := filepath.Join(dir, "ref.arrow")
	writeArrow(t, ar, recs...)
	mem := profileAt(t, ProfileOptions{}, 0, x, k, c, 7000)
	ctx := context.Background()
	for _, path := range []string{pq, ar} {
		r, err := datafile.Open(ctx, path, datafile.Options{})
		require.NoError(t, err)
		p, err := ProfileReader(ctx, r, ProfileOptions{})
		r.Close()
		require.NoError(t, err, path)
		require.Equal(t, mem.Digest(), p.Digest(), path)
		require.Equal(t, mem.Rows(), p.Rows())
		for _, name := range []string{"x", "k", "color"} {
			require.Equal(t, mem.Column(name).Count, p.Column(name).Count)
			require.Equal(t, mem.Column(name).Missing, p.Column(name).Missing)
		}
		rep, err := Compare(mem, p, CompareOptions{})
		require.NoError(t, err)
		require.False(t, rep.Dataset.Drifted)
		for _, col := range rep.Columns {
			require.Zero(t, col.Statistic, col.Column)
		}
		// The one-pass path reads the same file.
		r, err = datafile.Open(ctx, path, datafile.Options{})
		require.NoError(t, err)
		rep2, err := CompareReader(ctx, mem, r, CompareOptions{DigestCurrent: true})
		r.Close()
		require.NoError(t, err)
		require.Equal(t, mem.Digest(), rep2.Current.Digest)
		// Without DigestCurrent the rows are not hashed.
		r, err = datafile.Open(ctx, path, datafile.Options{})
		require.NoError(t, err)
		rep3, err := CompareReader(ctx, mem, r, CompareOptions{})
		r.Close()
		require.NoError(t, err)
		require.Empty(t, rep3.Current.Digest)
		require.Equal(t, rep2.Columns, rep3.Columns)
		require.False(t, rep2.Dataset.Drifted)
	}
}

// TestProfileDictionaryStringsSame profiles one CSV read with its text
// columns as plain strings and with DictionaryStrings: the profiles are
// the same byte for byte (counts by dictionary index, and per row once
// the frequency sketch has to reduce), digest included.
func TestProfileDictionaryStringsSame(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cat.csv")
	var b strings.Builder
	b.WriteString("city,user,tag,x\n")
	cities := []string{"Berlin", "Paris", `"Washington, D.C."`, "Oslo", "", "NA"}
	for i := range 30000 {
		// tag looks categorical in the inference sample and then takes
		// 5,000 values, so its frequency sketch must reduce.
		tag := i % 10
		if i >= 1000 {
			tag = (i * 7919) % 5000
		}
		fmt.Fprintf(&b, "%s,user%d,t%d,%d.25\n", cities[(i*7+i/3)%len(cities)], (i*7919)%5000, tag, i%100)
	}
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o600))
	profile := func(dict bool) []byte {
		r, err := datafile.Open(context.Background(), p, datafile.Options{DictionaryStrings: dict})
		require.NoError(t, err)
		defer r.Close()
		if dict {
			// Categories become dictionaries, free text stays text.
			require.Equal(t, arrow.DICTIONARY, r.Schema().Field(0).Type.ID())
			require.Equal(t, arrow.STRING, r.Schema().Field(1).Type.ID())
			require.Equal(t, arrow.DICTIONARY, r.Schema().Field(2).Type.ID())
		}
		prof, err := ProfileReader(context.Background(), r, ProfileOptions{})
		require.NoError(t, err)
		out, err := json.Marshal(prof)
		require.NoError(t, err)
		return out
	}
	plain, dict := profile(false), profile(true)
	require.Equal(t, string(plain), string(dict))
	require.Contains(t, string(plain), `"Washington, D.C."`)
}
