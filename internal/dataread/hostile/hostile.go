// Package hostile writes crafted data files, one per class of hostile
// input that the data readers must refuse cheaply: decompression bombs,
// very wide files, corrupted Arrow IPC buffers, endless CSV fields. The
// files are written at test time (into a temporary directory) rather than
// committed, since some are large; the shapes are small enough to keep
// as fuzz seeds.
package hostile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/klauspost/compress/zstd"
)

// BombBytes is how far the Parquet page bombs inflate: 1.5 GB of zeros
// from a page of about 150 KB.
const BombBytes = 1_500_000_000

var bomb struct {
	once sync.Once
	page []byte
	err  error
}

// bombPage is BombBytes of zeros compressed with zstd, made once per
// process (compressing 1.5 GB takes seconds).
func bombPage() ([]byte, error) {
	bomb.once.Do(func() {
		var comp bytes.Buffer
		zw, err := zstd.NewWriter(&comp, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			bomb.err = err
			return
		}
		if _, err := io.Copy(zw, io.LimitReader(zeros{}, BombBytes)); err != nil {
			bomb.err = err
			return
		}
		bomb.err = zw.Close()
		bomb.page = comp.Bytes()
	})
	return bomb.page, bomb.err
}

// Lie says which part of a Parquet bomb understates its size.
type Lie int

const (
	Honest      Lie = iota // footer and page header state the true size
	LyingFooter            // the footer says the column chunk is small
	LyingPage              // footer and page header say the page is small
	// HugeCompressed: the page header claims 2 GiB of compressed data
	// (the footer agrees) in a file of a few hundred kilobytes, so a
	// reader that reserves the claimed size before reading allocates 2 GiB.
	HugeCompressed
	// HugePageHeader: only the page header claims 2 GiB of compressed
	// data; the footer states the column chunk's true size.
	HugePageHeader
)

