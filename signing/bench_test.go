package signing

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
)

// benchModel writes a model of n files of size bytes (random content).
func benchModel(b *testing.B, n int, size int) string {
	b.Helper()
	dir := b.TempDir()
	buf := make([]byte, size)
	for i := range n {
		rand.Read(buf)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("model-%05d.safetensors", i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkSignVerify signs and verifies a 128 MiB model of 32 files
// (warm page cache) with the files and the shards method. Hashing
// dominates; see internal/hashing for the hashing benchmarks.
func BenchmarkSignVerify(b *testing.B) {
	ctx := context.Background()
	model := benchModel(b, 32, 4<<20)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sv, _ := dssesig.FromCryptoSigner(k)
	for _, o := range []Options{{}, {Method: MethodShards, ShardSize: 1 << 20}, {Hash: BLAKE3}} {
		name := fmt.Sprintf("%s-%s", cmp.Or(o.Method, MethodFiles), cmp.Or(o.Hash, SHA256))
		var sig []byte
		b.Run("sign/"+name, func(b *testing.B) {
			b.SetBytes(32 * 4 << 20)
			for b.Loop() {
				var err error
				if sig, err = Sign(ctx, model, sv, SignOptions{Options: o}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("verify/"+name, func(b *testing.B) {
			b.SetBytes(32 * 4 << 20)
			for b.Loop() {
				if _, err := Verify(ctx, model, sig, VerifyOptions{Key: sv}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResign shows the incremental cache: one of 32 files changed
// between signatures.
func BenchmarkResign(b *testing.B) {
	ctx := context.Background()
	model := benchModel(b, 32, 4<<20)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sv, _ := dssesig.FromCryptoSigner(k)
	cache := filepath.Join(b.TempDir(), "cache.json")
	// Let the files age past the cache's racy window (a digest of a file
	// changed within the last second is not kept).
	time.Sleep(1100 * time.Millisecond)
	if _, err := Sign(ctx, model, sv, SignOptions{CachePath: cache}); err != nil {
		b.Fatal(err)
	}
	for _, withCache := range []bool{false, true} {
		b.Run(fmt.Sprintf("cache=%v", withCache), func(b *testing.B) {
			o := SignOptions{}
			if withCache {
				o.CachePath = cache
			}
			for b.Loop() {
				if _, err := Sign(ctx, model, sv, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
