package modelscan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
	"google.golang.org/protobuf/encoding/protowire"
)

// maxDictionary bounds the LZMA dictionary a joblib xz or lzma file may
// declare. The decoder allocates the whole dictionary up front, so a header
// is a memory bomb otherwise; joblib's default level writes 4 MiB and
// Python's strongest preset 64 MiB, past the scan's memory budget.
const maxDictionary = 16 << 20

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

// newXZReader opens an xz stream after checking, from the stream index,
// that no block declares a dictionary larger than maxDictionary.
func newXZReader(ra io.ReaderAt, size int64, r io.Reader) (io.Reader, error) {
	if err := xzDictionaries(ra, size); err != nil {
		return nil, err
	}
	return xz.ReaderConfig{DictCap: maxDictionary}.NewReader(r)
}

// newLZMAReader opens a .lzma ("alone") stream; the library refuses a
// header dictionary over the cap before allocating it.
func newLZMAReader(r io.Reader) (io.Reader, error) {
	return lzma.ReaderConfig{DictCap: maxDictionary}.NewReader(r)
}

// xzDictionaries walks every xz stream in the file from its end (footer,
// index, then each block header the index locates) and checks the LZMA2
// dictionary of every block.
func xzDictionaries(ra io.ReaderAt, size int64) error {
	end := size
	for end > 0 {
		// Stream padding: zero bytes in groups of four.
		var w [4]byte
		if end >= 4 {
			if _, err := ra.ReadAt(w[:], end-4); err != nil {
				return fmt.Errorf("xz: %w", err)
			}
			if w == [4]byte{} {
				end -= 4
				continue
			}
		}
		if end < 24 {
			return fmt.Errorf("xz: stream shorter than its header and footer")
		}
		var foot [12]byte
		if _, err := ra.ReadAt(foot[:], end-12); err != nil || !bytes.Equal(foot[10:], []byte("YZ")) {
			return fmt.Errorf("xz: no stream footer at byte %d", end-12)
		}
		indexSize := (int64(binary.LittleEndian.Uint32(foot[4:])) + 1) * 4
		indexStart := end - 12 - indexSize
		if indexSize > 1<<20 || indexStart < 12 {
			return fmt.Errorf("xz: index of %d bytes does not fit", indexSize)
		}
		index := make([]byte, indexSize)
		if _, err := ra.ReadAt(index, indexStart); err != nil || index[0] != 0 {
			return fmt.Errorf("xz: no index at byte %d", indexStart)
		}
		p := index[1:]
		n, k := protowire.ConsumeVarint(p)
		if k < 0 || n > uint64(len(p)/2) {
			return fmt.Errorf("xz: malformed index")
		}
		p = p[k:]
		var blocks int64
		for i := uint64(0); i < n; i++ {
			unpadded, k := protowire.ConsumeVarint(p)
			if k < 0 {
				return fmt.Errorf("xz: malformed index record %d", i)
			}
			p = p[k:]
			if _, k = protowire.ConsumeVarint(p); k < 0 {
				return fmt.Errorf("xz: malformed index record %d", i)
			}
			p = p[k:]
			if unpadded > uint64(size) {
				return fmt.Errorf("xz: block %d larger than the file", i)
			}
			blocks += (int64(unpadded) + 3) &^ 3
		}
		start := indexStart - blocks - 12
		if start < 0 {
			return fmt.Errorf("xz: blocks run before the start of the file")
		}
		var sh [6]byte
		if _, err := ra.ReadAt(sh[:], start); err != nil || !bytes.Equal(sh[:], xzMagic) {
			return fmt.Errorf("xz: no stream header at byte %d", start)
		}
		// Walk the blocks forward now that their sizes are known.
		off := start + 12
		q := index[1:]
		_, k = protowire.ConsumeVarint(q)
		q = q[k:]
		for i := uint64(0); i < n; i++ {
			unpadded, k := protowire.ConsumeVarint(q)
			q = q[k:]
			_, k = protowire.ConsumeVarint(q)
			q = q[k:]
			if err := xzBlockDictionary(ra, off); err != nil {
				return fmt.Errorf("xz: block %d at byte %d: %w", i, off, err)
			}
			off += (int64(unpadded) + 3) &^ 3
		}
		end = start
	}
	return nil
}

func xzBlockDictionary(ra io.ReaderAt, off int64) error {
	var first [1]byte
	if _, err := ra.ReadAt(first[:], off); err != nil || first[0] == 0 {
		return fmt.Errorf("no block header")
	}
	h := make([]byte, (int(first[0])+1)*4)
	if _, err := ra.ReadAt(h, off); err != nil {
		return fmt.Errorf("truncated block header")
	}
	flags := h[1]
	p := h[2:]
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			_, k := protowire.ConsumeVarint(p)
			if k < 0 {
				return fmt.Errorf("malformed block header")
			}
			p = p[k:]
		}
	}
	for f := 0; f <= int(flags&3); f++ {
		id, k := protowire.ConsumeVarint(p)
		if k < 0 {
			return fmt.Errorf("malformed filter flags")
		}
		p = p[k:]
		n, k := protowire.ConsumeVarint(p)
		if k < 0 || n > uint64(len(p)-k) {
			return fmt.Errorf("malformed filter flags")
		}
		props := p[k : k+int(n)]
		p = p[k+int(n):]
		if id == 0x21 { // LZMA2
			if len(props) != 1 {
				return fmt.Errorf("LZMA2 filter properties of %d bytes", len(props))
			}
			d, err := lzma.DecodeDictCap(props[0])
			if err != nil {
				return err
			}
			if d > maxDictionary {
				return fmt.Errorf("%w: dictionary of %d bytes over %d", errDictionary, d, maxDictionary)
			}
		}
	}
	return nil
}

// errDictionary marks a compressed stream refused for its declared
// dictionary size: a resource limit, not a malformed file.
var errDictionary = fmt.Errorf("LZMA dictionary over the limit")
