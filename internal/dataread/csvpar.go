package dataread

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// The parallel CSV reader.
//
// One goroutine (the splitter) reads the file in chunks of csvChunkBytes
// and cuts each at its last record boundary: a newline outside quotes.
// Whether a newline is inside a quoted field follows from the parity of
// the quotes before it, counted from the chunk's start, which is itself
// a record boundary; in well-formed CSV every quote opens, closes or
// doubles inside a quoted field, so the parity is the parser's state, and
// in malformed CSV the first stray quote is a syntax error that the
// parser reports before any wrong cut could matter. Workers parse whole
// chunks straight into Arrow builders, one record batch per chunk, and
// the batches are handed out in file order.
//
// The parser follows encoding/csv's rules (which the Arrow reader it
// replaces used): CRLF read as LF, blank lines skipped, a trailing CR at
// the end of the file dropped, quotes only around whole fields, doubled
// quotes inside them. Errors carry the same line, column and row, and the
// limits of Options are checked at the byte where csvGuard would stop.
//
// Memory: at most 2×workers chunks queued plus one being parsed per
// worker, each with its record batch; a record longer than a chunk grows
// the splitter's buffer up to MaxLineBytes, past which it is an error.

// csvChunkBytes is the input bytes per chunk, and so roughly the size of
// the text behind one record batch. Tests shrink it to cut small files
// into many chunks.
var csvChunkBytes = 1 << 20

// useArrowCSV switches back to Arrow's single-goroutine CSV reader; the
// differential test compares the two.
var useArrowCSV = false

type csvChunk struct {
	buf    *[]byte // pooled backing array, returned after parsing
	data   []byte
	line   int64 // line number of data[0]
	header bool  // the first record is the header row
	last   bool  // data runs to the end of the file
}

type csvResult struct {
	rec  arrow.Record
	rows int64
	err  *FileError // Row, when set, counts from the chunk's first row
}

type csvJob struct {
	chunk csvChunk
	out   chan csvResult
}

// parCSV is the source of the parallel reader.
type parCSV struct {
	f       *os.File
	path    string
	full    *arrow.Schema
	schema  *arrow.Schema
	queue   chan chan csvResult
	jobs    chan csvJob
	done    chan struct{}
	wg      sync.WaitGroup
	rows    int64
	cur     arrow.Record
	err     error
	closed  bool
	start   func() // starts the goroutines, on the first Next
	started bool
}

var csvBufPool sync.Pool

// getBuf returns a buffer of csvChunkBytes, from the pool when it can.
func getBuf() *[]byte {
	if bp, ok := csvBufPool.Get().(*[]byte); ok && cap(*bp) == csvChunkBytes {
		return bp
	}
	b := make([]byte, csvChunkBytes)
	return &b
}

