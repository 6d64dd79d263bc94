package drift

import (
	"slices"
	"strconv"
)

// HistogramBins is the number of quantile bins fitted on the reference for
// PSI, KL, Jensen–Shannon, Hellinger, total variation and L-infinity on
// numeric columns (deciles, the usual PSI convention).
const HistogramBins = 10

// Histogram is a binned distribution fitted on a reference column.
//
// Numeric columns: the reference's min and max and its quantiles at
// i/HistogramBins (i = 1…9, inverted-CDF definition: the smallest value
// whose rank is ≥ ⌈i·n/10⌉, computed in integers) are the edges; repeated
// quantiles (ties) and quantiles equal to the min are dropped, so a
// constant column has one bin. Buckets, in order: below the reference
// range (x < min, −Inf included), one per bin [e_j, e_j+1) with the last
// bin closed [e_m, max], above the range (x > max, +Inf included), and NaN.
//
// Categorical columns: one bucket per category in either side, then
// "other" (categories folded by the top-K summary). A category of the
// current data that a reference with exact counts never saw ("unseen")
// gets its own bucket with reference count 0; when the reference folded
// rare categories into "other", such a category goes to "other" too,
// since it may be one of them.
type Histogram struct {
	// Labels name the buckets ("< 1.5", "[1.5, 2)", "red", "(other)" …).
	Labels []string `json:"labels"`
	// Edges are the numeric bin edges (numeric columns only).
	Edges []float64 `json:"edges,omitempty"`
	// Reference and Current are the bucket counts.
	Reference []float64 `json:"reference"`
	Current   []float64 `json:"current"`
}

// numericEdges fits the bin edges on a reference column: lo, interior…, hi.
func numericEdges(ref *ColumnProfile) []float64 {
	n := ref.Sketch.N()
	if n == 0 {
		return nil
	}
	lo, hi := ref.Min, ref.Max
	edges := []float64{lo}
	for i := int64(1); i < HistogramBins; i++ {
		q := ref.Sketch.AtRank((i*n + HistogramBins - 1) / HistogramBins)
		if q > edges[len(edges)-1] {
			edges = append(edges, q)
		}
	}
	return append(edges, hi)
}

// numericCounts counts a column into the buckets defined by edges
// (lo, interior…, hi): below, bins…, above, NaN. With a compacted sketch
// each count is an estimate within twice the sketch's rank-error bound.
func numericCounts(c *ColumnProfile, edges []float64) []float64 {
	m := len(edges) - 1 // number of bins
	if m < 1 {
		m = 1
	}
	out := make([]float64, m+3)
	s := c.view()
	lo, hi := edges[0], edges[len(edges)-1]
	out[0] = float64(s.rankLess(lo) + c.NegInf)
	for j := 0; j < m; j++ {
		a := edges[min(j, len(edges)-1)]
		var upper int64
		if j == m-1 {
			upper = s.rank(hi)
		} else {
			upper = s.rankLess(edges[j+1])
		}
		out[1+j] = float64(max(upper-s.rankLess(a), 0))
	}
	out[m+1] = float64(s.n() - s.rank(hi) + c.PosInf)
	out[m+2] = float64(c.NaN)
	return out
}

func numericLabels(edges []float64) []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
	m := max(len(edges)-1, 1)
	labels := []string{"< " + f(edges[0])}
	for j := 0; j < m; j++ {
		if j == m-1 {
			labels = append(labels, "["+f(edges[min(j, len(edges)-1)])+", "+f(edges[len(edges)-1])+"]")
		} else {
			labels = append(labels, "["+f(edges[j])+", "+f(edges[j+1])+")")
		}
	}
	return append(labels, "> "+f(edges[len(edges)-1]), "NaN")
}

func numericHistogram(ref, cur *ColumnProfile) *Histogram {
	edges := numericEdges(ref)
	if edges == nil {
		return nil
	}
	h := &Histogram{Labels: numericLabels(edges), Edges: edges, Reference: numericCounts(ref, edges)}
	if cur != nil {
		h.Current = numericCounts(cur, edges)
	}
	return h
}

// Bucket labels for folded categories.
const (
	LabelOther = "(other)"
)

