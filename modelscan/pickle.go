package modelscan

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Options tune a scan. The zero value is the default policy.
type Options struct {
	// Allow adds globals to the default allowlist, e.g. the classes of a
	// project's own configuration objects.
	Allow []Global
	// MaxStack bounds the pickle VM's stack and mark depth (default 1<<20).
	MaxStack int
	// MaxMemo bounds the number of memo entries (default 1<<28). An entry
	// costs the scan one bit (the values it keeps are bounded apart), so
	// the default bound is 32 MiB: CPython memoizes every string and
	// container, and a plain-data pickle of a few hundred MB holds tens
	// of millions.
	MaxMemo int
	// MaxLength bounds one declared payload length in bytes (default 64 GiB).
	MaxLength int64
}

func (o *Options) norm() {
	if o.MaxStack <= 0 {
		o.MaxStack = 1 << 20
	}
	if o.MaxMemo <= 0 {
		o.MaxMemo = 1 << 28
	}
	if o.MaxLength <= 0 {
		o.MaxLength = 64 << 30
	}
}

func (o *Options) allowed(g Global) bool {
	if defaultAllow[g] {
		return true
	}
	for _, a := range o.Allow {
		if a == g {
			return true
		}
	}
	return false
}

// strCap is the longest string the VM keeps as a value (a module or a
// name); longer strings are skipped and kept only as "some object".
const strCap = 1024

// lineCap bounds a text-protocol argument line.
const lineCap = 64 << 10

type kind uint8

const (
	kOther kind = iota
	kStr
	kGlobal
	kInt   // a small integer, in i
	kNone  // None
	kTuple // a tuple of scalars, in t
	kObj   // the result of calling global g with the scalar tuple t
	kDict  // a dict; d holds what joblib's array wrapper needs from it
)

// value is what the VM knows of a stack or memo entry. Only what the scan
// needs is kept: strings and globals (to resolve callables), and the small
// integers, scalar tuples and dict entries that describe a joblib inline
// array (to skip its bytes).
type value struct {
	k kind
	i int64   // kInt
	s string  // kStr: the string
	g *Global // kGlobal, kObj (a pointer: most values are not globals)
	x *extra  // kTuple, kObj: the elements; kDict: what joblib needs
}

// extra holds the rarely needed parts of a value, so the common value
// stays small (the stack and the memo hold millions of them).
type extra struct {
	t []value
	d wrapperState
}

func (v value) elems() []value {
	if v.x == nil {
		return nil
	}
	return v.x.t
}

// errStop ends a stream after a finding that makes the rest unreadable.
var errStop = errors.New("stop")

type vm struct {
	tracked int // tuple elements kept so far, bounded by maxTracked
	kept    int // string bytes kept so far, bounded by maxKeptStrings
	nested  int // depth of object-array pickles inside joblib arrays
	r       *bufio.Reader
	pos     int64
	opts    *Options
	stack   []value
	marks   []int
	memo    memoTable
	add     func(Finding)
	opStart int64
	scratch [8]byte
}

// ScanPickle runs the pickle read from r through the symbolic VM and
// returns what it found. It reads every pickle in the stream that starts
// with a PROTO opcode (legacy PyTorch files hold several in a row) and
// stops at the first byte that starts none. file and member only label the
// findings.
func ScanPickle(r io.Reader, file, member string, opts Options) []Finding {
	opts.norm()
	var fs []Finding
	scanPickles(r, &opts, func(f Finding) {
		f.File, f.Member = file, member
		fs = append(fs, f)
	})
	return fs
}

// vmPool keeps VMs (their read buffer, stack and memo) from one stream to
// the next: a directory of small pickles would otherwise spend more time
// allocating than scanning.
var vmPool = sync.Pool{New: func() any { return &vm{r: bufio.NewReaderSize(nil, lineCap+1)} }}

// maxPooledStack is the largest stack a VM goes back to the pool with.
const maxPooledStack = 1 << 16

