package quantile

import (
	"math"
	"unsafe"
)

// SortFloats sorts NaN-free float64s ascending with an LSD radix sort on
// their order-preserving uint64 keys: O(n) per compaction instead of the
// O(n log n) comparisons of a general sort, which dominated profiling.
// Byte positions where every key agrees (the sign and exponent bytes of
// similar values) are skipped. scratch must hold 2·len(x) values.
func SortFloats(x []float64, scratch []uint64) {
	n := len(x)
	if n < 64 {
		insertionSort(x)
		return
	}
	keys := scratch[:n]
	// One pass builds all eight byte histograms (unrolled: a loop here
	// cost as much as two scatter passes).
	var counts [8][256]int
	for i, v := range x {
		if v == 0 {
			v = 0 // −0 sorts with +0
		}
		k := floatKey(v)
		keys[i] = k
		counts[0][byte(k)]++
		counts[1][byte(k>>8)]++
		counts[2][byte(k>>16)]++
		counts[3][byte(k>>24)]++
		counts[4][byte(k>>32)]++
		counts[5][byte(k>>40)]++
		counts[6][byte(k>>48)]++
		counts[7][byte(k>>56)]++
	}
	src := radixPasses(keys, scratch[n:2*n], &counts)
	for i, k := range src {
		x[i] = keyFloat(k)
	}
}

// radixPasses sorts keys, whose eight byte histograms are counts, moving
// them back and forth between keys and other (of the same length); it
// returns the one that holds the sorted keys. Byte positions where every
// key agrees are skipped.
func radixPasses(keys, other []uint64, counts *[8][256]int) []uint64 {
	n := len(keys)
	src, dst := keys, other
	for b := 0; b < 8; b++ {
		c := &counts[b]
		shift := uint(8 * b)
		if c[byte(src[0]>>shift)] == n {
			continue
		}
		var pos [256]int
		s := 0
		for i := range pos {
			pos[i] = s
			s += c[i]
		}
		out := dst[:n]
		for _, k := range src {
			d := byte(k >> shift)
			out[pos[d]] = k
			pos[d]++
		}
		src, dst = out, src
	}
	return src
}

// sortedUnitItems sorts x (NaN-free, len ≥ 1) and returns it as items of
// weight 1: an exact sketch's one level, whose sort is most of an exact
// comparison's work. Unlike SortFloats followed by a merge into items, x's
// own memory and that of the items it returns hold the keys during the
// radix passes (no scratch buffer: in exact comparison every fresh page
// costs a fault), and one last pass writes the items and the sorted values
// back into x together.
func sortedUnitItems(x []float64) []Item {
	n := len(x)
	// The level's memory is reused as keys: a float64 and its key are
	// both 8 bytes, and every key is written back as a float64 below.
	keys := unsafe.Slice((*uint64)(unsafe.Pointer(&x[0])), n)
	var counts [8][256]int
	for i, v := range x {
		if v == 0 {
			v = 0 // −0 sorts with +0
		}
		k := floatKey(v)
		keys[i] = k
		counts[0][byte(k)]++
		counts[1][byte(k>>8)]++
		counts[2][byte(k>>16)]++
		counts[3][byte(k>>24)]++
		counts[4][byte(k>>32)]++
		counts[5][byte(k>>40)]++
		counts[6][byte(k>>48)]++
		counts[7][byte(k>>56)]++
	}
	// The items' memory (two words per item) serves as the second key
	// buffer, in its upper half: writing item i overwrites the words of
	// keys 2i−n and 2i+1−n, both ≤ i, so already read.
	out := make([]Item, n)
	words := unsafe.Slice((*uint64)(unsafe.Pointer(&out[0])), 2*n)
	sorted := radixPasses(keys, words[n:], &counts)
	for i, k := range sorted {
		v := keyFloat(k)
		out[i] = Item{v, 1}
		keys[i] = math.Float64bits(v) // x[i] = v; sorted may be keys itself
	}
	return out
}

// floatKey maps a float64 to a uint64 with the same order: negative
// numbers have all bits flipped, positive ones the sign bit set.
func floatKey(v float64) uint64 {
	k := math.Float64bits(v)
	return k ^ (uint64(int64(k)>>63) | 1<<63)
}

// keyFloat inverts floatKey.
func keyFloat(k uint64) float64 {
	return math.Float64frombits(k ^ (uint64(int64(^k)>>63) | 1<<63))
}

func insertionSort(x []float64) {
	for i := 1; i < len(x); i++ {
		v := x[i]
		j := i
		for j > 0 && x[j-1] > v {
			x[j] = x[j-1]
			j--
		}
		x[j] = v
	}
}
