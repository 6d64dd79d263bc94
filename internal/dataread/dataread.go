// Package dataread opens tabular data files as streaming Arrow record
// readers, so the packages that inspect datasets (validation, drift) read
// CSV, Parquet, Arrow IPC and JSON Lines the same way.
//
// A Reader yields arrow.Record batches of at most Options.BatchSize rows;
// memory is bounded by the batch size (for Parquet, one row group's pages;
// for CSV and TSV, which are parsed on all cores, a few 1 MiB chunks of
// text and their batches per worker), never by the file size. The schema is the file's own (Parquet,
// Arrow IPC), the caller's (Options.Schema), or inferred from a bounded
// sample of the first rows (CSV, JSON Lines).
//
// Errors name the file, and the line or row where the reader knows it.
// Malformed input never panics: panics raised inside the Arrow and Parquet
// decoders are turned into errors.
package dataread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Format is a data file format.
type Format string

// The formats dataread reads.
const (
	CSV         Format = "csv"     // comma-separated values with a header row
	TSV         Format = "tsv"     // tab-separated values with a header row
	Parquet     Format = "parquet" // Apache Parquet
	ArrowFile   Format = "arrow"   // Arrow IPC file format (Feather v2)
	ArrowStream Format = "arrows"  // Arrow IPC stream format
	JSONL       Format = "jsonl"   // JSON Lines: one JSON object per line
)

// Formats lists every supported format, for help texts.
var Formats = []Format{CSV, TSV, Parquet, ArrowFile, ArrowStream, JSONL}

var extFormats = map[string]Format{
	".csv": CSV, ".tsv": TSV, ".tab": TSV,
	".parquet": Parquet, ".pq": Parquet,
	".arrow": ArrowFile, ".feather": ArrowFile, ".ipc": ArrowFile,
	".arrows": ArrowStream,
	".jsonl":  JSONL, ".ndjson": JSONL,
}

// FormatOf returns the format named by path's extension.
func FormatOf(path string) (Format, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if f, ok := extFormats[ext]; ok {
		return f, nil
	}
	return "", fmt.Errorf("datafile: %s: unknown data file extension %q (use one of %s, or give the format)", path, ext, formatList())
}

// ParseFormat parses a format name as given on a command line.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	switch strings.ToLower(s) {
	case "ndjson", "json":
		return JSONL, nil
	case "feather", "ipc":
		return ArrowFile, nil
	case "arrow-stream", "stream":
		return ArrowStream, nil
	}
	return "", fmt.Errorf("datafile: unknown format %q (use one of %s)", s, formatList())
}

