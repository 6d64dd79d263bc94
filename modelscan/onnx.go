package modelscan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// RuleExternalData marks an ONNX tensor whose external data location
// reaches out of the model's directory: an absolute path, a ".." step, or
// (when the model is scanned from disk) a symlink or hardlink to a file
// elsewhere. onnx.load reads such a file into the tensor, so a model can
// exfiltrate any file the serving process can read (CVE-2022-25882,
// CVE-2024-27318, CVE-2026-34446 hardlinks, CVE-2026-34447 symlinks).
const RuleExternalData = "onnx-external-data"

// ONNX scanning limits: graphs nest through node attributes (If, Loop,
// Scan bodies); real models nest a handful of levels.
const (
	onnxMaxDepth    = 32
	onnxMaxString   = 4096 // an external_data key or value
	onnxMaxExternal = 1 << 20
)

// ONNX field numbers (onnx/onnx.proto3), the only ones the scan follows.
const (
	modelGraph        = 7
	modelTrainingInfo = 20
	modelFunctions    = 25
	trainingInit      = 1
	trainingAlgorithm = 2
	functionNode      = 7
	graphNode         = 1
	graphInitializer  = 5
	graphSparseInit   = 15
	nodeAttribute     = 5
	attrT             = 5
	attrG             = 6
	attrTensors       = 10
	attrGraphs        = 11
	attrSparseTensor  = 22
	attrSparseTensors = 23
	sparseValues      = 1
	sparseIndices     = 2
	tensorName        = 8
	tensorExternal    = 13
	tensorLocation    = 14
	entryKey          = 1
	entryValue        = 2
	locationExternal  = 1
)

// modelFieldTypes are ModelProto's fields and wire types; a file whose top
// level holds anything else is not read as ONNX.
var modelFieldTypes = map[protowire.Number]protowire.Type{
	1: protowire.VarintType, 2: protowire.BytesType, 3: protowire.BytesType, 4: protowire.BytesType,
	5: protowire.VarintType, 6: protowire.BytesType, 7: protowire.BytesType, 8: protowire.BytesType,
	14: protowire.BytesType, 20: protowire.BytesType, 25: protowire.BytesType, 26: protowire.BytesType,
}

// isONNX recognises a serialized ModelProto by its first fields: ir_version
// (field 1, a small varint) first, as every ONNX writer emits it, followed
// by another ModelProto field with its right wire type. Three bytes that a
// text file, a pickle or a compressed stream do not start with.
func isONNX(h []byte) bool {
	if len(h) < 3 || h[0] != 0x08 || h[1] == 0 || h[1] > 0x7f {
		return false
	}
	num, typ, n := protowire.ConsumeTag(h[2:])
	if n < 0 {
		return false
	}
	want, ok := modelFieldTypes[num]
	return ok && want == typ && num != 1
}

// pbMsg walks one protobuf message in place, reading only tags and varints:
// length-delimited fields are returned as (offset, length) and read or
// skipped by the caller, so a 2 GB initializer costs nothing.
type pbMsg struct {
	ra       io.ReaderAt
	pos, end int64
}

type pbField struct {
	num    protowire.Number
	typ    protowire.Type
	varint uint64
	off    int64 // bytes fields: where the value starts
	n      int64 // bytes fields: its length
}

var errPB = errors.New("malformed protobuf")

