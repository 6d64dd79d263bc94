package drift

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/mlsec-dev/mlsec/internal/quantile"
	"github.com/stretchr/testify/require"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "color", Type: arrow.BinaryTypes.String},
}, nil)

// makeTable builds n deterministic rows starting at row offset off.
func makeTable(seed uint64, n int, shift float64) (x []float64, k []int64, color []string) {
	u := uniforms(seed, 2*n)
	z := irwinHall(seed+1000, n)
	colors := []string{"red", "green", "blue", "cyan"}
	for i := 0; i < n; i++ {
		x = append(x, z[i]+shift)
		k = append(k, int64(u[2*i]*4))
		color = append(color, colors[int(u[2*i+1]*float64(len(colors)))])
	}
	return
}

func record(t testing.TB, x []float64, valid []bool, k []int64, color []string) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, testSchema)
	defer b.Release()
	b.Field(0).(*array.Float64Builder).AppendValues(x, valid)
	b.Field(1).(*array.Int64Builder).AppendValues(k, nil)
	b.Field(2).(*array.StringBuilder).AppendValues(color, nil)
	return b.NewRecord()
}

// profileOf profiles rows [lo, hi) in batches of batch rows.
func profileOf(t testing.TB, opts ProfileOptions, x []float64, k []int64, c []string, batch int) *Profile {
	return profileAt(t, opts, 0, x, k, c, batch)
}

// profileAt is profileOf for rows that start at row off of a larger table
// (the null pattern follows the global row number).
func profileAt(t testing.TB, opts ProfileOptions, off int, x []float64, k []int64, c []string, batch int) *Profile {
	t.Helper()
	p := NewProfile(opts)
	for i := 0; i < len(x); i += batch {
		j := min(i+batch, len(x))
		valid := make([]bool, j-i)
		for r := range valid {
			valid[r] = (off+i+r)%97 != 5 // some nulls
		}
		rec := record(t, x[i:j], valid, k[i:j], c[i:j])
		require.NoError(t, p.AddRecord(rec))
		rec.Release()
	}
	return p
}

func TestProfileCountsAndDigest(t *testing.T) {
	x, k, c := makeTable(1, 1000, 0)
	x[10] = math.NaN()
	x[11] = math.Inf(1)
	p := profileOf(t, ProfileOptions{}, x, k, c, 100)
	require.Equal(t, int64(1000), p.Rows())
	col := p.Column("x")
	require.Equal(t, Numeric, col.Kind)
	nulls := 0
	for i := range x {
		if i%97 == 5 {
			nulls++
		}
	}
	require.Equal(t, int64(nulls), col.Missing)
	require.Equal(t, int64(1000-nulls), col.Count)
	require.Equal(t, int64(1), col.NaN)
	require.Equal(t, int64(1), col.PosInf)
	require.True(t, col.Sketch.Exact(), "1000 values fit in one compactor")
	require.Equal(t, Categorical, p.Column("color").Kind)
	require.Len(t, p.Column("k").Distinct, 4)

	// Same rows in another batching and order: same digest.
	q := profileOf(t, ProfileOptions{}, x, k, c, 333)
	require.Equal(t, p.Digest(), q.Digest())
	// One changed value: another digest.
	x2 := append([]float64(nil), x...)
	x2[500] += 1e-9
	r := profileOf(t, ProfileOptions{}, x2, k, c, 100)
	require.NotEqual(t, p.Digest(), r.Digest())
}