// newParCSV starts reading f (positioned at its start) whose header has
// already been checked against full; idx is the projection (nil: all).
func newParCSV(f *os.File, path string, comma rune, full *arrow.Schema, idx []int, opts Options) *parCSV {
	schema := full
	cols := make([]int, full.NumFields())
	for i := range cols {
		cols[i] = i
	}
	if idx != nil {
		schema = projectSchema(full, idx)
		for i := range cols {
			cols[i] = -1
		}
		for k, j := range idx {
			cols[j] = k
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s := &parCSV{
		f: f, path: path, full: full, schema: schema,
		queue: make(chan chan csvResult, 2*workers),
		jobs:  make(chan csvJob, workers),
		done:  make(chan struct{}),
	}
	var nulls []string
	var nullLens uint64
	for _, n := range NullValues {
		nulls = append(nulls, n)
		if len(n) < 64 {
			nullLens |= 1 << len(n)
		}
	}
	numFast := !slices.ContainsFunc(nulls, func(n string) bool {
		_, _, okI := scanInt64([]byte(n), 0)
		_, _, okF := scanFloat64([]byte(n), 0)
		return okI || okF
	})
	// Started on the first Next, so that opening a file for its schema
	// (ReadSchema) parses nothing.
	s.start = func() {
		s.wg.Add(1 + workers)
		go s.split(opts.MaxLineBytes)
		for range workers {
			p := &csvParser{
				path: path, comma: byte(comma), ncols: full.NumFields(), cols: cols,
				schema: schema, mem: opts.Allocator,
				maxF: opts.MaxFieldBytes, maxL: opts.MaxLineBytes,
				nulls: nulls, nullLens: nullLens, numFast: numFast,
			}
			p.stop[p.comma], p.stop['\n'], p.stop['"'] = true, true, true
			go s.work(p)
		}
	}
	return s
}

func (s *parCSV) work(p *csvParser) {
	defer s.wg.Done()
	for job := range s.jobs {
		select {
		case <-s.done:
			putBuf(job.chunk.buf)
			job.out <- csvResult{}
			continue
		default:
		}
		res := p.parse(job.chunk)
		putBuf(job.chunk.buf)
		job.out <- res
	}
}

func putBuf(b *[]byte) {
	if b != nil && cap(*b) == csvChunkBytes {
		csvBufPool.Put(b)
	}
}

// send queues one chunk, or the splitter's own error; false once closed.
func (s *parCSV) send(ch csvChunk, err *FileError) bool {
	out := make(chan csvResult, 1)
	select {
	case s.queue <- out:
	case <-s.done:
		return false
	}
	if err != nil {
		out <- csvResult{err: err}
		return false
	}
	select {
	case s.jobs <- csvJob{chunk: ch, out: out}:
		return true
	case <-s.done:
		out <- csvResult{}
		return false
	}
}

func (s *parCSV) split(maxLine int64) {
	defer s.wg.Done()
	defer close(s.queue)
	defer close(s.jobs)
	var carry []byte
	line := int64(1)
	first, bom := true, true
	for {
		var bp *[]byte
		var buf []byte
		if need := len(carry) + csvChunkBytes/2; need <= csvChunkBytes {
			bp = getBuf()
			buf = (*bp)[:csvChunkBytes]
		} else {
			b := make([]byte, max(2*len(carry), csvChunkBytes))
			bp, buf = &b, b
		}
		n := copy(buf, carry)
		m, err := io.ReadFull(s.f, buf[n:])
		data := buf[:n+m]
		eof := false
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			eof = true
		case err != nil:
			s.send(csvChunk{}, &FileError{Path: s.path, Err: err})
			return
		}
		if bom {
			// Drop a byte order mark, as csvGuard does.
			data = bytes.TrimPrefix(data, utf8BOM)
			bom = false
		}
		if eof {
			s.send(csvChunk{buf: bp, data: data, line: line, header: first, last: true}, nil)
			return
		}
		cut := lastRecordEnd(data)
		if cut < 0 {
			if int64(len(data)) > maxLine {
				// One record longer than MaxLineBytes: the parser
				// reports the limit at the byte where it is crossed.
				s.send(csvChunk{buf: bp, data: data, line: line, header: first}, nil)
				return
			}
			carry = data
			continue
		}
		carry = append([]byte(nil), data[cut+1:]...)
		ch := csvChunk{buf: bp, data: data[:cut+1], line: line, header: first}
		line += int64(bytes.Count(ch.data, []byte{'\n'}))
		// The header is the first record: a chunk of blank lines, which
		// the parser skips, leaves it to the next chunk.
		first = first && blankLines(ch.data)
		if !s.send(ch, nil) {
			return
		}
	}
}

// blankLines reports whether b holds only lines that encoding/csv skips
// as empty (LF or CRLF alone).
func blankLines(b []byte) bool {
	for len(b) > 0 {
		switch {
		case b[0] == '\n':
			b = b[1:]
		case len(b) > 1 && b[0] == '\r' && b[1] == '\n':
			b = b[2:]
		default:
			return false
		}
	}
	return true
}

// lastRecordEnd returns the index of the last newline of b that is
// outside quotes, given that b starts at a record boundary, or -1.
func lastRecordEnd(b []byte) int {
	q := bytes.Count(b, []byte{'"'})
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case '"':
			q--
		case '\n':
			if q&1 == 0 {
				return i
			}
		}
	}
	return -1
}

func (s *parCSV) Schema() *arrow.Schema     { return s.schema }
func (s *parCSV) fileSchema() *arrow.Schema { return s.full }
func (s *parCSV) Record() arrow.Record      { return s.cur }
func (s *parCSV) Err() error                { return s.err }
func (s *parCSV) Retain()                   {}
func (s *parCSV) Release()                  {}

func (s *parCSV) Next() bool {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	if s.err != nil || s.closed {
		return false
	}
	if !s.started {
		s.started = true
		s.start()
	}
	out, ok := <-s.queue
	if !ok {
		return false
	}
	res := <-out
	if res.err != nil {
		if res.err.Row > 0 {
			res.err.Row += s.rows
		}
		s.err = res.err
		return false
	}
	if res.rec == nil {
		return false
	}
	s.cur = res.rec
	s.rows += res.rows
	return true
}

func (s *parCSV) Close() error {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	if !s.closed && s.started {
		s.closed = true
		close(s.done)
		s.wg.Wait()
		for out := range s.queue {
			select {
			case r := <-out:
				if r.rec != nil {
					r.rec.Release()
				}
			default:
			}
		}
	}
	s.closed = true
	return s.f.Close()
}

