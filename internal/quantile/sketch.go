package quantile

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Item is a sketch item: a value standing for W added values.
type Item struct {
	V float64
	W int64
}

// Sketch summarises a stream of numbers so that the rank of any
// value (how many stream values are ≤ it) can be estimated within a
// certified bound, in memory that grows only with log(n). It is the
// numeric state of a drift profile column and of validation's quantile
// checks, and is mergeable.
//
// # Algorithm
//
// A deterministic compactor hierarchy (Munro–Paterson, Manku–Rajagopalan–
// Lindsay; the structure KLL refines): level h holds items that each stand
// for 2^h stream values. When a level holds K items it is sorted and every
// other item moves up one level, alternating between keeping the even and
// the odd positions. A compaction that keeps the even positions can only
// raise any estimated rank, by at most 2^h; one that keeps the odd positions
// can only lower it, by at most 2^h. The sketch adds these weights up as it
// goes, so it knows its own worst case:
//
//	true rank − ErrDown ≤ estimated rank ≤ true rank + ErrUp
//
// for every query value, after any sequence of additions and merges. The
// normalised bound max(ErrUp, ErrDown)/N is about log2(N/K)/(2K) (0.3 % for
// N = 10⁷ and the default K = 2048). Until N reaches K nothing is
// compacted and every answer is exact; with K = 0 the sketch never
// compacts (exact mode, memory grows with N).
//
// A Sketch is not safe for concurrent use.
type Sketch struct {
	k       int
	n       int64
	levels  [][]float64
	errUp   int64
	errDown int64
	// parity[h] says whether the next compaction of level h keeps odd
	// positions.
	parity []bool
	sorted []Item  // cache of the weighted sorted items; nil when stale
	cum    []int64 // cumulative weights of sorted
	// scratch is the radix sort's buffer (not state).
	scratch []uint64
}

// DefaultK is the compactor capacity used by default.
const DefaultK = 2048

// MaxK bounds K when parsing a profile, so a hostile file cannot
// make the parser allocate without limit.
const MaxK = 1 << 20

// New returns an empty sketch with compactor capacity k
// (even, ≥ 2); k = 0 makes an exact sketch that never compacts.
func New(k int) *Sketch {
	if k < 0 {
		k = DefaultK
	}
	if k%2 == 1 {
		k++
	}
	if k == 2 {
		k = 4
	}
	return &Sketch{k: k, levels: [][]float64{nil}, parity: []bool{false}}
}

// K returns the compactor capacity (0 for an exact sketch).
func (s *Sketch) K() int { return s.k }

// N returns the number of values added.
func (s *Sketch) N() int64 { return s.n }

// Exact reports whether no compaction has happened, so every rank and
// quantile is exact.
func (s *Sketch) Exact() bool { return s.errUp == 0 && s.errDown == 0 && len(s.levels) <= 1 }

// RankErrorBound returns the certified worst-case absolute rank error,
// max(ErrUp, ErrDown).
func (s *Sketch) RankErrorBound() int64 { return max(s.errUp, s.errDown) }

// NormalizedRankError returns RankErrorBound()/N (0 when empty).
func (s *Sketch) NormalizedRankError() float64 {
	if s.n == 0 {
		return 0
	}
	return float64(s.RankErrorBound()) / float64(s.n)
}

// Add adds one value. NaN must not be added (profiles count it apart).
func (s *Sketch) Add(x float64) {
	s.levels[0] = append(s.levels[0], x)
	s.n++
	s.sorted = nil
	if s.k > 0 && len(s.levels[0]) >= s.k {
		s.compact(0)
	}
}