func formatList() string {
	s := make([]string, len(Formats))
	for i, f := range Formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// Defaults and limits for Options.
const (
	DefaultBatchSize = 64 * 1024
	MaxBatchSize     = 4 * 1024 * 1024
	DefaultInferRows = 1000
)

// Options control how a file is read. The zero value reads the format
// named by the extension, with the file's own or an inferred schema.
type Options struct {
	// Format overrides the format named by the file extension.
	Format Format
	// Schema is the expected schema. For CSV and JSON Lines it is the
	// schema the text is parsed into (CSV header names must match it);
	// for Parquet and Arrow the file's schema must equal it.
	Schema *arrow.Schema
	// BatchSize is the most rows per record (default DefaultBatchSize,
	// at most MaxBatchSize). Larger stored batches are sliced, not copied.
	BatchSize int
	// InferRows is how many rows CSV and JSON Lines schema inference
	// samples (default DefaultInferRows).
	InferRows int
	// Allocator allocates the records (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// Workers is how many goroutines parse CSV and TSV files (default
	// GOMAXPROCS). Records still arrive in file order.
	Workers int
	// DictionaryStrings reads the CSV and TSV text columns whose inference
	// sample (InferRows) holds at most 64 distinct values, categories
	// rather than free text, as dictionary<int32, utf8>: each record holds
	// each of a column's distinct values once and an index per row, which
	// is smaller and lets a consumer count categories by index. A given
	// Schema decides for itself (a dictionary<int32, utf8> field is read
	// so); other formats keep their own types, and a dataset that mixes
	// CSV or TSV with them is read without dictionaries, so that all its
	// files share one schema.
	DictionaryStrings bool

	// Columns, when not nil, is the projection: only these columns are
	// read, in the file's order, and the Reader's schema holds only them.
	// Parquet and CSV skip the other columns' bytes; for the other formats
	// they are dropped as each batch is decoded. A name the file lacks is
	// an error. An empty non-nil slice reads one column (the first), for
	// callers that need only the row count.
	Columns []string

	// Resource limits; zero means the default, a negative value means no
	// limit. Hitting one is a *LimitError naming the field to raise.

	// MaxColumns bounds the columns read (default DefaultMaxColumns).
	MaxColumns int
	// MaxPageBytes bounds one decompressed Parquet page (default
	// DefaultMaxPageBytes), checked before the page is decompressed.
	MaxPageBytes int64
	// MaxRowGroupBytes bounds the decompressed size of the columns read
	// from one Parquet row group, as the footer records it (default
	// DefaultMaxRowGroupBytes).
	MaxRowGroupBytes int64
	// MaxFieldBytes bounds one CSV/TSV field (default DefaultMaxFieldBytes).
	MaxFieldBytes int64
	// MaxLineBytes bounds one CSV/TSV record and one JSON Lines line
	// (default DefaultMaxLineBytes).
	MaxLineBytes int64
}

func (o *Options) normalized() (Options, error) {
	var n Options
	if o != nil {
		n = *o
	}
	switch {
	case n.BatchSize == 0:
		n.BatchSize = DefaultBatchSize
	case n.BatchSize < 0 || n.BatchSize > MaxBatchSize:
		return n, fmt.Errorf("datafile: batch size %d out of range 1..%d", n.BatchSize, MaxBatchSize)
	}
	switch {
	case n.InferRows == 0:
		n.InferRows = DefaultInferRows
	case n.InferRows < 0:
		return n, fmt.Errorf("datafile: infer rows %d is negative", n.InferRows)
	}
	if n.Allocator == nil {
		n.Allocator = memory.DefaultAllocator
	}
	n.MaxColumns = int(limitOr(int64(n.MaxColumns), DefaultMaxColumns))
	n.MaxPageBytes = limitOr(n.MaxPageBytes, DefaultMaxPageBytes)
	n.MaxRowGroupBytes = limitOr(n.MaxRowGroupBytes, DefaultMaxRowGroupBytes)
	n.MaxFieldBytes = limitOr(n.MaxFieldBytes, DefaultMaxFieldBytes)
	n.MaxLineBytes = limitOr(n.MaxLineBytes, DefaultMaxLineBytes)
	return n, nil
}

// limitOr returns the limit v means: def for zero, "none" for negative.
func limitOr(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return math.MaxInt64
	}
	return v
}

// FileError is the error for a file that cannot be read: it names the
// file and, where the reader knows it, the line (text formats) or the
// data row (1-based, header excluded).
type FileError struct {
	Path string
	Line int64 // 0 when unknown
	Row  int64 // 0 when unknown
	Err  error
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("datafile: ")
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, ": row %d", e.Row)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

// source is one opened file.
type source interface {
	array.RecordReader
	io.Closer
	// fileSchema is the file's schema before projection; later files of
	// the dataset must match it.
	fileSchema() *arrow.Schema
}

// Reader reads the records of one or more files of a dataset in sequence.
// It implements array.RecordReader; call Close (or Release) when done.
// A Reader is not safe for concurrent use.
type Reader struct {
	ctx    context.Context
	opts   Options
	paths  []string
	next   int // index of the next path to open
	schema *arrow.Schema
	full   *arrow.Schema // the first file's schema before projection
	src    source
	path   string // of src

	pending arrow.Record // the stored batch being sliced
	offset  int64
	cur     arrow.Record
	err     error
	refs    atomic.Int64
	prog    progressState
}

// Open opens one data file.
func Open(ctx context.Context, path string, opts *Options) (*Reader, error) {
	return OpenAll(ctx, []string{path}, opts)
}