// ParquetBomb writes a Parquet file with one required int64 column whose
// single zstd page decompresses to BombBytes of zeros.
func ParquetBomb(path string, lie Lie) error {
	compressed, err := bombPage()
	if err != nil {
		return err
	}
	comp := bytes.NewBuffer(compressed)
	nvals := int64(BombBytes / 8)
	pageSize, chunkSize := int64(BombBytes), int64(BombBytes)
	compSize := int64(comp.Len())
	footerComp := compSize
	switch lie {
	case LyingFooter:
		chunkSize = 800
	case LyingPage:
		pageSize, chunkSize, nvals = 800, 800, 100
	case HugeCompressed:
		pageSize, chunkSize, nvals = 800, 800, 100
		compSize, footerComp = 1<<31-1, 1<<31-1
	case HugePageHeader:
		pageSize, chunkSize, nvals = 800, 800, 100
		compSize = 1<<31 - 1
	}

	var hdr tc
	hdr.i32(1, 0) // type DATA_PAGE
	hdr.i32(2, pageSize)
	hdr.i32(3, compSize)
	hdr.begin(5, typeStruct) // data_page_header
	hdr.i32(1, nvals)
	hdr.i32(2, 0) // PLAIN
	hdr.i32(3, 3) // RLE
	hdr.i32(4, 3)
	hdr.end()
	hdr.stop()

	const dataOffset = 4
	var meta tc
	meta.i32(1, 1) // version
	meta.list(2, typeStruct, 2)
	meta.elem() // root
	meta.str(4, "schema")
	meta.i32(5, 1)
	meta.stop()
	meta.elem()
	meta.i32(1, 2) // INT64
	meta.i32(3, 0) // REQUIRED
	meta.str(4, "x")
	meta.stop()
	meta.i64(3, nvals)
	meta.list(4, typeStruct, 1) // row groups
	meta.elem()
	meta.list(1, typeStruct, 1) // columns
	meta.elem()
	meta.i64(2, dataOffset)
	meta.begin(3, typeStruct) // ColumnMetaData
	meta.i32(1, 2)
	meta.list(2, typeI32, 1)
	meta.varint(zigzag(0))
	meta.list(3, typeBinary, 1)
	meta.bin("x")
	meta.i32(4, 6) // ZSTD
	meta.i64(5, nvals)
	meta.i64(6, chunkSize+int64(hdr.Len()))
	meta.i64(7, footerComp+int64(hdr.Len()))
	meta.i64(9, dataOffset)
	meta.end()
	meta.stop() // ColumnChunk
	meta.i64(2, chunkSize)
	meta.i64(3, nvals)
	meta.stop() // RowGroup
	meta.stop() // FileMetaData

	var out bytes.Buffer
	out.WriteString("PAR1")
	out.Write(hdr.Bytes())
	out.Write(comp.Bytes())
	out.Write(meta.Bytes())
	binary.Write(&out, binary.LittleEndian, uint32(meta.Len()))
	out.WriteString("PAR1")
	return os.WriteFile(path, out.Bytes(), 0o644)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// tc is a minimal Thrift compact-protocol writer, enough for a Parquet
// footer and page header.
type tc struct {
	bytes.Buffer
	last  int16
	stack []int16
}

const (
	typeI32    = 5
	typeI64    = 6
	typeBinary = 8
	typeList   = 9
	typeStruct = 12
)

func zigzag(v int64) uint64 { return uint64((v << 1) ^ (v >> 63)) }

func (t *tc) varint(u uint64) {
	t.Write(binary.AppendUvarint(nil, u))
}

func (t *tc) field(id int16, typ byte) {
	if d := id - t.last; d > 0 && d <= 15 {
		t.WriteByte(byte(d)<<4 | typ)
	} else {
		t.WriteByte(typ)
		t.varint(zigzag(int64(id)))
	}
	t.last = id
}

func (t *tc) i32(id int16, v int64) { t.field(id, typeI32); t.varint(zigzag(v)) }
func (t *tc) i64(id int16, v int64) { t.field(id, typeI64); t.varint(zigzag(v)) }
func (t *tc) bin(s string)          { t.varint(uint64(len(s))); t.WriteString(s) }
func (t *tc) str(id int16, s string) {
	t.field(id, typeBinary)
	t.bin(s)
}

// begin opens a struct field; end closes it.
func (t *tc) begin(id int16, typ byte) {
	t.field(id, typ)
	t.stack = append(t.stack, t.last)
	t.last = 0
}

func (t *tc) end() {
	t.WriteByte(0)
	t.last = t.stack[len(t.stack)-1]
	t.stack = t.stack[:len(t.stack)-1]
}

// list opens a list field of n elements; struct elements each start
// with elem and end with stop.
func (t *tc) list(id int16, elem byte, n int) {
	t.field(id, typeList)
	if n < 15 {
		t.WriteByte(byte(n)<<4 | elem)
	} else {
		t.WriteByte(0xF0 | elem)
		t.varint(uint64(n))
	}
}

// elem starts a struct element of a list (ended by stop).
func (t *tc) elem() {
	t.stack = append(t.stack, t.last)
	t.last = 0
}

// stop ends the current struct.
func (t *tc) stop() {
	t.WriteByte(0)
	if len(t.stack) > 0 {
		t.last = t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
	}
}

// WideParquet writes a Parquet file with ncols required int64 columns
// (column i holds r*i in row r) and rows rows, each column one
// uncompressed PLAIN page. It is written directly, since Arrow's writer
// takes minutes for tens of thousands of columns.
func WideParquet(path string, ncols, rows int) error {
	var out bytes.Buffer
	out.WriteString("PAR1")
	type chunk struct{ offset, size int64 }
	chunks := make([]chunk, ncols)
	page := make([]byte, 8*rows)
	for i := range ncols {
		for r := range rows {
			binary.LittleEndian.PutUint64(page[8*r:], uint64(r*i))
		}
		var hdr tc
		hdr.i32(1, 0) // DATA_PAGE
		hdr.i32(2, int64(len(page)))
		hdr.i32(3, int64(len(page)))
		hdr.begin(5, typeStruct)
		hdr.i32(1, int64(rows))
		hdr.i32(2, 0)
		hdr.i32(3, 3)
		hdr.i32(4, 3)
		hdr.end()
		hdr.stop()
		chunks[i] = chunk{int64(out.Len()), int64(hdr.Len() + len(page))}
		out.Write(hdr.Bytes())
		out.Write(page)
	}
	var meta tc
	meta.i32(1, 1)
	meta.list(2, typeStruct, ncols+1)
	meta.elem()
	meta.str(4, "schema")
	meta.i32(5, int64(ncols))
	meta.stop()
	for i := range ncols {
		meta.elem()
		meta.i32(1, 2)
		meta.i32(3, 0)
		meta.str(4, fmt.Sprintf("c%05d", i))
		meta.stop()
	}
	meta.i64(3, int64(rows))
	meta.list(4, typeStruct, 1)
	meta.elem()
	meta.list(1, typeStruct, ncols)
	var total int64
	for i, c := range chunks {
		meta.elem()
		meta.i64(2, c.offset)
		meta.begin(3, typeStruct)
		meta.i32(1, 2)
		meta.list(2, typeI32, 1)
		meta.varint(zigzag(0))
		meta.list(3, typeBinary, 1)
		meta.bin(fmt.Sprintf("c%05d", i))
		meta.i32(4, 0) // UNCOMPRESSED
		meta.i64(5, int64(rows))
		meta.i64(6, c.size)
		meta.i64(7, c.size)
		meta.i64(9, c.offset)
		meta.end()
		meta.stop()
		total += c.size
	}
	meta.i64(2, total)
	meta.i64(3, int64(rows))
	meta.stop()
	meta.stop()
	out.Write(meta.Bytes())
	binary.Write(&out, binary.LittleEndian, uint32(meta.Len()))
	out.WriteString("PAR1")
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// CorruptIPC writes an Arrow IPC file (stream when stream is true) whose
// string column has an offset far past its data buffer (the last one stays valid, so Arrow's own length check passes), as a
// flipped bit or a crafted file would.
func CorruptIPC(path string, stream bool) error {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"aaaa", "bbbb", "cccc"}, nil)
	rec := b.NewRecord()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var w interface {
		Write(arrow.Record) error
		Close() error
	}
	if stream {
		w = ipc.NewWriter(f, ipc.WithSchema(schema))
	} else if w, err = ipc.NewFileWriter(f, ipc.WithSchema(schema)); err != nil {
		f.Close()
		return err
	}
	if err := w.Write(rec); err != nil {
		f.Close()
		return err
	}
	if err := errors.Join(w.Close(), f.Close()); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	offsets := []byte{0, 0, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 12, 0, 0, 0}
	i := bytes.Index(data, offsets)
	if i < 0 {
		return fmt.Errorf("hostile: string offsets not found in the IPC output")
	}
	binary.LittleEndian.PutUint32(data[i+4:], 0x7fff0000)
	return os.WriteFile(path, data, 0o644)
}

