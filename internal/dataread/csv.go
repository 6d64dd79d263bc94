package dataread

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	arrowcsv "github.com/apache/arrow/go/v17/arrow/csv"
)

// NullValues are the CSV cell texts read as null (the common spellings
// pandas also reads as missing).
var NullValues = []string{"", "NA", "N/A", "null", "NULL"}

func isNullText(s string) bool {
	for _, n := range NullValues {
		if s == n {
			return true
		}
	}
	return false
}

// csvSource reads a CSV file with Arrow's CSV reader; the parallel reader
// (csvpar.go) replaces it, and the differential test compares the two. Arrow reports a
// cell that does not parse without its position, so on such an error the
// source re-reads the failed batch to name the line, row and column.
type csvSource struct {
	f      *os.File
	path   string
	comma  rune
	schema *arrow.Schema
	rdr    *arrowcsv.Reader
	rows   int64 // rows delivered before the current batch
	cur    arrow.Record
	err    error
	opts   Options
}

func newCSVReader(r io.Reader, comma rune) *csv.Reader {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.ReuseRecord = true
	return cr
}

func openCSV(path string, comma rune, want *arrow.Schema, opts Options) (source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	schema, err := csvSchema(newCSVGuard(f, comma, opts), path, comma, want, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	for i, fld := range schema.Fields() {
		if !csvTypeSupported(fld.Type) || (useArrowCSV && fld.Type.ID() == arrow.DICTIONARY) {
			f.Close()
			return nil, &FileError{Path: path, Err: fmt.Errorf("column %d (%q): type %s cannot be read from CSV", i, fld.Name, fld.Type)}
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	if !useArrowCSV {
		// The parallel reader converts only the projected columns, so it
		// applies the projection itself.
		idx, err := projection(schema, opts.Columns)
		if err != nil {
			f.Close()
			return nil, &FileError{Path: path, Err: err}
		}
		if n := len(idx); idx != nil && int64(n) > int64(opts.MaxColumns) {
			f.Close()
			return nil, &FileError{Path: path, Err: &LimitError{Limit: "MaxColumns", Max: int64(opts.MaxColumns), Got: int64(n), What: "columns to read"}}
		}
		return newParCSV(f, path, comma, schema, idx, opts), nil
	}
	rdr := arrowcsv.NewReader(newCSVGuard(f, comma, opts), schema,
		arrowcsv.WithComma(comma),
		arrowcsv.WithHeader(true),
		arrowcsv.WithChunk(batchFor(opts.BatchSize, schema.NumFields())),
		arrowcsv.WithAllocator(opts.Allocator),
		arrowcsv.WithNullReader(true, NullValues...),
	)
	return projectSource(path, &csvSource{f: f, path: path, comma: comma, schema: schema, rdr: rdr, opts: opts}, opts)
}

// csvSchema reads the header and, without want, infers the column types
// from up to inferRows rows.
func csvSchema(f io.Reader, path string, comma rune, want *arrow.Schema, opts Options) (*arrow.Schema, error) {
	inferRows := opts.InferRows
	cr := newCSVReader(f, comma)
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FileError{Path: path, Err: errors.New("empty file: no header row")}
		}
		return nil, csvErr(path, err)
	}
	header = append([]string(nil), header...)
	if int64(len(header)) > int64(opts.MaxColumns) {
		return nil, &FileError{Path: path, Line: 1, Err: &LimitError{Limit: "MaxColumns", Max: int64(opts.MaxColumns), Got: int64(len(header)), What: "columns in the header"}}
	}
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		if seen[h] {
			return nil, &FileError{Path: path, Line: 1, Err: fmt.Errorf("column %d: duplicate column name %q", i, h)}
		}
		seen[h] = true
	}
	if want != nil {
		if len(header) != want.NumFields() {
			return nil, &FileError{Path: path, Line: 1, Err: fmt.Errorf("header has %d columns, the schema %d", len(header), want.NumFields())}
		}
		for i, h := range header {
			if h != want.Field(i).Name {
				return nil, &FileError{Path: path, Line: 1, Err: fmt.Errorf("header column %d is %q, the schema says %q", i, h, want.Field(i).Name)}
			}
		}
		return want, nil
	}
	inf := make([]csvInfer, len(header))
	for i := range inf {
		inf[i] = csvInfer{isInt: true, isFloat: true, isBool: true, isDate: true, isTime: true}
	}
	for n := 0; n < inferRows; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(path, err)
		}
		for i, v := range rec {
			inf[i].add(v)
		}
	}
	fields := make([]arrow.Field, len(header))
	for i, h := range header {
		dt := inf[i].dataType()
		if opts.DictionaryStrings && dt.ID() == arrow.STRING && inf[i].seen && !inf[i].many {
			dt = dictStringType
		}
		fields[i] = arrow.Field{Name: h, Type: dt, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}

// csvInfer narrows a column's possible types as sample cells arrive.
type csvInfer struct {
	seen                                   bool
	isInt, isFloat, isBool, isDate, isTime bool
	distinct                               map[string]bool // up to dictMaxDistinct values
	many                                   bool            // more than that
}

// dictMaxDistinct is the most distinct values a text column's inference
// sample may hold for DictionaryStrings to read it as a dictionary: past
// that, building a dictionary per chunk costs more than it saves.
const dictMaxDistinct = 64

func (c *csvInfer) add(v string) {
	if isNullText(v) {
		return
	}
	c.seen = true
	if !c.many && !c.distinct[v] {
		if c.distinct == nil {
			c.distinct = map[string]bool{}
		}
		c.distinct[v] = true
		if len(c.distinct) > dictMaxDistinct {
			c.many, c.distinct = true, nil
		}
	}
	if c.isInt {
		_, err := strconv.ParseInt(v, 10, 64)
		c.isInt = err == nil
	}
	if c.isFloat {
		_, err := strconv.ParseFloat(v, 64)
		c.isFloat = err == nil
	}
	if c.isBool {
		c.isBool = v == "true" || v == "false" || v == "True" || v == "False" || v == "TRUE" || v == "FALSE"
	}
	if c.isDate {
		_, err := time.Parse(time.DateOnly, v)
		c.isDate = err == nil
	}
	if c.isTime {
		// Arrow parses these forms; require a time part so that plain
		// dates stay dates.
		_, err := arrow.TimestampFromString(v, arrow.Microsecond)
		c.isTime = err == nil && len(v) > len(time.DateOnly)
	}
}

func (c *csvInfer) dataType() arrow.DataType {
	switch {
	case !c.seen:
		return arrow.BinaryTypes.String
	case c.isInt:
		return arrow.PrimitiveTypes.Int64
	case c.isFloat:
		return arrow.PrimitiveTypes.Float64
	case c.isBool:
		return arrow.FixedWidthTypes.Boolean
	case c.isDate:
		return arrow.FixedWidthTypes.Date32
	case c.isTime:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

// dictStringType is the type DictionaryStrings gives text columns.
var dictStringType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

func csvTypeSupported(dt arrow.DataType) bool {
	if arrow.TypeEqual(dt, dictStringType) {
		return true
	}
	switch dt.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.LARGE_STRING,
		arrow.BINARY, arrow.LARGE_BINARY, arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return true
	}
	return false
}

func csvErr(path string, err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &FileError{Path: path, Line: int64(pe.StartLine), Err: le}
		}
		return &FileError{Path: path, Err: le}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FileError{Path: path, Line: int64(pe.Line), Err: fmt.Errorf("column %d: %w", pe.Column, pe.Err)}
	}
	return &FileError{Path: path, Err: err}
}

