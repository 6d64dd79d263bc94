package validation

import (
	"math"
	"sort"
)

// sketchK is the capacity of each sketch level. Up to sketchK values the
// sketch is exact; beyond, its rank error is about 1/sketchK per level.
const sketchK = 4096

// Sketch is a mergeable quantile sketch (a compactor hierarchy in the
// style of Manku-Rajagopalan-Lindsay and KLL): level i holds values of
// weight 2^i; a full level is sorted and every other value is promoted.
// Values are exact while the sketch holds at most sketchK of them.
// Compaction is deterministic, so merging the same parts gives the same
// sketch in any order of arguments.
type Sketch struct {
	Levels [][]float64 `json:"levels"`
	N      int64       `json:"n"`
}

// Add adds values.
func (s *Sketch) Add(vs ...float64) {
	if len(s.Levels) == 0 {
		s.Levels = [][]float64{nil}
	}
	for _, v := range vs {
		if math.IsNaN(v) {
			continue
		}
		s.Levels[0] = append(s.Levels[0], v)
		s.N++
		if len(s.Levels[0]) >= 2*sketchK {
			s.compact()
		}
	}
}

// Merge folds o into s.
func (s *Sketch) Merge(o *Sketch) {
	for len(s.Levels) < len(o.Levels) {
		s.Levels = append(s.Levels, nil)
	}
	for i, l := range o.Levels {
		s.Levels[i] = append(s.Levels[i], l...)
	}
	s.N += o.N
	s.compact()
}

// compact halves every level that is over capacity, bottom up.
func (s *Sketch) compact() {
	for i := 0; i < len(s.Levels); i++ {
		l := s.Levels[i]
		sort.Float64s(l)
		if len(l) < 2*sketchK {
			continue
		}
		if i+1 == len(s.Levels) {
			s.Levels = append(s.Levels, nil)
		}
		// Promote every other value; the start alternates with the level
		// so errors do not pile up in one direction.
		start := i % 2
		up := s.Levels[i+1]
		for j := start; j < len(l); j += 2 {
			up = append(up, l[j])
		}
		s.Levels[i+1] = up
		s.Levels[i] = l[:0:0]
	}
}

type weighted struct {
	v float64
	w int64
}

func (s *Sketch) items() []weighted {
	var out []weighted
	for i, l := range s.Levels {
		for _, v := range l {
			out = append(out, weighted{v, int64(1) << i})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].v < out[b].v })
	return out
}

// Quantile returns the q-quantile with linear interpolation between
// order statistics (numpy's and pandas' default), exact while the sketch
// is exact.
func (s *Sketch) Quantile(q float64) float64 {
	it := s.items()
	if len(it) == 0 {
		return math.NaN()
	}
	var total int64
	for _, x := range it {
		total += x.w
	}
	pos := q * float64(total-1) // 0-based fractional rank
	lo := int64(math.Floor(pos))
	frac := pos - float64(lo)
	vlo, vhi := valueAt(it, lo), valueAt(it, lo+1)
	if frac == 0 || lo+1 >= total {
		return vlo
	}
	return vlo + (vhi-vlo)*frac
}

// valueAt returns the value of 0-based rank r.
func valueAt(it []weighted, r int64) float64 {
	var seen int64
	for _, x := range it {
		seen += x.w
		if r < seen {
			return x.v
		}
	}
	return it[len(it)-1].v
}

// CountOutside estimates how many values are < lo or > hi.
func (s *Sketch) CountOutside(lo, hi float64) int64 {
	var n int64
	for i, l := range s.Levels {
		for _, v := range l {
			if v < lo || v > hi {
				n += int64(1) << i
			}
		}
	}
	return n
}