func (m *pbMsg) next() (pbField, bool, error) {
	if m.pos >= m.end {
		return pbField{}, false, nil
	}
	var buf [20]byte
	k := min(int64(len(buf)), m.end-m.pos)
	if _, err := m.ra.ReadAt(buf[:k], m.pos); err != nil && err != io.EOF {
		return pbField{}, false, err
	}
	b := buf[:k]
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num < 1 {
		return pbField{}, false, fmt.Errorf("%w: bad tag at byte %d", errPB, m.pos)
	}
	f := pbField{num: num, typ: typ}
	b = b[n:]
	m.pos += int64(n)
	switch typ {
	case protowire.VarintType:
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return f, false, fmt.Errorf("%w: bad varint at byte %d", errPB, m.pos)
		}
		f.varint = v
		m.pos += int64(n)
	case protowire.Fixed32Type:
		m.pos += 4
	case protowire.Fixed64Type:
		m.pos += 8
	case protowire.BytesType:
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return f, false, fmt.Errorf("%w: bad length at byte %d", errPB, m.pos)
		}
		m.pos += int64(n)
		if v > uint64(m.end-m.pos) {
			return f, false, fmt.Errorf("%w: field %d at byte %d runs %d bytes past its message", errPB, num, m.pos, v-uint64(m.end-m.pos))
		}
		f.off, f.n = m.pos, int64(v)
		m.pos += int64(v)
	default:
		// Groups are not used by ONNX; refusing them keeps the walk flat.
		return f, false, fmt.Errorf("%w: wire type %d at byte %d", errPB, typ, m.pos)
	}
	if m.pos > m.end {
		return f, false, fmt.Errorf("%w: field %d runs past its message", errPB, num)
	}
	return f, true, nil
}

func (m *pbMsg) sub(f pbField) *pbMsg { return &pbMsg{ra: m.ra, pos: f.off, end: f.off + f.n} }

func (m *pbMsg) str(f pbField) (string, error) {
	if f.n > onnxMaxString {
		return "", fmt.Errorf("string of %d bytes at byte %d over %d", f.n, f.off, onnxMaxString)
	}
	b := make([]byte, f.n)
	if _, err := m.ra.ReadAt(b, f.off); err != nil {
		return "", err
	}
	return string(b), nil
}

// onnxScan carries what the walk needs: where the model lives on disk ("" when
// the scan has no file system to check) and how to report.
type onnxScan struct {
	dir      string
	add      func(Finding)
	external int
	sizes    map[string]int64 // locations already resolved and found sound, by their size
}

func (s *onnxScan) bad(off int64, rule string, sev Severity, global, format string, a ...any) {
	s.add(Finding{Offset: off, Rule: rule, Severity: sev, Global: global, Detail: "onnx: " + fmt.Sprintf(format, a...)})
}

// scanONNX walks a ModelProto: the main graph, training graphs and
// functions, and in each graph every initializer, sparse initializer and
// node attribute (tensors and subgraphs), looking at each tensor's
// external data.
func scanONNX(ra io.ReaderAt, size int64, dir string, add func(Finding)) {
	s := &onnxScan{dir: dir, add: add}
	m := &pbMsg{ra: &windowReader{ra: ra, size: size, buf: make([]byte, 0, 64<<10)}, end: size}
	for {
		f, ok, err := m.next()
		if err != nil {
			s.bad(m.pos, RuleMalformed, SeverityHigh, "", "model: %v", err)
			return
		}
		if !ok {
			return
		}
		if want, known := modelFieldTypes[f.num]; known && want != f.typ {
			s.bad(f.off, RuleMalformed, SeverityHigh, "", "model field %d has wire type %d", f.num, f.typ)
			return
		}
		var err2 error
		switch {
		case f.num == modelGraph && f.typ == protowire.BytesType:
			err2 = s.graph(m.sub(f), 0)
		case f.num == modelTrainingInfo && f.typ == protowire.BytesType:
			err2 = s.each(m.sub(f), 0, map[protowire.Number]func(*pbMsg, int) error{
				trainingInit: s.graph, trainingAlgorithm: s.graph})
		case f.num == modelFunctions && f.typ == protowire.BytesType:
			err2 = s.each(m.sub(f), 0, map[protowire.Number]func(*pbMsg, int) error{functionNode: s.node})
		}
		if err2 != nil {
			s.bad(f.off, RuleMalformed, SeverityHigh, "", "%v", err2)
			return
		}
	}
}

// each runs the handler for every bytes field of m that has one.
func (s *onnxScan) each(m *pbMsg, depth int, h map[protowire.Number]func(*pbMsg, int) error) error {
	if depth > onnxMaxDepth {
		return fmt.Errorf("graphs nested deeper than %d", onnxMaxDepth)
	}
	for {
		f, ok, err := m.next()
		if err != nil || !ok {
			return err
		}
		if fn := h[f.num]; fn != nil {
			if f.typ != protowire.BytesType {
				return fmt.Errorf("%w: field %d at byte %d is not a message", errPB, f.num, f.off)
			}
			if err := fn(m.sub(f), depth); err != nil {
				return err
			}
		}
	}
}