func (s *csvSource) Schema() *arrow.Schema     { return s.schema }
func (s *csvSource) fileSchema() *arrow.Schema { return s.schema }
func (s *csvSource) Record() arrow.Record      { return s.cur }
func (s *csvSource) Err() error                { return s.err }
func (s *csvSource) Retain()                   {}
func (s *csvSource) Release()                  {}

func (s *csvSource) Next() bool {
	s.cur = nil
	if s.err != nil {
		return false
	}
	ok := s.rdr.Next()
	if err := s.rdr.Err(); err != nil {
		s.err = s.locate(err)
		return false
	}
	if !ok {
		return false
	}
	s.cur = s.rdr.Record()
	s.rows += s.cur.NumRows()
	return true
}

func (s *csvSource) Close() error {
	s.rdr.Release()
	return s.f.Close()
}

// locate turns an error of Arrow's CSV reader into one naming the line,
// row and column: syntax errors carry their line; for a cell that does
// not parse, the rows of the failed batch are read again and checked.
func (s *csvSource) locate(err error) error {
	var pe *csv.ParseError
	var le *LimitError
	if errors.As(err, &pe) || errors.As(err, &le) {
		return csvErr(s.path, err)
	}
	if errors.Is(err, arrowcsv.ErrMismatchFields) {
		return &FileError{Path: s.path, Err: errors.New("a row has a different number of fields than the header")}
	}
	f, ferr := os.Open(s.path)
	if ferr != nil {
		return &FileError{Path: s.path, Err: err}
	}
	defer f.Close()
	cr := newCSVReader(newCSVGuard(f, s.comma, s.opts), s.comma)
	if _, e := cr.Read(); e != nil { // header
		return &FileError{Path: s.path, Err: err}
	}
	for row := int64(1); ; row++ {
		rec, e := cr.Read()
		if e != nil {
			break
		}
		if row <= s.rows {
			continue
		}
		for i, v := range rec {
			if i >= s.schema.NumFields() {
				break
			}
			if perr := checkCell(s.schema.Field(i).Type, v); perr != nil {
				line, _ := cr.FieldPos(i)
				return &FileError{Path: s.path, Line: int64(line), Row: row,
					Err: fmt.Errorf("column %q: a %d-byte value is not a valid %s: %w", s.schema.Field(i).Name, len(v), s.schema.Field(i).Type, perr)}
			}
		}
	}
	return &FileError{Path: s.path, Err: fmt.Errorf("after row %d: %w", s.rows, err)}
}

