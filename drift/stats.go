package drift

import (
	"math"

	"github.com/mlsec-dev/mlsec/internal/quantile"
	"gonum.org/v1/gonum/mathext"
)

// This file holds the statistics on plain samples and histograms. They are
// exported so callers can run one test on their own data; Compare runs them
// column by column on profiles. None returns NaN or panics: degenerate input
// (empty, constant, all-zero histograms) yields a documented neutral value.

// KSResult is the two-sample Kolmogorov–Smirnov test.
type KSResult struct {
	// Statistic is D = sup |F_ref − F_cur|.
	Statistic float64
	// PValue is two-sided, as scipy.stats.ks_2samp(method="auto").
	PValue float64
	// Exact reports whether the exact null distribution was used
	// (max(n1, n2) ≤ 10 000) rather than the asymptotic one.
	Exact bool
}

// KS runs the two-sample Kolmogorov–Smirnov test on two samples. NaNs are
// dropped. When either sample is empty the result is D = 0, p = 1.
func KS(ref, cur []float64) KSResult {
	a, b := sortedFinite(ref), sortedFinite(cur)
	if len(a) == 0 || len(b) == 0 {
		return KSResult{PValue: 1, Exact: true}
	}
	d := ksStatisticSorted(a, b)
	p, exact := ksPValue(d, len(a), len(b))
	return KSResult{Statistic: d, PValue: p, Exact: exact}
}

// Wasserstein returns the first Wasserstein (earth mover's) distance
// between the empirical distributions of two samples, ∫|F_ref − F_cur| dx,
// as scipy.stats.wasserstein_distance. NaNs are dropped; an empty sample
// gives 0.
func Wasserstein(ref, cur []float64) float64 {
	a, b := sortedFinite(ref), sortedFinite(cur)
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	return wassersteinSorted(weighted(a), weighted(b))
}

// sortedFinite returns the non-NaN values of x sorted ascending.
func sortedFinite(x []float64) []float64 {
	s := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	quantile.SortFloats(s, make([]uint64, 2*len(s)))
	return s
}

// wv is a value with an integer weight (a sketch item or a raw value).
type wv = quantile.Item

func weighted(sorted []float64) []wv {
	out := make([]wv, len(sorted))
	for i, v := range sorted {
		out[i] = wv{V: v, W: 1}
	}
	return out
}

// ksWasserstein walks two sorted weighted samples in step and returns
// the KS statistic sup |F_a − F_b| and the Wasserstein-1 distance
// ∫|F_a − F_b| dx in one pass. At every distinct value x the two
// empirical CDFs just after x (F(x), counting ties) are compared, and
// |F_a − F_b| is integrated up to the next distinct value.
func ksWasserstein(a, b []wv) (d, w float64) {
	var ta, tb int64
	for _, e := range a {
		ta += e.W
	}
	for _, e := range b {
		tb += e.W
	}
	fta, ftb := float64(ta), float64(tb)
	var ca, cb int64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		x := math.Inf(1)
		if i < len(a) {
			x = a[i].V
		}
		if j < len(b) && b[j].V < x {
			x = b[j].V
		}
		for i < len(a) && a[i].V <= x {
			ca += a[i].W
			i++
		}
		for j < len(b) && b[j].V <= x {
			cb += b[j].W
			j++
		}
		next := math.Inf(1)
		if i < len(a) {
			next = a[i].V
		}
		if j < len(b) && b[j].V < next {
			next = b[j].V
		}
		diff := math.Abs(float64(ca)/fta - float64(cb)/ftb)
		if diff > d { // never NaN: the counts and totals are finite
			d = diff
		}
		if !math.IsInf(next, 1) {
			w += diff * (next - x)
		}
	}
	return d, w
}

func wassersteinSorted(a, b []wv) float64 {
	_, w := ksWasserstein(a, b)
	return w
}

// ADResult is the Anderson–Darling k-sample test for k = 2.
type ADResult struct {
	// Statistic is the standardised midrank statistic of Scholz &
	// Stephens (1987), as scipy.stats.anderson_ksamp(midrank=True).
	Statistic float64
	// PValue is interpolated from Scholz & Stephens' table and, as in
	// scipy, floored at 0.001 and capped at 0.25: read it as "p < 0.001"
	// or "p > 0.25" at the ends.
	PValue float64
	// Defined is false when the test cannot be computed (fewer than 4
	// values, or fewer than 2 distinct values); Statistic is then 0 and
	// PValue 1.
	Defined bool
}

