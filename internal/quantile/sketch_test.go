package quantile

import (
	"bytes"
	"encoding/gob"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// linear is numpy's default quantile (method="linear") on a sorted slice,
// written from its definition as an independent reference.
func linear(sorted []float64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

func TestInterpolatedQuantileExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 101, 4000} {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Round(r.NormFloat64()*100) / 10 // ties included
		}
		s := New(8192)
		for _, v := range x {
			s.Add(v)
		}
		require.True(t, s.Exact())
		sorted := slices.Sorted(slices.Values(x))
		for _, q := range []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1} {
			require.InDelta(t, linear(sorted, q), s.InterpolatedQuantile(q), 1e-12, "n=%d q=%v", n, q)
		}
		lo, hi := sorted[n/4], sorted[3*n/4]
		var want int64
		for _, v := range x {
			if v < lo || v > hi {
				want++
			}
		}
		require.Equal(t, want, s.CountOutside(lo, hi), "n=%d", n)
		require.Equal(t, sorted[0], s.AtRank(1))
		require.Equal(t, sorted[n-1], s.AtRank(int64(n)))
	}
	require.True(t, math.IsNaN(New(16).InterpolatedQuantile(0.5)))
	require.Zero(t, New(16).AtRank(1))
}

// Beyond K the interpolated quantile stays within the certified rank bound.
func TestInterpolatedQuantileBound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 200000)
	s := New(256)
	for i := range x {
		x[i] = r.ExpFloat64()
		s.Add(x[i])
	}
	require.False(t, s.Exact())
	sorted := slices.Sorted(slices.Values(x))
	b := s.RankErrorBound()
	for _, q := range []float64{0.01, 0.25, 0.5, 0.75, 0.99} {
		v := s.InterpolatedQuantile(q)
		rank, _ := slices.BinarySearch(sorted, v)
		want := int64(q * float64(len(x)-1))
		require.LessOrEqual(t, math.Abs(float64(int64(rank)-want)), float64(b+1), "q=%v", q)
	}
}

// Merging two sketches is commutative, any merge order keeps the certified
// bound, and gob keeps the full state.
func TestMergeAndGob(t *testing.T) {
	parts := make([]*Sketch, 5)
	all := New(64)
	for p := range parts {
		parts[p] = New(64)
		for i := range 1000 {
			v := float64((p*7919 + i*104729) % 5003)
			parts[p].Add(v)
			all.Add(v)
		}
	}
	fwd, back := New(64), New(64)
	for i := range parts {
		require.NoError(t, fwd.Merge(parts[i]))
		require.NoError(t, back.Merge(parts[len(parts)-1-i]))
	}
	for _, m := range []*Sketch{fwd, back} {
		require.Equal(t, all.N(), m.N())
		for _, x := range []float64{100, 2500, 4900} {
			require.LessOrEqual(t, math.Abs(float64(m.Rank(x)-all.Rank(x))), float64(m.RankErrorBound()+all.RankErrorBound()))
		}
	}
	ab, ba := parts[0].Clone(), parts[1].Clone()
	require.NoError(t, ab.Merge(parts[1]))
	require.NoError(t, ba.Merge(parts[0]))
	a, err := ab.MarshalJSON()
	require.NoError(t, err)
	b, err := ba.MarshalJSON()
	require.NoError(t, err)
	require.JSONEq(t, string(a), string(b))
	require.Error(t, fwd.Merge(New(32)), "different K must not merge")

	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(struct{ S *Sketch }{ab}))
	var got struct{ S *Sketch }
	require.NoError(t, gob.NewDecoder(&buf).Decode(&got))
	c, err := got.S.MarshalJSON()
	require.NoError(t, err)
	require.JSONEq(t, string(a), string(c))
}

func TestUnmarshalRefusesInconsistentState(t *testing.T) {
	for name, doc := range map[string]string{
		"weights":  `{"k":64,"n":3,"err_up":0,"err_down":0,"parity":[false],"levels":["AAAAAAAA8D8="]}`,
		"odd k":    `{"k":63,"n":0,"err_up":0,"err_down":0,"parity":[false],"levels":[""]}`,
		"huge k":   `{"k":4194304,"n":0,"err_up":0,"err_down":0,"parity":[false],"levels":[""]}`,
		"parity":   `{"k":64,"n":0,"err_up":0,"err_down":0,"parity":[],"levels":[""]}`,
		"nan":      `{"k":64,"n":1,"err_up":0,"err_down":0,"parity":[false],"levels":["AAAAAAAA+H8="]}`,
		"not b64":  `{"k":64,"n":1,"err_up":0,"err_down":0,"parity":[false],"levels":["!!"]}`,
		"err > n":  `{"k":64,"n":0,"err_up":5,"err_down":0,"parity":[false],"levels":[""]}`,
		"exact 2l": `{"k":0,"n":0,"err_up":0,"err_down":0,"parity":[false,false],"levels":["",""]}`,
	} {
		var s Sketch
		require.Error(t, s.UnmarshalJSON([]byte(doc)), name)
	}
}

// An exact sketch's items are its values sorted by slices.Sort, each of
// weight 1 (zeros of either sign compare equal), and the sketch still holds the same values after
// sorting: adding more and asking again gives the sorted union.
func TestExactItemsSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []struct {
		name string
		gen  func(i int) float64
	}{
		{"normal", func(int) float64 { return rng.NormFloat64() }},
		{"ties and signed zeros", func(i int) float64 { return []float64{0, math.Copysign(0, -1), 1, -1, 2}[i%5] }},
		{"infinities and extremes", func(i int) float64 {
			return []float64{math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.SmallestNonzeroFloat64, rng.Float64()}[i%5]
		}},
		{"one repeated value", func(int) float64 { return 3.5 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{1, 63, 64, 1000, 70000} {
				s := New(0)
				var all []float64
				for round := 0; round < 2; round++ {
					xs := make([]float64, n)
					for i := range xs {
						xs[i] = tc.gen(i)
					}
					s.AddSlice(xs)
					all = append(all, xs...)
					want := slices.Clone(all)
					slices.Sort(want)
					items := s.Items()
					require.Len(t, items, len(want))
					for i, it := range items {
						require.Equal(t, int64(1), it.W)
						if want[i] == 0 {
							require.Zero(t, it.V, "item %d of %d", i, len(want))
						} else {
							require.Equal(t, math.Float64bits(want[i]), math.Float64bits(it.V), "item %d of %d", i, len(want))
						}
					}
					_, cum := s.Sorted()
					require.Equal(t, int64(len(want)), cum[len(cum)-1])
				}
			}
		})
	}
}
