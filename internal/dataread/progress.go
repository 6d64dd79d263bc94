package dataread

import (
	"io"
	"os"
	"sync/atomic"
)

// How far a Reader has got, in bytes of its files (Reader.BytesRead).
//
// Each source reports its position in the file it reads, without a
// counter in the parsers' inner loops: the sequential formats (CSV, TSV,
// JSON Lines, Arrow stream) by the file offset, the formats read by
// offset (Parquet, Arrow file) by the bytes their ReadAt calls return.
// The Reader asks once per stored batch and adds the sizes of the files
// already finished.

// positioner is a source that knows how far into its file it is.
type positioner interface {
	// position is the bytes of the file consumed so far; it may run
	// ahead of the records handed out by a read-ahead buffer.
	position() int64
}

// filePos is f's offset: how far a sequential reader has read it.
func filePos(f *os.File) int64 {
	p, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	return p
}

// The parallel splitter reads ahead of the records handed out by at
// most a few chunks; the offset is read while it may be reading, which
// the file's own locking allows.
func (s *parCSV) position() int64    { return filePos(s.f) }
func (s *csvSource) position() int64 { return filePos(s.f) }

// jsonlSource's lines come from a buffer over the file.
func (s *jsonlSource) position() int64 { return filePos(s.f) - int64(s.br.Buffered()) }

func (s *readerSource) position() int64 {
	if s.pos == nil {
		return 0
	}
	return s.pos()
}

func (p *projected) position() int64 {
	if q, ok := p.source.(positioner); ok {
		return q.position()
	}
	return 0
}

// countingFile counts the bytes that ReadAt returns, for the decoders
// that read a file by offset (Parquet, Arrow IPC file), possibly from
// several goroutines.
type countingFile struct {
	*os.File
	n atomic.Int64
}

func (f *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.n.Add(int64(n))
	return n, err
}

// scaledPos returns a position function for a file of size bytes of
// which a decoder reads only readable bytes after opening it (the
// columns it reads): the share read, scaled to the file's size, so
// that reading a projection still ends at the file's size.
func (f *countingFile) scaledPos(size, readable int64) func() int64 {
	f.n.Store(0) // what opening read (the footer) is not progress
	return func() int64 {
		n := f.n.Load()
		if readable <= 0 || size <= 0 {
			return n
		}
		if n >= readable {
			return size
		}
		return int64(float64(size) * float64(n) / float64(readable))
	}
}

// fileSize returns the size of the regular file at path, or -1.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return -1
	}
	return fi.Size()
}

// progressState is the Reader's byte count.
type progressState struct {
	read     atomic.Int64 // BytesRead
	finished int64        // bytes of the files read to the end
	size     int64        // of the current file, -1 when unknown
	pos      int64        // last position seen in the current file
}

// startFile notes the size of the file a new source reads.
func (p *progressState) startFile(path string) {
	p.size, p.pos = fileSize(path), 0
}

// advance takes src's position after it produced a batch.
func (p *progressState) advance(src source) {
	q, ok := src.(positioner)
	if !ok {
		return
	}
	pos := max(q.position(), p.pos)
	if p.size >= 0 {
		pos = min(pos, p.size)
	}
	p.pos = pos
	p.store(p.finished + pos)
}

// endFile counts the current file as read to its end.
func (p *progressState) endFile() {
	if p.size >= 0 {
		p.finished += p.size
	} else {
		p.finished += p.pos
	}
	p.size, p.pos = -1, 0
	p.store(p.finished)
}

// store raises read to v; it never goes down.
func (p *progressState) store(v int64) {
	if v > p.read.Load() {
		p.read.Store(v)
	}
}

// BytesRead returns how far r has got through its files, in bytes: the
// sizes of the files read to their end plus the position in the current
// one. At the end of the data it equals the sum of the files' sizes, so a
// caller that knows those sizes (os.Stat) can show the share done and
// estimate the time left.
//
// It is updated once per stored batch (a CSV chunk of about 1 MiB, a
// Parquet or Arrow record batch), never goes down, and may be read from
// any goroutine while another reads r. The position runs a little ahead
// of the records handed out where the reader buffers ahead (a few chunks
// for CSV and TSV). Parquet and Arrow files are read by offset: there the
// position is the share of the bytes to read that has been read, scaled
// to the file's size, so that reading a few columns of a Parquet file
// still ends at its size.
func (r *Reader) BytesRead() int64 { return r.prog.read.Load() }