// AndersonDarling runs the two-sample Anderson–Darling test (NaNs dropped).
func AndersonDarling(ref, cur []float64) ADResult {
	a, b := sortedFinite(ref), sortedFinite(cur)
	return andersonDarlingSorted(a, b)
}

// mergeSorted returns the sorted union (with repeats) of two sorted slices.
func mergeSorted(a, b []float64) []float64 {
	z := make([]float64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if b[j] < a[i] {
			z = append(z, b[j])
			j++
		} else {
			z = append(z, a[i])
			i++
		}
	}
	return append(append(z, a[i:]...), b[j:]...)
}

func andersonDarlingSorted(a, b []float64) ADResult {
	undefined := ADResult{PValue: 1}
	n1, n2 := len(a), len(b)
	N := n1 + n2
	if n1 == 0 || n2 == 0 || N < 4 {
		return undefined
	}
	z := mergeSorted(a, b)
	// Distinct values with their multiplicities.
	var zs []float64
	var lj []float64
	for i := 0; i < N; {
		j := i
		for j < N && z[j] == z[i] {
			j++
		}
		zs = append(zs, z[i])
		lj = append(lj, float64(j-i))
		i = j
	}
	if len(zs) < 2 {
		return undefined
	}
	Nf := float64(N)
	// Bj = #(Z < z*) + lj/2.
	bj := make([]float64, len(zs))
	left := 0.0
	for k := range zs {
		bj[k] = left + lj[k]/2
		left += lj[k]
	}
	a2 := 0.0
	for _, s := range [][]float64{a, b} {
		ni := float64(len(s))
		p := 0
		sum := 0.0
		for k, v := range zs {
			lo := p
			for p < len(s) && s[p] < v {
				p++
			}
			lo = p
			for p < len(s) && s[p] == v {
				p++
			}
			f := float64(p - lo)
			mij := float64(p) - f/2
			den := bj[k]*(Nf-bj[k]) - Nf*lj[k]/4
			if den <= 0 {
				continue
			}
			t := Nf*mij - bj[k]*ni
			sum += lj[k] / Nf * t * t / den
		}
		a2 += sum / ni
	}
	a2 *= (Nf - 1) / Nf
	const k = 2.0
	H := 1/float64(n1) + 1/float64(n2)
	// h = Σ_{i=1}^{N-1} 1/i ; g = Σ_{i=1}^{N-2} Σ_{j=i+1}^{N-1} 1/((N-i) j)
	var h, g, cs float64
	for i := N - 1; i >= 2; i-- {
		cs += 1 / float64(i)
		g += cs / float64(N-i+1)
	}
	h = cs + 1
	aa := (4*g-6)*(k-1) + (10-6*g)*H
	bb := (2*g-4)*k*k + 8*h*k + (2*g-14*h-4)*H - 8*h + 4*g - 6
	cc := (6*h+2*g-2)*k*k + (4*h-4*g+6)*k + (2*h-6)*H + 4*h
	dd := (2*h+6)*k*k - 4*h*k
	sigma2 := (aa*Nf*Nf*Nf + bb*Nf*Nf + cc*Nf + dd) / ((Nf - 1) * (Nf - 2) * (Nf - 3))
	if !(sigma2 > 0) {
		return undefined
	}
	m := k - 1
	stat := (a2 - m) / math.Sqrt(sigma2)
	return ADResult{Statistic: stat, PValue: adPValue(stat, m), Defined: true}
}

// adPValue interpolates log(significance) quadratically in the critical
// values of Scholz & Stephens (1987), Table 2, as scipy does.
func adPValue(a2, m float64) float64 {
	b0 := []float64{0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085}
	b1 := []float64{-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615}
	b2 := []float64{-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154}
	sig := []float64{0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001}
	crit := make([]float64, 7)
	ls := make([]float64, 7)
	for i := range crit {
		crit[i] = b0[i] + b1[i]/math.Sqrt(m) + b2[i]/m
		ls[i] = math.Log(sig[i])
	}
	if a2 < crit[0] {
		return 0.25
	}
	if a2 > crit[6] {
		return 0.001
	}
	c := polyfit2(crit, ls)
	return math.Exp(c[0] + c[1]*a2 + c[2]*a2*a2)
}

