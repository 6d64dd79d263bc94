package mlsecbeam

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/drift"
)

// profileOf profiles records on one machine.
func profileOf(t testing.TB, rows []testRow, opts drift.ProfileOptions) *drift.Profile {
	t.Helper()
	rec := toRecord(rows)
	defer rec.Release()
	rr := recordReader(t, testSchema, []arrow.Record{rec})
	p, err := drift.ProfileReader(context.Background(), rr, opts)
	require.NoError(t, err)
	return p
}

// runProfile runs the pipeline and parses the profile it wrote.
func runProfile(t testing.TB, p *beam.Pipeline, s beam.Scope, col beam.PCollection) *drift.Profile {
	t.Helper()
	var raw json.RawMessage
	runToJSON(t, p, s, col, &raw)
	prof, err := drift.ParseProfile(raw)
	require.NoError(t, err)
	return prof
}

// requireSameProfile checks a merged profile against the one-pass
// profile: counts, missing values, extremes, categories and the row-set
// digest exactly; means to rounding; quantiles within the sketch's
// certified rank-error bound, checked against the raw values.
func requireSameProfile(t *testing.T, want, got *drift.Profile, rows []testRow) {
	t.Helper()
	require.Equal(t, want.Rows(), got.Rows())
	require.Equal(t, want.Digest(), got.Digest())
	require.Len(t, got.Columns(), len(want.Columns()))
	for _, wc := range want.Columns() {
		gc := got.Column(wc.Name)
		require.NotNil(t, gc, wc.Name)
		require.Equal(t, wc.Kind, gc.Kind, wc.Name)
		require.Equal(t, wc.Count, gc.Count, wc.Name)
		require.Equal(t, wc.Missing, gc.Missing, wc.Name)
		require.Equal(t, wc.Min, gc.Min, wc.Name)
		require.Equal(t, wc.Max, gc.Max, wc.Name)
		require.InDelta(t, wc.Mean, gc.Mean, 1e-9*math.Max(1, math.Abs(wc.Mean)), wc.Name)
		require.InEpsilon(t, wc.M2+1, gc.M2+1, 1e-9, wc.Name)
		require.Equal(t, wc.Distinct, gc.Distinct, wc.Name)
		if wc.Freq != nil {
			require.Equal(t, wc.Freq.Top(1000), gc.Freq.Top(1000), wc.Name)
			require.Equal(t, wc.Freq.Other(), gc.Freq.Other(), wc.Name)
		}
	}
	// Quantiles of the sketched column against the exact ranks.
	var amounts []float64
	for _, r := range rows {
		if r.Amount != nil {
			amounts = append(amounts, *r.Amount)
		}
	}
	sort.Float64s(amounts)
	sk := got.Column("amount").Sketch
	require.Equal(t, int64(len(amounts)), sk.N())
	bound := float64(sk.RankErrorBound())
	for _, q := range []float64{0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99} {
		v := sk.Quantile(q)
		lt := float64(sort.SearchFloat64s(amounts, v))                                       // values < v
		le := float64(sort.Search(len(amounts), func(i int) bool { return amounts[i] > v })) // values ≤ v
		target := q * float64(len(amounts))
		require.True(t, lt-bound-1 <= target && target <= le+bound+1,
			"q=%g: value %g has exact rank [%g, %g], target %g, bound %g", q, v, lt, le, target, bound)
	}
}

func TestProfileDatasetEqualsSingleMachine(t *testing.T) {
	rows := genRows(20000, 7, 0)
	opts := drift.ProfileOptions{SketchK: 256} // small K, so the sketch really compacts
	want := profileOf(t, rows, opts)
	require.False(t, want.Column("amount").Sketch.Exact(), "test data too small to exercise the sketch")

	sizes := map[string][]int{
		"one-file":     nil,
		"four-even":    {5000, 5000, 5000},
		"seven-uneven": {1, 9000, 0, 37, 4000, 13},
	}
	for name, sz := range sizes {
		for _, format := range []string{"parquet", "csv"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				glob := writeParts(t, format, split(rows, sz...))
				p, s := beam.NewPipelineWithRoot()
				batches := ReadFiles(s, glob, ReadOptions{Schema: testSchema, BatchSize: 1500})
				got := runProfile(t, p, s, ProfileDataset(s, batches, opts))
				requireSameProfile(t, want, got, rows)
			})
		}
	}
	t.Run("rows", func(t *testing.T) {
		p, s := beam.NewPipelineWithRoot()
		batches := FromRows(s, beam.CreateList(s, rows), 999)
		got := runProfile(t, p, s, ProfileDataset(s, batches, opts))
		requireSameProfile(t, want, got, rows)
	})
}

func TestCompareToProfileEqualsSingleMachine(t *testing.T) {
	ref := genRows(6000, 11, 0)
	cur := genRows(5000, 12, 9) // amounts shifted by 0.6 standard deviations
	for _, mode := range []struct {
		name string
		opts drift.ProfileOptions
	}{
		{"exact", drift.ProfileOptions{Exact: true}},
		{"sketch", drift.ProfileOptions{SketchK: 256}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			refProf := profileOf(t, ref, mode.opts)
			want, err := drift.Compare(refProf, profileOf(t, cur, mode.opts), drift.CompareOptions{})
			require.NoError(t, err)

			refPath := filepath.Join(t.TempDir(), "reference.json")
			require.NoError(t, refProf.WriteFile(refPath))
			p, s := beam.NewPipelineWithRoot()
			batches := ReadFiles(s, writeParts(t, "parquet", split(cur, 1200, 7, 2500)), ReadOptions{Schema: testSchema})
			rep := CompareToProfile(s, ReadProfile(s, refPath), batches, mode.opts, drift.CompareOptions{})
			var got drift.Report
			runToJSON(t, p, s, rep, &got)

			require.Equal(t, want.Mode, got.Mode)
			require.Equal(t, want.Reference, got.Reference)
			require.Equal(t, want.Current, got.Current)
			require.Equal(t, want.Dataset, got.Dataset)
			require.True(t, got.Dataset.Drifted, "the shifted amounts must drift")
			require.Len(t, got.Columns, len(want.Columns))
			for i, wc := range want.Columns {
				gc := got.Columns[i]
				require.Equal(t, wc.Column, gc.Column)
				require.Equal(t, wc.Test, gc.Test, wc.Column)
				require.Equal(t, wc.Drifted, gc.Drifted, wc.Column)
				require.Equal(t, wc.Current.Count, gc.Current.Count, wc.Column)
				require.Equal(t, wc.Current.Missing, gc.Current.Missing, wc.Column)
				tol := 1e-9 * math.Max(1, math.Abs(wc.Statistic))
				if wc.ErrorBound != nil && gc.ErrorBound != nil {
					// Both sides estimate the exact statistic from
					// sketches; each is within its own bound of it.
					tol += *wc.ErrorBound + *gc.ErrorBound
				}
				require.InDelta(t, wc.Statistic, gc.Statistic, tol, wc.Column)
			}
		})
	}
}

func TestReadProfileRejectsMalformedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reference.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"format":"mlsec.drift.profile","version":1,"rows":-3}`), 0o600))
	p, s := beam.NewPipelineWithRoot()
	WriteJSON(s, filepath.Join(t.TempDir(), "out.json"), ReadProfile(s, path))
	err := ptestRun(p)
	require.Error(t, err)
	require.Contains(t, err.Error(), path)
}
