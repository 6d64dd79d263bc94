package dataread

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// jsonlSource reads JSON Lines one line at a time into Arrow's record
// builder (Arrow's own JSON decoding per object), so that every error
// names its line. Keys absent from a line are null. A key that is not in
// the schema is an error, unlike Arrow's JSON reader, which drops it: a
// column that appears after the inference sample (or is missing from a
// given schema) must not vanish unseen from a quality gate.
type jsonlSource struct {
	f       *os.File
	br      *bufio.Reader
	path    string
	schema  *arrow.Schema
	bld     *array.RecordBuilder
	keys    map[string]bool
	batch   int
	line    int64
	cur     arrow.Record
	err     error
	done    bool
	maxLine int64
}

func openJSONL(path string, want *arrow.Schema, opts Options) (source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	schema := want
	if schema == nil {
		schema, err = inferJSONL(f, path, opts)
		if err != nil {
			f.Close()
			return nil, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, &FileError{Path: path, Err: err}
		}
	}
	if int64(schema.NumFields()) > int64(opts.MaxColumns) {
		f.Close()
		return nil, &FileError{Path: path, Err: &LimitError{Limit: "MaxColumns", Max: int64(opts.MaxColumns), Got: int64(schema.NumFields()), What: "columns"}}
	}
	return projectSource(path, &jsonlSource{
		f: f, br: bufio.NewReaderSize(f, 1<<16), path: path, schema: schema,
		bld: array.NewRecordBuilder(opts.Allocator, schema), batch: batchFor(opts.BatchSize, schema.NumFields()),
		keys: fieldSet(schema), maxLine: opts.MaxLineBytes,
	}, opts)
}

// readLine returns the next line without its line ending, or io.EOF.
func readLine(br *bufio.Reader, maxLine int64) ([]byte, error) {
	var long []byte
	for {
		part, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, part...)
			if int64(len(long)) > maxLine {
				return nil, &LimitError{Limit: "MaxLineBytes", Max: maxLine, What: "JSON Lines line"}
			}
			continue
		}
		if long != nil && int64(len(long)+len(part)) > maxLine+2 { // +2: the line ending
			return nil, &LimitError{Limit: "MaxLineBytes", Max: maxLine, What: "JSON Lines line"}
		}
		if long != nil {
			part = append(long, part...)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if err != nil && len(part) == 0 {
			return nil, io.EOF
		}
		return bytes.TrimRight(part, "\r\n"), nil
	}
}

func (s *jsonlSource) Schema() *arrow.Schema     { return s.schema }
func (s *jsonlSource) fileSchema() *arrow.Schema { return s.schema }
func (s *jsonlSource) Record() arrow.Record      { return s.cur }
func (s *jsonlSource) Err() error                { return s.err }
func (s *jsonlSource) Retain()                   {}
func (s *jsonlSource) Release()                  {}

func (s *jsonlSource) Next() bool {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	if s.err != nil || s.done {
		return false
	}
	n := 0
	for n < s.batch {
		line, err := readLine(s.br, s.maxLine)
		if errors.Is(err, io.EOF) {
			s.done = true
			break
		}
		s.line++
		if err != nil {
			s.err = &FileError{Path: s.path, Line: s.line, Err: err}
			return false
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if err := s.appendLine(line); err != nil {
			s.err = &FileError{Path: s.path, Line: s.line, Err: err}
			return false
		}
		n++
	}
	if n == 0 {
		return false
	}
	s.cur = s.bld.NewRecord()
	return true
}

// appendLine decodes one object into the builder; a malformed line
// leaves the builder inconsistent, which is fine as reading stops there.
func (s *jsonlSource) appendLine(line []byte) (err error) {
	if !json.Valid(line) {
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			return fmt.Errorf("invalid JSON: %w", err)
		}
		return errors.New("invalid JSON")
	}
	if line[0] != '{' {
		return errors.New("not a JSON object")
	}
	if err := checkKeys(line, s.keys); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cannot decode: %v", p)
		}
	}()
	return s.bld.UnmarshalJSON(line)
}

func (s *jsonlSource) Close() error {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	s.bld.Release()
	return s.f.Close()
}

func fieldSet(s *arrow.Schema) map[string]bool {
	m := make(map[string]bool, s.NumFields())
	for _, f := range s.Fields() {
		m[f.Name] = true
	}
	return m
}