var _ array.RecordReader = (*parCSV)(nil)

// csvParser parses chunks; each worker has its own.
type csvParser struct {
	path      string
	comma     byte
	ncols     int   // fields per record
	cols      []int // file column -> output column, or -1 when not read
	schema    *arrow.Schema
	mem       memory.Allocator
	maxF      int64
	maxL      int64
	nulls     []string
	nullLens  uint64 // bit n set: some null text has n bytes
	scratch   []byte
	apps      []colApp
	fieldApps []*colApp // file column -> its colApp, or nil when not read
	stop      [256]bool // bytes that end an unquoted field's scan
	numFast   bool      // no null text could be read as a number
}

func (p *csvParser) isNull(v []byte) bool {
	if len(v) >= 64 || p.nullLens&(1<<len(v)) == 0 {
		return false
	}
	s := bstr(v)
	for _, n := range p.nulls {
		if s == n {
			return true
		}
	}
	return false
}

type colKind uint8

const (
	kindGeneric colKind = iota
	kindInt64
	kindFloat64
	kindBool
	kindDate32
	kindString
	kindDict // dictionary<int32, utf8>
)

// colApp appends the cells of one column. Int64 and float64 columns,
// the common numeric case, write straight into their value buffer, utf8
// columns into their offsets and data, and dictionary<int32, utf8>
// columns into their indices and the chunk's dictionary, keeping no
// validity bitmap until the first null; the other types go through an
// Arrow builder.
type colApp struct {
	kind colKind
	dt   arrow.DataType
	bld  array.Builder // nil for int64, float64, utf8 and dictionary
	bl   *array.BooleanBuilder
	d32  *array.Date32Builder
	bin  *array.BinaryBuilder

	vals  *memory.Buffer // int64 and float64: the values; utf8: the offsets; dictionary: the indices
	i64   []int64        // vals' memory seen as the column's values
	f64   []float64
	offs  []int32              // or as utf8 offsets or dictionary indices
	dict  map[string]int32     // dictionary: each value's index
	dvals *array.StringBuilder // dictionary: the values, in index order
	dbuf  *memory.Buffer       // utf8: the string bytes
	data  []byte
	dlen  int
	vbuf  *memory.Buffer // the validity bitmap, from the first null on
	valid []byte
	mem   memory.Allocator
	n     int // values written
	nulls int
}

// newColApp prepares a column for a chunk of chunkBytes bytes.
func newColApp(mem memory.Allocator, dt arrow.DataType, chunkBytes int) colApp {
	c := colApp{dt: dt, mem: mem}
	switch dt.ID() {
	case arrow.INT64:
		c.kind, c.vals = kindInt64, memory.NewResizableBuffer(mem)
		return c
	case arrow.FLOAT64:
		c.kind, c.vals = kindFloat64, memory.NewResizableBuffer(mem)
		return c
	case arrow.STRING:
		// A chunk's strings are no longer than the chunk, so their
		// int32 offsets cannot overflow below 2 GiB.
		if chunkBytes < math.MaxInt32 {
			c.kind, c.vals, c.dbuf = kindString, memory.NewResizableBuffer(mem), memory.NewResizableBuffer(mem)
			return c
		}
	case arrow.DICTIONARY:
		if arrow.TypeEqual(dt, dictStringType) && chunkBytes < math.MaxInt32 {
			c.kind, c.vals = kindDict, memory.NewResizableBuffer(mem)
			c.dict, c.dvals = map[string]int32{}, array.NewStringBuilder(mem)
			return c
		}
	}
	c.bld = array.NewBuilder(mem, dt)
	switch b := c.bld.(type) {
	case *array.BooleanBuilder:
		c.kind, c.bl = kindBool, b
	case *array.Date32Builder:
		c.kind, c.d32 = kindDate32, b
	case *array.StringBuilder:
		c.kind, c.bin = kindString, b.BinaryBuilder
	case *array.LargeStringBuilder:
		c.kind, c.bin = kindString, b.BinaryBuilder
	}
	return c
}

