package drift

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// Profile-vs-data fast path.
//
// To compare current data against a reference profile the current values
// need not be sketched: every statistic Compare computes only looks at the
// current CDF at the reference sketch's item values (where the estimated
// reference CDF steps) and at the mass between them. gridAccumulator
// therefore counts each current value into the reference grid — the
// distinct sketch items plus the reference min and max — as "equal to
// grid point i" or "strictly between points i−1 and i" (with the sum of the
// values there). One table lookup per value, no sorting.
//
// From these counts the current side is exact where it matters:
//   - KS: the reference CDF is constant between grid points, so the
//     supremum of |F_ref − F_cur| is reached at grid points or just below
//     them, where the counts give F_cur exactly. KS is off only by the
//     reference sketch's error.
//   - Histograms: bin edges are grid points, so bucket counts are exact.
//   - Wasserstein: ∫ F_cur over each gap is exact from the gap's count and
//     sum; |∫(F_ref − F_cur)| equals ∫|F_ref − F_cur| unless F_cur crosses
//     F_ref inside the gap, and the crossing gaps' width × mass is added to
//     the error bound.
type gridAccumulator struct {
	grid   []float64 // sorted distinct reference grid points
	point  []int64   // values equal to grid[i]
	gap    []gapCell // values in (grid[i−1], grid[i]); gap[len(grid)] above the last
	n      int64
	shift  float64 // reference mean, for a stable sum of squares
	s1, s2 float64
	min    float64
	max    float64
	// Cell index (see buildIndex); nil when the grid is too small.
	inv       float64
	cellStart []int32
}

// gapCell counts the values strictly between two grid points, with their
// sum (together, so that a value touches one cache line).
type gapCell struct {
	n   int64
	sum float64
}

func newGridAccumulator(ref *ColumnProfile) *gridAccumulator {
	it := ref.Sketch.Items()
	g := make([]float64, 0, len(it)+2)
	if ref.Sketch.N() > 0 {
		g = append(g, ref.Min)
	}
	for _, e := range it {
		if len(g) == 0 || e.V > g[len(g)-1] {
			g = append(g, e.V)
		}
	}
	if ref.Sketch.N() > 0 && ref.Max > g[len(g)-1] {
		g = append(g, ref.Max)
	}
	a := &gridAccumulator{
		grid: g, point: make([]int64, len(g)), gap: make([]gapCell, len(g)+1),
		shift: ref.Mean, min: math.Inf(1), max: math.Inf(-1),
	}
	a.buildIndex()
	return a
}

// buildIndex prepares a lookup table over the grid: the grid's range is
// cut into equal-width cells, several per grid point, and cellStart[c]
// is the number of grid points ≤ the start of cell c. A value's place is
// then one multiplication, one table load and, on average, about one
// comparison, instead of a binary search.
func (a *gridAccumulator) buildIndex() {
	g := a.grid
	if len(g) < 2 {
		return
	}
	lo, hi := g[0], g[len(g)-1]
	cells := min(8*len(g), 1<<18)
	w := (hi - lo) / float64(cells)
	if !(w > 0) || math.IsInf(w, 0) || math.IsInf(1/w, 0) {
		return
	}
	a.inv = 1 / w
	a.cellStart = make([]int32, cells)
	j := 0
	for c := range a.cellStart {
		b := lo + float64(c)*w
		for j < len(g) && g[j] <= b {
			j++
		}
		a.cellStart[c] = int32(j)
	}
}

// upper returns the number of grid points ≤ x. The cell index gives a
// starting point; the scans from it make the answer exact whatever the
// rounding of the cell computation.
func (a *gridAccumulator) upper(x float64) int {
	g := a.grid
	if a.cellStart == nil {
		return countLE(g, x)
	}
	if x < g[0] {
		return 0
	}
	if x >= g[len(g)-1] {
		return len(g)
	}
	c := min(int((x-g[0])*a.inv), len(a.cellStart)-1)
	i := int(a.cellStart[c])
	for i > 0 && g[i-1] > x {
		i--
	}
	for i < len(g) && g[i] <= x {
		i++
	}
	return i
}

