package dataread

import (
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// projection returns the indices, in file order, of the fields of full
// named by cols (nil for all of them). An empty non-nil cols selects the
// first field, so a caller that only counts rows reads one column.
func projection(full *arrow.Schema, cols []string) ([]int, error) {
	if cols == nil {
		return nil, nil
	}
	if len(cols) == 0 {
		if full.NumFields() == 0 {
			return nil, nil
		}
		return []int{0}, nil
	}
	var idx []int
	for _, c := range cols {
		is := full.FieldIndices(c)
		if len(is) == 0 {
			return nil, fmt.Errorf("column %q is not in the file", c)
		}
		if !slices.Contains(idx, is[0]) {
			idx = append(idx, is[0])
		}
	}
	slices.Sort(idx)
	return idx, nil
}

func projectSchema(full *arrow.Schema, idx []int) *arrow.Schema {
	fs := make([]arrow.Field, len(idx))
	for i, j := range idx {
		fs[i] = full.Field(j)
	}
	md := full.Metadata()
	return arrow.NewSchema(fs, &md)
}

// projected narrows the records of a source that cannot skip columns
// itself (Arrow IPC, JSON Lines) to the projection.
type projected struct {
	source
	idx    []int
	schema *arrow.Schema
	cur    arrow.Record
}

// projectSource applies opts.Columns and opts.MaxColumns to src.
func projectSource(path string, src source, opts Options) (source, error) {
	full := src.fileSchema()
	idx, err := projection(full, opts.Columns)
	if err != nil {
		src.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	n := full.NumFields()
	if idx != nil {
		n = len(idx)
	}
	if int64(n) > int64(opts.MaxColumns) {
		src.Close()
		return nil, &FileError{Path: path, Err: &LimitError{Limit: "MaxColumns", Max: int64(opts.MaxColumns), Got: int64(n), What: "columns to read"}}
	}
	if idx == nil {
		return src, nil
	}
	return &projected{source: src, idx: idx, schema: projectSchema(full, idx)}, nil
}

func (p *projected) Schema() *arrow.Schema { return p.schema }
func (p *projected) Record() arrow.Record  { return p.cur }

func (p *projected) Next() bool {
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	if !p.source.Next() {
		return false
	}
	rec := p.source.Record()
	cols := make([]arrow.Array, len(p.idx))
	for i, j := range p.idx {
		cols[i] = rec.Column(j)
	}
	p.cur = array.NewRecord(p.schema, cols, rec.NumRows())
	return true
}

func (p *projected) Close() error {
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	return p.source.Close()
}

// validateRecord checks that every column's buffers are large enough for
// its length and that variable-length offsets are monotonic and inside
// their data, as Arrow C++'s ValidateFull does; Arrow Go reads such
// buffers unchecked, so a corrupted IPC file would otherwise panic (or
// yield garbage) in whoever reads the values.
func validateRecord(rec arrow.Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupted record batch: %v", p)
		}
	}()
	for i, col := range rec.Columns() {
		if int64(col.Len()) != rec.NumRows() {
			return fmt.Errorf("column %q has %d values in a batch of %d rows", rec.ColumnName(i), col.Len(), rec.NumRows())
		}
		if err := validateData(col.Data()); err != nil {
			return fmt.Errorf("column %q: %w", rec.ColumnName(i), err)
		}
	}
	return nil
}

var errCorrupt = errors.New("corrupted buffers")

func bufLen(d arrow.ArrayData, i int) int {
	bufs := d.Buffers()
	if i >= len(bufs) || bufs[i] == nil {
		return 0
	}
	return bufs[i].Len()
}

