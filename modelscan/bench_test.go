package modelscan_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/mlsec-dev/mlsec/modelscan"
)

// syntheticPickle writes a protocol 4 pickle of a state-dict-like
// structure: n entries of short keys, ints, floats, small byte strings and
// allowlisted globals, memoized as CPython does.
func syntheticPickle(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x04\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(")
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("layer.%d.weight", i)
		b.WriteByte(0x8c)
		b.WriteByte(byte(len(k)))
		b.WriteString(k)
		b.WriteByte(0x94)
		b.WriteString("h\x00h\x01\x93)R") // OrderedDict() via the memo
		b.WriteString("(J\x01\x02\x03\x04G\x3f\xf0\x00\x00\x00\x00\x00\x00C\x08abcdefgh\x88Nt\x94b")
		if i%1000 == 999 {
			b.WriteString("u(")
		}
	}
	b.WriteString("u.")
	return b.Bytes()
}

// BenchmarkPickleVM measures the VM's throughput. MLSEC_BENCH_PICKLE names a
// pickle file to use instead of the synthetic one (scripts/bench.d).
func BenchmarkPickleVM(b *testing.B) {
	var data []byte
	if p := os.Getenv("MLSEC_BENCH_PICKLE"); p != "" {
		var err error
		if data, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	} else {
		data = syntheticPickle(200000)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if fs := modelscan.ScanPickle(bytes.NewReader(data), "bench", "", modelscan.Options{}); len(fs) != 0 {
			b.Fatal(fs)
		}
	}
}
