package modelscan

import (
	"io"
	"math/bits"
	"strconv"
	"strings"
)

// joblib writes each NumPy array of a dump as a NumpyArrayWrapper object
// (NEWOBJ, then BUILD with a state dict naming shape, dtype and order) and,
// right after the BUILD opcode, the array's raw bytes, outside any opcode;
// its unpickler reads them there. An object-dtype array is a whole protocol 2
// pickle in that place instead. The VM follows the same path: it tracks
// just enough of the state dict to know how many bytes to skip, skips them
// unread, and carries on with the opcodes after them.
var joblibWrapper = Global{"joblib.numpy_pickle", "NumpyArrayWrapper"}

var numpyDtype = Global{"numpy", "dtype"}

// Bounds on what the VM tracks for joblib arrays: a tuple longer than
// NumPy's dimension limit is never a shape, and the budget keeps tracked
// tuples from adding up in a pickle that memoizes millions of them.
const (
	maxTupleTrack = 64
	maxTracked    = 1 << 19
	maxNested     = 8
)

// wrapperState is what a dict's entries say about a joblib array.
type wrapperState struct {
	shape    []value
	hasShape bool
	dtype    string // the dtype's reduce argument: "f8", "U40", "V16", "O8"
	hasAlign bool   // numpy_array_alignment_bytes is present
	align    bool   // and is an integer (not None): a padding byte precedes the data
}

// setItems records the entries of a dict that describe a joblib array.
func setItems(target *value, items []value) {
	if target.k != kDict {
		return
	}
	for i := 0; i+1 < len(items); i += 2 {
		k, v := items[i], items[i+1]
		if k.k != kStr {
			continue
		}
		switch k.s {
		case "shape", "dtype", "numpy_array_alignment_bytes":
		default:
			continue
		}
		if target.x == nil {
			target.x = &extra{}
		}
		d := &target.x.d
		switch k.s {
		case "shape":
			d.shape, d.hasShape = v.elems(), v.k == kTuple
		case "dtype":
			d.dtype = ""
			if t := v.elems(); v.k == kObj && *v.g == numpyDtype && len(t) > 0 && t[0].k == kStr {
				d.dtype = t[0].s
			}
		case "numpy_array_alignment_bytes":
			d.hasAlign, d.align = true, v.k == kInt
		}
	}
}

// itemSize reads the byte size from a dtype's reduce argument: NumPy writes
// the kind and the size in bytes ("f8", "U40" for 10 characters).
func itemSize(dtype string) (size int64, object bool, ok bool) {
	i := strings.IndexFunc(dtype, func(r rune) bool { return r >= '0' && r <= '9' })
	if i <= 0 {
		return 0, false, false
	}
	n, err := strconv.ParseInt(dtype[i:], 10, 64)
	if err != nil || n <= 0 {
		return 0, false, false
	}
	return n, dtype[:i] == "O", true
}

// joblibArray skips the inline array that follows a NumpyArrayWrapper's
// BUILD, or scans the pickle that holds an object array. The wrapper on
// the stack already stands for the array.
func (m *vm) joblibArray(state value) error {
	if state.k != kDict || state.x == nil || !state.x.d.hasShape || state.x.d.dtype == "" {
		return m.malformed("joblib NumpyArrayWrapper without a shape and dtype the scan can read; its array bytes cannot be skipped")
	}
	st := &state.x.d
	size, object, ok := itemSize(st.dtype)
	if !ok {
		return m.malformed("joblib NumpyArrayWrapper with dtype %q", st.dtype)
	}
	if object {
		// An object array is pickled whole (protocol 2) in place of the data;
		// its elements are callables like any other.
		if m.nested >= maxNested {
			m.find(RuleResourceLimit, SeverityHigh, nil, "joblib object arrays nested deeper than %d", maxNested)
			return errStop
		}
		stack, marks, memo := m.stack, m.marks, m.memo
		m.stack, m.marks, m.memo = nil, nil, memoTable{}
		m.nested++
		err := m.run()
		m.nested--
		m.stack, m.marks, m.memo = stack, marks, memo
		return err
	}
	count := uint64(1)
	for _, d := range st.shape {
		if d.k != kInt || d.i < 0 {
			return m.malformed("joblib NumpyArrayWrapper shape holds a negative or non-integer dimension")
		}
		hi, lo := bits.Mul64(count, uint64(d.i))
		if hi != 0 {
			return m.tooLong()
		}
		count = lo
	}
	hi, n := bits.Mul64(count, uint64(size))
	if hi != 0 || n > uint64(m.opts.MaxLength) {
		return m.tooLong()
	}
	if st.align {
		// One byte says how many padding bytes follow before the data.
		pad, err := m.uint(1)
		if err != nil {
			return err
		}
		n += pad
	}
	got, err := io.CopyN(io.Discard, m.r, int64(n))
	m.pos += got
	if err != nil {
		return m.malformed("truncated joblib array: %d of %d bytes", got, n)
	}
	return nil
}

func (m *vm) tooLong() error {
	m.find(RuleResourceLimit, SeverityHigh, nil, "joblib array larger than the limit %d bytes", m.opts.MaxLength)
	return errStop
}
