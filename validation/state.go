package validation

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// State is the partial result of a suite over some rows: one part of a
// dataset (a batch, a file, a partition of a distributed job). States of
// disjoint parts merge into the state of their union; Merge is
// associative and commutative, so partitions may be combined in any order
// and tree shape. A State holds only exported, JSON- and gob-encodable
// data, so a distributed engine can compute states on its workers, ship
// them, merge them and call Plan.Finalize once.
//
// Sample values in a State are already redacted unless the Plan was
// compiled with Options.RawSamples.
type State struct {
	// SuiteDigest and SchemaDigest bind the state to the suite and the
	// data schema it was computed for; states of other suites or schemas
	// do not merge.
	SuiteDigest  string `json:"suite_digest"`
	SchemaDigest string `json:"schema_digest"`
	// Offset is the dataset-wide row index of this part's first row, so
	// row indices in results are dataset-wide. Rows is the row count.
	Offset int64 `json:"offset"`
	Rows   int64 `json:"rows"`
	// Checks holds one entry per check of the suite, in suite order.
	Checks []CheckState `json:"checks"`
}

// CheckState is the mergeable partial state of one check. Which parts
// are set depends on the check type.
type CheckState struct {
	Elements   int64 `json:"elements"`   // rows the check looked at
	Nulls      int64 `json:"nulls"`      // of those, null
	Unexpected int64 `json:"unexpected"` // rows that failed a row-level check
	// Selected counts the rows a row_condition selected (conditional
	// checks only); the check's row count is this, not the dataset's.
	Selected int64 `json:"selected,omitempty"`
	// Samples are the first unexpected values by row index.
	Samples []Sample `json:"samples,omitempty"`
	// Moments of a numeric column (or of string lengths).
	Moments *Moments `json:"moments,omitempty"`
	// Sketch of a numeric column's distribution, for quantiles.
	Sketch *Sketch `json:"sketch,omitempty"`
	// Counts of values (categorical checks), keyed by the value's text.
	Counts map[string]int64 `json:"counts,omitempty"`
	// Hashes counts rows by a 64-bit hash of a value or row (uniqueness,
	// duplicates).
	Hashes map[uint64]int64 `json:"hashes,omitempty"`
	// Groups maps a feature hash to its label (conflicting labels).
	Groups map[uint64]LabelGroup `json:"groups,omitempty"`
	// Order tracks monotonicity across the part.
	Order *Order `json:"order,omitempty"`
	// Overflow is set when a bounded map (Counts) exceeded its limit.
	Overflow bool `json:"overflow,omitempty"`
	// Error is set when evaluating the check failed; it fails the check.
	Error string `json:"error,omitempty"`
}

// Sample is one unexpected value and its dataset-wide row index.
type Sample struct {
	Row   int64  `json:"row"`
	Value string `json:"value"`
}

// LabelGroup is the label seen for one feature vector: Label is the
// label's hash, Conflict is set once two different labels were seen.
type LabelGroup struct {
	Label    uint64 `json:"label"`
	Rows     int64  `json:"rows"`
	Conflict bool   `json:"conflict,omitempty"`
}

// Order is the monotonicity state of a column: row ranges (segments)
// with their first and last non-null values and the violations inside.
// Merging sorts the segments and joins adjacent ones, so partitions may
// be merged in any order; the boundary between two segments is checked
// when they are combined in Total.
type Order struct {
	Decreasing bool      `json:"decreasing,omitempty"`
	Strict     bool      `json:"strict,omitempty"`
	Segments   []Segment `json:"segments"`
}

// Segment is a contiguous range of rows [Start, End).
type Segment struct {
	Start      int64   `json:"start"`
	End        int64   `json:"end"`
	Has        bool    `json:"has"` // any non-null value
	First      float64 `json:"first"`
	Last       float64 `json:"last"`
	Violations int64   `json:"violations"`
}