// OpenAll opens the files of one dataset to be read in sequence as one
// stream. The first file fixes the schema (or opts.Schema does); every
// later file is parsed into it (CSV, JSON Lines) or must match it exactly
// (Parquet, Arrow), otherwise reading stops with an error naming the file.
// Later files are opened lazily, when the stream reaches them.
func OpenAll(ctx context.Context, paths []string, opts *Options) (*Reader, error) {
	if len(paths) == 0 {
		return nil, errors.New("datafile: no data files given")
	}
	o, err := opts.normalized()
	if err != nil {
		return nil, err
	}
	if o.DictionaryStrings && !allText(paths, o.Format) {
		// A Parquet or Arrow file keeps its utf8 columns, which a CSV
		// file's dictionaries would not match.
		o.DictionaryStrings = false
	}
	r := &Reader{ctx: ctx, opts: o, paths: paths}
	r.refs.Store(1)
	src, err := r.openSource(paths[0], o.Schema)
	if err != nil {
		return nil, err
	}
	r.src, r.path, r.next = src, paths[0], 1
	r.prog.startFile(paths[0])
	r.schema, r.full = src.Schema(), src.fileSchema()
	r.opts.BatchSize = batchFor(r.opts.BatchSize, r.schema.NumFields())
	return r, nil
}

// allText reports whether every path is read as CSV or TSV.
func allText(paths []string, format Format) bool {
	for _, p := range paths {
		f := format
		if f == "" {
			f, _ = FormatOf(p)
		}
		if f != CSV && f != TSV {
			return false
		}
	}
	return true
}

// openSource opens path with the given expected schema (nil: the file's
// own or inferred).
func (r *Reader) openSource(path string, want *arrow.Schema) (src source, err error) {
	defer func() {
		if p := recover(); p != nil {
			src, err = nil, panicErr(path, p)
		}
	}()
	format := r.opts.Format
	if format == "" {
		if format, err = FormatOf(path); err != nil {
			return nil, err
		}
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	switch format {
	case CSV:
		return openCSV(path, ',', want, r.opts)
	case TSV:
		return openCSV(path, '\t', want, r.opts)
	case JSONL:
		return openJSONL(path, want, r.opts)
	case Parquet:
		src, err = openParquet(r.ctx, path, r.opts)
	case ArrowFile:
		src, err = openArrowFile(path, r.opts)
	case ArrowStream:
		src, err = openArrowStream(path, r.opts)
	default:
		return nil, fmt.Errorf("datafile: %s: unknown format %q", path, format)
	}
	if err != nil {
		return nil, err
	}
	if want != nil {
		if err := SameSchema(want, src.fileSchema()); err != nil {
			src.Close()
			return nil, &FileError{Path: path, Err: fmt.Errorf("schema differs from the expected one: %w", err)}
		}
	}
	return src, nil
}

// SameSchema reports how got differs from want in field names, order,
// types or nullability (schema metadata is ignored), or nil.
func SameSchema(want, got *arrow.Schema) error {
	if want.NumFields() != got.NumFields() {
		return fmt.Errorf("%d columns, want %d", got.NumFields(), want.NumFields())
	}
	for i := range want.NumFields() {
		w, g := want.Field(i), got.Field(i)
		switch {
		case w.Name != g.Name:
			return fmt.Errorf("column %d is %q, want %q", i, g.Name, w.Name)
		case !arrow.TypeEqual(w.Type, g.Type):
			return fmt.Errorf("column %q has type %s, want %s", g.Name, g.Type, w.Type)
		case w.Nullable != g.Nullable:
			return fmt.Errorf("column %q nullable=%t, want %t", g.Name, g.Nullable, w.Nullable)
		}
	}
	return nil
}

// Schema returns the dataset's schema.
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// Path returns the file the current record came from.
func (r *Reader) Path() string { return r.path }

// FileIndex returns the index in the paths given to OpenAll of the file
// the current record came from (the same file named twice counts twice).
func (r *Reader) FileIndex() int { return r.next - 1 }

// Record returns the current record, valid until the next call to Next
// unless retained.
func (r *Reader) Record() arrow.Record { return r.cur }

// Err returns the error that stopped Next, or nil at the end of the data.
func (r *Reader) Err() error { return r.err }

// Next advances to the next record of at most BatchSize rows.
func (r *Reader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return false
	}
	for {
		if err := r.ctx.Err(); err != nil {
			r.fail(err)
			return false
		}
		if r.pending != nil {
			if r.offset < r.pending.NumRows() {
				end := min(r.offset+int64(r.opts.BatchSize), r.pending.NumRows())
				if r.offset == 0 && end == r.pending.NumRows() {
					r.cur = r.pending
					r.pending = nil
				} else {
					r.cur = r.pending.NewSlice(r.offset, end)
					r.offset = end
				}
				return true
			}
			r.pending.Release()
			r.pending = nil
		}
		if r.src == nil {
			if r.next >= len(r.paths) {
				return false
			}
			path := r.paths[r.next]
			r.next++
			src, err := r.openSource(path, r.full)
			if err != nil {
				r.fail(err)
				return false
			}
			r.src, r.path = src, path
			r.prog.startFile(path)
		}
		rec, err := r.srcNext()
		if err != nil {
			r.fail(err)
			return false
		}
		if rec == nil { // this file is done
			r.src.Close()
			r.src = nil
			r.prog.endFile()
			continue
		}
		r.prog.advance(r.src)
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		r.pending, r.offset = rec, 0
	}
}