func (s *onnxScan) graph(m *pbMsg, depth int) error {
	return s.each(m, depth+1, map[protowire.Number]func(*pbMsg, int) error{
		graphNode: s.node, graphInitializer: s.tensor, graphSparseInit: s.sparse})
}

func (s *onnxScan) node(m *pbMsg, depth int) error {
	return s.each(m, depth, map[protowire.Number]func(*pbMsg, int) error{nodeAttribute: s.attribute})
}

func (s *onnxScan) attribute(m *pbMsg, depth int) error {
	return s.each(m, depth, map[protowire.Number]func(*pbMsg, int) error{
		attrT: s.tensor, attrTensors: s.tensor, attrG: s.graph, attrGraphs: s.graph,
		attrSparseTensor: s.sparse, attrSparseTensors: s.sparse})
}

func (s *onnxScan) sparse(m *pbMsg, depth int) error {
	return s.each(m, depth, map[protowire.Number]func(*pbMsg, int) error{sparseValues: s.tensor, sparseIndices: s.tensor})
}

// tensor reads a TensorProto's name, data_location and external_data
// entries, skipping its data.
func (s *onnxScan) tensor(m *pbMsg, _ int) error {
	start := m.pos
	var name string
	external := false
	var entries [][2]string
	for {
		f, ok, err := m.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch {
		case f.num == tensorName && f.typ == protowire.BytesType:
			if name, err = m.str(f); err != nil {
				return fmt.Errorf("tensor name: %w", err)
			}
		case f.num == tensorLocation && f.typ == protowire.VarintType:
			external = f.varint == locationExternal
		case f.num == tensorExternal && f.typ == protowire.BytesType:
			if s.external++; s.external > onnxMaxExternal {
				return fmt.Errorf("more than %d external data entries", onnxMaxExternal)
			}
			var kv [2]string
			e := m.sub(f)
			for {
				g, ok, err := e.next()
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				if (g.num == entryKey || g.num == entryValue) && g.typ == protowire.BytesType {
					if kv[g.num-1], err = e.str(g); err != nil {
						return fmt.Errorf("external_data entry: %w", err)
					}
				}
			}
			entries = append(entries, kv)
		}
	}
	if len(entries) > 0 || external {
		s.checkExternal(start, name, external, entries)
	}
	return nil
}

// checkExternal applies the rules onnx.load's own checker should have:
// a relative location that stays inside the model directory, resolving to
// a regular file with one link, and offsets that fit.
func (s *onnxScan) checkExternal(off int64, tensor string, external bool, entries [][2]string) {
	var location string
	var offset, length int64
	seen := map[string]bool{}
	for _, kv := range entries {
		if seen[kv[0]] {
			s.bad(off, RuleMalformed, SeverityHigh, tensor, "tensor %q repeats external_data key %q", tensor, kv[0])
			return
		}
		seen[kv[0]] = true
		switch kv[0] {
		case "location":
			location = kv[1]
		case "offset", "length":
			v, err := strconv.ParseInt(kv[1], 10, 64)
			if err != nil || v < 0 {
				s.bad(off, RuleExternalData, SeverityHigh, tensor, "tensor %q: external_data %s %q is no non-negative 64-bit integer", tensor, kv[0], kv[1])
				return
			}
			if kv[0] == "offset" {
				offset = v
			} else {
				length = v
			}
		}
	}
	if !external {
		s.bad(off, RuleMalformed, SeverityHigh, tensor, "tensor %q has external_data but data_location is not EXTERNAL", tensor)
		return
	}
	if location == "" {
		s.bad(off, RuleMalformed, SeverityHigh, tensor, "tensor %q: external data without a location", tensor)
		return
	}
	if offset > (1<<63-1)-length {
		s.bad(off, RuleExternalData, SeverityHigh, tensor, "tensor %q: external data offset %d + length %d overflows", tensor, offset, length)
		return
	}
	if why := locationEscapes(location); why != "" {
		s.bad(off, RuleExternalData, SeverityCritical, location, "tensor %q: external data location %s", tensor, why)
		return
	}
	if s.dir == "" {
		return
	}
	s.checkOnDisk(off, tensor, location, offset, length)
}