// Merging partition profiles, in any grouping and order, gives the
// profile of the whole: exactly for counts, moments (to rounding),
// categories and digest; within the certified bound for quantiles.
func TestMergeAssociativeCommutative(t *testing.T) {
	const n = 30000
	x, k, c := makeTable(2, n, 0)
	opts := ProfileOptions{SketchK: 256}
	whole := profileOf(t, opts, x, k, c, 1000)
	parts := []*Profile{
		profileAt(t, opts, 0, x[:7000], k[:7000], c[:7000], 1000),
		profileAt(t, opts, 7000, x[7000:19000], k[7000:19000], c[7000:19000], 1000),
		profileAt(t, opts, 19000, x[19000:], k[19000:], c[19000:], 1000),
	}
	merge := func(ps ...*Profile) *Profile {
		m := NewProfile(opts)
		for _, p := range ps {
			require.NoError(t, m.Merge(p.Clone()))
		}
		return m
	}
	ab := merge(parts[0], parts[1])
	left := merge(ab, parts[2])                         // (a+b)+c
	right := merge(parts[0], merge(parts[1], parts[2])) // a+(b+c)
	swapped := merge(parts[2], parts[0], parts[1])      // c+a+b
	sorted := append([]float64(nil), x...)
	// The true ranks are over the non-null finite values.
	var vals []float64
	for i, v := range sorted {
		if i%97 != 5 {
			vals = append(vals, v)
		}
	}
	vals = sortedFinite(vals)
	for _, m := range []*Profile{left, right, swapped} {
		require.Equal(t, whole.Rows(), m.Rows())
		require.Equal(t, whole.Digest(), m.Digest())
		for _, name := range []string{"x", "k", "color"} {
			w, g := whole.Column(name), m.Column(name)
			require.Equal(t, w.Count, g.Count, name)
			require.Equal(t, w.Missing, g.Missing, name)
			require.InDelta(t, w.Mean, g.Mean, 1e-12, name)
			require.InEpsilon(t, w.M2+1, g.M2+1, 1e-10, name)
			require.Equal(t, w.Min, g.Min, name)
			require.Equal(t, w.Max, g.Max, name)
			require.Equal(t, w.Distinct, g.Distinct, name)
			if w.Freq != nil {
				require.Equal(t, w.Freq.Top(0), g.Freq.Top(0))
			}
		}
		s := m.Column("x").Sketch
		require.False(t, s.Exact())
		bound := s.RankErrorBound()
		require.Less(t, float64(bound)/float64(s.N()), 0.05)
		for q := 0.0; q <= 1; q += 0.01 {
			y := vals[int(q*float64(len(vals)-1))]
			trueRank := int64(upperBound(vals, y))
			require.LessOrEqual(t, abs64(s.Rank(y)-trueRank), bound, "rank of %v", y)
		}
	}
	// Merge is exactly commutative.
	ba := merge(parts[1], parts[0])
	jab, err := json.Marshal(ab)
	require.NoError(t, err)
	jba, err := json.Marshal(ba)
	require.NoError(t, err)
	require.JSONEq(t, string(jab), string(jba))
}

func upperBound(sorted []float64, y float64) int {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := (lo + hi) / 2
		if sorted[m] <= y {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// The certified rank-error bound holds on many shapes and sizes.
func TestSketchRankBound(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		k    int
	}{
		{"normal", irwinHall(5, 100000), 64},
		{"ties", recipe{Kind: "discrete", N: 50000, Seed: 6, Levels: 7}.sample(), 32},
		{"sorted", func() []float64 { s := irwinHall(7, 50000); return sortedCopy(s) }(), 128},
		{"heavy", recipe{Kind: "ratio", N: 40000, Seed: 8}.sample(), 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewQuantileSketch(tc.k)
			for _, v := range tc.x {
				s.Add(v)
			}
			sorted := sortedCopy(tc.x)
			b := s.RankErrorBound()
			for i := 0; i < len(sorted); i += 97 {
				y := sorted[i]
				require.LessOrEqual(t, abs64(s.Rank(y)-int64(upperBound(sorted, y))), b)
			}
			// Round trip keeps the state bit for bit.
			raw, err := json.Marshal(s)
			require.NoError(t, err)
			var s2 QuantileSketch
			require.NoError(t, json.Unmarshal(raw, &s2))
			require.Equal(t, s.Rank(sorted[len(sorted)/3]), s2.Rank(sorted[len(sorted)/3]))
			require.Equal(t, b, s2.RankErrorBound())
		})
	}
}

func TestProfileJSONRoundTrip(t *testing.T) {
	x, k, c := makeTable(3, 5000, 0)
	p := profileOf(t, ProfileOptions{SketchK: 128, TopK: 1}, x, k, c, 700)
	path := filepath.Join(t.TempDir(), "ref.json")
	require.NoError(t, p.WriteFile(path))
	q, err := ReadProfileFile(path)
	require.NoError(t, err)
	require.Equal(t, p.Digest(), q.Digest())
	a, _ := json.Marshal(p)
	b, _ := json.Marshal(q)
	require.JSONEq(t, string(a), string(b))
	// Top-1 of 4 colours (reduced beyond 2×1 categories): inexact
	// frequencies whose counts still add up.
	f := q.Column("color").Freq
	require.False(t, f.Exact())
	require.Equal(t, q.Column("color").Count, f.N())
}

