package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

type goldenSample struct {
	Inline []float64 `json:"inline"`
	Recipe *recipe   `json:"recipe"`
}

// size is the number of values, without generating them.
func (s goldenSample) size() int {
	if s.Recipe != nil {
		return s.Recipe.N
	}
	return len(s.Inline)
}

func (s goldenSample) values() []float64 {
	if s.Recipe != nil {
		return s.Recipe.sample()
	}
	return s.Inline
}

type goldenCase struct {
	Name        string       `json:"name"`
	Ref         goldenSample `json:"ref"`
	Cur         goldenSample `json:"cur"`
	KSStatistic float64      `json:"ks_statistic"`
	KSPValue    float64      `json:"ks_pvalue"`
	Wasserstein float64      `json:"wasserstein"`
	RefStd      float64      `json:"ref_std"`
	ADStatistic *float64     `json:"ad_statistic"`
	ADPValue    *float64     `json:"ad_pvalue"`
	HistRef     []float64    `json:"hist_ref"`
	HistCur     []float64    `json:"hist_cur"`
	PSI         float64      `json:"psi"`
	KL          float64      `json:"kl"`
	JSBase2     float64      `json:"js_base2"`
	JSBaseE     float64      `json:"js_base_e"`
	Hellinger   float64      `json:"hellinger"`
	TV          float64      `json:"tv"`
	LInf        float64      `json:"linf"`
}

type golden struct {
	Bins  int          `json:"bins"`
	Cases []goldenCase `json:"cases"`
	Chi2  []struct {
		Ref, Cur  []float64
		Statistic float64
		PValue    float64 `json:"pvalue"`
		DoF       int     `json:"dof"`
	} `json:"chi2"`
	ZTest []struct {
		RefHits   float64 `json:"ref_hits"`
		RefN      float64 `json:"ref_n"`
		CurHits   float64 `json:"cur_hits"`
		CurN      float64 `json:"cur_n"`
		Statistic float64
		PValue    float64 `json:"pvalue"`
	} `json:"ztest"`
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden/golden.json")
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(b, &g))
	require.NotEmpty(t, g.Cases)
	return g
}

// Tolerances of the specification: statistics to 1e-9 relative; p-values
// to 1e-6 absolute, or 1e-6 relative where p < 1e-6.
func requireStat(t *testing.T, want, got float64, what string) {
	t.Helper()
	require.False(t, math.IsNaN(got), "%s is NaN", what)
	if want == 0 {
		require.InDelta(t, 0, got, 1e-12, what)
		return
	}
	require.InEpsilon(t, want, got, 1e-9, "%s: want %.17g got %.17g", what, want, got)
}

func requireP(t *testing.T, want, got float64, what string) {
	t.Helper()
	require.False(t, math.IsNaN(got), "%s is NaN", what)
	if want < 1e-6 {
		if want == 0 {
			require.Less(t, got, 1e-300, what)
			return
		}
		require.InEpsilon(t, want, got, 1e-6, "%s: want %.17g got %.17g", what, want, got)
		return
	}
	require.InDelta(t, want, got, 1e-6, "%s: want %.17g got %.17g", what, want, got)
}

func TestGoldenSampleStatistics(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			ref, cur := c.Ref.values(), c.Cur.values()
			if testing.Short() && len(ref) > 100000 {
				t.Skip("large sample")
			}
			ks := KS(ref, cur)
			requireStat(t, c.KSStatistic, ks.Statistic, "KS statistic")
			requireP(t, c.KSPValue, ks.PValue, "KS p-value")
			requireStat(t, c.Wasserstein, Wasserstein(ref, cur), "Wasserstein")
			if c.ADStatistic != nil {
				ad := AndersonDarling(ref, cur)
				require.True(t, ad.Defined)
				requireStat(t, *c.ADStatistic, ad.Statistic, "AD statistic")
				requireP(t, *c.ADPValue, ad.PValue, "AD p-value")
			}
			requireStat(t, c.PSI, PSI(c.HistRef, c.HistCur), "PSI")
			requireStat(t, c.KL, KL(c.HistRef, c.HistCur), "KL")
			requireStat(t, c.JSBase2, JensenShannon(c.HistRef, c.HistCur, 2), "JS base 2")
			requireStat(t, c.JSBaseE, JensenShannon(c.HistRef, c.HistCur, math.E), "JS base e")
			requireStat(t, c.Hellinger, Hellinger(c.HistRef, c.HistCur), "Hellinger")
			requireStat(t, c.TV, TotalVariation(c.HistRef, c.HistCur), "TV")
			requireStat(t, c.LInf, LInf(c.HistRef, c.HistCur), "L-inf")
		})
	}
}

func TestGoldenChiSquare(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Chi2 {
		r := ChiSquare(c.Ref, c.Cur)
		requireStat(t, c.Statistic, r.Statistic, "chi2 statistic")
		requireP(t, c.PValue, r.PValue, "chi2 p-value")
		require.Equal(t, c.DoF, r.DoF)
	}
}

func TestGoldenZTest(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.ZTest {
		r := ZTestProportions(c.RefHits, c.RefN, c.CurHits, c.CurN)
		requireStat(t, c.Statistic, r.Statistic, "z statistic")
		requireP(t, c.PValue, r.PValue, "z p-value")
	}
}

func TestGoldenKolmogorovDistribution(t *testing.T) {
	b, err := os.ReadFile("testdata/golden/golden.json")
	require.NoError(t, err)
	var g struct {
		KSTwo []struct {
			N  int     `json:"n"`
			X  float64 `json:"x"`
			SF float64 `json:"sf"`
		} `json:"kstwo"`
	}
	require.NoError(t, json.Unmarshal(b, &g))
	require.NotEmpty(t, g.KSTwo)
	for _, c := range g.KSTwo {
		requireP(t, c.SF, kolmogornSF(c.N, c.X), fmt.Sprintf("kstwo.sf(%v, %d)", c.X, c.N))
	}
}