// locationEscapes says why a location is not a plain relative path inside
// the model directory, or "".
func locationEscapes(loc string) string {
	switch {
	case strings.ContainsRune(loc, 0):
		return "holds a NUL byte"
	case strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, `\`):
		return "is an absolute path"
	case len(loc) >= 2 && loc[1] == ':':
		return "names a drive"
	}
	for _, part := range strings.FieldsFunc(loc, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "climbs out with \"..\""
		}
	}
	return ""
}

// checkOnDisk resolves the location the way a loader's open() would, and
// requires the result to be a regular file inside the model directory
// with no other name (a hardlink shares its inode with a file elsewhere).
func (s *onnxScan) checkOnDisk(off int64, tensor, location string, offset, length int64) {
	// Many tensors share one data file: resolve each location once.
	if size, ok := s.sizes[location]; ok {
		s.checkRange(off, tensor, location, offset, length, size)
		return
	}
	path := filepath.Join(s.dir, filepath.FromSlash(strings.ReplaceAll(location, `\`, "/")))
	root, err := filepath.EvalSymlinks(s.dir)
	if err != nil {
		s.bad(off, RuleExternalData, SeverityHigh, location, "tensor %q: model directory: %v", tensor, err)
		return
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		s.bad(off, RuleExternalData, SeverityHigh, location, "tensor %q: external data file cannot be resolved: %v", tensor, errors.Unwrap(err))
		return
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		s.bad(off, RuleExternalData, SeverityCritical, location, "tensor %q: external data location is a symlink out of the model directory", tensor)
		return
	}
	st, err := os.Lstat(real)
	if err != nil {
		s.bad(off, RuleExternalData, SeverityHigh, location, "tensor %q: %v", tensor, errors.Unwrap(err))
		return
	}
	if !st.Mode().IsRegular() {
		s.bad(off, RuleExternalData, SeverityCritical, location, "tensor %q: external data location is no regular file", tensor)
		return
	}
	if n := linkCount(st); n > 1 {
		s.bad(off, RuleExternalData, SeverityCritical, location, "tensor %q: external data file has %d hard links; one may be outside the model directory", tensor, n)
		return
	}
	if s.sizes == nil {
		s.sizes = map[string]int64{}
	}
	if len(s.sizes) < 1024 {
		s.sizes[location] = st.Size()
	}
	s.checkRange(off, tensor, location, offset, length, st.Size())
}

func (s *onnxScan) checkRange(off int64, tensor, location string, offset, length, size int64) {
	if length > 0 && offset+length > size || offset > size {
		s.bad(off, RuleExternalData, SeverityHigh, location, "tensor %q: external data range [%d, +%d) past the file's %d bytes", tensor, offset, length, size)
	}
}

// windowReader serves the walk's many small reads (tags, varints, short
// strings) from one 64 KiB window of the file instead of a system call
// each; reads larger than the window go straight through.
type windowReader struct {
	ra    io.ReaderAt
	size  int64
	start int64
	buf   []byte
}

func (w *windowReader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > cap(w.buf) {
		return w.ra.ReadAt(p, off)
	}
	if off < w.start || off+int64(len(p)) > w.start+int64(len(w.buf)) {
		n := min(int64(cap(w.buf)), w.size-off)
		if n < 0 {
			n = 0
		}
		w.buf = w.buf[:n]
		k, err := w.ra.ReadAt(w.buf, off)
		w.buf, w.start = w.buf[:k], off
		if k < len(p) {
			copy(p, w.buf)
			if err == nil {
				err = io.EOF
			}
			return k, err
		}
	}
	return copy(p, w.buf[off-w.start:]), nil
}