// categoryCounts returns the categories of a column as a map: the
// frequency sketch of a categorical column, or the distinct values of a
// low-cardinality numeric column.
func categoryCounts(c *ColumnProfile) (counts map[string]int64, other int64, exact bool) {
	if c.Kind == Categorical {
		return c.Freq.counts, c.Freq.other, c.Freq.Exact()
	}
	counts = map[string]int64{}
	for v, k := range c.Distinct {
		counts[strconv.FormatFloat(v, 'g', -1, 64)] += k
	}
	if c.NaN > 0 {
		counts["NaN"] += c.NaN
	}
	if c.PosInf > 0 {
		counts["+Inf"] += c.PosInf
	}
	if c.NegInf > 0 {
		counts["-Inf"] += c.NegInf
	}
	return counts, 0, true
}

// categoricalHistogram aligns two columns' categories. Categories are
// ordered by reference count then current count, then "other", "unseen".
func categoricalHistogram(ref, cur *ColumnProfile) *Histogram {
	rc, rother, rexact := categoryCounts(ref)
	var cc map[string]int64
	var cother int64
	if cur != nil {
		cc, cother, _ = categoryCounts(cur)
	}
	keys := make([]string, 0, len(rc))
	for k := range rc {
		keys = append(keys, k)
	}
	var newKeys []string
	for k, v := range cc {
		if _, ok := rc[k]; ok {
			continue
		}
		if rexact {
			newKeys = append(newKeys, k)
		} else {
			// The reference folded rare categories into "other": a
			// category missing from its top-K may be one of them.
			cother += v
		}
	}
	sortCats := func(ks []string, primary, secondary map[string]int64) {
		slices.SortFunc(ks, func(a, b string) int {
			if primary[a] != primary[b] {
				if primary[a] > primary[b] {
					return -1
				}
				return 1
			}
			if secondary[a] != secondary[b] {
				if secondary[a] > secondary[b] {
					return -1
				}
				return 1
			}
			if a < b {
				return -1
			}
			if a > b {
				return 1
			}
			return 0
		})
	}
	sortCats(keys, rc, cc)
	sortCats(newKeys, cc, rc)
	h := &Histogram{}
	for _, k := range keys {
		h.Labels = append(h.Labels, k)
		h.Reference = append(h.Reference, float64(rc[k]))
		h.Current = append(h.Current, float64(cc[k]))
	}
	for _, k := range newKeys {
		h.Labels = append(h.Labels, k)
		h.Reference = append(h.Reference, 0)
		h.Current = append(h.Current, float64(cc[k]))
	}
	h.Labels = append(h.Labels, LabelOther)
	h.Reference = append(h.Reference, float64(rother))
	h.Current = append(h.Current, float64(cother))
	if cur == nil {
		h.Current = nil
	}
	return h
}

// compactHistogram keeps at most limit buckets for display: the largest
// by combined share, the rest folded into "(other)".
func (h *Histogram) forDisplay(limit int) *Histogram {
	if h == nil || len(h.Labels) <= limit {
		return h
	}
	idx := make([]int, len(h.Labels))
	for i := range idx {
		idx[i] = i
	}
	sr, sc := sum(h.Reference), sum(h.Current)
	share := func(i int) float64 {
		s := 0.0
		if sr > 0 {
			s += h.Reference[i] / sr
		}
		if sc > 0 && h.Current != nil {
			s += h.Current[i] / sc
		}
		return s
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		sa, sb := share(a), share(b)
		if sa > sb {
			return -1
		}
		if sa < sb {
			return 1
		}
		return 0
	})
	keep := map[int]bool{}
	for _, i := range idx[:limit-1] {
		keep[i] = true
	}
	out := &Histogram{}
	var or, oc float64
	for i, l := range h.Labels {
		if keep[i] && l != LabelOther {
			out.Labels = append(out.Labels, l)
			out.Reference = append(out.Reference, h.Reference[i])
			out.Current = append(out.Current, h.Current[i])
			continue
		}
		or += h.Reference[i]
		oc += h.Current[i]
	}
	out.Labels = append(out.Labels, LabelOther)
	out.Reference = append(out.Reference, or)
	out.Current = append(out.Current, oc)
	return out
}
