package quantile

import "math"

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
	// Sort keys back and forth between the two halves of scratch.
	src, dst := keys, scratch[n:2*n]
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
		out := dst[:len(src)]
		for _, k := range src {
			d := byte(k >> shift)
			out[pos[d]] = k
			pos[d]++
		}
		src, dst = out, src
	}
	for i, k := range src {
		x[i] = keyFloat(k)
	}
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
