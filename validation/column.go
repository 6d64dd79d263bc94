package validation

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/zeebo/xxh3"
)

// Column access without per-row boxing: numeric columns are viewed as a
// []float64 (zero-copy for float64), strings through their Value method.

var floatPool = sync.Pool{New: func() any { s := make([]float64, 0, 1<<16); return &s }}

// isNumeric reports whether checks can read dt as numbers (dates and
// timestamps as their stored integer).
func isNumeric(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return true
	}
	return false
}

func isString(dt arrow.DataType) bool {
	return dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING
}

func isInteger(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

func convert[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | arrow.Date32 | arrow.Date64 | arrow.Timestamp](in []T, out []float64) []float64 {
	out = out[:0]
	for _, v := range in {
		out = append(out, float64(v))
	}
	return out
}

// floats returns arr's values as float64 and a release function. Null
// slots hold arbitrary values; callers consult the validity bitmap.
func floats(arr arrow.Array) ([]float64, func()) {
	if a, ok := arr.(*array.Float64); ok {
		return a.Float64Values(), func() {}
	}
	bp := floatPool.Get().(*[]float64)
	buf := *bp
	switch a := arr.(type) {
	case *array.Int8:
		buf = convert(a.Int8Values(), buf)
	case *array.Int16:
		buf = convert(a.Int16Values(), buf)
	case *array.Int32:
		buf = convert(a.Int32Values(), buf)
	case *array.Int64:
		buf = convert(a.Int64Values(), buf)
	case *array.Uint8:
		buf = convert(a.Uint8Values(), buf)
	case *array.Uint16:
		buf = convert(a.Uint16Values(), buf)
	case *array.Uint32:
		buf = convert(a.Uint32Values(), buf)
	case *array.Uint64:
		buf = convert(a.Uint64Values(), buf)
	case *array.Float32:
		buf = convert(a.Float32Values(), buf)
	case *array.Date32:
		buf = convert(a.Date32Values(), buf)
	case *array.Date64:
		buf = convert(a.Date64Values(), buf)
	case *array.Timestamp:
		buf = convert(a.TimestampValues(), buf)
	case *array.Null: // no values; callers see every row as null (isNull)
		buf = append(buf[:0], make([]float64, a.Len())...)
	case *array.Boolean: // 1 for true: the mean is the share of true, as in GX
		buf = buf[:0]
		for i := 0; i < a.Len(); i++ {
			buf = append(buf, float64(boolInt(a.Value(i))))
		}
	default:
		panic(fmt.Sprintf("validation: %s is not numeric", arr.DataType()))
	}
	return buf, func() { *bp = buf; floatPool.Put(bp) }
}

// stringer is the read side of String and LargeString arrays.
type stringer interface {
	arrow.Array
	Value(int) string
}

// parseBound converts a bound from a suite (a number, or for date and
// timestamp columns an ISO 8601 text) to the column's numeric scale.
func parseBound(dt arrow.DataType, v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case string:
		switch t := dt.(type) {
		case *arrow.TimestampType:
			ts, err := arrow.TimestampFromString(x, t.Unit)
			return float64(ts), err
		case *arrow.Date32Type:
			tm, err := time.Parse(time.DateOnly, x)
			if err != nil {
				tm, err = time.Parse(time.RFC3339, x)
			}
			return float64(arrow.Date32FromTime(tm)), err
		case *arrow.Date64Type:
			tm, err := time.Parse(time.DateOnly, x)
			if err != nil {
				tm, err = time.Parse(time.RFC3339, x)
			}
			return float64(arrow.Date64FromTime(tm)), err
		}
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("bound %v is not a number", v)
}

// Hashing: deterministic 64-bit hashes (xxh3 with a fixed seed), so that
// states computed on different machines merge.

func mix64(x uint64) uint64 { // splitmix64 finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const nullHash = 0x6e756c6c6e756c6c

// hashInto combines the hash of every row of arr into hs (one per row).
func hashInto(arr arrow.Array, hs []uint64) {
	n := arr.Len()
	val := func(i int, h uint64) {
		if arr.IsNull(i) {
			h = nullHash
		}
		hs[i] = mix64(hs[i]*0x9e3779b97f4a7c15 ^ h)
	}
	switch a := arr.(type) {
	case stringer:
		for i := 0; i < n; i++ {
			val(i, xxh3.HashString(a.Value(i)))
		}
	case *array.Boolean:
		for i := 0; i < n; i++ {
			val(i, uint64(boolInt(a.Value(i)))+1)
		}
	case *array.Float64:
		for i, v := range a.Float64Values() {
			val(i, mix64(math.Float64bits(v)))
		}
	case *array.Float32:
		for i, v := range a.Float32Values() {
			val(i, mix64(math.Float64bits(float64(v))))
		}
	case *array.Int64:
		for i, v := range a.Int64Values() {
			val(i, mix64(uint64(v)))
		}
	default:
		if isNumeric(arr.DataType()) {
			vals, done := floats(arr)
			for i, v := range vals {
				val(i, mix64(math.Float64bits(v)))
			}
			done()
			return
		}
		for i := 0; i < n; i++ {
			val(i, xxh3.HashString(arr.ValueStr(i)))
		}
	}
}

// valueText is the text of one cell, for counts and samples.
func valueText(arr arrow.Array, i int) string {
	if s, ok := arr.(stringer); ok {
		return s.Value(i)
	}
	if f, ok := arr.(*array.Float64); ok {
		return strconv.FormatFloat(f.Value(i), 'g', -1, 64)
	}
	switch u := arr.(type) { // a mixed column: the value's own text
	case *array.DenseUnion:
		return valueText(u.Field(u.ChildID(i)), int(u.ValueOffset(i)))
	case *array.SparseUnion:
		return valueText(u.Field(u.ChildID(i)), i)
	}
	return arr.ValueStr(i)
}

// isNull reports whether row i of arr is null. Arrow's null-typed arrays
// (a column without values, as readers type one) and unions (a column of
// mixed values, whose nulls are their children's) have no validity
// bitmap of their own, so arr.IsNull calls every row of them valid.
func isNull(arr arrow.Array, i int) bool {
	switch a := arr.(type) {
	case *array.Null:
		return true
	case *array.DenseUnion:
		return isNull(a.Field(a.ChildID(i)), int(a.ValueOffset(i)))
	case *array.SparseUnion:
		return isNull(a.Field(a.ChildID(i)), i)
	}
	return arr.IsNull(i)
}

// nullCount is arr.NullN, counting a union's nulls through its children.
func nullCount(arr arrow.Array) int {
	switch arr.DataType().ID() {
	case arrow.DENSE_UNION, arrow.SPARSE_UNION:
		n := 0
		for i := 0; i < arr.Len(); i++ {
			if isNull(arr, i) {
				n++
			}
		}
		return n
	}
	return arr.NullN()
}

// isNullType reports a column without values (Arrow's null type): every
// check over values sees only nulls there, which it skips.
func isNullType(arr arrow.Array) bool { return arr.DataType().ID() == arrow.NULL }
