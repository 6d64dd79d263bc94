package modelscan

// memoTable is the pickle memo. Its keys are nearly always dense: MEMOIZE
// numbers entries 0, 1, 2, ... and CPython's BINPUT does the same. Most
// memoized objects are ones the scan knows nothing about (lists, floats,
// bytes), so presence is one bit per dense key. Only values the scan reads
// back (strings, globals, small ints, scalar tuples, dicts) are kept, at
// most maxMemoValues of them; their indices live in pages of 4096 dense
// keys, allocated only where a kept value lands. Past that budget an entry
// is present with an unknown value, so a global built from it is reported
// as unresolved, never resolved or passed. A key far past the dense end
// goes to a map, so a hostile key (2^32-1) costs one entry, not a huge
// bitmap. Everything grows in fixed-size chunks, without copying.
type memoTable struct {
	present chunked[uint64]     // bit k%64 of word k/64: dense key k is present
	pages   []*[pageSize]uint32 // by k/pageSize: 1 + index in vals of dense key k's value, 0: unknown
	npages  int                 // pages allocated
	sparse  map[uint64]uint32   // keys beyond the dense words: 1 + index in vals, 0: unknown
	vals    chunked[value]
	n       int // entries, dense and sparse
}

const pageSize = 4096

// maxGap is how many keys past the dense end a key may land and still be
// kept in the bitmap (the holes cost a bit each).
const maxGap = 1 << 16

// maxMemoValues bounds the values a memo keeps: 12 MiB of them.
const maxMemoValues = 1 << 18

// maxMemoBytes bounds the memory of a memo: a benign pickle reaches it
// after hundreds of millions of dense entries, a hostile one spreading its
// keys or values apart much sooner, and either way it is a resource-limit
// finding.
const maxMemoBytes = 40 << 20

// bytes is what the memo holds in memory, roughly.
func (t *memoTable) bytes() int {
	return t.present.n*8 + len(t.pages)*8 + t.npages*pageSize*4 + len(t.sparse)*48 + t.vals.n*48
}

func (t *memoTable) reset() {
	t.vals.reset() // drop references to strings and tuples
	t.present.reset()
	clear(t.pages)
	t.pages, t.npages, t.sparse, t.n = t.pages[:0], 0, nil, 0
}

// dense is the number of keys the bitmap covers.
func (t *memoTable) dense() uint64 { return uint64(t.present.n) * 64 }

// has reports whether k holds an entry.
func (t *memoTable) has(k uint64) bool {
	if t.denseHas(k) {
		return true
	}
	_, ok := t.sparse[k]
	return ok
}

// denseHas reports whether k is present in the bitmap. A sparse key stays
// in the map even when the bitmap grows past it later.
func (t *memoTable) denseHas(k uint64) bool {
	return k < t.dense() && *t.present.at(int(k / 64))&(1<<(k%64)) != 0
}

// slot is where k's value index is kept, or nil for a dense key whose
// page does not exist (and alloc is false).
func (t *memoTable) slot(k uint64, alloc bool) *uint32 {
	if k >= t.dense() {
		return nil
	}
	p := k / pageSize
	if p >= uint64(len(t.pages)) || t.pages[p] == nil {
		if !alloc {
			return nil
		}
		for uint64(len(t.pages)) <= p {
			t.pages = append(t.pages, nil)
		}
		t.pages[p] = new([pageSize]uint32)
		t.npages++
	}
	return &t.pages[p][k%pageSize]
}

// index is 1 + the index in vals of present key k's value, 0 if its value
// is unknown; dense says where k is kept.
func (t *memoTable) index(k uint64, dense bool) uint32 {
	if !dense {
		return t.sparse[k]
	}
	if s := t.slot(k, false); s != nil {
		return *s
	}
	return 0
}

func (t *memoTable) get(k uint64) (value, bool) {
	var i uint32
	if t.denseHas(k) {
		i = t.index(k, true)
	} else {
		var ok bool
		if i, ok = t.sparse[k]; !ok {
			return value{}, false
		}
	}
	if i == 0 {
		return value{}, true
	}
	return *t.vals.at(int(i - 1)), true
}

func (t *memoTable) put(k uint64, v value) {
	keep := v.k != kOther || v.x != nil
	dense := t.denseHas(k)
	if !dense {
		if _, ok := t.sparse[k]; !ok {
			t.n++
			if k < t.dense()+maxGap {
				for k >= t.dense() {
					t.present.append(0)
				}
				*t.present.at(int(k / 64)) |= 1 << (k % 64)
				dense = true
			} else {
				if t.sparse == nil {
					t.sparse = map[uint64]uint32{}
				}
				t.sparse[k] = 0
			}
		}
	}
	i := t.index(k, dense)
	switch {
	case keep && i > 0:
		*t.vals.at(int(i - 1)) = v // a rewritten key reuses its value's place
		return
	case keep && t.vals.n < maxMemoValues:
		t.vals.append(v)
		i = uint32(t.vals.n)
	case keep || i == 0:
		return // nothing kept, and nothing was
	default:
		i = 0 // rewritten with a value the scan does not know
	}
	if dense {
		*t.slot(k, true) = i
	} else {
		t.sparse[k] = i
	}
}

// chunkBits sets the chunk size of a chunked list: 4096 elements.
const chunkBits = 12

// chunked is an append-only list in chunks of 4096 elements: growing it
// copies at most one chunk, however long it gets. The first chunk starts
// small, so a small pickle (most are) allocates little.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

func (c *chunked[T]) at(i int) *T { return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

func (c *chunked[T]) append(v T) {
	last := len(c.chunks) - 1
	if last < 0 || len(c.chunks[last]) == 1<<chunkBits {
		size := 1 << chunkBits
		if last < 0 {
			size = 16
		}
		c.chunks = append(c.chunks, make([]T, 0, size))
		last++
	}
	c.chunks[last] = append(c.chunks[last], v)
	c.n++
}

func (c *chunked[T]) reset() {
	for _, ch := range c.chunks {
		clear(ch)
	}
	if len(c.chunks) > 0 {
		c.chunks = c.chunks[:1]
		c.chunks[0] = c.chunks[0][:0]
	}
	c.n = 0
}
