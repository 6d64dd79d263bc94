package modelscan

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pierrec/lz4/v4"
)

// ScanFile scans the file at path, recognising its format by content. The
// error is non-nil only when the file cannot be read at all; everything the
// file itself gets wrong is a finding in the result.
func ScanFile(ctx context.Context, path string, opts Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modelscan: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("modelscan: %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("modelscan: %s: is a directory", path)
	}
	return scan(f, st.Size(), path, filepath.Dir(path), opts)
}

// Scan scans size bytes read through ra; name labels the findings. Checks
// that need the file system around the model (where an ONNX tensor's
// external data resolves to) are left to [ScanFile].
func Scan(ra io.ReaderAt, size int64, name string, opts Options) (*Result, error) {
	return scan(ra, size, name, "", opts)
}

func scan(ra io.ReaderAt, size int64, name, dir string, opts Options) (*Result, error) {
	opts.norm()
	res := &Result{File: name}
	add := func(f Finding) {
		f.File = name
		res.Findings = append(res.Findings, f)
	}
	var head [16]byte
	n, err := ra.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("modelscan: %s: %w", name, err)
	}
	h := head[:n]
	sr := io.NewSectionReader(ra, 0, size)
	switch {
	case bytes.HasPrefix(h, []byte("PK\x03\x04")):
		res.Format = "zip"
		scanZip(ra, size, &opts, add, res)
	case bytes.HasPrefix(h, []byte("GGUF")):
		res.Format = "gguf"
		scanGGUF(sr, size, add)
	case bytes.HasPrefix(h, []byte("\x93NUMPY")):
		res.Format = "npy"
		scanNPY(sr, "", &opts, add)
	case isONNX(h):
		res.Format = "onnx"
		scanONNX(ra, size, dir, add)
	case isSafetensors(h, size):
		res.Format = "safetensors"
		scanSafetensors(sr, size, add)
	default:
		format, r, err := decompressor(h, ra, size, sr)
		if err != nil {
			rule := RuleMalformed
			if errors.Is(err, errDictionary) {
				rule = RuleResourceLimit
			}
			add(Finding{Rule: rule, Severity: SeverityHigh, Detail: err.Error()})
			res.Format = format
			return res, nil
		}
		if r == nil {
			if !looksLikePickle(h) {
				res.Format = "unknown"
				add(Finding{Rule: RuleUnknownFormat, Severity: SeverityHigh,
					Detail: "content is no model format modelscan reads; cannot show it safe"})
				return res, nil
			}
			r = sr
		}
		res.Format = format
		scanPickles(r, &opts, add)
	}
	return res, nil
}

// looksLikePickle accepts protocol 2+ pickles (PROTO first) and the usual
// first opcodes of protocol 0 and 1 streams.
func looksLikePickle(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	if h[0] == 0x80 {
		return len(h) > 1 && h[1] <= 5
	}
	switch h[0] {
	case '(', ']', '}', ')', 'c':
		return true
	}
	return false
}

// decompressor recognises the compressions joblib writes; it returns a nil
// reader for content that is not compressed.
func decompressor(h []byte, ra io.ReaderAt, size int64, r io.Reader) (string, io.Reader, error) {
	switch {
	case len(h) >= 2 && h[0] == 0x1f && h[1] == 0x8b:
		zr, err := gzip.NewReader(r)
		return "joblib-gzip", zr, err
	case len(h) >= 2 && h[0] == 0x78 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0:
		zr, err := zlib.NewReader(r)
		return "joblib-zlib", zr, err
	case bytes.HasPrefix(h, []byte("BZh")):
		return "joblib-bz2", bzip2.NewReader(r), nil
	case bytes.HasPrefix(h, []byte{0x04, 0x22, 0x4d, 0x18}):
		return "joblib-lz4", lz4.NewReader(r), nil
	case bytes.HasPrefix(h, xzMagic):
		xr, err := newXZReader(ra, size, r)
		return "joblib-xz", xr, err
	case len(h) >= 13 && h[0] == 0x5d && h[1] == 0:
		// joblib's "lzma" is the legacy .lzma format: properties 0x5d (the
		// only ones Python writes), then the dictionary size. "]\x00" starts
		// no pickle: 0x00 is no opcode.
		if d := binary.LittleEndian.Uint32(h[1:]); d > maxDictionary {
			return "joblib-lzma", nil, fmt.Errorf("lzma: %w: dictionary of %d bytes over %d", errDictionary, d, maxDictionary)
		}
		lr, err := newLZMAReader(r)
		return "joblib-lzma", lr, err
	}
	return "pickle", nil, nil
}

// scanNPY reads a .npy header; an object dtype means a pickle follows.
func scanNPY(r io.Reader, member string, opts *Options, add func(Finding)) {
	br := bufio.NewReader(r)
	var pre [8]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil {
		add(Finding{Member: member, Rule: RuleMalformed, Severity: SeverityHigh, Detail: "truncated .npy preamble"})
		return
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			add(Finding{Member: member, Rule: RuleMalformed, Severity: SeverityHigh, Detail: "truncated .npy header length"})
			return
		}
		hlen = int(b[0]) | int(b[1])<<8
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			add(Finding{Member: member, Rule: RuleMalformed, Severity: SeverityHigh, Detail: "truncated .npy header length"})
			return
		}
		hlen = int(b[0]) | int(b[1])<<8 | int(b[2])<<16 | int(b[3])<<24
		if hlen < 0 || hlen > 1<<20 {
			add(Finding{Member: member, Rule: RuleResourceLimit, Severity: SeverityHigh, Detail: fmt.Sprintf(".npy header length %d over 1 MiB", hlen)})
			return
		}
	default:
		add(Finding{Member: member, Rule: RuleMalformed, Severity: SeverityHigh, Detail: fmt.Sprintf(".npy version %d", pre[6])})
		return
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(br, hdr); err != nil {
		add(Finding{Member: member, Rule: RuleMalformed, Severity: SeverityHigh, Detail: "truncated .npy header"})
		return
	}
	if !bytes.Contains(hdr, []byte("'descr'")) {
		add(Finding{Member: member, Rule: RuleMalformed, Severity: SeverityHigh, Detail: ".npy header has no descr"})
		return
	}
	// An object dtype anywhere (plain or inside a structured dtype) means
	// numpy.load(allow_pickle=True) unpickles what follows.
	if bytes.Contains(hdr, []byte("'|O'")) || bytes.Contains(hdr, []byte("'O'")) || bytes.Contains(hdr, []byte("'<O'")) || bytes.Contains(hdr, []byte("'>O'")) {
		base := int64(10 + hlen)
		if pre[6] != 1 {
			base += 2
		}
		scanPickles(br, opts, func(f Finding) {
			f.Member = member
			f.Offset += base
			add(f)
		})
	}
}
