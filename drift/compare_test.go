package drift

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// col is one test column: numbers (nil entries are nulls via valid) or
// strings.
type col struct {
	name  string
	num   []float64
	valid []bool
	str   []string
}

func recordOf(t testing.TB, cols ...col) arrow.Record {
	t.Helper()
	var fields []arrow.Field
	for _, c := range cols {
		typ := arrow.DataType(arrow.PrimitiveTypes.Float64)
		if c.str != nil {
			typ = arrow.BinaryTypes.String
		}
		fields = append(fields, arrow.Field{Name: c.name, Type: typ, Nullable: true})
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for i, c := range cols {
		if c.str != nil {
			b.Field(i).(*array.StringBuilder).AppendValues(c.str, c.valid)
		} else {
			b.Field(i).(*array.Float64Builder).AppendValues(c.num, c.valid)
		}
	}
	return b.NewRecord()
}

func profileCols(t testing.TB, opts ProfileOptions, cols ...col) *Profile {
	t.Helper()
	p := NewProfile(opts)
	rec := recordOf(t, cols...)
	defer rec.Release()
	require.NoError(t, p.AddRecord(rec))
	return p
}

func compareOne(t testing.TB, ref, cur []float64, opts ProfileOptions, test Test) ColumnResult {
	t.Helper()
	r := profileCols(t, opts, col{name: "v", num: ref})
	c := profileCols(t, opts, col{name: "v", num: cur})
	rep, err := Compare(r, c, CompareOptions{Test: test})
	require.NoError(t, err)
	_, err = json.Marshal(rep) // fails on NaN or Inf
	require.NoError(t, err)
	return rep.Columns[0]
}

// Exact mode reproduces the scipy golden values through the whole
// profile → histogram → Compare path.
func TestCompareExactModeMatchesGolden(t *testing.T) {
	g := loadGolden(t)
	exact := ProfileOptions{Exact: true}
	for _, c := range g.Cases {
		if c.Ref.Recipe != nil && c.Ref.Recipe.N > 20000 {
			continue // covered by TestGoldenSampleStatistics
		}
		t.Run(c.Name, func(t *testing.T) {
			ref, cur := c.Ref.values(), c.Cur.values()
			ks := compareOne(t, ref, cur, exact, TestKS)
			requireStat(t, c.KSStatistic, ks.Statistic, "KS")
			requireP(t, c.KSPValue, *ks.PValue, "KS p")
			require.Nil(t, ks.ErrorBound)
			requireStat(t, c.Wasserstein, ks.Metrics["wasserstein"], "W")
			requireStat(t, c.Wasserstein/math.Max(c.RefStd, 0.001), ks.Metrics["wasserstein_norm"], "W normed")
			// Numeric histogram tests (unless the column is so discrete
			// that Compare bins it by category).
			if ks.Distribution != nil && ks.Distribution.Edges != nil {
				requireStat(t, c.PSI, ks.Metrics["psi"], "PSI")
				requireStat(t, c.JSBase2, ks.Metrics["jensenshannon2"], "JS2")
				requireStat(t, c.JSBaseE, ks.Metrics["jensenshannon"], "JS")
				requireStat(t, c.Hellinger, ks.Metrics["hellinger"], "Hellinger")
				requireStat(t, c.KL, ks.Metrics["kl"], "KL")
				require.Equal(t, c.HistRef, ks.Distribution.Reference)
				require.Equal(t, c.HistCur, ks.Distribution.Current)
			}
			if c.ADStatistic != nil {
				ad := compareOne(t, ref, cur, exact, TestAndersonDarling)
				require.Equal(t, StatusTested, ad.Status, ad.Note)
				requireStat(t, *c.ADStatistic, ad.Statistic, "AD")
				requireP(t, *c.ADPValue, *ad.PValue, "AD p")
			}
		})
	}
}

// Profile mode stays within its stated error bound of exact mode.
func TestProfileModeErrorBound(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Cases {
		if n := c.Ref.size(); n < 5000 || n > 100000 {
			continue
		}
		ref, cur := c.Ref.values(), c.Cur.values()
		t.Run(c.Name, func(t *testing.T) {
			for _, k := range []int{64, 256, 1024} {
				opts := ProfileOptions{SketchK: k}
				ks := compareOne(t, ref, cur, opts, TestKS)
				require.NotNil(t, ks.ErrorBound, "k=%d", k)
				require.LessOrEqual(t, math.Abs(ks.Statistic-c.KSStatistic), *ks.ErrorBound+1e-12, "KS k=%d", k)
				w := compareOne(t, ref, cur, opts, TestWasserstein)
				require.LessOrEqual(t, math.Abs(w.Statistic-c.Wasserstein), *w.ErrorBound+1e-12, "W k=%d", k)
				// The bound shrinks as K grows and is small in practice.
				if k == 1024 {
					require.Less(t, *ks.ErrorBound, 0.02)
				}
			}
		})
	}
}

func TestAutoTestChoice(t *testing.T) {
	many := func(n int, seed uint64) []float64 { return irwinHall(seed, n) }
	levels := func(n int, seed uint64, k float64) []float64 {
		return recipe{Kind: "discrete", N: n, Seed: seed, Levels: k}.sample()
	}
	strs := func(n int, seed uint64, vals ...string) []string {
		u := uniforms(seed, n)
		out := make([]string, n)
		for i := range out {
			out[i] = vals[int(u[i]*float64(len(vals)))]
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		ref, cur col
		want     Test
	}{
		{"small numeric", col{num: many(500, 1)}, col{num: many(400, 2)}, TestKS},
		{"large numeric", col{num: many(5000, 1)}, col{num: many(400, 2)}, TestWassersteinNorm},
		{"small low-cardinality numeric", col{num: levels(500, 1, 4)}, col{num: levels(500, 2, 4)}, TestChiSquare},
		{"small binary numeric", col{num: levels(500, 1, 2)}, col{num: levels(500, 2, 2)}, TestZ},
		{"large low-cardinality numeric", col{num: levels(5000, 1, 5)}, col{num: levels(500, 2, 5)}, TestJensenShannon},
		{"small categorical", col{str: strs(300, 1, "a", "b", "c")}, col{str: strs(300, 2, "a", "b", "c")}, TestChiSquare},
		{"small binary categorical", col{str: strs(300, 1, "yes", "no")}, col{str: strs(300, 2, "yes", "no")}, TestZ},
		{"large categorical", col{str: strs(3000, 1, "a", "b", "c")}, col{str: strs(300, 2, "a", "b", "c")}, TestJensenShannon},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.ref.name, tc.cur.name = "v", "v"
			rep, err := Compare(profileCols(t, ProfileOptions{}, tc.ref), profileCols(t, ProfileOptions{}, tc.cur), CompareOptions{})
			require.NoError(t, err)
			c := rep.Columns[0]
			require.Equal(t, tc.want, c.Test)
			require.True(t, c.Auto)
			require.Equal(t, StatusTested, c.Status)
			require.False(t, c.Drifted, "same distribution: %+v", c)
		})
	}
}

