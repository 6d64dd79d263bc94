package dataread

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// checkPages walks the page headers of one column chunk, the bytes
// [start, end) of the file, without reading page data: every page's
// compressed size must fit in what is left of the chunk. Arrow's page
// reader reserves a page's compressed size before reading it, so a header
// claiming 2 GiB in a small file would allocate 2 GiB (and its read error
// is lost, reading as an empty column); the walk refuses such a file first.
func checkPages(r io.ReaderAt, start, end int64) error {
	buf := make([]byte, 4096)
	for off, n := start, 0; off < end; n++ {
		h, hdrLen, err := readPageHeader(r, off, end, buf)
		if err != nil {
			return fmt.Errorf("page %d at offset %d: %w", n, off, err)
		}
		if h.compressed < 0 || h.uncompressed < 0 {
			return fmt.Errorf("page %d at offset %d: negative page size", n, off)
		}
		next := off + hdrLen + int64(h.compressed)
		if next > end {
			return fmt.Errorf("page %d at offset %d: its header claims %d compressed bytes, %d are left in the column chunk", n, off, h.compressed, end-off-hdrLen)
		}
		off = next
	}
	return nil
}

type pageHeader struct {
	uncompressed, compressed int64
}

// maxPageHeader bounds one page header (statistics may make it long).
const maxPageHeader = 16 << 20

// readPageHeader decodes the Thrift compact PageHeader at off, growing buf
// while the header is longer than what was read.
func readPageHeader(r io.ReaderAt, off, end int64, buf []byte) (pageHeader, int64, error) {
	for {
		n := int64(len(buf))
		if n > end-off {
			n = end - off
		}
		m, err := r.ReadAt(buf[:n], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return pageHeader{}, 0, err
		}
		d := &compactReader{b: buf[:m]}
		var h pageHeader
		d.structFields(0, func(id int16, typ byte) bool {
			switch {
			case id == 2 && typ == ctI32:
				h.uncompressed = d.varint()
			case id == 3 && typ == ctI32:
				h.compressed = d.varint()
			default:
				return false
			}
			return true
		})
		switch {
		case d.err == nil:
			return h, int64(d.pos), nil
		case errors.Is(d.err, errShort) && int64(m) == n && n < end-off && len(buf) < maxPageHeader:
			buf = make([]byte, min(2*len(buf), maxPageHeader))
		case errors.Is(d.err, errShort):
			return pageHeader{}, 0, errors.New("truncated page header")
		default:
			return pageHeader{}, 0, d.err
		}
	}
}

// Thrift compact protocol types.
const (
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

var errShort = errors.New("short")

// compactReader reads the Thrift compact protocol from a byte slice; the
// first error sticks.
type compactReader struct {
	b   []byte
	pos int
	err error
}

func (d *compactReader) byte1() byte {
	if d.err != nil {
		return 0
	}
	if d.pos >= len(d.b) {
		d.err = errShort
		return 0
	}
	c := d.b[d.pos]
	d.pos++
	return c
}

func (d *compactReader) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.pos:])
	switch {
	case n == 0:
		d.err = errShort
	case n < 0:
		d.err = errors.New("malformed varint in page header")
	default:
		d.pos += n
	}
	return v
}

func (d *compactReader) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *compactReader) skipBytes(n uint64) {
	if d.err != nil {
		return
	}
	if n > uint64(len(d.b)-d.pos) {
		d.err = errShort
		return
	}
	d.pos += int(n)
}

// structFields reads one struct's fields, calling f for each; f reads the
// value and returns true, or returns false to have it skipped.
func (d *compactReader) structFields(depth int, f func(id int16, typ byte) bool) {
	if depth > 32 {
		d.err = errors.New("page header nested too deep")
		return
	}
	var last int16
	for d.err == nil {
		b := d.byte1()
		if d.err != nil || b == 0 {
			return
		}
		typ := b & 0x0f
		id := last + int16(b>>4)
		if b>>4 == 0 {
			id = int16(d.varint())
		}
		last = id
		if f == nil || !f(id, typ) {
			d.skip(typ, depth)
		}
	}
}

func (d *compactReader) skip(typ byte, depth int) {
	switch typ {
	case ctTrue, ctFalse:
	case ctByte:
		d.skipBytes(1)
	case ctI16, ctI32, ctI64:
		d.uvarint()
	case ctDouble:
		d.skipBytes(8)
	case ctBinary:
		d.skipBytes(d.uvarint())
	case ctList, ctSet:
		h := d.byte1()
		size := uint64(h >> 4)
		if size == 15 {
			size = d.uvarint()
		}
		et := h & 0x0f
		// Every element takes at least one byte: a larger count is a lie
		// (and would loop for as long as it claims).
		if size > uint64(len(d.b)-d.pos) {
			d.fail(errShort)
			return
		}
		for i := uint64(0); i < size && d.err == nil; i++ {
			d.skipElem(et, depth+1)
		}
	case ctMap:
		size := d.uvarint()
		if size == 0 {
			return
		}
		kv := d.byte1()
		if size > uint64(len(d.b)-d.pos)/2 {
			d.fail(errShort)
			return
		}
		for i := uint64(0); i < size && d.err == nil; i++ {
			d.skipElem(kv>>4, depth+1)
			d.skipElem(kv&0x0f, depth+1)
		}
	case ctStruct:
		d.structFields(depth+1, nil)
	default:
		d.fail(fmt.Errorf("unknown Thrift type %d in page header", typ))
	}
}

// skipElem skips a container element: booleans there are a byte of their
// own, not folded into a field header.
func (d *compactReader) skipElem(typ byte, depth int) {
	if typ == ctTrue || typ == ctFalse {
		d.skipBytes(1)
		return
	}
	d.skip(typ, depth)
}

func (d *compactReader) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}
