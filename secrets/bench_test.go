package secrets_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mlsec-dev/mlsec/secrets"
)

// BenchmarkEnvelopeEncrypt and BenchmarkEnvelopeDecrypt measure streaming
// throughput of 64 MiB under a local KEK (the KEK is used once per file,
// so its speed does not matter here).
func BenchmarkEnvelopeEncrypt(b *testing.B) {
	kek, _ := devKEK(b)
	pt := bytes.Repeat([]byte("0123456789abcdef"), 4<<20)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if err := secrets.Encrypt(context.Background(), io.Discard, bytes.NewReader(pt), kek, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnvelopeDecrypt(b *testing.B) {
	kek, _ := devKEK(b)
	pt := bytes.Repeat([]byte("0123456789abcdef"), 4<<20)
	var ct bytes.Buffer
	if err := secrets.Encrypt(context.Background(), &ct, bytes.NewReader(pt), kek, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if err := secrets.Decrypt(context.Background(), io.Discard, bytes.NewReader(ct.Bytes()), nil, kek); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanDataset measures single-core scanner throughput on a
// dataset-like CSV: ids, digests, numbers, categories and free text.
func BenchmarkScanDataset(b *testing.B) {
	g := newGen(9)
	words := strings.Fields("the a model training data loss accuracy epoch batch learning rate validation sample label feature image text customer order amount price region store product review positive negative neutral")
	var sb strings.Builder
	sb.WriteString("id,sha256,user,amount,score,category,comment\n")
	for i := 0; sb.Len() < 32<<20; i++ {
		fmt.Fprintf(&sb, "%d,%s,user_%s,%.2f,%.6f,%s,", i, g.s("0123456789abcdef", 64), g.s(lower, 6), g.r.Float64()*1000, g.r.Float64(), words[g.r.IntN(len(words))])
		for range 12 {
			sb.WriteString(words[g.r.IntN(len(words))])
			sb.WriteByte(' ')
		}
		sb.WriteByte('\n')
	}
	benchScan(b, []byte(sb.String()))
}

// BenchmarkScanConfigHeavy is the worst case: every line of configs and
// notebooks names a key, token or secret, so rules run on every line.
func BenchmarkScanConfigHeavy(b *testing.B) {
	benchScan(b, []byte(strings.Join(cleanLines(newGen(9), 200000), "\n")))
}

func benchScan(b *testing.B, text []byte) {
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := secrets.ScanReader(context.Background(), "bench.txt", bytes.NewReader(text), secrets.ScanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