// Degenerate inputs give documented values, never NaN (json.Marshal in
// compareOne would fail on NaN) and never a panic.
func TestDegenerateColumns(t *testing.T) {
	nan := math.NaN()
	for _, test := range Tests() {
		t.Run(string(test), func(t *testing.T) {
			cases := map[string][2][]float64{
				"single rows":        {{1}, {2}},
				"constant equal":     {{3, 3, 3, 3}, {3, 3}},
				"constant different": {{3, 3, 3, 3}, {4, 4}},
				"nan only current":   {{1, 2, 3}, {nan, nan}},
				"with nan":           {{1, nan, 2, 3}, {nan, 5, 6}},
				"infinities":         {{1, math.Inf(1), 2}, {math.Inf(-1), 1, 2}},
			}
			for name, c := range cases {
				r := compareOne(t, c[0], c[1], ProfileOptions{}, test)
				require.False(t, math.IsNaN(r.Statistic), name)
				require.False(t, math.IsNaN(r.Severity), name)
				if r.PValue != nil {
					require.False(t, math.IsNaN(*r.PValue), name)
				}
			}
		})
	}
	// All-missing: skipped with a note.
	ref := profileCols(t, ProfileOptions{}, col{name: "v", num: []float64{1, 2}, valid: []bool{false, false}})
	cur := profileCols(t, ProfileOptions{}, col{name: "v", num: []float64{1, 2}})
	rep, err := Compare(ref, cur, CompareOptions{})
	require.NoError(t, err)
	require.Equal(t, StatusSkipped, rep.Columns[0].Status)
	require.Contains(t, rep.Columns[0].Note, "reference")
	require.False(t, rep.Dataset.Drifted)
	require.Equal(t, 0, rep.Dataset.TestedColumns)
	// Constant reference, shifted current: Wasserstein normed uses 0.001.
	r := compareOne(t, []float64{5, 5, 5}, []float64{5.5, 5.5}, ProfileOptions{}, TestWassersteinNorm)
	require.InDelta(t, 500, r.Statistic, 1e-9)
	require.True(t, r.Drifted)
	require.Contains(t, r.Note, "0.001")
}