// reserve makes room for room more values, so that the appends need not
// check capacity.
func (c *colApp) reserve(room int) {
	if c.bld != nil {
		c.bld.Reserve(room)
		return
	}
	need := c.n + room
	switch c.kind {
	case kindString:
		if (need+1)*4 <= len(c.vals.Buf()) {
			return
		}
		c.vals.Reserve((need + 1) * 4)
		c.offs = arrow.Int32Traits.CastFromBytes(c.vals.Buf())
		c.offs[0] = 0
	case kindDict:
		if need*4 <= len(c.vals.Buf()) {
			return
		}
		c.vals.Reserve(need * 4)
		c.offs = arrow.Int32Traits.CastFromBytes(c.vals.Buf())
	default:
		if need*8 <= len(c.vals.Buf()) {
			return
		}
		c.vals.Reserve(need * 8)
		if c.kind == kindInt64 {
			c.i64 = arrow.Int64Traits.CastFromBytes(c.vals.Buf())
		} else {
			c.f64 = arrow.Float64Traits.CastFromBytes(c.vals.Buf())
		}
	}
	if c.vbuf != nil {
		c.vbuf.Reserve(int(bitutil.BytesForBits(int64(need))))
		c.valid = c.vbuf.Buf()
	}
}

// capacity is how many values the column has room for.
func (c *colApp) capacity() int {
	switch c.kind {
	case kindString:
		return max(len(c.vals.Buf())/4-1, 0)
	case kindDict:
		return len(c.vals.Buf()) / 4
	}
	return len(c.vals.Buf()) / 8
}

func (c *colApp) putInt64(v int64) {
	c.i64[c.n] = v
	if c.valid != nil {
		bitutil.SetBit(c.valid, c.n)
	}
	c.n++
}

func (c *colApp) putString(v []byte) {
	if c.dlen+len(v) > len(c.data) {
		c.dbuf.Reserve(max(2*len(c.data), c.dlen+len(v), 4096))
		c.data = c.dbuf.Buf()
	}
	c.dlen += copy(c.data[c.dlen:], v)
	c.offs[c.n+1] = int32(c.dlen)
	if c.valid != nil {
		bitutil.SetBit(c.valid, c.n)
	}
	c.n++
}

// putDict appends v by its index in the chunk's dictionary, adding it
// there the first time.
func (c *colApp) putDict(v []byte) {
	k, ok := c.dict[string(v)]
	if !ok {
		k = int32(len(c.dict))
		c.dict[string(v)] = k
		c.dvals.Append(string(v))
	}
	c.offs[c.n] = k
	if c.valid != nil {
		bitutil.SetBit(c.valid, c.n)
	}
	c.n++
}

func (c *colApp) putFloat64(v float64) {
	c.f64[c.n] = v
	if c.valid != nil {
		bitutil.SetBit(c.valid, c.n)
	}
	c.n++
}

// addNull appends a null; the column has room (see parse).
func (c *colApp) addNull() {
	switch c.kind {
	case kindInt64, kindFloat64, kindString, kindDict:
		if c.bld != nil {
			c.bld.AppendNull()
			return
		}
		if c.vbuf == nil {
			c.vbuf = memory.NewResizableBuffer(c.mem)
			c.vbuf.Reserve(int(bitutil.BytesForBits(int64(c.capacity()))))
			c.valid = c.vbuf.Buf()
			bitutil.SetBitsTo(c.valid, 0, int64(c.n), true)
		}
		switch c.kind {
		case kindInt64:
			c.i64[c.n] = 0
		case kindFloat64:
			c.f64[c.n] = 0
		case kindString:
			c.offs[c.n+1] = int32(c.dlen)
		case kindDict:
			c.offs[c.n] = 0
		}
		bitutil.ClearBit(c.valid, c.n)
		c.n++
		c.nulls++
	case kindBool, kindDate32:
		c.bld.UnsafeAppendBoolToBitmap(false)
	default:
		c.bld.AppendNull()
	}
}

// add appends v (not a null text); false when v does not parse as the
// column's type. The fixed-width columns have room for the row: parse
// reserves it ahead, so the appends skip the capacity check.
func (c *colApp) add(v []byte) bool {
	switch c.kind {
	case kindInt64:
		x, err := parseInt64(v)
		if err != nil {
			return false
		}
		c.putInt64(x)
	case kindFloat64:
		x, err := parseFloat64(v)
		if err != nil {
			return false
		}
		c.putFloat64(x)
	case kindBool:
		x, ok := parseBool(v)
		if !ok {
			return false
		}
		c.bl.UnsafeAppend(x)
	case kindDate32:
		d, ok := parseDate32(v)
		if !ok {
			tm, err := time.Parse(time.DateOnly, bstr(v))
			if err != nil {
				return false
			}
			d = int32(arrow.Date32FromTime(tm))
		}
		c.d32.UnsafeAppend(arrow.Date32(d))
	case kindString:
		if c.bin != nil {
			c.bin.Append(v)
		} else {
			c.putString(v)
		}
	case kindDict:
		c.putDict(v)
	default:
		return appendCell(c.bld, c.dt, bstr(v)) == nil
	}
	return true
}

