package mlsecbeam

import (
	"fmt"
	"reflect"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

// DefaultRowsPerBatch is how many rows FromRows packs into one Batch.
const DefaultRowsPerBatch = 8192

func init() {
	register.DoFn2x1[beam.T, func(Batch), error]((*rowsToBatchFn)(nil))
	register.Emitter1[Batch]()
}

// FromRows turns a PCollection of structs that a pipeline already has into
// a PCollection of Batch, so the rows can be validated and profiled like
// files. Each exported field becomes a column, named by its `beam:"name"`
// tag (the tag Beam's own schemas use) or else by the field name.
//
// Supported field types: bool, signed and unsigned integers, float32,
// float64, string, []byte and time.Time (a UTC microsecond timestamp), and
// pointers to these, where a nil pointer is a null. A struct with any other
// field type is refused when the pipeline is built.
//
// rowsPerBatch bounds the rows per Batch (0 means DefaultRowsPerBatch);
// rows are packed per bundle, so memory is bounded by it.
func FromRows(s beam.Scope, rows beam.PCollection, rowsPerBatch int) beam.PCollection {
	s = s.Scope("mlsec.FromRows")
	t := rows.Type().Type()
	if _, err := rowSchema(t); err != nil {
		panic(err) // pipeline construction error, as Beam's own transforms do
	}
	if rowsPerBatch <= 0 {
		rowsPerBatch = DefaultRowsPerBatch
	}
	return beam.ParDo(s, &rowsToBatchFn{RowsPerBatch: rowsPerBatch}, rows)
}

// rowField maps one struct field to one column.
type rowField struct {
	index []int
	ptr   bool // nullable: the field is a pointer
	kind  reflect.Kind
	time  bool
	bytes bool
}

var timeType = reflect.TypeOf(time.Time{})

// rowSchema derives the Arrow schema and field plan of a struct type.
func rowSchema(t reflect.Type) (*arrow.Schema, error) {
	s, _, err := rowPlan(t)
	return s, err
}

func rowPlan(t reflect.Type) (*arrow.Schema, []rowField, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("mlsecbeam: FromRows: element type %v is not a struct", t)
	}
	var fields []arrow.Field
	var plan []rowField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Name
		if tag := sf.Tag.Get("beam"); tag != "" {
			if tag == "-" {
				continue
			}
			name = tag
		}
		ft := sf.Type
		f := rowField{index: sf.Index}
		if ft.Kind() == reflect.Pointer {
			f.ptr = true
			ft = ft.Elem()
		}
		var dt arrow.DataType
		switch {
		case ft == timeType:
			f.time = true
			dt = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Uint8:
			f.bytes = true
			dt = arrow.BinaryTypes.Binary
		default:
			f.kind = ft.Kind()
			switch ft.Kind() {
			case reflect.Bool:
				dt = arrow.FixedWidthTypes.Boolean
			case reflect.Int8:
				dt = arrow.PrimitiveTypes.Int8
			case reflect.Int16:
				dt = arrow.PrimitiveTypes.Int16
			case reflect.Int32:
				dt = arrow.PrimitiveTypes.Int32
			case reflect.Int64, reflect.Int:
				dt = arrow.PrimitiveTypes.Int64
			case reflect.Uint8:
				dt = arrow.PrimitiveTypes.Uint8
			case reflect.Uint16:
				dt = arrow.PrimitiveTypes.Uint16
			case reflect.Uint32:
				dt = arrow.PrimitiveTypes.Uint32
			case reflect.Uint64, reflect.Uint:
				dt = arrow.PrimitiveTypes.Uint64
			case reflect.Float32:
				dt = arrow.PrimitiveTypes.Float32
			case reflect.Float64:
				dt = arrow.PrimitiveTypes.Float64
			case reflect.String:
				dt = arrow.BinaryTypes.String
			default:
				return nil, nil, fmt.Errorf("mlsecbeam: FromRows: %v field %s: unsupported type %v", t, sf.Name, sf.Type)
			}
		}
		fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: f.ptr})
		plan = append(plan, f)
	}
	if len(fields) == 0 {
		return nil, nil, fmt.Errorf("mlsecbeam: FromRows: %v has no exported fields", t)
	}
	return arrow.NewSchema(fields, nil), plan, nil
}

// rowsToBatchFn packs the rows of a bundle into record batches.
type rowsToBatchFn struct {
	RowsPerBatch int

	typ  reflect.Type
	plan []rowField
	b    *array.RecordBuilder
	n    int
}

func (f *rowsToBatchFn) ProcessElement(row beam.T, emit func(Batch)) error {
	v := reflect.ValueOf(row)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return fmt.Errorf("mlsecbeam: FromRows: nil row")
		}
		v = v.Elem()
	}
	if f.b == nil || v.Type() != f.typ {
		schema, plan, err := rowPlan(v.Type())
		if err != nil {
			return err
		}
		if f.b != nil && f.n > 0 {
			emit(Batch{Record: f.b.NewRecord()})
		}
		f.typ, f.plan, f.n = v.Type(), plan, 0
		f.b = array.NewRecordBuilder(memory.DefaultAllocator, schema)
	}
	for i, pf := range f.plan {
		appendField(f.b.Field(i), pf, v.FieldByIndex(pf.index))
	}
	f.n++
	if f.n >= f.RowsPerBatch {
		emit(Batch{Record: f.b.NewRecord()})
		f.n = 0
	}
	return nil
}

func (f *rowsToBatchFn) FinishBundle(emit func(Batch)) {
	if f.b != nil && f.n > 0 {
		emit(Batch{Record: f.b.NewRecord()})
		f.n = 0
	}
}

func appendField(b array.Builder, pf rowField, v reflect.Value) {
	if pf.ptr {
		if v.IsNil() {
			b.AppendNull()
			return
		}
		v = v.Elem()
	}
	switch {
	case pf.time:
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(v.Interface().(time.Time).UnixMicro()))
		return
	case pf.bytes:
		b.(*array.BinaryBuilder).Append(v.Bytes())
		return
	}
	switch pf.kind {
	case reflect.Bool:
		b.(*array.BooleanBuilder).Append(v.Bool())
	case reflect.Int8:
		b.(*array.Int8Builder).Append(int8(v.Int()))
	case reflect.Int16:
		b.(*array.Int16Builder).Append(int16(v.Int()))
	case reflect.Int32:
		b.(*array.Int32Builder).Append(int32(v.Int()))
	case reflect.Int64, reflect.Int:
		b.(*array.Int64Builder).Append(v.Int())
	case reflect.Uint8:
		b.(*array.Uint8Builder).Append(uint8(v.Uint()))
	case reflect.Uint16:
		b.(*array.Uint16Builder).Append(uint16(v.Uint()))
	case reflect.Uint32:
		b.(*array.Uint32Builder).Append(uint32(v.Uint()))
	case reflect.Uint64, reflect.Uint:
		b.(*array.Uint64Builder).Append(v.Uint())
	case reflect.Float32:
		b.(*array.Float32Builder).Append(float32(v.Float()))
	case reflect.Float64:
		b.(*array.Float64Builder).Append(v.Float())
	case reflect.String:
		b.(*array.StringBuilder).Append(v.String())
	}
}