// checkKeys reports the first top-level key of a valid JSON object that
// is not in keys.
func checkKeys(line []byte, keys map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	if _, err := dec.Token(); err != nil { // '{'
		return err
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := kt.(string)
		if !keys[k] {
			return fmt.Errorf("key %q is not in the schema", k)
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}

// jkind is an inferred JSON value type.
type jkind int

const (
	jNull jkind = iota
	jBool
	jInt
	jFloat
	jString
	jList
	jObject
)

var jkindNames = [...]string{"null", "boolean", "integer", "number", "string", "array", "object"}

type jtype struct {
	kind   jkind
	elem   *jtype            // jList
	keys   []string          // jObject, in first-seen order
	fields map[string]*jtype // jObject
}

// merge widens t to also describe u (int and float widen to float, null
// to anything); other mixes are an error.
func (t *jtype) merge(u *jtype) error {
	switch {
	case u.kind == jNull:
		return nil
	case t.kind == jNull:
		*t = *u
		return nil
	case t.kind == u.kind:
	case t.kind == jInt && u.kind == jFloat, t.kind == jFloat && u.kind == jInt:
		t.kind = jFloat
		return nil
	default:
		return fmt.Errorf("mixed types %s and %s", jkindNames[t.kind], jkindNames[u.kind])
	}
	switch t.kind {
	case jList:
		if t.elem == nil {
			t.elem = u.elem
		} else if u.elem != nil {
			return t.elem.merge(u.elem)
		}
	case jObject:
		for _, k := range u.keys {
			if f, ok := t.fields[k]; ok {
				if err := f.merge(u.fields[k]); err != nil {
					return fmt.Errorf("key %q: %w", k, err)
				}
			} else {
				t.keys = append(t.keys, k)
				t.fields[k] = u.fields[k]
			}
		}
	}
	return nil
}

func (t *jtype) arrowType() arrow.DataType {
	switch t.kind {
	case jBool:
		return arrow.FixedWidthTypes.Boolean
	case jInt:
		return arrow.PrimitiveTypes.Int64
	case jFloat:
		return arrow.PrimitiveTypes.Float64
	case jList:
		if t.elem == nil {
			return arrow.ListOf(arrow.BinaryTypes.String)
		}
		return arrow.ListOf(t.elem.arrowType())
	case jObject:
		return arrow.StructOf(t.arrowFields()...)
	}
	return arrow.BinaryTypes.String // strings, and keys only ever null
}

func (t *jtype) arrowFields() []arrow.Field {
	fs := make([]arrow.Field, len(t.keys))
	for i, k := range t.keys {
		fs[i] = arrow.Field{Name: k, Type: t.fields[k].arrowType(), Nullable: true}
	}
	return fs
}

// readJSONType reads one JSON value from dec and returns its type.
func readJSONType(dec *json.Decoder) (*jtype, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case nil:
		return &jtype{kind: jNull}, nil
	case bool:
		return &jtype{kind: jBool}, nil
	case string:
		return &jtype{kind: jString}, nil
	case json.Number:
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return &jtype{kind: jInt}, nil
		}
		return &jtype{kind: jFloat}, nil
	case json.Delim:
		switch v {
		case '[':
			t := &jtype{kind: jList}
			for dec.More() {
				e, err := readJSONType(dec)
				if err != nil {
					return nil, err
				}
				if t.elem == nil {
					t.elem = e
				} else if err := t.elem.merge(e); err != nil {
					return nil, fmt.Errorf("array element: %w", err)
				}
			}
			_, err := dec.Token() // ']'
			return t, err
		case '{':
			t := &jtype{kind: jObject, fields: map[string]*jtype{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				if _, dup := t.fields[k]; dup {
					return nil, fmt.Errorf("key %q appears twice", k)
				}
				f, err := readJSONType(dec)
				if err != nil {
					return nil, err
				}
				t.keys = append(t.keys, k)
				t.fields[k] = f
			}
			_, err := dec.Token() // '}'
			return t, err
		}
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// inferJSONL infers a schema from the first inferRows objects of a JSON
// Lines file: the union of their keys in first-seen order, each with the
// widest type seen.
func inferJSONL(f *os.File, path string, opts Options) (*arrow.Schema, error) {
	inferRows := opts.InferRows
	br := bufio.NewReaderSize(f, 1<<16)
	root := &jtype{kind: jObject, fields: map[string]*jtype{}}
	var lineNo int64
	for n := 0; n < inferRows; {
		line, err := readLine(br, opts.MaxLineBytes)
		if errors.Is(err, io.EOF) {
			break
		}
		lineNo++
		if err != nil {
			return nil, &FileError{Path: path, Line: lineNo, Err: err}
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		n++
		if !json.Valid(line) {
			return nil, &FileError{Path: path, Line: lineNo, Err: errors.New("invalid JSON")}
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		t, err := readJSONType(dec)
		if err != nil {
			return nil, &FileError{Path: path, Line: lineNo, Err: err}
		}
		if t.kind != jObject {
			return nil, &FileError{Path: path, Line: lineNo, Err: errors.New("not a JSON object")}
		}
		if err := root.merge(t); err != nil {
			return nil, &FileError{Path: path, Line: lineNo, Err: fmt.Errorf("%w (give an explicit schema)", err)}
		}
	}
	if len(root.keys) == 0 {
		return nil, &FileError{Path: path, Err: errors.New("no JSON objects with keys to infer a schema from")}
	}
	return arrow.NewSchema(root.arrowFields(), nil), nil
}