// polyfit2 fits y ≈ c0 + c1 x + c2 x² by least squares (normal equations
// on centred x, which keeps them well conditioned for 7 points).
func polyfit2(x, y []float64) [3]float64 {
	n := float64(len(x))
	mx := 0.0
	for _, v := range x {
		mx += v
	}
	mx /= n
	var s [5]float64
	var t [3]float64
	for i, v := range x {
		u := v - mx
		p := 1.0
		for k := 0; k < 5; k++ {
			s[k] += p
			if k < 3 {
				t[k] += p * y[i]
			}
			p *= u
		}
	}
	A := [3][3]float64{{s[0], s[1], s[2]}, {s[1], s[2], s[3]}, {s[2], s[3], s[4]}}
	c := solve3(A, t)
	// Expand c0 + c1 (x−mx) + c2 (x−mx)² into powers of x.
	return [3]float64{c[0] - c[1]*mx + c[2]*mx*mx, c[1] - 2*c[2]*mx, c[2]}
}

func solve3(A [3][3]float64, b [3]float64) [3]float64 {
	for col := 0; col < 3; col++ {
		piv := col
		for r := col + 1; r < 3; r++ {
			if math.Abs(A[r][col]) > math.Abs(A[piv][col]) {
				piv = r
			}
		}
		A[col], A[piv] = A[piv], A[col]
		b[col], b[piv] = b[piv], b[col]
		for r := col + 1; r < 3; r++ {
			f := A[r][col] / A[col][col]
			for k := col; k < 3; k++ {
				A[r][k] -= f * A[col][k]
			}
			b[r] -= f * b[col]
		}
	}
	var x [3]float64
	for r := 2; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < 3; k++ {
			s -= A[r][k] * x[k]
		}
		x[r] = s / A[r][r]
	}
	return x
}

// ChiSquareResult is Pearson's chi-square test of homogeneity.
type ChiSquareResult struct {
	Statistic float64
	DoF       int
	PValue    float64
}

// ChiSquare tests whether two count vectors over the same categories come
// from one distribution: Pearson's statistic on the 2×K contingency table,
// as scipy.stats.chi2_contingency(correction=False). Categories with zero
// count on both sides are dropped first, so a category that is new in the
// current data has a positive expected count and never gives an infinite
// statistic. With fewer than two non-empty categories, or an empty side,
// the result is statistic 0, p = 1.
func ChiSquare(ref, cur []float64) ChiSquareResult {
	var r, c []float64
	for i := range ref {
		if ref[i]+cur[i] > 0 {
			r = append(r, ref[i])
			c = append(c, cur[i])
		}
	}
	nr, nc := sum(r), sum(c)
	if len(r) < 2 || nr == 0 || nc == 0 {
		return ChiSquareResult{PValue: 1}
	}
	n := nr + nc
	stat := 0.0
	for i := range r {
		col := r[i] + c[i]
		er, ec := nr*col/n, nc*col/n
		stat += (r[i]-er)*(r[i]-er)/er + (c[i]-ec)*(c[i]-ec)/ec
	}
	dof := len(r) - 1
	return ChiSquareResult{Statistic: stat, DoF: dof, PValue: chi2SF(stat, dof)}
}

// chi2SF is the survival function of the chi-square distribution.
func chi2SF(x float64, dof int) float64 {
	if x <= 0 {
		return 1
	}
	return clamp01(mathext.GammaIncRegComp(float64(dof)/2, x/2))
}

// ZTestResult is the two-proportion Z-test.
type ZTestResult struct {
	Statistic float64
	PValue    float64
}

// ZTestProportions compares the share of "successes" in two samples
// (refHits of refN against curHits of curN) with the pooled two-proportion
// Z-test, two-sided. When the pooled share is 0 or 1 (both samples
// constant and equal) or a side is empty the result is z = 0, p = 1.
func ZTestProportions(refHits, refN, curHits, curN float64) ZTestResult {
	if refN <= 0 || curN <= 0 {
		return ZTestResult{PValue: 1}
	}
	p1, p2 := refHits/refN, curHits/curN
	P := (refHits + curHits) / (refN + curN)
	v := P * (1 - P) * (1/refN + 1/curN)
	if !(v > 0) {
		return ZTestResult{PValue: 1}
	}
	z := (p1 - p2) / math.Sqrt(v)
	return ZTestResult{Statistic: z, PValue: clamp01(math.Erfc(math.Abs(z) / math.Sqrt2))}
}

