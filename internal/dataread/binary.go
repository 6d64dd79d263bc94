package dataread

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/metadata"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// readerSource adapts an Arrow record reader and the resources behind it.
type readerSource struct {
	array.RecordReader
	full    *arrow.Schema // the file's schema, before projection
	closers []func() error
	pos     func() int64 // the position in the file, for Reader.BytesRead
}

func (s *readerSource) fileSchema() *arrow.Schema { return s.full }

func (s *readerSource) Close() error {
	s.RecordReader.Release()
	var err error
	for _, c := range s.closers {
		err = errors.Join(err, c())
	}
	return err
}

// Parquet read buffers: pages stream through one buffer per column read;
// a wide file gets smaller buffers so their total stays near
// parquetBufferTotal.
const (
	parquetBufferSize  = 1 << 20
	parquetBufferMin   = 64 << 10
	parquetBufferTotal = 256 << 20
)

func openParquet(ctx context.Context, path string, opts Options) (source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	props := parquet.NewReaderProperties(limitedAllocator{Allocator: opts.Allocator, max: opts.MaxPageBytes})
	props.BufferedStreamEnabled = true
	props.BufferSize = parquetBufferSize
	cf := &countingFile{File: f}
	pf, err := file.NewParquetReader(cf, file.WithReadProps(props))
	if err != nil {
		f.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	fail := func(err error) (source, error) {
		pf.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, opts.Allocator)
	if err != nil {
		return fail(err)
	}
	full, err := fr.Schema()
	if err != nil {
		return fail(err)
	}
	fields, err := projection(full, opts.Columns)
	if err != nil {
		return fail(err)
	}
	ncols := full.NumFields()
	if fields != nil {
		ncols = len(fields)
	}
	if int64(ncols) > int64(opts.MaxColumns) {
		return fail(&LimitError{Limit: "MaxColumns", Max: int64(opts.MaxColumns), Got: int64(ncols), What: "columns to read"})
	}
	// The leaf (physical) columns of the projected top-level fields.
	want := map[string]bool{}
	for _, i := range fields {
		want[full.Field(i).Name] = true
	}
	sc := pf.MetaData().Schema
	var leaves []int
	for i := range sc.NumColumns() {
		if fields == nil || want[sc.ColumnRoot(i).Name()] {
			leaves = append(leaves, i)
		}
	}
	// The footer records each column chunk's decompressed size: refuse a
	// row group too large before reading any page of it.
	// A column chunk cannot hold more compressed bytes than the file, and
	// a reader that believed the footer would reserve what it claims.
	md := pf.MetaData()
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	var readable int64 // the compressed bytes of the columns read
	for g := range pf.NumRowGroups() {
		rg := md.RowGroup(g)
		var total int64
		for _, c := range leaves {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return fail(err)
			}
			total += max(cc.TotalUncompressedSize(), 0)
			// The chunk's range as Arrow's page reader computes it.
			start, size := cc.DataPageOffset(), cc.TotalCompressedSize()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && start > cc.DictionaryPageOffset() {
				start = cc.DictionaryPageOffset()
			}
			if size < 0 || start < 0 || size > fi.Size() || start > fi.Size()-size {
				return fail(fmt.Errorf("row group %d, column %d: the footer places %d compressed bytes at offset %d of a %d-byte file", g, c, size, start, fi.Size()))
			}
			if md.WriterVersion().LessThan(metadata.Parquet816FixedVersion) {
				// Old parquet-mr left the dictionary page header out of
				// the size; Arrow reads up to 100 bytes more (PARQUET-816).
				size += min(100, fi.Size()-start-size)
			}
			// A row group without rows has no page to read (its offsets
			// may point at the file's magic).
			if rg.NumRows() > 0 {
				readable += size
				if err := checkPages(f, start, start+size); err != nil {
					return fail(fmt.Errorf("row group %d, column %d: %w", g, c, err))
				}
			}
		}
		if total > opts.MaxRowGroupBytes {
			return fail(&LimitError{Limit: "MaxRowGroupBytes", Max: opts.MaxRowGroupBytes, Got: total,
				What: fmt.Sprintf("decompressed size of row group %d", g)})
		}
	}
	props.BufferSize = int64(min(parquetBufferSize, max(parquetBufferMin, parquetBufferTotal/max(len(leaves), 1))))
	fr.Props.BatchSize = int64(batchFor(opts.BatchSize, ncols))
	if fields == nil {
		leaves = nil
	}
	pos := cf.scaledPos(fi.Size(), readable)
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return fail(err)
	}
	return &readerSource{RecordReader: rr, full: full, closers: []func() error{pf.Close}, pos: pos}, nil
}

// batchFor is the rows per batch for ncols columns: at most batch, and
// fewer for wide data, so one batch holds about maxBatchCells cells.
func batchFor(batch, ncols int) int {
	return max(1, min(batch, maxBatchCells/max(ncols, 1)))
}

func openArrowStream(path string, opts Options) (source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	rr, err := ipc.NewReader(f, ipc.WithAllocator(opts.Allocator), ipc.WithEnsureNativeEndian(true))
	if err != nil {
		f.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	return projectSource(path, &readerSource{RecordReader: &validatingReader{RecordReader: rr}, full: rr.Schema(), closers: []func() error{f.Close},
		pos: func() int64 { return filePos(f) }}, opts)
}

// validatingReader checks every record's buffers before handing it out,
// so that corrupted offsets are an input error here rather than a panic
// (or silently wrong values) in whatever reads the record.
type validatingReader struct {
	array.RecordReader
	err error
}

func (r *validatingReader) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.RecordReader.Err()
}

func (r *validatingReader) Next() bool {
	if r.err != nil || !r.RecordReader.Next() {
		return false
	}
	if err := validateRecord(r.RecordReader.Record()); err != nil {
		r.err = err
		return false
	}
	return true
}

// ipcFileReader walks the record batches of an Arrow IPC file in order.
type ipcFileReader struct {
	fr  *ipc.FileReader
	i   int
	cur arrow.Record
	err error
}

func (r *ipcFileReader) Schema() *arrow.Schema { return r.fr.Schema() }
func (r *ipcFileReader) Record() arrow.Record  { return r.cur }
func (r *ipcFileReader) Err() error            { return r.err }
func (r *ipcFileReader) Retain()               {}
func (r *ipcFileReader) Release()              {}

func (r *ipcFileReader) Next() bool {
	r.cur = nil
	if r.err != nil || r.i >= r.fr.NumRecords() {
		return false
	}
	rec, err := r.fr.Record(r.i) // owned by fr until its next call
	if err != nil {
		r.err = err
		return false
	}
	if err := validateRecord(rec); err != nil {
		r.err = fmt.Errorf("record batch %d: %w", r.i, err)
		return false
	}
	r.i++
	r.cur = rec
	return true
}

func openArrowFile(path string, opts Options) (source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	cf := &countingFile{File: f}
	fr, err := ipc.NewFileReader(cf, ipc.WithAllocator(opts.Allocator), ipc.WithEnsureNativeEndian(true))
	if err != nil {
		f.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	// The record batches fill the file but for its schema and footer.
	size := fileSize(path)
	return projectSource(path, &readerSource{RecordReader: &ipcFileReader{fr: fr}, full: fr.Schema(), closers: []func() error{fr.Close, f.Close},
		pos: cf.scaledPos(size, size)}, opts)
}

var _ io.Closer = (*readerSource)(nil)