// AddSlice adds many values (none NaN); it is Add in a loop.
func (s *Sketch) AddSlice(xs []float64) {
	if s.k == 0 {
		// An exact sketch's one level grows by the whole data: double
		// its capacity, since append's gentler growth for large slices
		// copied (and page-faulted in) the values several times over.
		l := s.levels[0]
		if need := len(l) + len(xs); need > cap(l) {
			nl := make([]float64, len(l), max(need, 2*cap(l)))
			copy(nl, l)
			l = nl
		}
		s.levels[0] = append(l, xs...)
		s.n += int64(len(xs))
		s.sorted = nil
		return
	}
	for len(xs) > 0 {
		room := len(xs)
		if s.k > 0 {
			room = min(room, s.k-len(s.levels[0]))
		}
		s.levels[0] = append(s.levels[0], xs[:room]...)
		s.n += int64(room)
		xs = xs[room:]
		if s.k > 0 && len(s.levels[0]) >= s.k {
			s.compact(0)
		}
	}
	s.sorted = nil
}

func (s *Sketch) compact(h int) {
	for ; h < len(s.levels) && len(s.levels[h]) >= s.k; h++ {
		buf := s.levels[h]
		if len(s.scratch) < 2*len(buf) {
			s.scratch = make([]uint64, 2*len(buf))
		}
		SortFloats(buf, s.scratch)
		if h+1 == len(s.levels) {
			s.levels = append(s.levels, nil)
			s.parity = append(s.parity, false)
		}
		// An odd item out (possible after a merge) stays at this level.
		m := len(buf) &^ 1
		off := 0
		if s.parity[h] {
			off = 1
		}
		up := s.levels[h+1]
		for i := off; i < m; i += 2 {
			up = append(up, buf[i])
		}
		s.levels[h+1] = up
		w := int64(1) << h
		if off == 0 {
			s.errUp += w
		} else {
			s.errDown += w
		}
		s.parity[h] = !s.parity[h]
		rest := copy(buf, buf[m:])
		s.levels[h] = buf[:rest]
	}
}

// Merge adds the contents of o to s. Both must have the same K. Counts are
// exact; the error bounds add up, plus whatever the merge compacts.
func (s *Sketch) Merge(o *Sketch) error {
	if s.k != o.k {
		return fmt.Errorf("quantile sketches with different K (%d and %d) cannot be merged", s.k, o.k)
	}
	for len(s.levels) < len(o.levels) {
		s.levels = append(s.levels, nil)
		s.parity = append(s.parity, false)
	}
	for h, items := range o.levels {
		s.levels[h] = append(s.levels[h], items...)
		// Combining parities keeps the merge commutative.
		s.parity[h] = s.parity[h] != o.parity[h]
	}
	s.n += o.n
	s.errUp += o.errUp
	s.errDown += o.errDown
	s.sorted = nil
	if s.k > 0 {
		for h := 0; h < len(s.levels); h++ {
			slices.Sort(s.levels[h])
			if len(s.levels[h]) >= s.k {
				s.compact(h)
			}
		}
	}
	return nil
}

// Clone returns a deep copy.
func (s *Sketch) Clone() *Sketch {
	c := &Sketch{k: s.k, n: s.n, errUp: s.errUp, errDown: s.errDown}
	c.parity = slices.Clone(s.parity)
	c.levels = make([][]float64, len(s.levels))
	for h, l := range s.levels {
		c.levels[h] = slices.Clone(l)
	}
	return c
}

// Items returns the weighted items sorted by value. The slice is cached
// and shared: callers must not modify it.
func (s *Sketch) Items() []Item {
	if s.sorted != nil {
		return s.sorted
	}
	var out []Item
	levels := s.levels
	if s.k == 0 && len(levels) == 1 && len(levels[0]) >= 64 {
		// An exact sketch: one level of weight 1, sorted straight into
		// items.
		out = sortedUnitItems(levels[0])
		levels = nil
	}
	for h, l := range levels {
		if len(l) == 0 {
			continue
		}
		// Sorting a level in place keeps the sketch's state (a multiset
		// per level) unchanged. The buffer of an exact sketch's big level
		// is not kept: it would double the sketch's memory.
		scratch := s.scratch
		if len(scratch) < 2*len(l) {
			scratch = make([]uint64, 2*len(l))
			if s.k > 0 {
				s.scratch = scratch
			}
		}
		SortFloats(l, scratch)
		w := int64(1) << h
		out = mergeWeighted(out, l, w)
	}
	if out == nil {
		out = []Item{}
	}
	s.sorted = out
	s.cum = nil // built on demand: an exact comparison does without it
	return out
}