func TestParseProfileRejects(t *testing.T) {
	x, k, c := makeTable(4, 300, 0)
	p := profileOf(t, ProfileOptions{}, x, k, c, 100)
	good, err := json.Marshal(p)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(good, &m))
	mutate := func(f func(m map[string]any)) []byte {
		var c map[string]any
		require.NoError(t, json.Unmarshal(good, &c))
		f(c)
		b, err := json.Marshal(c)
		require.NoError(t, err)
		return b
	}
	col := func(m map[string]any, i int) map[string]any { return m["columns"].([]any)[i].(map[string]any) }
	for name, b := range map[string][]byte{
		"not json":      []byte("{"),
		"empty":         []byte(""),
		"wrong format":  mutate(func(m map[string]any) { m["format"] = "other" }),
		"version":       mutate(func(m map[string]any) { m["version"] = 99 }),
		"digest":        mutate(func(m map[string]any) { m["digest"] = "sha256-rowset:00" }),
		"rows":          mutate(func(m map[string]any) { m["rows"] = 301 }),
		"count":         mutate(func(m map[string]any) { col(m, 0)["count"] = 1 }),
		"unknown field": mutate(func(m map[string]any) { m["extra"] = 1 }),
		"kind":          mutate(func(m map[string]any) { col(m, 0)["kind"] = "text" }),
		"sketch n":      mutate(func(m map[string]any) { col(m, 0)["sketch"].(map[string]any)["n"] = 5 }),
		"freq":          mutate(func(m map[string]any) { col(m, 2)["frequencies"].(map[string]any)["other"] = 7 }),
		"renamed":       mutate(func(m map[string]any) { col(m, 2)["name"] = "colour" }),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseProfile(b)
			require.Error(t, err)
			var pe *ProfileError
			require.ErrorAs(t, err, &pe)
		})
	}
	_, err = ReadProfileFile(filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "missing.json")
}

func TestProfileSchemaErrors(t *testing.T) {
	p := NewProfile(ProfileOptions{})
	x, k, c := makeTable(5, 10, 0)
	rec := record(t, x, nil, k, c)
	defer rec.Release()
	require.NoError(t, p.AddRecord(rec))
	other := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.BinaryTypes.String},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "color", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, other)
	b.Field(0).(*array.StringBuilder).Append("a")
	b.Field(1).(*array.Int64Builder).Append(1)
	b.Field(2).(*array.StringBuilder).Append("red")
	bad := b.NewRecord()
	defer bad.Release()
	err := p.AddRecord(bad)
	require.ErrorIs(t, err, ErrSchemaMismatch)
	require.ErrorContains(t, err, `column "x"`)

	q := NewProfile(ProfileOptions{})
	require.NoError(t, q.AddRecord(bad))
	require.ErrorIs(t, p.Merge(q), ErrSchemaMismatch)
	_, err = Compare(p, q, CompareOptions{})
	require.ErrorIs(t, err, ErrSchemaMismatch)

	_, err = Compare(p, NewProfile(ProfileOptions{}), CompareOptions{})
	require.ErrorContains(t, err, "no rows")
}

func TestProfileFromFileTestdata(t *testing.T) {
	// The committed golden data is readable; keeps gen.py honest.
	_, err := os.Stat("testdata/golden/gen.py")
	require.NoError(t, err)
}

var _ = strconv.Itoa

func TestSortFloats(t *testing.T) {
	for _, n := range []int{0, 1, 5, 63, 64, 100, 2048, 5000} {
		x := irwinHall(uint64(n), n)
		for i := range x {
			switch i % 7 {
			case 0:
				x[i] = -x[i] * 1e300
			case 1:
				x[i] = math.Inf(1 - 2*(i%2))
			case 2:
				x[i] = 0
			case 3:
				x[i] = math.Copysign(0, -1)
			}
		}
		want := sortedCopy(x)
		quantile.SortFloats(x, make([]uint64, 2*len(x)))
		require.Len(t, x, len(want))
		for i := range want {
			require.Equal(t, want[i], x[i], "n=%d i=%d", n, i)
		}
	}
}