// The histogram distances below take two count (or weight) vectors over
// the same buckets. Buckets empty on both sides are ignored. If either
// side is all zero the distance is 0 (nothing to compare).

// proportions returns the two normalised vectors over the buckets used by
// either side, with pseudo-count alpha added to each such bucket.
func proportions(ref, cur []float64, alpha float64) (p, q []float64, ok bool) {
	for i := range ref {
		if ref[i]+cur[i] > 0 {
			p = append(p, ref[i]+alpha)
			q = append(q, cur[i]+alpha)
		}
	}
	sp, sq := sum(p), sum(q)
	if len(p) == 0 || sp <= 0 || sq <= 0 || sum(ref) <= 0 || sum(cur) <= 0 {
		return nil, nil, false
	}
	for i := range p {
		p[i] /= sp
		q[i] /= sq
	}
	return p, q, true
}

// SmoothingAlpha is the pseudo-count added to every non-empty bucket
// (non-empty on either side) before PSI and KL, so a bucket empty on one
// side contributes a finite amount; the vectors are renormalised after.
// 0.5 is the Jeffreys (Krichevsky–Trofimov) prior.
const SmoothingAlpha = 0.5

// PSI is the population stability index Σ (q−p) ln(q/p) between the
// reference (p) and current (q) bucket counts, smoothed with SmoothingAlpha.
func PSI(ref, cur []float64) float64 {
	p, q, ok := proportions(ref, cur, SmoothingAlpha)
	if !ok {
		return 0
	}
	s := 0.0
	for i := range p {
		s += (q[i] - p[i]) * math.Log(q[i]/p[i])
	}
	return math.Max(s, 0)
}

// KL is the Kullback–Leibler divergence KL(ref ‖ cur) in nats over bucket
// counts, smoothed with SmoothingAlpha (the direction Evidently uses).
func KL(ref, cur []float64) float64 {
	p, q, ok := proportions(ref, cur, SmoothingAlpha)
	if !ok {
		return 0
	}
	s := 0.0
	for i := range p {
		s += p[i] * math.Log(p[i]/q[i])
	}
	return math.Max(s, 0)
}

// JensenShannon returns the Jensen–Shannon distance (the square root of
// the divergence) between two count vectors, with logarithms to the given
// base, as scipy.spatial.distance.jensenshannon. Base 2 bounds it by 1;
// base e (pass math.E) by √ln2 ≈ 0.833. No smoothing is needed.
func JensenShannon(ref, cur []float64, base float64) float64 {
	p, q, ok := proportions(ref, cur, 0)
	if !ok {
		return 0
	}
	js := 0.0
	for i := range p {
		m := (p[i] + q[i]) / 2
		if p[i] > 0 {
			js += p[i] * math.Log(p[i]/m)
		}
		if q[i] > 0 {
			js += q[i] * math.Log(q[i]/m)
		}
	}
	js /= 2 * math.Log(base)
	return math.Sqrt(math.Max(js, 0))
}

// Hellinger is the Hellinger distance √(½ Σ (√p − √q)²) in [0, 1].
func Hellinger(ref, cur []float64) float64 {
	p, q, ok := proportions(ref, cur, 0)
	if !ok {
		return 0
	}
	s := 0.0
	for i := range p {
		d := math.Sqrt(p[i]) - math.Sqrt(q[i])
		s += d * d
	}
	return math.Sqrt(s / 2)
}

// TotalVariation is ½ Σ |p − q| in [0, 1].
func TotalVariation(ref, cur []float64) float64 {
	p, q, ok := proportions(ref, cur, 0)
	if !ok {
		return 0
	}
	s := 0.0
	for i := range p {
		s += math.Abs(p[i] - q[i])
	}
	return s / 2
}

// LInf is max |p − q| over the buckets (TFDV's L-infinity distance).
func LInf(ref, cur []float64) float64 {
	p, q, ok := proportions(ref, cur, 0)
	if !ok {
		return 0
	}
	s := 0.0
	for i := range p {
		s = math.Max(s, math.Abs(p[i]-q[i]))
	}
	return s
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}