// finish returns the column's array and gives up its buffers.
func (c *colApp) finish() arrow.Array {
	if c.bld != nil {
		a := c.bld.NewArray()
		c.release()
		return a
	}
	if c.kind == kindDict {
		return c.finishDict()
	}
	bufs := []*memory.Buffer{nil, c.vals}
	if c.kind == kindString {
		if c.n == 0 {
			c.reserve(0)
		}
		c.vals.ResizeNoShrink((c.n + 1) * 4)
		c.dbuf.ResizeNoShrink(c.dlen)
		bufs = append(bufs, c.dbuf)
	} else {
		c.vals.ResizeNoShrink(c.n * 8)
	}
	if c.vbuf != nil {
		c.vbuf.ResizeNoShrink(int(bitutil.BytesForBits(int64(c.n))))
		bufs[0] = c.vbuf
	}
	d := array.NewData(c.dt, c.n, bufs, nil, c.nulls, 0)
	a := array.MakeFromData(d)
	d.Release()
	c.release()
	return a
}

// finishDict returns a dictionary column's array: its indices, with
// the validity bitmap, over the chunk's dictionary.
func (c *colApp) finishDict() arrow.Array {
	c.vals.ResizeNoShrink(c.n * 4)
	bufs := []*memory.Buffer{nil, c.vals}
	if c.vbuf != nil {
		c.vbuf.ResizeNoShrink(int(bitutil.BytesForBits(int64(c.n))))
		bufs[0] = c.vbuf
	}
	d := array.NewData(arrow.PrimitiveTypes.Int32, c.n, bufs, nil, c.nulls, 0)
	idx := array.MakeFromData(d)
	d.Release()
	vals := c.dvals.NewArray()
	a := array.NewDictionaryArray(c.dt, idx, vals)
	idx.Release()
	vals.Release()
	c.release()
	return a
}

// release frees what the column still holds.
func (c *colApp) release() {
	if c.bld != nil {
		c.bld.Release()
		c.bld = nil
	}
	if c.dvals != nil {
		c.dvals.Release()
		c.dvals, c.dict = nil, nil
	}
	for _, b := range []**memory.Buffer{&c.vals, &c.vbuf, &c.dbuf} {
		if *b != nil {
			(*b).Release()
			*b = nil
		}
	}
	c.i64, c.f64, c.offs, c.data, c.valid = nil, nil, nil, nil, nil
}

// appendCell converts s as Arrow's CSV reader does, for the types without
// a fast path.
func appendCell(b array.Builder, dt arrow.DataType, s string) error {
	switch dt := dt.(type) {
	case *arrow.Int8Type:
		v, err := strconv.ParseInt(s, 10, 8)
		if err == nil {
			b.(*array.Int8Builder).Append(int8(v))
		}
		return err
	case *arrow.Int16Type:
		v, err := strconv.ParseInt(s, 10, 16)
		if err == nil {
			b.(*array.Int16Builder).Append(int16(v))
		}
		return err
	case *arrow.Int32Type:
		v, err := strconv.ParseInt(s, 10, 32)
		if err == nil {
			b.(*array.Int32Builder).Append(int32(v))
		}
		return err
	case *arrow.Uint8Type:
		v, err := strconv.ParseUint(s, 10, 8)
		if err == nil {
			b.(*array.Uint8Builder).Append(uint8(v))
		}
		return err
	case *arrow.Uint16Type:
		v, err := strconv.ParseUint(s, 10, 16)
		if err == nil {
			b.(*array.Uint16Builder).Append(uint16(v))
		}
		return err
	case *arrow.Uint32Type:
		v, err := strconv.ParseUint(s, 10, 32)
		if err == nil {
			b.(*array.Uint32Builder).Append(uint32(v))
		}
		return err
	case *arrow.Uint64Type:
		v, err := strconv.ParseUint(s, 10, 64)
		if err == nil {
			b.(*array.Uint64Builder).Append(v)
		}
		return err
	case *arrow.Float32Type:
		v, err := strconv.ParseFloat(s, 32)
		if err == nil {
			b.(*array.Float32Builder).Append(float32(v))
		}
		return err
	case *arrow.TimestampType:
		v, err := arrow.TimestampFromString(s, dt.Unit)
		if err == nil {
			b.(*array.TimestampBuilder).Append(v)
		}
		return err
	case *arrow.Date64Type:
		tm, err := time.Parse(time.DateOnly, s)
		if err == nil {
			b.(*array.Date64Builder).Append(arrow.Date64FromTime(tm))
		}
		return err
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		v, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			b.(*array.BinaryBuilder).Append(v)
		}
		return err
	}
	return fmt.Errorf("type %s cannot be read from CSV", dt)
}