// Moments are the count, sum, mean, sum of squared deviations (M2), min
// and max of a numeric column, merged with Chan et al.'s parallel update.
type Moments struct {
	N    int64   `json:"n"`
	Sum  float64 `json:"sum"`
	Mean float64 `json:"mean"`
	M2   float64 `json:"m2"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	NaN  int64   `json:"nan,omitempty"` // NaN values, excluded from the rest
}

// addBatch folds a batch's own moments into m.
func (m *Moments) addBatch(n int64, sum, min, max float64, m2 float64) {
	if n == 0 {
		return
	}
	m.merge(&Moments{N: n, Sum: sum, Mean: sum / float64(n), M2: m2, Min: min, Max: max})
}

func (m *Moments) merge(o *Moments) {
	m.NaN += o.NaN
	if o.N == 0 {
		return
	}
	if m.N == 0 {
		nan := m.NaN
		*m = *o
		m.NaN = nan
		return
	}
	n := m.N + o.N
	// Order the two sides so the result does not depend on argument
	// order (commutativity holds bit for bit).
	a, b := *m, *o
	if b.Mean < a.Mean || (b.Mean == a.Mean && b.N < a.N) {
		a, b = b, a
	}
	delta := b.Mean - a.Mean
	m.Mean = a.Mean + delta*float64(b.N)/float64(n)
	m.M2 = a.M2 + b.M2 + delta*delta*float64(a.N)*float64(b.N)/float64(n)
	m.Sum = a.Sum + b.Sum
	m.N = n
	m.Min = math.Min(a.Min, b.Min)
	m.Max = math.Max(a.Max, b.Max)
}

// Std is the sample standard deviation (ddof=1, as pandas).
func (m *Moments) Std() float64 {
	if m.N < 2 {
		return math.NaN()
	}
	return math.Sqrt(m.M2 / float64(m.N-1))
}

// Merge folds o into s. Both must come from the same Plan.
func (s *State) Merge(o *State) error {
	if s.SuiteDigest != o.SuiteDigest || s.SchemaDigest != o.SchemaDigest {
		return errors.New("validation: cannot merge states of different suites or schemas")
	}
	if len(s.Checks) != len(o.Checks) {
		return fmt.Errorf("validation: cannot merge states with %d and %d checks", len(s.Checks), len(o.Checks))
	}
	if s.Rows == 0 {
		s.Offset = o.Offset
	} else if o.Rows > 0 {
		s.Offset = min(s.Offset, o.Offset)
	}
	s.Rows += o.Rows
	for i := range s.Checks {
		if err := s.Checks[i].merge(&o.Checks[i]); err != nil {
			return fmt.Errorf("validation: check %d: %w", i, err)
		}
	}
	return nil
}

func (c *CheckState) merge(o *CheckState) error {
	c.Elements += o.Elements
	c.Nulls += o.Nulls
	c.Unexpected += o.Unexpected
	c.Selected += o.Selected
	c.Overflow = c.Overflow || o.Overflow
	if o.Error != "" && (c.Error == "" || o.Error < c.Error) {
		c.Error = o.Error
	}
	c.Samples = mergeSamples(c.Samples, o.Samples)
	if (c.Moments == nil) != (o.Moments == nil) || (c.Sketch == nil) != (o.Sketch == nil) || (c.Order == nil) != (o.Order == nil) {
		return errors.New("states of different check types")
	}
	if c.Moments != nil {
		c.Moments.merge(o.Moments)
	}
	if c.Sketch != nil {
		if err := c.Sketch.Merge(o.Sketch); err != nil {
			return err
		}
	}
	if c.Order != nil {
		c.Order = mergeOrder(c.Order, o.Order)
	}
	if o.Counts != nil {
		if c.Counts == nil {
			c.Counts = map[string]int64{}
		}
		for k, v := range o.Counts {
			c.Counts[k] += v
		}
		if len(c.Counts) > maxCounts {
			c.Overflow = true
		}
	}
	if o.Hashes != nil {
		if c.Hashes == nil {
			c.Hashes = map[uint64]int64{}
		}
		for k, v := range o.Hashes {
			c.Hashes[k] += v
		}
	}
	if o.Groups != nil {
		if c.Groups == nil {
			c.Groups = map[uint64]LabelGroup{}
		}
		for k, g := range o.Groups {
			c.Groups[k] = mergeGroup(c.Groups[k], g)
		}
	}
	return nil
}

func mergeGroup(a, b LabelGroup) LabelGroup {
	if a.Rows == 0 {
		return b
	}
	if b.Rows == 0 {
		return a
	}
	out := LabelGroup{Rows: a.Rows + b.Rows, Conflict: a.Conflict || b.Conflict || a.Label != b.Label}
	out.Label = min(a.Label, b.Label) // any representative; min keeps merge commutative
	return out
}

// maxSamples bounds the unexpected samples and indices kept per check.
const maxSamples = 20

func mergeSamples(a, b []Sample) []Sample {
	if len(b) == 0 {
		return a
	}
	out := append(append(make([]Sample, 0, len(a)+len(b)), a...), b...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Row != out[j].Row {
			return out[i].Row < out[j].Row
		}
		return out[i].Value < out[j].Value
	})
	if len(out) > maxSamples {
		out = out[:maxSamples]
	}
	return out
}

func mergeOrder(a, b *Order) *Order {
	out := &Order{Decreasing: a.Decreasing, Strict: a.Strict}
	segs := append(append([]Segment(nil), a.Segments...), b.Segments...)
	sort.Slice(segs, func(i, j int) bool { return segs[i].Start < segs[j].Start })
	for _, sg := range segs {
		out.add(sg)
	}
	return out
}

// add appends a segment that starts at or after the last one, joining
// it to the last when adjacent.
func (o *Order) add(sg Segment) {
	n := len(o.Segments)
	if n == 0 || o.Segments[n-1].End != sg.Start {
		o.Segments = append(o.Segments, sg)
		return
	}
	last := &o.Segments[n-1]
	switch {
	case !sg.Has:
	case !last.Has:
		last.Has, last.First, last.Last = true, sg.First, sg.Last
		last.Violations += sg.Violations
	default:
		last.Violations += sg.Violations + boolInt(o.violates(last.Last, sg.First))
		last.Last = sg.Last
	}
	last.End = sg.End
}

// Total is the number of violations over all segments in row order.
func (o *Order) Total() int64 {
	var n int64
	var prev *Segment
	for i := range o.Segments {
		sg := &o.Segments[i]
		n += sg.Violations
		if !sg.Has {
			continue
		}
		if prev != nil && o.violates(prev.Last, sg.First) {
			n++
		}
		prev = sg
	}
	return n
}

// violates reports whether next may not follow prev.
func (o *Order) violates(prev, next float64) bool {
	switch {
	case o.Decreasing && o.Strict:
		return !(next < prev)
	case o.Decreasing:
		return !(next <= prev)
	case o.Strict:
		return !(next > prev)
	}
	return !(next >= prev)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