func validateData(d arrow.ArrayData) error {
	off, n := d.Offset(), d.Len()
	if off < 0 || n < 0 {
		return fmt.Errorf("%w: negative offset or length", errCorrupt)
	}
	end := off + n
	if d.NullN() != 0 && len(d.Buffers()) > 0 && d.Buffers()[0] != nil && bufLen(d, 0) < int(bitutil.BytesForBits(int64(end))) {
		return fmt.Errorf("%w: validity bitmap shorter than %d values", errCorrupt, end)
	}
	switch dt := d.DataType().(type) {
	case *arrow.StringType, *arrow.BinaryType:
		return checkOffsets32(d, end, bufLen(d, 2))
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return checkOffsets64(d, end, bufLen(d, 2))
	case *arrow.ListType, *arrow.MapType:
		if len(d.Children()) != 1 {
			return fmt.Errorf("%w: list without its child", errCorrupt)
		}
		if err := checkOffsets32(d, end, d.Children()[0].Len()); err != nil {
			return err
		}
		return validateData(d.Children()[0])
	case *arrow.LargeListType:
		if len(d.Children()) != 1 {
			return fmt.Errorf("%w: list without its child", errCorrupt)
		}
		if err := checkOffsets64(d, end, d.Children()[0].Len()); err != nil {
			return err
		}
		return validateData(d.Children()[0])
	case *arrow.FixedSizeListType:
		if len(d.Children()) != 1 || d.Children()[0].Len() < end*int(dt.Len()) {
			return fmt.Errorf("%w: fixed-size list child too short", errCorrupt)
		}
		return validateData(d.Children()[0])
	case *arrow.StructType:
		if len(d.Children()) != dt.NumFields() {
			return fmt.Errorf("%w: struct with %d children, type has %d", errCorrupt, len(d.Children()), dt.NumFields())
		}
		for _, c := range d.Children() {
			if c.Len() < end {
				return fmt.Errorf("%w: struct child shorter than its parent", errCorrupt)
			}
			if err := validateData(c); err != nil {
				return err
			}
		}
		return nil
	case *arrow.DictionaryType:
		dict := d.Dictionary()
		if dict == nil {
			return fmt.Errorf("%w: dictionary array without dictionary", errCorrupt)
		}
		if err := validateData(dict); err != nil {
			return err
		}
		a := array.MakeFromData(d)
		defer a.Release()
		da := a.(*array.Dictionary)
		for i := range n {
			if da.IsValid(i) {
				if k := da.GetValueIndex(i); k < 0 || k >= dict.Len() {
					return fmt.Errorf("%w: dictionary index %d out of range", errCorrupt, k)
				}
			}
		}
		return nil
	case arrow.FixedWidthDataType:
		bits := dt.BitWidth()
		if bits > 0 && bufLen(d, 1) < int(bitutil.BytesForBits(int64(end)*int64(bits))) {
			return fmt.Errorf("%w: %s values buffer shorter than %d values", errCorrupt, dt, end)
		}
		return nil
	}
	return nil
}

func checkOffsets32(d arrow.ArrayData, end, dataLen int) error {
	if end == 0 && bufLen(d, 1) == 0 {
		return nil
	}
	if bufLen(d, 1) < (end+1)*4 {
		return fmt.Errorf("%w: offsets buffer shorter than %d values", errCorrupt, end)
	}
	offs := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset() : end+1]
	prev := offs[0]
	if prev < 0 {
		return fmt.Errorf("%w: negative offset", errCorrupt)
	}
	for _, o := range offs[1:] {
		if o < prev {
			return fmt.Errorf("%w: offsets decrease", errCorrupt)
		}
		prev = o
	}
	if int(prev) > dataLen {
		return fmt.Errorf("%w: offset %d past the %d-byte data", errCorrupt, prev, dataLen)
	}
	return nil
}

func checkOffsets64(d arrow.ArrayData, end, dataLen int) error {
	if end == 0 && bufLen(d, 1) == 0 {
		return nil
	}
	if bufLen(d, 1) < (end+1)*8 {
		return fmt.Errorf("%w: offsets buffer shorter than %d values", errCorrupt, end)
	}
	offs := arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset() : end+1]
	prev := offs[0]
	if prev < 0 {
		return fmt.Errorf("%w: negative offset", errCorrupt)
	}
	for _, o := range offs[1:] {
		if o < prev {
			return fmt.Errorf("%w: offsets decrease", errCorrupt)
		}
		prev = o
	}
	if prev > int64(dataLen) {
		return fmt.Errorf("%w: offset %d past the %d-byte data", errCorrupt, prev, dataLen)
	}
	return nil
}
