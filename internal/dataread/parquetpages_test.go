package dataread

import (
	"bytes"
	"testing"
)

// The page-header walk never panics and never reads outside [start, end),
// whatever the bytes.
func FuzzCheckPages(f *testing.F) {
	f.Add([]byte{0x15, 0x00, 0x15, 0x10, 0x15, 0x10, 0x00, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0x15, 0x00, 0x15, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x15, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00})
	f.Add([]byte{0x1c, 0x19, 0xfc, 0xff, 0xff, 0xff, 0x0f, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		_ = checkPages(r, 0, int64(len(data)))
		if len(data) > 2 {
			_ = checkPages(r, 1, int64(len(data)-1))
		}
	})
}

func TestCheckPages(t *testing.T) {
	// Two pages: header {type 0, uncompressed 8, compressed 8} + 8 bytes.
	page := []byte{0x15, 0x00, 0x15, 0x10, 0x15, 0x10, 0x00, 1, 2, 3, 4, 5, 6, 7, 8}
	two := append(append([]byte{}, page...), page...)
	if err := checkPages(bytes.NewReader(two), 0, int64(len(two))); err != nil {
		t.Fatalf("two honest pages: %v", err)
	}
	for name, c := range map[string]struct {
		data []byte
		end  int64
	}{
		"page past the chunk": {two, int64(len(two)) - 1},
		"truncated header":    {page[:4], 4},
		// compressed_page_size 2^31-1 in zigzag varint.
		"huge compressed size": {[]byte{0x15, 0x00, 0x15, 0x10, 0x15, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00}, 11},
		"negative size":        {[]byte{0x15, 0x00, 0x15, 0x10, 0x15, 0x01, 0x00}, 7},
		"nested too deep":      {append(bytes.Repeat([]byte{0x1c}, 40), 0x00), 41},
	} {
		if err := checkPages(bytes.NewReader(c.data), 0, c.end); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