func TestCategoricalNewCategories(t *testing.T) {
	ref := profileCols(t, ProfileOptions{}, col{name: "c", str: []string{"a", "a", "b", "b", "b", "a"}})
	cur := profileCols(t, ProfileOptions{}, col{name: "c", str: []string{"a", "zzz", "zzz", "b", "zzz", "q"}})
	rep, err := Compare(ref, cur, CompareOptions{Test: TestChiSquare})
	require.NoError(t, err)
	c := rep.Columns[0]
	require.False(t, math.IsInf(c.Statistic, 0))
	require.Equal(t, 2, c.UnseenCategories)
	want := ChiSquare([]float64{3, 3, 0, 0}, []float64{1, 1, 3, 1})
	require.InDelta(t, want.Statistic, c.Statistic, 1e-12)
	require.InDelta(t, want.PValue, *c.PValue, 1e-12)
	for _, test := range []Test{TestPSI, TestKL, TestJensenShannon, TestTotalVariation, TestLInf, TestHellinger} {
		rep, err := Compare(ref, cur, CompareOptions{Test: test})
		require.NoError(t, err)
		require.False(t, math.IsInf(rep.Columns[0].Statistic, 0), test)
		require.True(t, rep.Columns[0].Drifted, test)
	}
	// A truncated reference folds unknown categories into "other".
	opts := ProfileOptions{TopK: 1}
	ref = profileCols(t, opts, col{name: "c", str: []string{"a", "a", "a", "b", "c", "d", "e"}})
	cur = profileCols(t, opts, col{name: "c", str: []string{"a", "f"}})
	rep, err = Compare(ref, cur, CompareOptions{})
	require.NoError(t, err)
	require.Equal(t, 0, rep.Columns[0].UnseenCategories)
	require.Equal(t, "profile", rep.Mode)
}

func TestCorrections(t *testing.T) {
	// Four columns with known KS p-values; drift decided per correction.
	var refCols, curCols []col
	shifts := []float64{0, 0.15, 0.25, 0.5}
	for i, s := range shifts {
		name := string(rune('a' + i))
		r := irwinHall(uint64(100+i), 400)
		c := irwinHall(uint64(200+i), 400)
		for j := range c {
			c[j] += s
		}
		refCols = append(refCols, col{name: name, num: r})
		curCols = append(curCols, col{name: name, num: c})
	}
	ref := profileCols(t, ProfileOptions{}, refCols...)
	cur := profileCols(t, ProfileOptions{}, curCols...)
	ps := map[string]float64{}
	none, err := Compare(ref, cur, CompareOptions{Test: TestKS})
	require.NoError(t, err)
	for _, c := range none.Columns {
		ps[c.Column] = *c.PValue
		require.Nil(t, c.AdjustedPValue)
	}
	bon, err := Compare(ref, cur, CompareOptions{Test: TestKS, Correction: CorrectionBonferroni})
	require.NoError(t, err)
	for _, c := range bon.Columns {
		want := math.Min(1, ps[c.Column]*4)
		require.InDelta(t, want, *c.AdjustedPValue, 1e-15)
		require.Equal(t, want < 0.05, c.Drifted)
	}
	bh, err := Compare(ref, cur, CompareOptions{Test: TestKS, Correction: CorrectionBH})
	require.NoError(t, err)
	// BH by hand.
	names := []string{"a", "b", "c", "d"}
	sortByP := append([]string(nil), names...)
	for i := range sortByP {
		for j := i + 1; j < len(sortByP); j++ {
			if ps[sortByP[j]] < ps[sortByP[i]] {
				sortByP[i], sortByP[j] = sortByP[j], sortByP[i]
			}
		}
	}
	adj := map[string]float64{}
	next := 1.0
	for k := 3; k >= 0; k-- {
		v := math.Min(next, ps[sortByP[k]]*4/float64(k+1))
		adj[sortByP[k]] = v
		next = v
	}
	for _, c := range bh.Columns {
		require.InDelta(t, adj[c.Column], *c.AdjustedPValue, 1e-15)
		require.Equal(t, adj[c.Column] < 0.05, c.Drifted)
	}
	// Verdicts are sorted by severity, drifted first.
	for i := 1; i < len(none.Columns); i++ {
		a, b := none.Columns[i-1], none.Columns[i]
		require.True(t, a.Drifted || !b.Drifted)
		if a.Drifted == b.Drifted {
			require.GreaterOrEqual(t, a.Severity, b.Severity)
		}
	}
	require.Equal(t, 4, none.Dataset.TestedColumns)
	require.Equal(t, float64(none.Dataset.DriftedColumns)/4, none.Dataset.Share)
}

