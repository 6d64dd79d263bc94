package drift

import "math"

// sortFloats sorts NaN-free float64s ascending with an LSD radix sort on
// their order-preserving uint64 keys: O(n) per compaction instead of the
// O(n log n) comparisons of a general sort, which dominated profiling.
// Byte positions where every key agrees (the sign and exponent bytes of
// similar values) are skipped. scratch must hold 2·len(x) values.
func sortFloats(x []float64, scratch []uint64) {
	n := len(x)
	if n < 64 {
		insertionSort(x)
		return
	}
	keys := scratch[:n]
	var counts [8][256]int
	for i, v := range x {
		if v == 0 {
			v = 0 // −0 sorts with +0
		}
		k := math.Float64bits(v)
		if k&(1<<63) != 0 {
			k = ^k
		} else {
			k |= 1 << 63
		}
		keys[i] = k
		for b := 0; b < 8; b++ {
			counts[b][byte(k>>(8*b))]++
		}
	}
	// Sort keys back and forth between keys and out (x's bits as buffer).
	src, dst := keys, scratch[n:2*n]
	for b := 0; b < 8; b++ {
		c := &counts[b]
		if c[byte(src[0]>>(8*b))] == n {
			continue
		}
		var pos [256]int
		s := 0
		for i := 0; i < 256; i++ {
			pos[i] = s
			s += c[i]
		}
		for _, k := range src {
			d := byte(k >> (8 * b))
			dst[pos[d]] = k
			pos[d]++
		}
		src, dst = dst, src
	}
	for i, k := range src {
		if k&(1<<63) != 0 {
			k &^= 1 << 63
		} else {
			k = ^k
		}
		x[i] = math.Float64frombits(k)
	}
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