// cellErr describes why v is not a valid dt, for the error message.
func cellErr(dt arrow.DataType, v string) error {
	if err := checkCell(dt, v); err != nil {
		return err
	}
	switch dt.ID() {
	case arrow.BINARY, arrow.LARGE_BINARY:
		return errors.New("not standard base64")
	}
	return errors.New("invalid value")
}

// limitBefore returns the *LimitError csvGuard raises at a byte before
// pos, for a record starting at rec whose current field (index field)
// starts at fs; nil if none. csvGuard counts a field from the delimiter
// before it and a record without its final newline.
func (p *csvParser) limitBefore(pos, fs, rec, field int) *LimitError {
	adj := 0
	if field > 0 {
		adj = 1
	}
	fieldAt, lineAt := int64(-1), int64(-1)
	if int64(pos-fs+adj) > p.maxF {
		fieldAt = int64(fs-adj) + p.maxF
	}
	if int64(pos-rec) > p.maxL {
		lineAt = int64(rec) + p.maxL
	}
	switch {
	case fieldAt >= 0 && (lineAt < 0 || fieldAt <= lineAt):
		return &LimitError{Limit: "MaxFieldBytes", Max: p.maxF, What: "CSV field"}
	case lineAt >= 0:
		return &LimitError{Limit: "MaxLineBytes", Max: p.maxL, What: "CSV record"}
	}
	return nil
}

// unquote copies the inside of a quoted field, turning "" into " and
// CRLF into LF, into the parser's scratch space.
func (p *csvParser) unquote(v []byte) []byte {
	out := p.scratch[:0]
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' && i+1 < len(v) && v[i+1] == '"':
			i++
		case c == '\r' && i+1 < len(v) && v[i+1] == '\n':
			continue
		}
		out = append(out, c)
	}
	p.scratch = out
	return out
}