func TestCompareOverrides(t *testing.T) {
	ref := profileCols(t, ProfileOptions{}, col{name: "a", num: irwinHall(1, 300)}, col{name: "b", num: irwinHall(2, 300)})
	cur := profileCols(t, ProfileOptions{}, col{name: "a", num: irwinHall(3, 300)}, col{name: "b", num: irwinHall(4, 300)})
	rep, err := Compare(ref, cur, CompareOptions{
		Columns: map[string]ColumnTest{"a": {Test: TestPSI, Threshold: 0.5}},
		Ignore:  []string{"b"},
	})
	require.NoError(t, err)
	require.Len(t, rep.Columns, 1)
	require.Equal(t, TestPSI, rep.Columns[0].Test)
	require.Equal(t, 0.5, rep.Columns[0].Threshold)
	require.False(t, rep.Columns[0].Auto)
	_, err = Compare(ref, cur, CompareOptions{Columns: map[string]ColumnTest{"nope": {Test: TestKS}}})
	require.ErrorContains(t, err, "nope")
	_, err = Compare(ref, cur, CompareOptions{Correction: "holm"})
	require.ErrorContains(t, err, "holm")
	_, err = ParseTest("kolmogorov")
	require.Error(t, err)
}

// A NaN or infinite threshold or drift share would turn the gate off (no
// comparison with NaN is true): Compare and CompareReader refuse them, so
// real drift is never reported as none.
func TestCompareRefusesNonFiniteOptions(t *testing.T) {
	ref := profileCols(t, ProfileOptions{}, col{name: "v", num: []float64{1, 2, 3, 4, 5, 6, 7, 8}})
	cur := profileCols(t, ProfileOptions{}, col{name: "v", num: []float64{101, 102, 103, 104, 105, 106, 107, 108}})
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name string
		opts CompareOptions
		want string
	}{
		{"fail_threshold_nan", CompareOptions{Threshold: nan}, "drift: threshold is NaN"},
		{"fail_threshold_inf", CompareOptions{Threshold: inf}, "drift: threshold is +Inf"},
		{"fail_threshold_negative", CompareOptions{Threshold: -0.1}, "want a number >= 0"},
		{"fail_share_nan", CompareOptions{DriftShare: nan}, "drift: drift share is NaN"},
		{"fail_share_neg_inf", CompareOptions{DriftShare: -inf}, "drift: drift share is -Inf"},
		{"fail_share_above_one", CompareOptions{DriftShare: 1.5}, "want a number in [0, 1]"},
		{"fail_column_threshold_nan", CompareOptions{Columns: map[string]ColumnTest{"v": {Threshold: nan}}}, `drift: column "v": threshold is NaN`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compare(ref, cur, tc.opts)
			require.ErrorContains(t, err, tc.want)
			rec := recordOf(t, col{name: "v", num: []float64{101, 102, 103}})
			defer rec.Release()
			rr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
			require.NoError(t, err)
			defer rr.Release()
			_, err = CompareReader(t.Context(), ref, rr, tc.opts)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// The same data with sane options drifts.
	rep, err := Compare(ref, cur, CompareOptions{DriftShare: 1})
	require.NoError(t, err)
	require.True(t, rep.Dataset.Drifted)
}