// cumulative returns the cumulative weights of Items (see Sorted).
func (s *Sketch) cumulative() []int64 {
	out := s.Items()
	if s.cum == nil {
		s.cum = make([]int64, len(out)+1)
		for i, e := range out {
			s.cum[i+1] = s.cum[i] + e.W
		}
	}
	return s.cum
}

// UnitWeights reports whether every item has weight 1, as in an exact
// sketch: an item's index in Items is then its rank, and callers can do
// without the cumulative weights of Sorted (as large as the items).
func (s *Sketch) UnitWeights() bool { return s.k == 0 && len(s.levels) <= 1 }

// mergeWeighted merges sorted values of weight w into the sorted items a.
func mergeWeighted(a []Item, vals []float64, w int64) []Item {
	if len(a) == 0 {
		out := make([]Item, len(vals))
		for i, v := range vals {
			out[i] = Item{v, w}
		}
		return out
	}
	out := make([]Item, 0, len(a)+len(vals))
	i := 0
	for _, v := range vals {
		for i < len(a) && a[i].V <= v {
			out = append(out, a[i])
			i++
		}
		out = append(out, Item{v, w})
	}
	return append(out, a[i:]...)
}

// Sorted returns Items and their cumulative weights: cum[i] is the total
// weight of items[:i], so cum has one more entry than items. Both are
// shared with the sketch's cache.
func (s *Sketch) Sorted() (items []Item, cum []int64) {
	cum = s.cumulative()
	return s.sorted, cum
}

// Rank estimates how many added values are ≤ x.
func (s *Sketch) Rank(x float64) int64 {
	it := s.Items()
	i, _ := slices.BinarySearchFunc(it, x, func(e Item, t float64) int {
		if e.V <= t {
			return -1
		}
		return 1
	})
	return s.cumulative()[i]
}

// Quantile returns the smallest item whose estimated rank is ≥ q·N (the
// inverted-CDF definition), or 0 when the sketch is empty.
func (s *Sketch) Quantile(q float64) float64 {
	it := s.Items()
	if len(it) == 0 {
		return 0
	}
	target := int64(math.Ceil(q * float64(s.n)))
	return quantileAtRank(it, target)
}

// InterpolatedQuantile returns the q-quantile with linear interpolation
// between order statistics (numpy's and pandas' default), or NaN when the
// sketch is empty. It is exact while the sketch is exact.
func (s *Sketch) InterpolatedQuantile(q float64) float64 {
	it, cum := s.Sorted()
	if len(it) == 0 {
		return math.NaN()
	}
	pos := q * float64(s.n-1) // 0-based fractional rank
	lo := int64(math.Floor(pos))
	frac := pos - float64(lo)
	vlo := valueAtRank(it, cum, lo)
	if frac == 0 || lo+1 >= s.n {
		return vlo
	}
	vhi := valueAtRank(it, cum, lo+1)
	return vlo + (vhi-vlo)*frac
}

// valueAtRank returns the value of 0-based rank r.
func valueAtRank(it []Item, cum []int64, r int64) float64 {
	i, _ := slices.BinarySearch(cum[1:], r+1)
	return it[min(i, len(it)-1)].V
}

// CountOutside estimates how many added values are < lo or > hi.
func (s *Sketch) CountOutside(lo, hi float64) int64 {
	var n int64
	for h, l := range s.levels {
		for _, v := range l {
			if v < lo || v > hi {
				n += int64(1) << h
			}
		}
	}
	return n
}