// A transient profile (NoDigest) compares exactly as one with its digest,
// carries no digest into the report, and refuses to be saved, so that no
// profile file ever holds an empty digest.
func TestProfileNoDigest(t *testing.T) {
	x, k, c := makeTable(3, 2000, 0)
	x2, k2, c2 := makeTable(4, 1500, 0.2)
	with := ProfileOptions{Exact: true}
	without := ProfileOptions{Exact: true, NoDigest: true}
	ref, cur := profileOf(t, with, x, k, c, 500), profileOf(t, with, x2, k2, c2, 500)
	tref, tcur := profileOf(t, without, x, k, c, 500), profileOf(t, without, x2, k2, c2, 500)

	require.NotEmpty(t, ref.Digest())
	require.Empty(t, tref.Digest())
	require.Equal(t, ref.Options(), tref.Options(), "NoDigest is not a profile option")

	want, err := Compare(ref, cur, CompareOptions{})
	require.NoError(t, err)
	got, err := Compare(tref, tcur, CompareOptions{})
	require.NoError(t, err)
	require.Empty(t, got.Reference.Digest)
	require.Empty(t, got.Current.Digest)
	got.Reference.Digest, got.Current.Digest = want.Reference.Digest, want.Current.Digest
	require.Equal(t, want, got)

	_, err = json.Marshal(tref)
	require.ErrorContains(t, err, "NoDigest")
	_, err = json.Marshal(ref)
	require.NoError(t, err)

	// Merging a transient part leaves the whole without a digest.
	m := profileOf(t, with, x, k, c, 500)
	require.NoError(t, m.Merge(tcur))
	require.Empty(t, m.Digest())
	_, err = json.Marshal(m)
	require.Error(t, err)
}

// TestProfileBlockPath checks the path that adds a Float64 column's
// buffer block by block against a plain account of the same values: a
// NaN, an infinity or −0 in a later block hands the rest of the array
// to the general path, and nothing is lost, counted twice or left as −0.
func TestProfileBlockPath(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
	for name, odd := range map[string]map[int]float64{
		"plain":         {},
		"nan":           {9000: math.NaN()},
		"negzero-inf":   {13000: math.Copysign(0, -1), 15000: math.Inf(1), 15001: math.Inf(-1)},
		"first-value":   {0: math.NaN()},
		"last-of-block": {4095: math.Copysign(0, -1)},
	} {
		t.Run(name, func(t *testing.T) {
			x, _, _ := makeTable(3, 20000, 0)
			for i, v := range odd {
				x[i] = v
			}
			p := NewProfile(ProfileOptions{Exact: true, NoDigest: true})
			// A first record of distinct values retires the column's
			// distinct-value map, so the second takes the block path.
			for _, part := range [][]float64{x[:100], x[100:]} {
				b := array.NewFloat64Builder(memory.DefaultAllocator)
				b.AppendValues(part, nil)
				arr := b.NewArray()
				rec := array.NewRecord(schema, []arrow.Array{arr}, int64(len(part)))
				require.NoError(t, p.AddRecord(rec))
				rec.Release()
				arr.Release()
				b.Release()
			}
			col := p.Column("x")
			var finite []float64
			var nan, inf int64
			for _, v := range x {
				switch {
				case math.IsNaN(v):
					nan++
				case math.IsInf(v, 0):
					inf++
				default:
					finite = append(finite, v+0) // −0 + 0 is +0
				}
			}
			require.Equal(t, int64(len(x)), col.Count)
			require.Equal(t, nan, col.NaN)
			require.Equal(t, inf, col.PosInf+col.NegInf)
			slices.Sort(finite)
			items := col.Sketch.Items()
			require.Len(t, items, len(finite))
			for i, it := range items {
				require.Equal(t, math.Float64bits(finite[i]), math.Float64bits(it.V), "item %d", i)
			}
			require.Equal(t, finite[0], col.Min)
			require.Equal(t, finite[len(finite)-1], col.Max)
			var s float64
			for _, v := range finite {
				s += v
			}
			require.InDelta(t, s/float64(len(finite)), col.Mean, 1e-12)
		})
	}
}