func scanPickles(r io.Reader, opts *Options, add func(Finding)) {
	m := vmPool.Get().(*vm)
	m.r.Reset(r)
	*m = vm{r: m.r, stack: m.stack[:0], marks: m.marks[:0], memo: m.memo, opts: opts, add: add}
	defer func() {
		clear(m.stack[:cap(m.stack)]) // drop references to strings and tuples
		m.memo.reset()
		m.r.Reset(nil)
		m.opts, m.add = nil, nil
		if cap(m.stack) <= maxPooledStack && cap(m.marks) <= maxPooledStack {
			vmPool.Put(m)
		}
	}()
	for first := true; ; first = false {
		if !first {
			b, err := m.r.Peek(1)
			if err != nil || b[0] != 0x80 {
				return
			}
		}
		m.stack, m.marks = m.stack[:0], m.marks[:0]
		m.memo.reset()
		if err := m.run(); err != nil {
			return
		}
	}
}

func (m *vm) find(rule string, sev Severity, g *Global, format string, a ...any) {
	f := Finding{Offset: m.opStart, Rule: rule, Severity: sev, Detail: fmt.Sprintf(format, a...)}
	if g != nil {
		f.Global = g.String()
	}
	m.add(f)
}

func (m *vm) malformed(format string, a ...any) error {
	m.find(RuleMalformed, SeverityHigh, nil, format, a...)
	return errStop
}

// widthOf is 1 for the short form of a memo opcode, 4 for the long one.
func widthOf(op, short byte) int {
	if op == short {
		return 1
	}
	return 4
}

func (m *vm) read(n int) ([]byte, error) {
	if _, err := io.ReadFull(m.r, m.scratch[:n]); err != nil {
		return nil, m.malformed("truncated pickle: %d-byte argument", n)
	}
	m.pos += int64(n)
	return m.scratch[:n], nil
}