// checkCell reports whether Arrow's CSV reader would reject v as dt.
func checkCell(dt arrow.DataType, v string) error {
	if isNullText(v) {
		return nil
	}
	var err error
	switch dt := dt.(type) {
	case *arrow.BooleanType:
		_, err = strconv.ParseBool(v)
	case *arrow.Int8Type:
		_, err = strconv.ParseInt(v, 10, 8)
	case *arrow.Int16Type:
		_, err = strconv.ParseInt(v, 10, 16)
	case *arrow.Int32Type:
		_, err = strconv.ParseInt(v, 10, 32)
	case *arrow.Int64Type:
		_, err = strconv.ParseInt(v, 10, 64)
	case *arrow.Uint8Type:
		_, err = strconv.ParseUint(v, 10, 8)
	case *arrow.Uint16Type:
		_, err = strconv.ParseUint(v, 10, 16)
	case *arrow.Uint32Type:
		_, err = strconv.ParseUint(v, 10, 32)
	case *arrow.Uint64Type:
		_, err = strconv.ParseUint(v, 10, 64)
	case *arrow.Float32Type:
		_, err = strconv.ParseFloat(v, 32)
	case *arrow.Float64Type:
		_, err = strconv.ParseFloat(v, 64)
	case *arrow.TimestampType:
		_, err = arrow.TimestampFromString(v, dt.Unit)
	case *arrow.Date32Type, *arrow.Date64Type:
		_, err = time.Parse(time.DateOnly, v)
	}
	if ne, ok := err.(*strconv.NumError); ok {
		return ne.Err
	}
	return err
}

var _ array.RecordReader = (*csvSource)(nil)
