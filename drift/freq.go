package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// FrequencySketch counts the categories of a column. While a column has at
// most Capacity distinct values the counts are exact. Beyond that it keeps
// the Capacity most frequent categories with the mergeable Misra–Gries
// summary (Agarwal et al., "Mergeable summaries", PODS 2012): every kept
// count is low by at most MaxError, and the mass it no longer attributes to
// a kept category is in Other. Counts + Other always add up to N.
type FrequencySketch struct {
	capacity int
	n        int64
	counts   map[string]int64
	other    int64
	maxError int64
}

// DefaultTopK is the number of categories a profile keeps per column.
const DefaultTopK = 1000

// maxTopK bounds the capacity accepted when parsing a profile.
const maxTopK = 1 << 20

// NewFrequencySketch returns an empty sketch keeping up to capacity
// categories (capacity ≤ 0 means DefaultTopK).
func NewFrequencySketch(capacity int) *FrequencySketch {
	if capacity <= 0 {
		capacity = DefaultTopK
	}
	return &FrequencySketch{capacity: capacity, counts: map[string]int64{}}
}

// N returns the number of values added.
func (f *FrequencySketch) N() int64 { return f.n }

// Exact reports whether every category is still counted exactly.
func (f *FrequencySketch) Exact() bool { return f.other == 0 && f.maxError == 0 }

// Other returns the mass not attributed to a kept category.
func (f *FrequencySketch) Other() int64 { return f.other }

// MaxError returns how much any kept count may be below the true count.
func (f *FrequencySketch) MaxError() int64 { return f.maxError }

// Count returns the (possibly under-estimated) count of category c.
func (f *FrequencySketch) Count(c string) int64 { return f.counts[categoryKey(c)] }

// MaxCategoryBytes is the longest category value a profile stores as is.
// A longer value is stored as its first bytes followed by a digest of the
// whole value ("…[sha256:" and 16 hex digits "]"), so that distinct long
// values stay distinct while raw long strings (free text, a leaked
// document, a 60 MB cell) never land in a profile.
const MaxCategoryBytes = 256

// categoryPrefix is how much of a long value's start is kept.
const categoryPrefix = 200

// categoryKey is the stored form of category c (see MaxCategoryBytes).
func categoryKey(c string) string {
	if len(c) <= MaxCategoryBytes {
		return c
	}
	cut := categoryPrefix
	for cut > 0 && !utf8.RuneStart(c[cut]) {
		cut--
	}
	sum := sha256.Sum256([]byte(c))
	return c[:cut] + "…[sha256:" + hex.EncodeToString(sum[:8]) + "]"
}

// roomFor reports whether k more categories can be added before the
// sketch reduces (which it does past twice its capacity).
func (f *FrequencySketch) roomFor(k int) bool { return len(f.counts)+k <= 2*f.capacity }

// Add counts one value of category c.
func (f *FrequencySketch) Add(c string) { f.addN(c, 1) }

func (f *FrequencySketch) addN(c string, k int64) {
	c = categoryKey(c)
	if _, ok := f.counts[c]; !ok {
		c = strings.Clone(c) // do not keep a reference into an Arrow buffer
	}
	f.counts[c] += k
	f.n += k
	// Reduce lazily, at twice the capacity, so the cost is amortised.
	if len(f.counts) > 2*f.capacity {
		f.reduce()
	}
}

// reduce keeps the capacity largest counts, subtracting the
// (capacity+1)-th largest count from all of them (Misra–Gries).
func (f *FrequencySketch) reduce() {
	if len(f.counts) <= f.capacity {
		return
	}
	vals := make([]int64, 0, len(f.counts))
	for _, v := range f.counts {
		vals = append(vals, v)
	}
	slices.SortFunc(vals, func(a, b int64) int { return int(min(max(b-a, -1), 1)) })
	cut := vals[f.capacity]
	for k, v := range f.counts {
		if v <= cut {
			f.other += v
			delete(f.counts, k)
		} else {
			f.counts[k] = v - cut
			f.other += cut
		}
	}
	f.maxError += cut
}

// Merge adds the contents of o to f.
func (f *FrequencySketch) Merge(o *FrequencySketch) error {
	if f.capacity != o.capacity {
		return fmt.Errorf("frequency sketches with different capacities (%d and %d) cannot be merged", f.capacity, o.capacity)
	}
	for k, v := range o.counts {
		f.counts[k] += v
	}
	f.n += o.n
	f.other += o.other
	f.maxError += o.maxError
	if len(f.counts) > 2*f.capacity {
		f.reduce()
	}
	return nil
}

// Clone returns a deep copy.
func (f *FrequencySketch) Clone() *FrequencySketch {
	c := *f
	c.counts = make(map[string]int64, len(f.counts))
	for k, v := range f.counts {
		c.counts[k] = v
	}
	return &c
}

// Category is one category and its count.
type Category struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Top returns the kept categories by decreasing count (ties by value), at
// most limit of them (all when limit ≤ 0).
func (f *FrequencySketch) Top(limit int) []Category {
	out := make([]Category, 0, len(f.counts))
	for k, v := range f.counts {
		out = append(out, Category{k, v})
	}
	slices.SortFunc(out, func(a, b Category) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Value, b.Value)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

type freqJSON struct {
	Capacity   int        `json:"capacity"`
	N          int64      `json:"n"`
	Other      int64      `json:"other"`
	MaxError   int64      `json:"max_error"`
	Categories []Category `json:"categories"`
}

// MarshalJSON encodes the full mergeable state, categories by count.
func (f *FrequencySketch) MarshalJSON() ([]byte, error) {
	return json.Marshal(freqJSON{f.capacity, f.n, f.other, f.maxError, f.Top(0)})
}

// UnmarshalJSON decodes and validates a frequency sketch.
func (f *FrequencySketch) UnmarshalJSON(b []byte) error {
	var j freqJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Capacity <= 0 || j.Capacity > maxTopK || len(j.Categories) > 2*j.Capacity {
		return fmt.Errorf("frequency sketch capacity %d out of range", j.Capacity)
	}
	if j.N < 0 || j.Other < 0 || j.MaxError < 0 || j.MaxError > j.N {
		return errors.New("frequency sketch counts out of range")
	}
	counts := make(map[string]int64, len(j.Categories))
	total := j.Other
	for _, c := range j.Categories {
		if c.Count <= 0 || c.Count > j.N {
			return fmt.Errorf("category %q has count %d", c.Value, c.Count)
		}
		if _, dup := counts[c.Value]; dup {
			return fmt.Errorf("category %q listed twice", c.Value)
		}
		counts[c.Value] = c.Count
		total += c.Count
		if total > j.N || total < 0 {
			break
		}
	}
	if total != j.N {
		return fmt.Errorf("category counts add up to %d, not n = %d", total, j.N)
	}
	*f = FrequencySketch{capacity: j.Capacity, n: j.N, counts: counts, other: j.Other, maxError: j.MaxError}
	return nil
}
