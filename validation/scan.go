package validation

import (
	"encoding/binary"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
)

// Word-at-a-time scanning: a row check builds, for each run of 64 rows, a
// bit mask of the rows whose value fails (one comparison per row, no
// branch), ANDs it with the same 64 bits of the validity bitmap and counts
// the set bits. Only failing rows are visited one by one, and only while
// samples are still wanted, so the counting loop stays branch-free whatever
// the share of failures or nulls.

// b2u is 1 for true and 0 for false; the compiler emits a SETcc for it.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// validWords yields the validity of rows [i, i+64) as a word; a column
// without nulls is all valid.
type validWords struct {
	bm  []byte // nil when the column has no nulls
	off int    // bit offset of row 0 in bm
}

func validityOf(arr arrow.Array) validWords {
	if arr.NullN() == 0 {
		return validWords{}
	}
	return validWords{bm: arr.NullBitmapBytes(), off: arr.Data().Offset()}
}

// word returns the validity bits of rows i..i+63 (bit j = row i+j); bits
// past the end of the bitmap are zero.
func (v validWords) word(i int) uint64 {
	if v.bm == nil {
		return ^uint64(0)
	}
	pos := v.off + i
	b, shift := pos>>3, uint(pos&7)
	src := v.bm[b:]
	if len(src) < 9 { // the bitmap's last bytes: pad with zeros
		var buf [9]byte
		copy(buf[:], src)
		src = buf[:]
	}
	w := binary.LittleEndian.Uint64(src)
	if shift != 0 {
		w = w>>shift | uint64(src[8])<<(64-shift)
	}
	return w
}

// lenMask keeps the low n bits of a word (n ≤ 64).
func lenMask(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(n) - 1
}

// countWord counts the failing valid rows of one word of rows starting at
// base and reports each to bad (if any), in row order.
func countWord(fail uint64, base int, bad func(int)) int64 {
	if bad != nil {
		for m := fail; m != 0; m &= m - 1 {
			bad(base + bits.TrailingZeros64(m))
		}
	}
	return int64(bits.OnesCount64(fail))
}

// flags holds one 0/1 byte per row of a run of 64 rows. Writing a byte per
// row and packing eight at a time (packBits) is cheaper than shifting each
// row's bit into place.
type flags [64]byte

// packBits turns flags into a word, bit j = flags[j]; rows past n are 0.
func (f *flags) packBits(n int) uint64 {
	var w uint64
	for k := 0; k < 8; k++ {
		// Eight 0/1 bytes as one little-endian word; the multiply gathers
		// byte i's low bit at bit 56+i.
		x := binary.LittleEndian.Uint64(f[8*k:])
		w |= (x * 0x0102040810204080 >> 56) << (8 * k)
	}
	return w & lenMask(n)
}

// scanWords runs fill over each run of at most 64 values of vals (fill sets
// flags[j] = 1 when value j fails) and counts the failing valid rows. fill
// is called once per 64 rows, so its call cost is amortised.
func scanWords[T any](vals []T, valid validWords, bad func(int), fill func([]T, *flags)) int64 {
	var n int64
	var f flags
	for base := 0; base < len(vals); base += 64 {
		chunk := vals[base:min(base+64, len(vals))]
		fill(chunk, &f)
		fail := f.packBits(len(chunk)) & valid.word(base)
		if fail != 0 {
			n += countWord(fail, base, bad)
		}
	}
	return n
}

// outsideInt64 flags the values outside [lo, lo+span]: v-lo, as unsigned,
// exceeds span exactly when v is outside the range.
func outsideInt64(chunk []int64, f *flags, lo int64, span uint64) {
	for j, v := range chunk {
		f[j] = byte(b2u(uint64(v-lo) > span))
	}
}

// inBitset flags the int64 values whose set membership differs from want
// (1 for in-set checks, 0 for not-in-set). set holds bit v-base for each
// member and one clear bit at index size, onto which every value outside
// [base, base+size) is clamped.
func inBitset(chunk []int64, f *flags, set []uint64, base int64, size, want uint64) {
	for j, v := range chunk {
		off := min(uint64(v-base), size)
		f[j] = byte(set[off>>6]>>(off&63)&1 ^ want)
	}
}
