package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/mlsec-dev/mlsec/validation"
)

// BenchmarkProgress measures what drawing progress costs the long steps:
// each runs with no meter ("off") and with a terminal meter drawing to
// io.Discard at its usual rate ("on"), on the same input.
func BenchmarkProgress(b *testing.B) {
	dir := b.TempDir()
	var csv strings.Builder
	csv.WriteString("id,age,score,label\n")
	const rows = 200_000
	for i := range rows {
		fmt.Fprintf(&csv, "%d,%d,%.3f,%d\n", i, 18+i%70, float64(i%997)/7, i%2)
	}
	data := filepath.Join(dir, "d.csv")
	require.NoError(b, os.WriteFile(data, []byte(csv.String()), 0o644))
	model := filepath.Join(dir, "model")
	require.NoError(b, os.MkdirAll(model, 0o755))
	blob := make([]byte, 64<<20)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	require.NoError(b, os.WriteFile(filepath.Join(model, "weights.bin"), blob, 0o644))
	suite := &validation.Suite{Name: "b", Checks: []validation.Check{
		{Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "age", "min_value": 0, "max_value": 120}},
		{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"column": "id"}},
	}}
	ctx := context.Background()
	meter := func(on bool) *progressMeter {
		if !on {
			return nil
		}
		return (&env{stderr: io.Discard, terminal: true}).progress("bench")
	}
	modes := []struct {
		name string
		on   bool
	}{{"off", false}, {"on", true}}
	for _, m := range modes {
		b.Run("validate/"+m.name, func(b *testing.B) {
			b.SetBytes(int64(csv.Len()))
			for range b.N {
				rr, err := datafile.Open(ctx, data, datafile.Options{})
				require.NoError(b, err)
				p := meter(m.on)
				res, err := validation.Validate(ctx, suite, rr, validation.Options{Progress: p.rowsFunc(rr, []string{data})})
				p.finish()
				rr.Close()
				require.NoError(b, err)
				require.EqualValues(b, rows, res.Rows)
			}
		})
	}
	for _, m := range modes {
		b.Run("drift-profile/"+m.name, func(b *testing.B) {
			b.SetBytes(int64(csv.Len()))
			for range b.N {
				rr, err := datafile.Open(ctx, data, datafile.Options{})
				require.NoError(b, err)
				p := meter(m.on)
				prof, err := drift.ProfileReader(ctx, rr, drift.ProfileOptions{Progress: p.rowsFunc(rr, []string{data})})
				p.finish()
				rr.Close()
				require.NoError(b, err)
				require.EqualValues(b, rows, prof.Rows())
			}
		})
	}
	for _, m := range modes {
		b.Run("hash/"+m.name, func(b *testing.B) {
			b.SetBytes(int64(len(blob)))
			for range b.N {
				p := meter(m.on)
				_, err := signing.HashModel(ctx, model, signing.Options{Progress: p.bytesFunc()})
				p.finish()
				require.NoError(b, err)
			}
		})
	}
}

// BenchmarkMeterCall measures one progress callback on a live terminal
// meter (drawing to io.Discard at its usual rate): the cost per record
// batch or hashed buffer that the long steps pay.
func BenchmarkMeterCall(b *testing.B) {
	p := (&env{stderr: io.Discard, terminal: true}).progress("bench")
	rows := p.rowsFunc(&fakeFileReader{}, []string{"a.csv", "b.csv"})
	var n int64
	for range b.N {
		n += 1000
		rows(n)
	}
	p.finish()
}