// AtRank returns the smallest item whose estimated rank (cumulative
// weight) is ≥ target, or 0 when the sketch is empty.
func (s *Sketch) AtRank(target int64) float64 {
	it := s.Items()
	if len(it) == 0 {
		return 0
	}
	return quantileAtRank(it, target)
}

// quantileAtRank returns the smallest item with cumulative weight ≥ target.
func quantileAtRank(it []Item, target int64) float64 {
	var c int64
	for _, e := range it {
		c += e.W
		if c >= target {
			return e.V
		}
	}
	return it[len(it)-1].V
}

// GobEncode encodes the sketch as its JSON form, so the state of a
// pipeline that ships sketches with encoding/gob is the same as in JSON.
func (s *Sketch) GobEncode() ([]byte, error) { return s.MarshalJSON() }

// GobDecode decodes and validates what GobEncode wrote.
func (s *Sketch) GobDecode(b []byte) error { return s.UnmarshalJSON(b) }

// Sketch wire format (inside a profile's JSON): levels are base64 of
// little-endian IEEE-754 float64 values, so a profile stays compact and
// round-trips bit for bit.
type sketchJSON struct {
	K       int      `json:"k"`
	N       int64    `json:"n"`
	ErrUp   int64    `json:"err_up"`
	ErrDown int64    `json:"err_down"`
	Parity  []bool   `json:"parity"`
	Levels  []string `json:"levels"`
}

// MarshalJSON encodes the sketch's full mergeable state.
func (s *Sketch) MarshalJSON() ([]byte, error) {
	j := sketchJSON{K: s.k, N: s.n, ErrUp: s.errUp, ErrDown: s.errDown, Parity: s.parity}
	for _, l := range s.levels {
		// Levels are multisets: write them sorted, so equal states encode
		// equally.
		l = slices.Clone(l)
		slices.Sort(l)
		b := make([]byte, 8*len(l))
		for i, v := range l {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		j.Levels = append(j.Levels, base64.StdEncoding.EncodeToString(b))
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes and validates a sketch: the level weights must add
// up to N, no item may be NaN, and the sizes must be plausible.
func (s *Sketch) UnmarshalJSON(b []byte) error {
	var j sketchJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.K < 0 || j.K > MaxK || j.K%2 == 1 || j.K == 2 {
		return fmt.Errorf("sketch k %d out of range", j.K)
	}
	if j.N < 0 || j.ErrUp < 0 || j.ErrDown < 0 || j.ErrUp > j.N || j.ErrDown > j.N {
		return errors.New("sketch counts out of range")
	}
	if len(j.Levels) == 0 || len(j.Levels) > 62 || len(j.Parity) != len(j.Levels) {
		return errors.New("sketch levels malformed")
	}
	levels := make([][]float64, len(j.Levels))
	var total uint64
	for h, enc := range j.Levels {
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(raw)%8 != 0 {
			return fmt.Errorf("sketch level %d malformed", h)
		}
		n := len(raw) / 8
		if j.K > 0 && n >= j.K {
			return fmt.Errorf("sketch level %d holds %d items, more than k", h, n)
		}
		l := make([]float64, n)
		for i := range l {
			v := math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			if math.IsNaN(v) {
				return fmt.Errorf("sketch level %d holds NaN", h)
			}
			l[i] = v
		}
		levels[h] = l
		hi, w := bits.Mul64(uint64(n), uint64(1)<<h)
		if hi != 0 {
			return errors.New("sketch weights overflow")
		}
		var c uint64
		total, c = bits.Add64(total, w, 0)
		if c != 0 {
			return errors.New("sketch weights overflow")
		}
	}
	if total != uint64(j.N) {
		return fmt.Errorf("sketch weights add up to %d, not n = %d", total, j.N)
	}
	if j.K == 0 && len(levels) != 1 {
		return errors.New("exact sketch with more than one level")
	}
	*s = Sketch{k: j.K, n: j.N, levels: levels, errUp: j.ErrUp, errDown: j.ErrDown, parity: j.Parity}
	return nil
}
