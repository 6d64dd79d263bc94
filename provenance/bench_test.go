package provenance_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlsec-dev/mlsec/provenance"
)

// BenchmarkManifest measures dataset manifest throughput (bytes/s over a
// 128 MiB dataset of 32 files, read from the page cache). Compare it with
// BenchmarkSHA256Parallel, the machine's hashing limit: the same SHA-256
// on in-memory buffers on every core.
func BenchmarkManifest(b *testing.B) {
	dir := b.TempDir()
	const files, size = 32, 4 << 20
	buf := make([]byte, size)
	for i := range files {
		_, _ = rand.Read(buf)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%03d.bin", i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(files * size)
	ctx := context.Background()
	for b.Loop() {
		if _, err := provenance.BuildManifest(ctx, dir, provenance.ManifestOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSHA256Parallel is the hashing limit: SHA-256 of 1 MiB buffers
// in memory on GOMAXPROCS goroutines.
func BenchmarkSHA256Parallel(b *testing.B) {
	buf := make([]byte, 1<<20)
	_, _ = rand.Read(buf)
	b.SetBytes(int64(len(buf)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sha256.Sum256(buf)
		}
	})
}

// BenchmarkVerify10kSubjects measures the verification of a signed
// statement with 10,000 subjects against a policy with subject matching.
func BenchmarkVerify10kSubjects(b *testing.B) {
	k := newKey(b, "p256")
	r := provenance.NewRecorder("https://ci.example.com/datasets/x", provenance.BuildTypeDataset, clockAt(fixedTime))
	var last provenance.DigestSet
	for i := range 10000 {
		sum := sha256.Sum256(fmt.Appendf(nil, "file %d", i))
		last = provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}
		r.AddOutput(provenance.ResourceDescriptor{Name: fmt.Sprintf("shard-%05d.parquet", i), Digest: last})
	}
	st, err := r.Finish()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	env, err := provenance.Sign(ctx, st, k.signer)
	if err != nil {
		b.Fatal(err)
	}
	data, err := provenance.MarshalEnvelope(env)
	if err != nil {
		b.Fatal(err)
	}
	policy := trustAll(k)(b)
	policy.MaxAge = provenance.Duration(1 << 62)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		envs, err := provenance.ReadEnvelopes("bench.json", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := provenance.Verify(ctx, envs[0], policy, provenance.VerifyOptions{Subjects: []provenance.DigestSet{last}, Now: fixedTime}); err != nil {
			b.Fatal(err)
		}
	}
}
