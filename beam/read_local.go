package mlsecbeam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/csv"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// readLocal streams the records of one local file to fn. name is the
// file's name for errors (the original path when path is a local copy).
func readLocal(ctx context.Context, path, name, format string, schema *arrow.Schema, batchSize int, fn func(arrow.Record) error) (err error) {
	if batchSize <= 0 {
		batchSize = 64 * 1024
	}
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	}
	var rr array.RecordReader
	switch format {
	case "csv":
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("mlsecbeam: %s: %w", name, err)
		}
		defer f.Close()
		opts := []csv.Option{csv.WithHeader(true), csv.WithChunk(batchSize), csv.WithNullReader(true, "")}
		var r *csv.Reader
		if schema != nil {
			r = csv.NewReader(f, schema, opts...)
		} else {
			r = csv.NewInferringReader(f, opts...)
		}
		defer r.Release()
		rr = r
	case "parquet", "pq":
		pf, err := file.OpenParquetFile(path, false)
		if err != nil {
			return fmt.Errorf("mlsecbeam: %s: %w", name, err)
		}
		defer pf.Close()
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batchSize)}, memory.DefaultAllocator)
		if err != nil {
			return fmt.Errorf("mlsecbeam: %s: %w", name, err)
		}
		r, err := fr.GetRecordReader(ctx, nil, nil)
		if err != nil {
			return fmt.Errorf("mlsecbeam: %s: %w", name, err)
		}
		defer r.Release()
		if schema != nil && !sameFields(r.Schema(), schema) {
			return fmt.Errorf("mlsecbeam: %s: schema %v differs from the expected %v", name, r.Schema(), schema)
		}
		rr = r
	default:
		return fmt.Errorf("mlsecbeam: %s: unsupported format %q", name, format)
	}
	for next(rr, name, &err) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rr.Record()); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("mlsecbeam: %s: %w", name, err)
	}
	return nil
}

// next advances rr, turning a panic inside the Arrow or Parquet decoders
// (malformed input) into an error naming the file. Only the decoding is
// guarded: a failure downstream of the read must keep its own identity.
func next(rr array.RecordReader, name string, err *error) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			*err = fmt.Errorf("mlsecbeam: %s: malformed data: %v", name, p)
			ok = false
		}
	}()
	return rr.Next()
}

// sameFields reports whether two schemas have the same field names, types
// and nullability, ignoring metadata (Parquet adds field ids).
func sameFields(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Nullable != fb.Nullable || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}
