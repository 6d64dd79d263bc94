package modelscan

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

type zipEntry struct {
	name         string
	flags        uint16
	method       uint16
	crc          uint32
	csize, usize uint64
	offset       uint64
}

// maxCheckedData is the largest member that is neither scanned nor loaded
// as code whose bytes are still read to check its CRC and size.
const maxCheckedData = 1 << 20

// scanZip walks a zip the way PyTorch's reader does: the central directory
// names the members, each local header is read and compared with it, CRC
// mismatches are tolerated by the loader and so reported, not fatal. Every
// member that is a pickle (by name or by its first bytes) is scanned.
func scanZip(ra io.ReaderAt, size int64, opts *Options, add func(Finding), res *Result) {
	bad := func(member string, off int64, rule string, sev Severity, format string, a ...any) {
		add(Finding{Member: member, Offset: off, Rule: rule, Severity: sev, Detail: fmt.Sprintf(format, a...)})
	}
	entries, err := centralDirectory(ra, size)
	if err != nil {
		bad("", 0, RuleMalformed, SeverityHigh, "zip: %v", err)
		return
	}
	pickles, npys, keras := 0, 0, 0
	for _, e := range entries {
		if e.offset > uint64(size) || size-int64(e.offset) < 30 {
			bad(e.name, int64(e.offset), RuleMalformed, SeverityHigh, "zip: local header offset past the end")
			continue
		}
		var lh [30]byte
		if _, err := ra.ReadAt(lh[:], int64(e.offset)); err != nil || binary.LittleEndian.Uint32(lh[:]) != 0x04034b50 {
			bad(e.name, int64(e.offset), RuleMalformed, SeverityHigh, "zip: no local file header where the central directory points")
			continue
		}
		nlen := int64(binary.LittleEndian.Uint16(lh[26:]))
		xlen := int64(binary.LittleEndian.Uint16(lh[28:]))
		lname := make([]byte, nlen)
		if _, err := ra.ReadAt(lname, int64(e.offset)+30); err != nil {
			bad(e.name, int64(e.offset), RuleMalformed, SeverityHigh, "zip: truncated local file name")
			continue
		}
		if string(lname) != e.name {
			bad(e.name, int64(e.offset), RuleZipMismatch, SeverityMedium, "zip: local header names %q, central directory %q", lname, e.name)
		}
		if lflags := binary.LittleEndian.Uint16(lh[6:]); lflags != e.flags {
			bad(e.name, int64(e.offset), RuleZipMismatch, SeverityMedium, "zip: local flags %#x, central %#x", lflags, e.flags)
		}
		if e.flags&1 != 0 {
			bad(e.name, int64(e.offset), RuleZipFlags, SeverityHigh, "zip: encrypted member cannot be scanned")
			continue
		}
		start := int64(e.offset) + 30 + nlen + xlen
		if e.csize > uint64(size) || start > size-int64(e.csize) {
			bad(e.name, int64(e.offset), RuleMalformed, SeverityHigh, "zip: member data runs past the end")
			continue
		}
		var body io.Reader = io.NewSectionReader(ra, start, int64(e.csize))
		switch e.method {
		case 0:
		case 8:
			body = flate.NewReader(body) // reads a section: nothing to close
		default:
			bad(e.name, int64(e.offset), RuleZipFlags, SeverityHigh, "zip: compression method %d cannot be scanned", e.method)
			continue
		}
		h := crc32.NewIEEE()
		tee := &countReader{r: io.TeeReader(body, h)}
		br := newPeekReader(tee)
		peek, _ := br.Peek(6)
		memberAdd := func(f Finding) {
			f.Member = e.name
			add(f)
		}
		switch {
		case strings.HasSuffix(e.name, ".pkl") || (len(peek) >= 2 && peek[0] == 0x80 && peek[1] <= 5):
			pickles++
			scanPickles(br, opts, memberAdd)
		case bytes.HasPrefix(peek, []byte("\x93NUMPY")):
			npys++
			scanNPY(br, e.name, opts, add)
		case e.name == "config.json":
			// A .keras archive: the config names every class and function
			// Keras imports when it rebuilds the model.
			keras++
			data, err := io.ReadAll(io.LimitReader(br, maxKerasConfig+1))
			if err != nil {
				bad(e.name, int64(e.offset), RuleMalformed, SeverityHigh, "zip: member data: %v", err)
				continue
			}
			scanKerasConfig(data, e.name, add)
		default:
			// A large member nothing loads as code (tensor data) is not
			// read, so a checkpoint is scanned in time proportional to its
			// pickles, not its weights; small ones (byteorder, version) are
			// still checked against their CRC.
			if e.usize > maxCheckedData {
				continue
			}
		}
		// Read the rest so the CRC covers the whole member.
		if _, err := io.Copy(io.Discard, br); err != nil {
			bad(e.name, int64(e.offset), RuleMalformed, SeverityHigh, "zip: member data: %v", err)
			continue
		}
		if uint64(tee.n) != e.usize {
			bad(e.name, int64(e.offset), RuleZipMismatch, SeverityMedium, "zip: member holds %d bytes, directory says %d", tee.n, e.usize)
		}
		if h.Sum32() != e.crc {
			bad(e.name, int64(e.offset), RuleZipCRC, SeverityMedium, "zip: CRC %08x, directory says %08x", h.Sum32(), e.crc)
		}
	}
	switch {
	case keras > 0:
		res.Format = "keras"
	case pickles > 0:
		res.Format = "pytorch-zip"
	case npys > 0:
		res.Format = "npz"
	}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// centralDirectory finds the end record (zip64 too) and reads the entries.
func centralDirectory(ra io.ReaderAt, size int64) ([]zipEntry, error) {
	tail := min(size, 65535+22)
	buf := make([]byte, tail)
	if _, err := ra.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return nil, err
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < 22 {
		return nil, fmt.Errorf("no end of central directory record")
	}
	eocd := buf[i:]
	count := uint64(binary.LittleEndian.Uint16(eocd[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(eocd[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(eocd[16:]))
	if count == 0xffff || dirOff == 0xffffffff || dirSize == 0xffffffff {
		loc := size - tail + int64(i) - 20
		var l [20]byte
		if loc < 0 {
			return nil, fmt.Errorf("zip64 locator missing")
		}
		if _, err := ra.ReadAt(l[:], loc); err != nil || binary.LittleEndian.Uint32(l[:]) != 0x07064b50 {
			return nil, fmt.Errorf("zip64 locator missing")
		}
		off := binary.LittleEndian.Uint64(l[8:])
		var z [56]byte
		if off > uint64(size) {
			return nil, fmt.Errorf("zip64 end record past the end")
		}
		if _, err := ra.ReadAt(z[:], int64(off)); err != nil || binary.LittleEndian.Uint32(z[:]) != 0x06064b50 {
			return nil, fmt.Errorf("zip64 end record missing")
		}
		count = binary.LittleEndian.Uint64(z[32:])
		dirSize = binary.LittleEndian.Uint64(z[40:])
		dirOff = binary.LittleEndian.Uint64(z[48:])
	}
	if dirOff > uint64(size) || dirSize > uint64(size)-dirOff {
		return nil, fmt.Errorf("central directory past the end")
	}
	if count > dirSize/46 {
		return nil, fmt.Errorf("%d entries cannot fit a %d-byte central directory", count, dirSize)
	}
	dir := make([]byte, dirSize)
	if _, err := ra.ReadAt(dir, int64(dirOff)); err != nil {
		return nil, fmt.Errorf("central directory: %w", err)
	}
	var out []zipEntry
	p := dir
	for k := uint64(0); k < count; k++ {
		if len(p) < 46 || binary.LittleEndian.Uint32(p) != 0x02014b50 {
			return out, fmt.Errorf("central directory entry %d is malformed", k)
		}
		e := zipEntry{
			flags:  binary.LittleEndian.Uint16(p[8:]),
			method: binary.LittleEndian.Uint16(p[10:]),
			crc:    binary.LittleEndian.Uint32(p[16:]),
			csize:  uint64(binary.LittleEndian.Uint32(p[20:])),
			usize:  uint64(binary.LittleEndian.Uint32(p[24:])),
			offset: uint64(binary.LittleEndian.Uint32(p[42:])),
		}
		nlen := int(binary.LittleEndian.Uint16(p[28:]))
		xlen := int(binary.LittleEndian.Uint16(p[30:]))
		clen := int(binary.LittleEndian.Uint16(p[32:]))
		if len(p) < 46+nlen+xlen+clen {
			return out, fmt.Errorf("central directory entry %d runs past the directory", k)
		}
		e.name = string(p[46 : 46+nlen])
		extra := p[46+nlen : 46+nlen+xlen]
		for len(extra) >= 4 {
			id, l := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
			if 4+l > len(extra) {
				break
			}
			if id == 1 {
				d := extra[4 : 4+l]
				for _, f := range []*uint64{&e.usize, &e.csize, &e.offset} {
					if *f == 0xffffffff && len(d) >= 8 {
						*f = binary.LittleEndian.Uint64(d)
						d = d[8:]
					}
				}
			}
			extra = extra[4+l:]
		}
		out = append(out, e)
		p = p[46+nlen+xlen+clen:]
	}
	return out, nil
}