// HugeCSVField writes a CSV file whose second row holds one field of
// size bytes (no delimiter, no newline).
func HugeCSVField(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("id,text\n1,short\n2,"); err != nil {
		f.Close()
		return err
	}
	chunk := []byte(strings.Repeat("A", 1<<20))
	for size > 0 {
		n := min(size, int64(len(chunk)))
		if _, err := f.Write(chunk[:n]); err != nil {
			f.Close()
			return err
		}
		size -= n
	}
	if _, err := f.WriteString("\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Files writes one file per class into dir and returns their paths by
// name: parquet_bomb, parquet_bomb_lying_footer, parquet_bomb_lying_page,
// wide_parquet (20,000 columns), corrupt_ipc.arrow, corrupt_ipc.arrows,
// huge_csv_field (a 300 MB field).
func Files(dir string) (map[string]string, error) {
	p := func(n string) string { return filepath.Join(dir, n) }
	out := map[string]string{
		"parquet_bomb":              p("bomb.parquet"),
		"parquet_bomb_lying_footer": p("bomb_lying_footer.parquet"),
		"parquet_bomb_lying_page":   p("bomb_lying_page.parquet"),
		"parquet_huge_compressed":   p("huge_compressed.parquet"),
		"parquet_huge_page_header":  p("huge_page_header.parquet"),
		"wide_parquet":              p("wide.parquet"),
		"corrupt_ipc_file":          p("corrupt.arrow"),
		"corrupt_ipc_stream":        p("corrupt.arrows"),
		"huge_csv_field":            p("huge_field.csv"),
	}
	for _, step := range []func() error{
		func() error { return ParquetBomb(out["parquet_bomb"], Honest) },
		func() error { return ParquetBomb(out["parquet_bomb_lying_footer"], LyingFooter) },
		func() error { return ParquetBomb(out["parquet_bomb_lying_page"], LyingPage) },
		func() error { return ParquetBomb(out["parquet_huge_compressed"], HugeCompressed) },
		func() error { return ParquetBomb(out["parquet_huge_page_header"], HugePageHeader) },
		func() error { return WideParquet(out["wide_parquet"], 20_000, 8) },
		func() error { return CorruptIPC(out["corrupt_ipc_file"], false) },
		func() error { return CorruptIPC(out["corrupt_ipc_stream"], true) },
		func() error { return HugeCSVField(out["huge_csv_field"], 300<<20) },
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