// countLE returns the number of sorted values ≤ x.
func countLE(g []float64, x float64) int {
	lo, hi := 0, len(g)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if g[m] <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// add counts the finite values of xs (−0 as +0) and returns how many
// are NaN, +Inf and −Inf. The grid must not be empty.
func (a *gridAccumulator) add(xs []float64) (nan, posInf, negInf int64) {
	g := a.grid
	// Sums and extremes in locals, so that they stay in registers.
	s1, s2, lo, hi, shift := a.s1, a.s2, a.min, a.max, a.shift
	point, gap, start, inv := a.point, a.gap, a.cellStart, a.inv
	for _, x := range xs {
		if x-x != 0 { // NaN or ±Inf: counted apart
			switch {
			case x != x:
				nan++
			case x > 0:
				posInf++
			default:
				negInf++
			}
			continue
		}
		if x == 0 {
			x = 0 // fold −0 into +0
		}
		// a.upper(x), inlined.
		var i int
		switch {
		case start == nil:
			i = countLE(g, x)
		case x < g[0]:
			i = 0
		case x >= g[len(g)-1]:
			i = len(g)
		default:
			i = int(start[min(int((x-g[0])*inv), len(start)-1)])
			for i > 0 && g[i-1] > x {
				i--
			}
			for i < len(g) && g[i] <= x {
				i++
			}
		}
		if i > 0 && g[i-1] == x {
			point[i-1]++
		} else {
			gap[i].n++
			gap[i].sum += x
		}
		d := x - shift
		s1 += d
		s2 += d * d
		lo = min(lo, x)
		hi = max(hi, x)
	}
	a.s1, a.s2, a.min, a.max = s1, s2, lo, hi
	a.n += int64(len(xs)) - nan - posInf - negInf
	return nan, posInf, negInf
}

// view returns the current distribution as weighted items: grid points
// with their counts and, for each gap, one item at the mean of its values.
func (a *gridAccumulator) view() cdfView {
	var it []wv
	for i := 0; i <= len(a.grid); i++ {
		if a.gap[i].n > 0 {
			m := a.gap[i].sum / float64(a.gap[i].n)
			// Keep the mean strictly inside its gap despite rounding.
			if i > 0 && m <= a.grid[i-1] {
				m = math.Nextafter(a.grid[i-1], math.Inf(1))
			}
			if i < len(a.grid) && m >= a.grid[i] {
				m = math.Nextafter(a.grid[i], math.Inf(-1))
			}
			it = append(it, wv{V: m, W: a.gap[i].n})
		}
		if i < len(a.grid) && a.point[i] > 0 {
			it = append(it, wv{V: a.grid[i], W: a.point[i]})
		}
	}
	return newCDFView(it)
}

// crossingBound bounds how much the gap-mean representation can
// under-estimate ∫|F_ref − F_cur|: for each gap inside the reference range
// where F_cur crosses the (constant) reference CDF, width × current mass
// in the gap.
func (a *gridAccumulator) crossingBound(ref cdfView) float64 {
	if a.n == 0 {
		return 0
	}
	nf := float64(a.n)
	var below int64 // current values ≤ grid[i−1]
	b := 0.0
	for i := 1; i < len(a.grid); i++ {
		below += a.gap[i-1].n + a.point[i-1]
		if a.gap[i].n == 0 {
			continue
		}
		fr := float64(ref.rank(a.grid[i-1])) / float64(ref.n())
		lo := float64(below) / nf
		hi := float64(below+a.gap[i].n) / nf
		if lo < fr && fr < hi {
			b += (a.grid[i] - a.grid[i-1]) * (hi - lo)
		}
	}
	return b
}

// cdfView is a weighted, sorted sample with cumulative weights; cum is
// nil when every weight is 1 (an exact sketch), and ranks are indices.
type cdfView struct {
	it  []wv
	cum []int64
}

func newCDFView(it []wv) cdfView {
	cum := make([]int64, len(it)+1)
	for i, e := range it {
		cum[i+1] = cum[i] + e.W
	}
	return cdfView{it, cum}
}

func (v cdfView) n() int64 {
	if v.cum == nil {
		return int64(len(v.it))
	}
	return v.cum[len(v.cum)-1]
}

// at is the weight of the first i items.
func (v cdfView) at(i int) int64 {
	if v.cum == nil {
		return int64(i)
	}
	return v.cum[i]
}

// rank is the weight of items ≤ x.
func (v cdfView) rank(x float64) int64 {
	i, _ := slices.BinarySearchFunc(v.it, x, func(e wv, t float64) int {
		if e.V <= t {
			return -1
		}
		return 1
	})
	return v.at(i)
}

// rankLess is the weight of items < x.
func (v cdfView) rankLess(x float64) int64 {
	i, _ := slices.BinarySearchFunc(v.it, x, func(e wv, t float64) int {
		if e.V < t {
			return -1
		}
		return 1
	})
	return v.at(i)
}

// view returns the column's finite values as a CDF view.
func (c *ColumnProfile) view() cdfView {
	if c.grid != nil {
		return c.grid.view()
	}
	if c.Sketch.UnitWeights() {
		return cdfView{it: c.Sketch.Items()}
	}
	it, cum := c.Sketch.Sorted()
	return cdfView{it, cum}
}

// rankError is the column's normalised rank-error bound (0 for a grid
// accumulator, whose counts are exact at every point that matters).
func (c *ColumnProfile) rankError() float64 {
	if c.Sketch == nil {
		return 0
	}
	return c.Sketch.NormalizedRankError()
}

// CompareReader compares the current data read from rr against a
// reference profile in one pass, without building a profile of the current
// data: each numeric value is counted into the reference's quantile grid
// (see the package documentation, "Exact and profile mode"). The verdicts
// are those of Compare(ref, profile of the data), with the current side
// exact: KS is within the reference's rank-error bound of the exact
// statistic, histogram counts are exact. The current side's digest (the
// one a profile of the data would carry) is computed only when
// opts.DigestCurrent is set: hashing every row costs more than the
// comparison. opts.Progress, when not nil, is called after each record
// batch with the rows read so far.
func CompareReader(ctx context.Context, ref *Profile, rr array.RecordReader, opts CompareOptions) (*Report, error) {
	progress := opts.Progress
	if ref == nil || ref.rows == 0 || len(ref.columns) == 0 {
		return nil, errors.New("drift: the reference has no rows")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cur := &Profile{opts: ref.opts, index: map[string]int{}, noDigest: !opts.DigestCurrent}
	cur.opts.Columns = nil
	for _, rc := range ref.columns {
		if slices.Contains(opts.Ignore, rc.Name) {
			continue
		}
		c := &ColumnProfile{Name: rc.Name, Kind: rc.Kind, ArrowType: rc.ArrowType}
		if rc.Kind == Numeric {
			c.grid = newGridAccumulator(rc)
			c.Distinct = map[float64]int64{}
			c.Min, c.Max = math.Inf(1), math.Inf(-1)
		} else {
			c.Freq = NewFrequencySketch(ref.opts.TopK)
		}
		cur.index[c.Name] = len(cur.columns)
		cur.columns = append(cur.columns, c)
	}
	if len(cur.columns) == 0 {
		return nil, errors.New("drift: every column is ignored")
	}
	first := true
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec := rr.Record()
		if first {
			if err := checkCurrentSchema(ref, rec.Schema(), opts.Ignore); err != nil {
				return nil, err
			}
			first = false
		}
		if err := cur.AddRecord(rec); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(cur.rows)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) { // pqarrow ends with io.EOF
		return nil, err
	}
	for _, c := range cur.columns {
		if g := c.grid; g != nil && g.n > 0 {
			nf := float64(g.n)
			c.Mean = g.shift + g.s1/nf
			c.M2 = math.Max(g.s2-g.s1*g.s1/nf, 0)
			c.Min, c.Max = g.min, g.max
		}
	}
	return Compare(ref, cur, opts)
}

// checkCurrentSchema reports columns of the data that the reference lacks
// or that have another kind.
func checkCurrentSchema(ref *Profile, s *arrow.Schema, ignore []string) error {
	for _, f := range s.Fields() {
		if slices.Contains(ignore, f.Name) {
			continue
		}
		rc := ref.Column(f.Name)
		if rc == nil && ref.chosenColumns() {
			continue // the reference's chosen columns define what is compared
		}
		if rc == nil {
			return fmt.Errorf("drift: %w: column %q is in the current data but not in the reference", ErrSchemaMismatch, f.Name)
		}
		k, ok := kindOf(f.Type)
		if !ok || k != rc.Kind {
			return fmt.Errorf("drift: %w: column %q is %s (%s) in the reference and %s in the current data", ErrSchemaMismatch, f.Name, rc.Kind, rc.ArrowType, typeName(f.Type))
		}
	}
	return nil
}
