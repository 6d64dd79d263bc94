package dataread

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/golang/snappy"
	"github.com/klauspost/compress/zstd"
)

// Default resource limits. Together they keep reading any single input
// under about 1 GiB of memory: a hostile file (a decompression bomb, a
// file with tens of thousands of columns, a field without an end) is
// refused with a [LimitError] instead of exhausting the machine.
const (
	// DefaultMaxColumns bounds the columns read (after Options.Columns).
	DefaultMaxColumns = 10_000
	// DefaultMaxPageBytes bounds one decompressed Parquet page, checked
	// against the page header before the page is decompressed.
	DefaultMaxPageBytes = 128 << 20
	// DefaultMaxRowGroupBytes bounds the decompressed size of the columns
	// read from one Parquet row group, checked against the file's footer
	// before any data is read.
	DefaultMaxRowGroupBytes = 1 << 30
	// DefaultMaxFieldBytes bounds one CSV/TSV field.
	DefaultMaxFieldBytes = 16 << 20
	// DefaultMaxLineBytes bounds one CSV/TSV record (a quoted field may
	// span physical lines) and one JSON Lines line.
	DefaultMaxLineBytes = 64 << 20
	// maxBatchCells bounds the cells of one record batch: a wide file gets
	// fewer rows per batch, so a batch stays near 128 MiB of fixed-width
	// values whatever the width.
	maxBatchCells = 16 << 20
)

// LimitError reports that an input exceeds one of the resource limits of
// [Options]. Limit names the Options field that sets it; raise that field
// (or the matching command-line flag) to read the input anyway.
type LimitError struct {
	Limit string // the Options field, e.g. "MaxPageBytes"
	Max   int64  // the limit in force
	Got   int64  // the size found; 0 when only "more than Max" is known
	What  string // what was measured, e.g. "decompressed Parquet page"
}

func (e *LimitError) Error() string {
	got := fmt.Sprintf("%d", e.Got)
	if e.Got <= 0 {
		got = fmt.Sprintf("more than %d", e.Max)
	}
	return fmt.Sprintf("%s of %s exceeds the limit %s=%d (raise Options.%s to read it)", e.What, got, e.Limit, e.Max, e.Limit)
}

// limitedAllocator refuses single allocations above max: the Parquet page
// reader sizes its page buffer from the page header, so this is where a
// page that claims to inflate past the limit is stopped, before any byte
// of it is decompressed. The refusal is a panic carrying a *LimitError,
// which the reader recovers into an error.
type limitedAllocator struct {
	memory.Allocator
	max int64
}

func (a limitedAllocator) Allocate(size int) []byte {
	if int64(size) > a.max {
		panic(&LimitError{Limit: "MaxPageBytes", Max: a.max, Got: int64(size), What: "decompressed Parquet page"})
	}
	return a.Allocator.Allocate(size)
}

func (a limitedAllocator) Reallocate(size int, b []byte) []byte {
	if int64(size) > a.max {
		panic(&LimitError{Limit: "MaxPageBytes", Max: a.max, Got: int64(size), What: "decompressed Parquet page"})
	}
	return a.Allocator.Reallocate(size, b)
}

// errPageOverflow is raised (as a panic, the codec interface has no error
// result, and Arrow's own codecs panic on error too) when a page inflates
// past the size its header declares.
var errPageOverflow = errors.New("parquet: page decompresses to more bytes than its header declares")

// Arrow's zstd and snappy codecs decompress as much as the compressed
// stream says, whatever the page header declared. These replacements
// write at most the declared size (which the allocator above has already
// bounded), so a page whose header lies cannot inflate without limit.
// gzip and brotli already decode into the declared buffer.
func init() {
	compress.RegisterCodec(compress.Codecs.Zstd, boundedZstd{Codec: mustCodec(compress.Codecs.Zstd)})
	compress.RegisterCodec(compress.Codecs.Snappy, boundedSnappy{Codec: mustCodec(compress.Codecs.Snappy)})
}

func mustCodec(c compress.Compression) compress.Codec {
	codec, err := compress.GetCodec(c)
	if err != nil {
		panic(err)
	}
	return codec
}

type boundedZstd struct{ compress.Codec }

var zstdDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		panic(err)
	}
	return d
}}

func (boundedZstd) Decode(dst, src []byte) []byte {
	if dst == nil {
		panic(errors.New("parquet: zstd page without a declared size"))
	}
	d := zstdDecoders.Get().(*zstd.Decoder)
	defer zstdDecoders.Put(d)
	if err := d.Reset(bytes.NewReader(src)); err != nil {
		panic(err)
	}
	n, err := io.ReadFull(d, dst)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		panic(err)
	}
	var one [1]byte
	if m, _ := d.Read(one[:]); m > 0 {
		panic(errPageOverflow)
	}
	return dst[:n]
}

type boundedSnappy struct{ compress.Codec }

func (c boundedSnappy) Decode(dst, src []byte) []byte {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		panic(err)
	}
	if n > len(dst) {
		panic(errPageOverflow)
	}
	return c.Codec.Decode(dst, src)
}
