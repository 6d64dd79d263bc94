package drift

import (
	"context"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/stretchr/testify/require"
)

func readerOf(t testing.TB, recs ...arrow.Record) array.RecordReader {
	t.Helper()
	rr, err := array.NewRecordReader(recs[0].Schema(), recs)
	require.NoError(t, err)
	return rr
}

// CompareReader (current data counted into the reference grid) gives the
// same KS statistic and histogram as comparing with an exact profile of
// the current data, and Wasserstein within its bound of the exact value.
func TestCompareReaderMatchesProfileMode(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Cases {
		if c.Ref.size() > 100000 {
			continue
		}
		ref, cur := c.Ref.values(), c.Cur.values()
		t.Run(c.Name, func(t *testing.T) {
			for _, k := range []int{64, 2048} {
				refP := profileCols(t, ProfileOptions{SketchK: k}, col{name: "v", num: ref})
				curExact := profileCols(t, ProfileOptions{Exact: true}, col{name: "v", num: cur})
				for _, test := range []Test{TestKS, TestWasserstein, TestPSI} {
					want, err := Compare(refP, curExact, CompareOptions{Test: test})
					require.NoError(t, err)
					rec := recordOf(t, col{name: "v", num: cur})
					got, err := CompareReader(context.Background(), refP, readerOf(t, rec), CompareOptions{Test: test})
					rec.Release()
					require.NoError(t, err)
					w, g := want.Columns[0], got.Columns[0]
					require.Equal(t, "profile", got.Mode)
					require.Equal(t, w.Test, g.Test)
					require.InDelta(t, w.Metrics["ks"], g.Metrics["ks"], 1e-12, "k=%d", k)
					require.Equal(t, w.Distribution, g.Distribution, "k=%d", k)
					require.Equal(t, w.Reference, g.Reference)
					require.Equal(t, w.Current.Count, g.Current.Count)
					require.InDelta(t, w.Current.Mean, g.Current.Mean, 1e-9*(1+math.Abs(w.Current.Mean)))
					require.InDelta(t, w.Current.Std, g.Current.Std, 1e-6*(1+w.Current.Std))
					if test == TestWasserstein {
						require.NotNil(t, g.ErrorBound)
						require.LessOrEqual(t, math.Abs(g.Statistic-c.Wasserstein), *g.ErrorBound+1e-9, "k=%d", k)
					}
					if test == TestKS {
						require.LessOrEqual(t, math.Abs(g.Statistic-c.KSStatistic), refP.Column("v").rankError()+1e-12)
					}
				}
			}
		})
	}
}

func TestCompareReaderErrors(t *testing.T) {
	ref := profileCols(t, ProfileOptions{}, col{name: "v", num: []float64{1, 2, 3}})
	rec := recordOf(t, col{name: "v", str: []string{"a"}})
	defer rec.Release()
	_, err := CompareReader(context.Background(), ref, readerOf(t, rec), CompareOptions{})
	require.ErrorIs(t, err, ErrSchemaMismatch)
	rec2 := recordOf(t, col{name: "w", num: []float64{1}})
	defer rec2.Release()
	_, err = CompareReader(context.Background(), ref, readerOf(t, rec2), CompareOptions{})
	require.ErrorIs(t, err, ErrSchemaMismatch)
}

// The cell index finds the same position as a plain binary search,
// including values on, between, below and above grid points.
func TestGridIndex(t *testing.T) {
	for _, tc := range [][]float64{
		irwinHall(1, 5000),
		recipe{Kind: "ratio", N: 3000, Seed: 2}.sample(),
		recipe{Kind: "discrete", N: 3000, Seed: 3, Levels: 4}.sample(),
		{1e-300, 2e-300, 1},
		{-1e308, 0, 1e308},
	} {
		p := profileCols(t, ProfileOptions{SketchK: 256}, col{name: "v", num: tc})
		a := newGridAccumulator(p.Column("v"))
		probe := append(append([]float64{}, tc...), irwinHall(9, 2000)...)
		for _, gv := range a.grid {
			probe = append(probe, gv, math.Nextafter(gv, math.Inf(1)), math.Nextafter(gv, math.Inf(-1)))
		}
		for _, x := range probe {
			require.Equal(t, upperBound(a.grid, x), a.upper(x), "x=%v", x)
		}
	}
}

// Batches after the first take CompareReader's direct path over the Arrow
// buffer (no nulls, many distinct values); it counts NaN, ±Inf and −0
// as the general path does for the same values in one batch.
func TestCompareReaderDirectPath(t *testing.T) {
	ref := profileCols(t, ProfileOptions{SketchK: 64}, col{name: "v", num: irwinHall(1, 3000)})
	a, b := irwinHall(2, 2000), irwinHall(3, 2000)
	b[5], b[6], b[7], b[8] = math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)
	b[9] = ref.Column("v").Sketch.Items()[7].V // on a grid point
	b[10] = -50                                // below the grid
	b[11] = 50                                 // above it
	recA, recB := recordOf(t, col{name: "v", num: a}), recordOf(t, col{name: "v", num: b})
	defer recA.Release()
	defer recB.Release()
	whole := recordOf(t, col{name: "v", num: append(append([]float64{}, a...), b...)})
	defer whole.Release()
	for _, test := range []Test{TestKS, TestWasserstein, TestPSI} {
		want, err := CompareReader(context.Background(), ref, readerOf(t, whole), CompareOptions{Test: test})
		require.NoError(t, err)
		got, err := CompareReader(context.Background(), ref, readerOf(t, recA, recB), CompareOptions{Test: test})
		require.NoError(t, err)
		require.Equal(t, want.Columns, got.Columns, test)
		require.Equal(t, int64(1), got.Columns[0].Current.NaN)
	}
}
