package validation

import (
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
)

// gxTypeNames maps the type names Great Expectations users write in
// expect_column_values_to_be_of_type and _in_type_list (pandas dtype
// names, NumPy scalar names, Python builtins) to the Arrow types they
// stand for. A name not in the table is compared with the Arrow type's
// own text (int64, utf8, timestamp[us, tz=UTC], ...). The table is in
// GX.md; keep the two equal.
var gxTypeNames = map[string]func(arrow.DataType) bool{
	// Python builtins and their NumPy abstract types: any width.
	"int": isInteger, "integer": isInteger, "signedinteger": isSigned, "unsignedinteger": isUnsigned,
	"float": isFloat, "floating": isFloat, "double": isID(arrow.FLOAT64), "float_": isID(arrow.FLOAT64),
	"number": isPlainNumber, "numeric": isPlainNumber,
	"str": isString, "string": isString, "unicode": isString, "str_": isString, "unicode_": isString,
	"bytes": isID(arrow.BINARY, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY), "bytes_": isID(arrow.BINARY, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY),
	"bool": isID(arrow.BOOL), "bool_": isID(arrow.BOOL), "boolean": isID(arrow.BOOL),
	// pandas' object dtype holds strings, bytes and nested values.
	"object": isObject, "object_": isObject, "O": isObject,
	// NumPy and pandas sized dtypes (pandas' nullable Int64 is Arrow's
	// nullable int64).
	"int8": isID(arrow.INT8), "int16": isID(arrow.INT16), "int32": isID(arrow.INT32), "int64": isID(arrow.INT64),
	"Int8": isID(arrow.INT8), "Int16": isID(arrow.INT16), "Int32": isID(arrow.INT32), "Int64": isID(arrow.INT64),
	"uint8": isID(arrow.UINT8), "uint16": isID(arrow.UINT16), "uint32": isID(arrow.UINT32), "uint64": isID(arrow.UINT64),
	"UInt8": isID(arrow.UINT8), "UInt16": isID(arrow.UINT16), "UInt32": isID(arrow.UINT32), "UInt64": isID(arrow.UINT64),
	"float16": isID(arrow.FLOAT16), "float32": isID(arrow.FLOAT32), "float64": isID(arrow.FLOAT64),
	"Float32": isID(arrow.FLOAT32), "Float64": isID(arrow.FLOAT64),
	// Times: pandas has nanosecond timestamps, optionally with a zone.
	"datetime64": isNaive, "datetime64[ns]": isNaive, "datetime": isID(arrow.TIMESTAMP),
	"Timestamp": isID(arrow.TIMESTAMP), "DatetimeTZDtype": isZoned,
	"date": isID(arrow.DATE32, arrow.DATE64), "timedelta64": isID(arrow.DURATION), "Timedelta": isID(arrow.DURATION),
	"timedelta": isID(arrow.DURATION), "category": isID(arrow.DICTIONARY), "CategoricalDtype": isID(arrow.DICTIONARY),
}

func isID(ids ...arrow.Type) func(arrow.DataType) bool {
	return func(dt arrow.DataType) bool {
		for _, id := range ids {
			if dt.ID() == id {
				return true
			}
		}
		return false
	}
}

func isSigned(dt arrow.DataType) bool {
	return isID(arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64)(dt)
}

func isUnsigned(dt arrow.DataType) bool {
	return isID(arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64)(dt)
}

func isFloat(dt arrow.DataType) bool { return isID(arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64)(dt) }

func isPlainNumber(dt arrow.DataType) bool { return isInteger(dt) || isFloat(dt) }

func isObject(dt arrow.DataType) bool {
	return isString(dt) || isID(arrow.BINARY, arrow.LARGE_BINARY, arrow.LIST, arrow.LARGE_LIST, arrow.STRUCT, arrow.MAP)(dt)
}

func isNaive(dt arrow.DataType) bool {
	ts, ok := dt.(*arrow.TimestampType)
	return ok && ts.TimeZone == ""
}

func isZoned(dt arrow.DataType) bool {
	ts, ok := dt.(*arrow.TimestampType)
	return ok && ts.TimeZone != ""
}

// typeMatches reports whether column type dt is the type a suite names:
// a GX/pandas/NumPy name from gxTypeNames, or the Arrow type's text.
func typeMatches(dt arrow.DataType, name string) bool {
	if typeName(dt) == name {
		return true
	}
	if f, ok := gxTypeNames[name]; ok {
		return f(dt)
	}
	// "np.int64", "numpy.float64", "pd.Timestamp": the module prefix GX
	// users sometimes keep.
	for _, prefix := range []string{"np.", "numpy.", "pd.", "pandas."} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			if f, ok := gxTypeNames[rest]; ok {
				return f(dt)
			}
		}
	}
	return false
}

// GXTypeNames lists the Great Expectations type names the type checks
// accept besides Arrow's own, sorted.
func GXTypeNames() []string {
	out := make([]string, 0, len(gxTypeNames))
	for n := range gxTypeNames {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// observedTypeName is a type check's observed_value in the vocabulary of
// the names the suite used: the Arrow type's text, or, when every name is
// a GX/pandas name and not the column's Arrow text, the name GX reports
// (the pandas dtype's scalar type: object_, datetime64, int64).
func observedTypeName(dt arrow.DataType, names []string) string {
	arrowName := typeName(dt)
	pd := pandasTypeName(dt)
	if pd == "" || len(names) == 0 {
		return arrowName
	}
	for _, n := range names {
		if n == arrowName || !isGXTypeName(n) {
			return arrowName
		}
	}
	return pd
}

func isGXTypeName(name string) bool {
	if _, ok := gxTypeNames[name]; ok {
		return true
	}
	for _, prefix := range []string{"np.", "numpy.", "pd.", "pandas."} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			if _, ok := gxTypeNames[rest]; ok {
				return true
			}
		}
	}
	return false
}

// pandasTypeName is the scalar type name of the pandas dtype GX's pandas
// backend gives a column of type dt, or "" where there is none to say.
func pandasTypeName(dt arrow.DataType) string {
	switch {
	case isInteger(dt) || isFloat(dt):
		return strings.ToLower(dt.ID().String())
	case dt.ID() == arrow.BOOL:
		return "bool_"
	case isObject(dt):
		return "object_"
	case isNaive(dt):
		return "datetime64"
	case isZoned(dt):
		return "Timestamp"
	case dt.ID() == arrow.DURATION:
		return "timedelta64"
	}
	return ""
}