func (m *vm) uint(n int) (uint64, error) {
	b, err := m.read(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (m *vm) line() (string, error) {
	b, err := m.r.ReadSlice('\n')
	m.pos += int64(len(b))
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", m.malformed("text argument longer than %d bytes", lineCap)
	}
	if err != nil {
		return "", m.malformed("truncated pickle: unterminated text argument")
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
}

// maxKeptStrings bounds the bytes of strings one stream keeps (on the
// stack and in the memo) to resolve globals: a stream of millions of
// memoized strings cannot grow memory past it. A string past the budget is
// an unknown value, so a global built from it is reported as unresolved,
// never passed.
const maxKeptStrings = 16 << 20

// str keeps a short string, within the pickle's budget.
func (m *vm) str(b []byte) value {
	if m.kept+len(b) > maxKeptStrings {
		return value{}
	}
	m.kept += len(b)
	return value{k: kStr, s: string(b)}
}

// pushPayload reads a length-prefixed string or bytes argument and pushes
// it. Bytes are skipped, not kept: nothing the scan resolves is bytes (a
// STACK_GLOBAL of bytes is a TypeError in Python 3), and a state dict holds
// many small ones.
func (m *vm) pushPayload(n uint64, isBytes bool) error {
	if isBytes {
		if n > uint64(m.opts.MaxLength) {
			m.find(RuleResourceLimit, SeverityHigh, nil, "declared length %d over the limit %d", n, m.opts.MaxLength)
			return errStop
		}
		got, err := m.r.Discard(int(min(n, 1<<62)))
		m.pos += int64(got)
		if err != nil {
			return m.malformed("truncated pickle: declared length %d runs past the end", n)
		}
		return m.push(value{})
	}
	v, err := m.payload(n)
	if err != nil {
		return err
	}
	return m.push(v)
}

// payload reads a length-prefixed argument: kept as a string when short,
// skipped without buffering when long.
func (m *vm) payload(n uint64) (value, error) {
	if n > uint64(m.opts.MaxLength) {
		m.find(RuleResourceLimit, SeverityHigh, nil, "declared length %d over the limit %d", n, m.opts.MaxLength)
		return value{}, errStop
	}
	if n <= strCap {
		buf, err := m.r.Peek(int(n))
		if err != nil {
			return value{}, m.malformed("truncated pickle: declared length %d runs past the end", n)
		}
		v := m.str(buf)
		m.r.Discard(int(n))
		m.pos += int64(n)
		return v, nil
	}
	got, err := io.CopyN(io.Discard, m.r, int64(n))
	m.pos += got
	if err != nil {
		return value{}, m.malformed("truncated pickle: declared length %d runs past the end", n)
	}
	return value{}, nil
}

func (m *vm) push(v value) error {
	if len(m.stack) >= m.opts.MaxStack {
		m.find(RuleResourceLimit, SeverityHigh, nil, "stack deeper than %d", m.opts.MaxStack)
		return errStop
	}
	m.stack = append(m.stack, v)
	return nil
}

// tuple keeps the elements of the only tuples a joblib array needs, while
// the budget allows: shapes (all integers) and a dtype's reduce arguments
// (a string and two flags). Any other tuple is just "some object".
func (m *vm) tuple(items []value) value {
	if len(items) == 0 {
		return value{k: kTuple}
	}
	if len(items) > maxTupleTrack || m.tracked+len(items) > maxTracked {
		return value{}
	}
	if !(len(items) == 3 && items[0].k == kStr) {
		for _, it := range items {
			if it.k != kInt {
				return value{}
			}
		}
	}
	m.tracked += len(items)
	t := make([]value, len(items))
	for i, it := range items {
		t[i] = value{k: it.k, i: it.i, s: it.s}
	}
	return value{k: kTuple, x: &extra{t: t}}
}

func (m *vm) pop() (value, error) {
	if len(m.stack) == 0 || (len(m.marks) > 0 && len(m.stack) <= m.marks[len(m.marks)-1]) {
		return value{}, m.malformed("stack underflow")
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return v, nil
}

func (m *vm) top() (*value, error) {
	if len(m.stack) == 0 || (len(m.marks) > 0 && len(m.stack) <= m.marks[len(m.marks)-1]) {
		return nil, m.malformed("stack underflow")
	}
	return &m.stack[len(m.stack)-1], nil
}

// popMark pops everything above the topmost mark and the mark itself.
func (m *vm) popMark() ([]value, error) {
	if len(m.marks) == 0 {
		return nil, m.malformed("no mark on the stack")
	}
	k := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	items := m.stack[k:]
	m.stack = m.stack[:k]
	return items, nil
}

func (m *vm) global(g Global) value {
	switch {
	case m.opts.allowed(g):
	case isDangerous(g):
		m.find(RuleDangerousGlobal, SeverityCritical, &g, "imports a callable that can run code")
	default:
		m.find(RuleUnknownGlobal, SeverityHigh, &g, "imports a callable that is not on the allowlist")
	}
	return value{k: kGlobal, g: &g}
}

func (m *vm) memoPut(key uint64) error {
	v, err := m.top()
	if err != nil {
		return err
	}
	if !m.memo.has(key) && m.memo.n >= m.opts.MaxMemo {
		m.find(RuleResourceLimit, SeverityHigh, nil, "more than %d memo entries", m.opts.MaxMemo)
		return errStop
	}
	// Checked on every put: rewriting present keys with kept values
	// allocates index pages without adding entries.
	if m.memo.bytes() > maxMemoBytes {
		m.find(RuleResourceLimit, SeverityHigh, nil, "memo over %d MiB (%d entries)", maxMemoBytes>>20, m.memo.n)
		return errStop
	}
	m.memo.put(key, *v)
	return nil
}

func (m *vm) memoGet(key uint64) error {
	v, ok := m.memo.get(key)
	if !ok {
		return m.malformed("memo key %d read before it was written", key)
	}
	return m.push(v)
}

// call checks the callable of REDUCE, NEWOBJ, NEWOBJ_EX and OBJ: anything
// but a resolved global is a call through a value the scan cannot name.
func (m *vm) call(fn, args value, op string) error {
	if fn.k != kGlobal {
		m.find(RuleIndirectCall, SeverityHigh, nil, "%s calls a value that is not an imported global", op)
		return m.push(value{})
	}
	if args.x == nil {
		return m.push(value{k: kObj, g: fn.g})
	}
	return m.push(value{k: kObj, g: fn.g, x: &extra{t: args.x.t}})
}

// run executes one pickle up to its STOP.
func (m *vm) run() error {
	for {
		m.opStart = m.pos
		op, err := m.r.ReadByte()
		if err != nil {
			return m.malformed("truncated pickle: no STOP opcode")
		}
		m.pos++
		if err := m.step(op); err != nil {
			return err
		}
		if op == '.' {
			return nil
		}
	}
}

func (m *vm) step(op byte) error {
	switch op {
	case '.': // STOP
		if _, err := m.pop(); err != nil {
			return err
		}
		return nil
	case '(': // MARK
		if len(m.marks) >= m.opts.MaxStack {
			m.find(RuleResourceLimit, SeverityHigh, nil, "more than %d nested marks", m.opts.MaxStack)
			return errStop
		}
		m.marks = append(m.marks, len(m.stack))
	case '0': // POP
		if len(m.stack) > 0 && len(m.marks) > 0 && len(m.stack) == m.marks[len(m.marks)-1] {
			m.marks = m.marks[:len(m.marks)-1] // POP of a mark, as CPython allows
			return nil
		}
		_, err := m.pop()
		return err
	case '1': // POP_MARK
		_, err := m.popMark()
		return err
	case '2': // DUP
		v, err := m.top()
		if err != nil {
			return err
		}
		return m.push(*v)
	case 'F', 'I', 'L': // FLOAT, INT, LONG (text)
		s, err := m.line()
		if err != nil {
			return err
		}
		if op == 'L' {
			s = strings.TrimSuffix(s, "L")
		}
		if op == 'I' && (s == "00" || s == "01") {
			return m.push(value{})
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil && op == 'F' {
			return m.malformed("FLOAT argument %q", s)
		}
		return m.push(value{})
	case 'S': // STRING: quoted
		s, err := m.line()
		if err != nil {
			return err
		}
		if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
			return m.malformed("STRING argument is not quoted")
		}
		u, err := strconv.Unquote(`"` + strings.ReplaceAll(s[1:len(s)-1], `"`, `\"`) + `"`)
		if err != nil {
			u = s[1 : len(s)-1]
		}
		return m.push(m.str([]byte(u)))
	case 'V': // UNICODE raw-unicode-escape
		s, err := m.line()
		if err != nil {
			return err
		}
		return m.push(m.str([]byte(s)))
	case 'P': // PERSID
		if _, err := m.line(); err != nil {
			return err
		}
		return m.push(value{})
	case 'Q': // BINPERSID
		if _, err := m.pop(); err != nil {
			return err
		}
		return m.push(value{})
	case 'J', 'K', 'M', 'G': // BININT, BININT1, BININT2, BINFLOAT
		n := 4
		switch op {
		case 'K':
			n = 1
		case 'M':
			n = 2
		case 'G':
			n = 8
		}
		u, err := m.uint(n)
		if err != nil {
			return err
		}
		switch op {
		case 'G':
			return m.push(value{})
		case 'J':
			return m.push(value{k: kInt, i: int64(int32(uint32(u)))})
		}
		return m.push(value{k: kInt, i: int64(u)})
	case 'N': // NONE
		return m.push(value{k: kNone})
	case 0x88, 0x89: // NEWTRUE, NEWFALSE
		return m.push(value{})
	case 'T', 'X', 'B': // BINSTRING, BINUNICODE, BINBYTES: 4-byte length
		n, err := m.uint(4)
		if err != nil {
			return err
		}
		if op == 'T' && n >= 1<<31 {
			return m.malformed("negative BINSTRING length")
		}
		return m.pushPayload(n, op == 'B')
	case 'U', 'C', 0x8c: // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE
		n, err := m.uint(1)
		if err != nil {
			return err
		}
		return m.pushPayload(n, op == 'C')
	case 0x8d, 0x8e, 0x96: // BINUNICODE8, BINBYTES8, BYTEARRAY8
		n, err := m.uint(8)
		if err != nil {
			return err
		}
		return m.pushPayload(n, op != 0x8d)
	case 0x8a, 0x8b: // LONG1, LONG4
		w := 1
		if op == 0x8b {
			w = 4
		}
		n, err := m.uint(w)
		if err != nil {
			return err
		}
		if op == 0x8b && n >= 1<<31 {
			return m.malformed("negative LONG4 length")
		}
		v, err := m.payload(n)
		if err != nil {
			return err
		}
		if n >= 1 && n <= 8 {
			// Little-endian two's complement, as pickle writes it.
			var u uint64
			for i := int(n) - 1; i >= 0; i-- {
				u = u<<8 | uint64(v.s[i])
			}
			shift := 64 - 8*n
			return m.push(value{k: kInt, i: int64(u<<shift) >> shift})
		}
		return m.push(value{})
	case '}': // EMPTY_DICT
		return m.push(value{k: kDict})
	case ')': // EMPTY_TUPLE
		return m.push(value{k: kTuple})
	case ']', 0x8f: // EMPTY_LIST, EMPTY_SET
		return m.push(value{})
	case 'a': // APPEND
		if _, err := m.pop(); err != nil {
			return err
		}
		_, err := m.top()
		return err
	case 'e', 'u', 0x90: // APPENDS, SETITEMS, ADDITEMS
		items, err := m.popMark()
		if err != nil {
			return err
		}
		if op == 'u' && len(items)%2 != 0 {
			return m.malformed("SETITEMS with an odd number of items")
		}
		target, err := m.top()
		if err != nil {
			return err
		}
		if op == 'u' {
			setItems(target, items)
		}
		return nil
	case 's': // SETITEM
		v, err := m.pop()
		if err != nil {
			return err
		}
		k, err := m.pop()
		if err != nil {
			return err
		}
		target, err := m.top()
		if err != nil {
			return err
		}
		setItems(target, []value{k, v})
		return nil
	case 'l', 't', 'd', 0x91: // LIST, TUPLE, DICT, FROZENSET
		items, err := m.popMark()
		if err != nil {
			return err
		}
		switch op {
		case 'd':
			if len(items)%2 != 0 {
				return m.malformed("DICT with an odd number of items")
			}
			d := value{k: kDict}
			setItems(&d, items)
			return m.push(d)
		case 't':
			return m.push(m.tuple(items))
		}
		return m.push(value{})
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		n := int(op - 0x84)
		if len(m.stack) < n || (len(m.marks) > 0 && len(m.stack)-n < m.marks[len(m.marks)-1]) {
			return m.malformed("stack underflow")
		}
		t := m.tuple(m.stack[len(m.stack)-n:])
		m.stack = m.stack[:len(m.stack)-n]
		return m.push(t)
	case 'c', 'i': // GLOBAL, INST
		mod, err := m.line()
		if err != nil {
			return err
		}
		name, err := m.line()
		if err != nil {
			return err
		}
		g := m.global(Global{mod, name})
		if op == 'c' {
			return m.push(g)
		}
		if _, err := m.popMark(); err != nil {
			return err
		}
		return m.push(value{})
	case 0x93: // STACK_GLOBAL
		name, err := m.pop()
		if err != nil {
			return err
		}
		mod, err := m.pop()
		if err != nil {
			return err
		}
		if mod.k != kStr || name.k != kStr {
			m.find(RuleDynamicGlobal, SeverityHigh, nil, "STACK_GLOBAL operands are not constant strings")
			return m.push(value{})
		}
		return m.push(m.global(Global{mod.s, name.s}))
	case 'o': // OBJ: MARK cls args... OBJ
		items, err := m.popMark()
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return m.malformed("OBJ without a class")
		}
		return m.call(items[0], value{}, "OBJ")
	case 'R', 0x81: // REDUCE, NEWOBJ
		args, err := m.pop()
		if err != nil {
			return err
		}
		fn, err := m.pop()
		if err != nil {
			return err
		}
		name := "REDUCE"
		if op == 0x81 {
			name = "NEWOBJ"
		}
		return m.call(fn, args, name)
	case 0x92: // NEWOBJ_EX
		for i := 0; i < 2; i++ {
			if _, err := m.pop(); err != nil {
				return err
			}
		}
		fn, err := m.pop()
		if err != nil {
			return err
		}
		return m.call(fn, value{}, "NEWOBJ_EX")
	case 'b': // BUILD: the object's own __setstate__ runs; its class was checked when imported
		state, err := m.pop()
		if err != nil {
			return err
		}
		obj, err := m.top()
		if err != nil {
			return err
		}
		if obj.k == kObj && *obj.g == joblibWrapper {
			// joblib's unpickler reads the array's bytes right here.
			*obj = value{}
			return m.joblibArray(state)
		}
		return nil
	case 0x82, 0x83, 0x84: // EXT1, EXT2, EXT4
		w := 1 << (op - 0x82)
		code, err := m.uint(w)
		if err != nil {
			return err
		}
		// The copyreg extension registry is empty in a stock Python; a
		// code names a global the scan cannot see, so it is never allowed.
		m.find(RuleExtension, SeverityHigh, nil, "imports the global registered as extension code %d", code)
		return m.push(value{k: kGlobal, g: &Global{"copyreg", fmt.Sprintf("extension[%d]", code)}})
	case 'p': // PUT
		s, err := m.line()
		if err != nil {
			return err
		}
		k, perr := strconv.ParseUint(s, 10, 64)
		if perr != nil {
			return m.malformed("PUT argument %q", s)
		}
		return m.memoPut(k)
	case 'q', 'r': // BINPUT, LONG_BINPUT
		k, err := m.uint(widthOf(op, 'q'))
		if err != nil {
			return err
		}
		return m.memoPut(k)
	case 0x94: // MEMOIZE
		return m.memoPut(uint64(m.memo.n))
	case 'g': // GET
		s, err := m.line()
		if err != nil {
			return err
		}
		k, perr := strconv.ParseUint(s, 10, 64)
		if perr != nil {
			return m.malformed("GET argument %q", s)
		}
		return m.memoGet(k)
	case 'h', 'j': // BINGET, LONG_BINGET
		k, err := m.uint(widthOf(op, 'h'))
		if err != nil {
			return err
		}
		return m.memoGet(k)
	case 0x80: // PROTO
		b, err := m.read(1)
		if err != nil {
			return err
		}
		if b[0] > 5 {
			return m.malformed("unsupported pickle protocol %d", b[0])
		}
	case 0x95: // FRAME: a length hint only; opcodes inside are read as usual
		n, err := m.uint(8)
		if err != nil {
			return err
		}
		if n > uint64(m.opts.MaxLength) {
			m.find(RuleResourceLimit, SeverityHigh, nil, "frame length %d over the limit", n)
			return errStop
		}
	case 0x97: // NEXT_BUFFER: an out-of-band buffer the loader must supply
		return m.push(value{})
	case 0x98: // READONLY_BUFFER
		_, err := m.top()
		return err
	default:
		return m.malformed("unknown opcode 0x%02x", op)
	}
	return nil
}