// parse turns one chunk into a record batch.
func (p *csvParser) parse(ch csvChunk) (res csvResult) {
	p.apps = p.apps[:0]
	for _, f := range p.schema.Fields() {
		p.apps = append(p.apps, newColApp(p.mem, f.Type, len(ch.data)))
	}
	defer func() {
		for i := range p.apps {
			p.apps[i].release()
		}
	}()
	b := ch.data
	end := len(b)
	if ch.last && end > 0 && b[end-1] == '\r' {
		end-- // encoding/csv drops a CR before the end of the file
	}
	comma := p.comma
	fail := func(line int64, row int64, err error) csvResult {
		return csvResult{err: &FileError{Path: p.path, Line: line, Row: row, Err: err}}
	}
	synErr := func(line int64, col int, err error) csvResult {
		return fail(line, 0, fmt.Errorf("column %d: %w", col, err))
	}
	limitErr := func(le *LimitError) csvResult {
		return csvResult{err: &FileError{Path: p.path, Err: le}}
	}

	// Records of plain fields take fastRow when every column read is
	// one it can undo.
	rowFast := p.numFast && p.ncols > 0
	p.fieldApps = p.fieldApps[:0]
	for _, c := range p.cols {
		var a *colApp
		if c >= 0 {
			a = &p.apps[c]
			rowFast = rowFast && a.bld == nil
		}
		p.fieldApps = append(p.fieldApps, a)
	}
	fastFails := 0
	pos, lineStart := 0, 0
	line := ch.line
	header := ch.header
	var rows int64
	room := 0 // rows the builders have reserved space for
	for pos < end {
		switch {
		case b[pos] == '\n':
			pos++
			line++
			lineStart = pos
			continue
		case b[pos] == '\r' && pos+1 < end && b[pos+1] == '\n':
			pos += 2
			line++
			lineStart = pos
			continue
		}
		rec, recLine := pos, line
		convert := !header
		if convert && room == 0 {
			// Reserve for the rows the rest of the chunk can hold: no
			// more than its newlines, nor than one row per ncols bytes
			// (a record has ncols-1 delimiters and ends in a newline or
			// the end), so the reservation stays within 8 bytes per
			// byte of input whatever the file looks like.
			room = min(bytes.Count(b[pos:end], []byte{'\n'}), (end-pos)/max(p.ncols, 1)) + 1
			for i := range p.apps {
				p.apps[i].reserve(room)
			}
		}
		if convert && rowFast {
			if next, nl, ok := p.fastRow(b, pos, end, ch.last); ok {
				rows++
				room--
				pos = next
				if nl {
					line++
					lineStart = pos
				}
				continue
			}
			// A record fastRow gives up on is scanned twice in part:
			// when that is most records, stop trying for this chunk.
			fastFails++
			if fastFails >= 32 && fastFails > int(rows)/2 {
				rowFast = false
			}
		}
		// The first cell that does not convert; reported once the record
		// turns out to be otherwise well formed.
		badField, badCol := -1, -1
		var badVal string
		var badLine int64
		field := 0
		recDone := false
		for !recDone {
			fs, fline := pos, line
			var val []byte
			var term int // the delimiter or newline after the field, or end
			// A plain number in an int64 or float64 column is parsed as
			// it is scanned; anything else takes the general path.
			var app *colApp
			if convert && field < p.ncols && p.cols[field] >= 0 {
				app = &p.apps[p.cols[field]]
			}
			scanned := false
			if app != nil && p.numFast && (app.kind == kindInt64 || app.kind == kindFloat64) {
				var x int64
				var f float64
				var k int
				var ok bool
				if app.kind == kindInt64 {
					x, k, ok = scanInt64(b[:end], pos)
				} else {
					f, k, ok = scanFloat64(b[:end], pos)
				}
				if ok {
					switch {
					case k == end:
						term, recDone, scanned = k, true, true
					case b[k] == comma:
						term, scanned = k, true
					case b[k] == '\n':
						term, recDone, scanned = k, true, true
					case b[k] == '\r' && k+1 < end && b[k+1] == '\n':
						term, recDone, scanned = k+1, true, true
					}
				}
				if scanned {
					if app.kind == kindInt64 {
						app.putInt64(x)
					} else {
						app.putFloat64(f)
					}
				}
			}
			if scanned {
				// Parsed above.
			} else if pos < end && b[pos] == '"' {
				start := pos + 1
				j := start
				copyVal := false
				for {
					k := bytes.IndexByte(b[j:end], '"')
					segEnd := end
					if k >= 0 {
						segEnd = j + k
					}
					if seg := b[j:segEnd]; len(seg) > 0 {
						if nl := bytes.LastIndexByte(seg, '\n'); nl >= 0 {
							line += int64(bytes.Count(seg, []byte{'\n'}))
							lineStart = j + nl + 1
							if bytes.Contains(seg, []byte("\r\n")) {
								copyVal = true
							}
						}
					}
					if k < 0 {
						// The file or the chunk ends inside the quotes.
						if le := p.limitBefore(end, fs, rec, field); le != nil {
							return limitErr(le)
						}
						if !ch.last {
							return fail(recLine, 0, errors.New("internal error: record crosses a chunk boundary"))
						}
						ln, col := eofQuotePos(b, end, line)
						return synErr(ln, col, csv.ErrQuote)
					}
					q := j + k
					next := q + 1
					switch {
					case next < end && b[next] == '"':
						copyVal = true
						j = next + 1
						continue
					case next == end:
						term, recDone = end, true
					case b[next] == comma:
						term = next
					case b[next] == '\n':
						term, recDone = next, true
					case b[next] == '\r' && next+1 < end && b[next+1] == '\n':
						term, recDone = next+1, true
					default:
						if le := p.limitBefore(next+1, fs, rec, field); le != nil {
							return limitErr(le)
						}
						return synErr(line, q-lineStart+1, csv.ErrQuote)
					}
					val = b[start:q]
					if copyVal {
						val = p.unquote(val)
					}
					break
				}
			} else {
				k := pos
				for k < end && !p.stop[b[k]] {
					k++
				}
				if k < end && b[k] == '"' {
					if le := p.limitBefore(k+1, fs, rec, field); le != nil {
						return limitErr(le)
					}
					return synErr(line, k-lineStart+1, csv.ErrBareQuote)
				}
				term = k
				val = b[pos:k]
				if k == end || b[k] == '\n' {
					recDone = true
					if k < end && k > pos && b[k-1] == '\r' {
						val = b[pos : k-1]
					}
				}
			}
			if int64(term-fs+1) > p.maxF || int64(term-rec) > p.maxL {
				if le := p.limitBefore(term, fs, rec, field); le != nil {
					return limitErr(le)
				}
			}
			if recDone && term == end && !ch.last {
				return fail(recLine, 0, errors.New("internal error: record crosses a chunk boundary"))
			}
			if app != nil && !scanned {
				if p.isNull(val) {
					app.addNull()
				} else if !app.add(val) && badField < 0 {
					badField, badCol, badVal, badLine = field, p.cols[field], string(val), fline
				}
			}
			field++
			pos = term + 1
			if recDone && term < end && b[term] == '\n' {
				line++
				lineStart = pos
			}
		}
		if header {
			header = false
			continue
		}
		if field != p.ncols {
			return synErr(recLine, 1, csv.ErrFieldCount)
		}
		rows++
		room--
		if badField >= 0 {
			f := p.schema.Field(badCol)
			return fail(badLine, rows, fmt.Errorf("column %q: a %d-byte value is not a valid %s: %w", f.Name, len(badVal), f.Type, cellErr(f.Type, badVal)))
		}
	}
	arrs := make([]arrow.Array, len(p.apps))
	for i := range p.apps {
		arrs[i] = p.apps[i].finish()
	}
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	for _, a := range arrs {
		if int64(a.Len()) != rows {
			return fail(ch.line, 0, errors.New("internal error: column lengths differ"))
		}
	}
	return csvResult{rec: array.NewRecord(p.schema, arrs, rows), rows: rows}
}