// srcNext returns the next stored record of the current file (retained),
// nil at its end, turning decoder panics into errors.
func (r *Reader) srcNext() (rec arrow.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, panicErr(r.path, p)
		}
	}()
	if !r.src.Next() {
		// Some Arrow readers report the end of their input as io.EOF.
		if err := r.src.Err(); err != nil && !errors.Is(err, io.EOF) {
			return nil, wrapFileErr(r.path, err)
		}
		return nil, nil
	}
	rec = r.src.Record()
	rec.Retain()
	return rec, nil
}

// panicErr turns a panic raised while decoding path into an error: a
// resource limit hit deep in a decoder (see limitedAllocator) keeps its
// type, anything else is a malformed file.
func panicErr(path string, p any) error {
	if le, ok := p.(*LimitError); ok {
		return &FileError{Path: path, Err: le}
	}
	if err, ok := p.(error); ok && errors.Is(err, errPageOverflow) {
		return &FileError{Path: path, Err: err}
	}
	return &FileError{Path: path, Err: fmt.Errorf("malformed file: %v", p)}
}

func wrapFileErr(path string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	return &FileError{Path: path, Err: err}
}

func (r *Reader) fail(err error) {
	r.err = err
	r.closeAll()
}

func (r *Reader) closeAll() {
	if r.pending != nil {
		r.pending.Release()
		r.pending = nil
	}
	if r.src != nil {
		r.src.Close()
		r.src = nil
	}
}

// Retain increases the reference count.
func (r *Reader) Retain() { r.refs.Add(1) }

// Release decreases the reference count and closes the files at zero.
func (r *Reader) Release() {
	if r.refs.Add(-1) == 0 {
		if r.cur != nil {
			r.cur.Release()
			r.cur = nil
		}
		r.closeAll()
	}
}

// Close releases the reader's records and closes its files.
func (r *Reader) Close() error {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.closeAll()
	return nil
}

// ReadSchema returns the schema Open would use for path (the file's own
// or an inferred one), without reading the data. With opts.Columns unset
// it is the file's whole schema, and MaxColumns does not apply to it
// (no column is read): a caller may read a wide file's schema to choose
// the few columns it needs. CSV and TSV still count the header against
// MaxColumns, since their rows are parsed whole.
func ReadSchema(ctx context.Context, path string, opts *Options) (*arrow.Schema, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	whole := o.Columns == nil
	if whole {
		o.Columns = []string{}
	}
	r, err := Open(ctx, path, &o)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if whole {
		return r.full, nil
	}
	return r.Schema(), nil
}

func openFile(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datafile: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &FileError{Path: path, Err: errors.New("is a directory")}
	}
	return f, nil
}
