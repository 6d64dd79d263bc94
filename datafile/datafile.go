package datafile

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/mlsec-dev/mlsec/internal/dataread"
)

// Reader reads the records of one or more data files in sequence. It
// implements [array.RecordReader]; Err reports nil (not io.EOF) at the
// end of the data. Call Close (or Release) when done. Path names the
// file the current record came from.
type Reader = dataread.Reader

// Options control how files are read; the zero value (or nil) reads the
// format named by the extension with default limits.
type Options = dataread.Options

// Format is a data file format.
type Format = dataread.Format

// FileError is the error for a file that cannot be read; it names the
// file and, where known, the line (text formats) or the data row.
type FileError = dataread.FileError

// LimitError reports an input that exceeds a resource limit of
// [Options]; Limit names the field to raise.
type LimitError = dataread.LimitError

// The formats read.
const (
	CSV         = dataread.CSV         // comma-separated values with a header row
	TSV         = dataread.TSV         // tab-separated values with a header row
	Parquet     = dataread.Parquet     // Apache Parquet
	ArrowFile   = dataread.ArrowFile   // Arrow IPC file format (Feather v2)
	ArrowStream = dataread.ArrowStream // Arrow IPC stream format
	JSONL       = dataread.JSONL       // JSON Lines: one JSON object per line
)

// Defaults of [Options].
const (
	DefaultBatchSize        = dataread.DefaultBatchSize
	MaxBatchSize            = dataread.MaxBatchSize
	DefaultInferRows        = dataread.DefaultInferRows
	DefaultMaxColumns       = dataread.DefaultMaxColumns
	DefaultMaxPageBytes     = dataread.DefaultMaxPageBytes
	DefaultMaxRowGroupBytes = dataread.DefaultMaxRowGroupBytes
	DefaultMaxFieldBytes    = dataread.DefaultMaxFieldBytes
	DefaultMaxLineBytes     = dataread.DefaultMaxLineBytes
)

// Formats lists every supported format, for help texts.
func Formats() []Format { return append([]Format(nil), dataread.Formats...) }

// Open opens one data file.
func Open(ctx context.Context, path string, opts Options) (*Reader, error) {
	return dataread.Open(ctx, path, &opts)
}

// OpenAll opens the files of one dataset, read in sequence as one stream.
// The first file (or opts.Schema) fixes the schema; a later file that
// differs stops the stream with an error naming it.
func OpenAll(ctx context.Context, paths []string, opts Options) (*Reader, error) {
	return dataread.OpenAll(ctx, paths, &opts)
}

// ReadSchema returns the schema [Open] would use for path, without
// reading the data. Without [Options.Columns] it is the file's whole
// schema, not counted against MaxColumns (CSV and TSV headers excepted),
// so that a caller can choose the few columns of a wide file to read.
func ReadSchema(ctx context.Context, path string, opts Options) (*arrow.Schema, error) {
	return dataread.ReadSchema(ctx, path, &opts)
}

// FormatOf returns the format named by path's extension.
func FormatOf(path string) (Format, error) { return dataread.FormatOf(path) }

// ParseFormat parses a format name as given on a command line ("csv",
// "parquet", "jsonl", ...).
func ParseFormat(s string) (Format, error) { return dataread.ParseFormat(s) }

// SameSchema reports how got differs from want in column names, order,
// types or nullability, or nil.
func SameSchema(want, got *arrow.Schema) error { return dataread.SameSchema(want, got) }
