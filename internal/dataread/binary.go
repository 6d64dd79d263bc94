package dataread

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// readerSource adapts an Arrow record reader and the resources behind it.
type readerSource struct {
	array.RecordReader
	closers []func() error
}

func (s *readerSource) Close() error {
	s.RecordReader.Release()
	var err error
	for _, c := range s.closers {
		err = errors.Join(err, c())
	}
	return err
}

// parquetBufferSize is the read buffer per column chunk: Parquet pages are
// streamed through it instead of loading whole column chunks.
const parquetBufferSize = 1 << 20

func openParquet(ctx context.Context, path string, opts Options) (source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	props := parquet.NewReaderProperties(opts.Allocator)
	props.BufferedStreamEnabled = true
	props.BufferSize = parquetBufferSize
	pf, err := file.NewParquetReader(f, file.WithReadProps(props))
	if err != nil {
		f.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(opts.BatchSize)}, opts.Allocator)
	if err != nil {
		pf.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		pf.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	return &readerSource{RecordReader: rr, closers: []func() error{pf.Close}}, nil
}

func openArrowStream(path string, opts Options) (source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	rr, err := ipc.NewReader(f, ipc.WithAllocator(opts.Allocator))
	if err != nil {
		f.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	return &readerSource{RecordReader: rr, closers: []func() error{f.Close}}, nil
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
	r.i++
	r.cur = rec
	return true
}

func openArrowFile(path string, opts Options) (source, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	fr, err := ipc.NewFileReader(f, ipc.WithAllocator(opts.Allocator))
	if err != nil {
		f.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	return &readerSource{RecordReader: &ipcFileReader{fr: fr}, closers: []func() error{fr.Close, f.Close}}, nil
}

var _ io.Closer = (*readerSource)(nil)