// fastRow parses the record at b[pos:] when it is plain: numbers that
// the in-place scanners take, null texts, values with nothing to unquote
// (quoted or not), all within the limits and with the right field
// count. It appends one value to every column read and returns the index
// after the record and whether a newline ended it. Otherwise it leaves
// the columns as they were and returns ok false, and the general path
// parses the record and reports what is wrong with it.
func (p *csvParser) fastRow(b []byte, pos, end int, last bool) (next int, nl, ok bool) {
	rec := pos
	last1 := p.ncols - 1
	for f, app := range p.fieldApps {
		fs := pos
		var x int64
		var y float64
		k, num, quoted := pos, false, false
		vs := pos // where the value starts
		switch {
		case pos < end && b[pos] == '"':
			// A quoted field with nothing to unquote: no newline inside,
			// and a doubled quote leaves a quote after the closing one,
			// which no terminator case below accepts.
			q := bytes.IndexByte(b[pos+1:end], '"')
			if q < 0 || bytes.IndexByte(b[pos+1:pos+1+q], '\n') >= 0 {
				p.undo(f)
				return 0, false, false
			}
			vs, k, quoted = pos+1, pos+q+2, true
		case app != nil && app.kind == kindInt64:
			x, k, num = scanInt64(b[:end], pos)
		case app != nil && app.kind == kindFloat64:
			y, k, num = scanFloat64(b[:end], pos)
		}
		if !num && !quoted {
			for k < end && !p.stop[b[k]] {
				k++
			}
		}
		// k is the byte after the field: a delimiter between fields, a
		// newline (CRLF included) or the end of the file after the last.
		term, valEnd := k, k
		if quoted {
			valEnd = k - 1
		}
		switch {
		case f < last1:
			if k == end || b[k] != p.comma {
				p.undo(f)
				return 0, false, false
			}
		case k == end && last:
		case k < end && b[k] == '\n':
			nl = true
			if !num && !quoted && k > pos && b[k-1] == '\r' {
				valEnd = k - 1
			}
		case (num || quoted) && k+1 < end && b[k] == '\r' && b[k+1] == '\n':
			term, nl = k+1, true
		default:
			p.undo(f)
			return 0, false, false
		}
		if int64(term-fs+1) > p.maxF || int64(term-rec) > p.maxL {
			p.undo(f)
			return 0, false, false
		}
		if app != nil {
			switch {
			case num && app.kind == kindInt64:
				app.putInt64(x)
			case num:
				app.putFloat64(y)
			case p.isNull(b[vs:valEnd]):
				app.addNull()
			case !app.add(b[vs:valEnd]):
				p.undo(f)
				return 0, false, false
			}
		}
		pos = term + 1
	}
	return min(pos, end), nl, true
}

// undo takes back the values fastRow appended for the first fields
// fields of a record.
func (p *csvParser) undo(fields int) {
	for f := range fields {
		if c := p.cols[f]; c >= 0 {
			p.apps[c].unput()
		}
	}
}

// unput removes the last value appended.
func (c *colApp) unput() {
	c.n--
	if c.valid != nil && !bitutil.BitIsSet(c.valid, c.n) {
		c.nulls--
	}
	if c.kind == kindString {
		c.dlen = int(c.offs[c.n])
	}
}

// eofQuotePos is where encoding/csv reports a quoted field left open at
// the end of the file: the last line with content and the column after
// it (a CRLF counting as one byte); line is the line number at end.
func eofQuotePos(b []byte, end int, line int64) (int64, int) {
	lineEnd := end
	if end > 0 && b[end-1] == '\n' {
		line--
		lineEnd = end - 1
	}
	ls := bytes.LastIndexByte(b[:lineEnd], '\n') + 1
	n := end - ls
	if end-ls >= 2 && b[end-1] == '\n' && b[end-2] == '\r' {
		n--
	}
	return line, n + 1
}
