package modelscan

// memoTable is the pickle memo. Its keys are nearly always dense: MEMOIZE
// numbers entries 0, 1, 2, ... and CPython's BINPUT does the same. Dense
// keys index 4-byte slots, a fraction of a map's cost per entry; a key far
// past the end goes to a map, so a hostile key (2^32-1) costs one entry,
// not a huge slice. Most memoized objects are ones the scan knows nothing
// about (lists, floats, bytes): their slot says "present" and holds no
// value. Only values the scan reads back (strings, globals, small ints,
// scalar tuples, dicts) are kept. Slots and values live in fixed-size
// chunks, so a memo of a million entries grows without copying.
type memoTable struct {
	slots  chunked[uint32] // by dense key; 0: unset, 1: present, unknown value; i+2: vals[i]
	sparse map[uint64]uint32
	vals   chunked[value]
	n      int // entries, dense and sparse
}

// maxGap is how far past the dense end a key may land and still be kept
// among the dense slots (the holes cost 4 bytes each).
const maxGap = 1024

const (
	slotUnset   = 0
	slotUnknown = 1
)

func (t *memoTable) reset() {
	t.vals.reset() // drop references to strings and tuples
	t.slots.reset()
	t.sparse, t.n = nil, 0
}

func (t *memoTable) slot(k uint64) uint32 {
	if k < uint64(t.slots.n) {
		return *t.slots.at(int(k))
	}
	return t.sparse[k]
}

func (t *memoTable) get(k uint64) (value, bool) {
	switch s := t.slot(k); s {
	case slotUnset:
		return value{}, false
	case slotUnknown:
		return value{}, true
	default:
		return *t.vals.at(int(s - 2)), true
	}
}

// has reports whether k holds an entry.
func (t *memoTable) has(k uint64) bool { return t.slot(k) != slotUnset }

func (t *memoTable) put(k uint64, v value) {
	s := uint32(slotUnknown)
	if v.k != kOther || v.x != nil {
		if old := t.slot(k); old > slotUnknown {
			*t.vals.at(int(old - 2)) = v // a rewritten key reuses its value's place
			return
		}
		t.vals.append(v)
		s = uint32(t.vals.n + 1)
	}
	switch {
	case k < uint64(t.slots.n):
		p := t.slots.at(int(k))
		if *p == slotUnset {
			t.n++
		}
		*p = s
		return
	case k < uint64(t.slots.n)+maxGap && t.sparse[k] == slotUnset:
		for uint64(t.slots.n) < k {
			t.slots.append(slotUnset)
		}
		t.slots.append(s)
		t.n++
		return
	}
	if t.sparse == nil {
		t.sparse = map[uint64]uint32{}
	}
	if t.sparse[k] == slotUnset {
		t.n++
	}
	t.sparse[k] = s
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
