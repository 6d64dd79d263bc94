package modelscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"sort"
	"strings"
)

const maxSafetensorsHeader = 100 << 20

func isSafetensors(h []byte, size int64) bool {
	if len(h) < 9 {
		return false
	}
	n := binary.LittleEndian.Uint64(h)
	return h[8] == '{' && n >= 2 && n <= uint64(size)-8
}

var safetensorsDtypes = map[string]uint64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
	"BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8, "C64": 8,
}

// scanSafetensors checks the header: bounded length, strict JSON without
// duplicate keys, known dtypes, shapes that match their byte ranges, and
// ranges that tile the data section exactly (no gap, no overlap, in bounds).
func scanSafetensors(r io.Reader, size int64, add func(Finding)) {
	bad := func(off int64, format string, a ...any) {
		add(Finding{Offset: off, Rule: RuleMalformed, Severity: SeverityHigh, Detail: "safetensors: " + fmt.Sprintf(format, a...)})
	}
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		bad(0, "truncated")
		return
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if n > maxSafetensorsHeader {
		add(Finding{Rule: RuleResourceLimit, Severity: SeverityHigh, Detail: fmt.Sprintf("safetensors: header length %d over %d", n, maxSafetensorsHeader)})
		return
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		bad(8, "header truncated")
		return
	}
	if err := noDuplicateKeys(hdr); err != nil {
		bad(8, "%v", err)
		return
	}
	type info struct {
		Dtype       string   `json:"dtype"`
		Shape       []uint64 `json:"shape"`
		DataOffsets []uint64 `json:"data_offsets"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		bad(8, "header is not a JSON object: %v", err)
		return
	}
	dataLen := uint64(size) - 8 - n
	type span struct {
		name       string
		begin, end uint64
	}
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			var md map[string]string
			if err := json.Unmarshal(msg, &md); err != nil {
				bad(8, "__metadata__ is not a string map")
			}
			continue
		}
		var t info
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			bad(8, "tensor %q: %v", name, err)
			continue
		}
		width, ok := safetensorsDtypes[t.Dtype]
		if !ok {
			bad(8, "tensor %q: unknown dtype %q", name, t.Dtype)
			continue
		}
		if len(t.DataOffsets) != 2 || t.DataOffsets[0] > t.DataOffsets[1] {
			bad(8, "tensor %q: data_offsets must be [begin, end]", name)
			continue
		}
		want, overflow := width, false
		for _, d := range t.Shape {
			hi, lo := bits.Mul64(want, d)
			overflow = overflow || hi != 0
			want = lo
		}
		if overflow || want != t.DataOffsets[1]-t.DataOffsets[0] {
			bad(8, "tensor %q: shape %v of %s does not fill bytes [%d, %d)", name, t.Shape, t.Dtype, t.DataOffsets[0], t.DataOffsets[1])
			continue
		}
		if t.DataOffsets[1] > dataLen {
			bad(8, "tensor %q: bytes [%d, %d) past the %d-byte data section", name, t.DataOffsets[0], t.DataOffsets[1], dataLen)
			continue
		}
		spans = append(spans, span{name, t.DataOffsets[0], t.DataOffsets[1]})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	var at uint64
	for _, s := range spans {
		if s.begin < at {
			bad(8, "tensor %q overlaps the tensor before it", s.name)
		} else if s.begin > at {
			bad(8, "gap of %d bytes before tensor %q", s.begin-at, s.name)
		}
		at = max(at, s.end)
	}
	if at != dataLen && len(spans) > 0 {
		bad(8, "%d trailing bytes after the last tensor", dataLen-at)
	}
}

// noDuplicateKeys rejects a top-level key given twice: JSON decoders
// disagree on which one wins, so two loaders could read different tensors.
func noDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	t, err := dec.Token()
	if err != nil || t != json.Delim('{') {
		return fmt.Errorf("header is not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return fmt.Errorf("header: %v", err)
		}
		key, _ := k.(string)
		if seen[key] {
			return fmt.Errorf("header: key %q appears twice", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return fmt.Errorf("header: %v", err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("header: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("header: content after the JSON object")
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(strings.TrimRight(string(rest), " ")) != 0 {
		return fmt.Errorf("header: content after the JSON object")
	}
	return nil
}

// templateEscapes are the Jinja names that reach out of a sandboxed
// template into Python objects.
var templateEscapes = []string{"__class__", "__globals__", "__subclasses__", "__builtins__",
	"__init__", "__mro__", "__base__", "__import__", "cycler", "joiner", "namespace", "lipsum"}

// scanGGUF checks a GGUF header: counts and lengths that cannot fit the
// file, and chat templates that reach out of the Jinja sandbox.
func scanGGUF(r io.Reader, size int64, add func(Finding)) {
	g := &ggufReader{r: r, size: size}
	bad := func(format string, a ...any) {
		add(Finding{Offset: g.pos, Rule: RuleMalformed, Severity: SeverityHigh, Detail: "gguf: " + fmt.Sprintf(format, a...)})
	}
	g.u32() // magic
	ver := g.u32()
	nt, nkv := g.u64(), g.u64()
	if g.err != nil {
		bad("truncated header")
		return
	}
	if ver < 2 || ver > 3 {
		bad("version %d", ver)
		return
	}
	// Each KV takes at least 12 bytes, each tensor info at least 24.
	if nkv > uint64(size)/12 || nt > uint64(size)/24 {
		add(Finding{Offset: 8, Rule: RuleResourceLimit, Severity: SeverityHigh, Detail: fmt.Sprintf("gguf: %d keys and %d tensors cannot fit a %d-byte file", nkv, nt, size)})
		return
	}
	for i := uint64(0); i < nkv && g.err == nil; i++ {
		keyAt := g.pos
		key := g.str(256)
		typ := g.u32()
		if typ == 8 && strings.HasPrefix(key, "tokenizer.chat_template") {
			tpl := g.str(1 << 20)
			for _, e := range templateEscapes {
				if strings.Contains(tpl, e) {
					add(Finding{Offset: keyAt, Rule: RuleTemplate, Severity: SeverityCritical, Global: e,
						Detail: fmt.Sprintf("gguf: %s uses %q, which reaches out of the Jinja sandbox", key, e)})
				}
			}
			continue
		}
		g.value(typ, 0)
	}
	for i := uint64(0); i < nt && g.err == nil; i++ {
		g.str(1 << 16)
		nd := g.u32()
		if nd > 8 {
			bad("tensor %d has %d dimensions", i, nd)
			return
		}
		n := uint64(1)
		for d := uint32(0); d < nd; d++ {
			hi, lo := bits.Mul64(n, g.u64())
			if hi != 0 {
				add(Finding{Offset: g.pos, Rule: RuleResourceLimit, Severity: SeverityHigh, Detail: fmt.Sprintf("gguf: tensor %d element count overflows", i)})
				return
			}
			n = lo
		}
		g.u32()
		if off := g.u64(); off > uint64(size) {
			bad("tensor %d offset %d past the end", i, off)
			return
		}
	}
	if g.err != nil {
		bad("%v", g.err)
	}
}

type ggufReader struct {
	r    io.Reader
	pos  int64
	size int64
	err  error
}

func (g *ggufReader) bytes(n uint64) []byte {
	if g.err != nil {
		return nil
	}
	if n > uint64(g.size-g.pos) {
		g.err = fmt.Errorf("length %d runs past the end", n)
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(g.r, b); err != nil {
		g.err = fmt.Errorf("truncated")
		return nil
	}
	g.pos += int64(n)
	return b
}

func (g *ggufReader) skip(n uint64) {
	if g.err != nil {
		return
	}
	if n > uint64(g.size-g.pos) {
		g.err = fmt.Errorf("length %d runs past the end", n)
		return
	}
	got, err := io.CopyN(io.Discard, g.r, int64(n))
	g.pos += got
	if err != nil {
		g.err = fmt.Errorf("truncated")
	}
}

func (g *ggufReader) u32() uint32 {
	b := g.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (g *ggufReader) u64() uint64 {
	b := g.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// str reads a string, keeping at most keep bytes of it.
func (g *ggufReader) str(keep uint64) string {
	n := g.u64()
	if n <= keep {
		return string(g.bytes(n))
	}
	g.skip(n)
	return ""
}

var ggufWidth = map[uint32]uint64{0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

func (g *ggufReader) value(typ uint32, depth int) {
	if w, ok := ggufWidth[typ]; ok {
		g.skip(w)
		return
	}
	switch typ {
	case 8:
		g.str(0)
	case 9:
		if depth > 2 {
			g.err = fmt.Errorf("arrays nested deeper than 2")
			return
		}
		et, n := g.u32(), g.u64()
		if w, ok := ggufWidth[et]; ok {
			hi, lo := bits.Mul64(w, n)
			if hi != 0 {
				g.err = fmt.Errorf("array of %d elements overflows", n)
				return
			}
			g.skip(lo)
			return
		}
		if n > uint64(g.size-g.pos)/8 {
			g.err = fmt.Errorf("array of %d elements cannot fit the file", n)
			return
		}
		for i := uint64(0); i < n && g.err == nil; i++ {
			g.value(et, depth+1)
		}
	default:
		if g.err == nil {
			g.err = fmt.Errorf("unknown value type %d", typ)
		}
	}
}
