//go:build unix

package hashing

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// benchModel writes n files of size bytes each (random, so nothing
// compresses or dedups) and returns them, warm in the page cache.
func benchModel(b *testing.B, n int, size int64) []File {
	b.Helper()
	dir := b.TempDir()
	buf := make([]byte, 1<<20)
	for i := range n {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("shard-%05d.safetensors", i)))
		if err != nil {
			b.Fatal(err)
		}
		for left := size; left > 0; left -= int64(len(buf)) {
			rand.Read(buf)
			if _, err := f.Write(buf[:min(left, int64(len(buf)))]); err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
	files, err := Walk(context.Background(), dir, WalkOptions{})
	if err != nil {
		b.Fatal(err)
	}
	// Warm the page cache.
	if _, err := Hash(context.Background(), files, Options{}); err != nil {
		b.Fatal(err)
	}
	return files
}

func totalSize(files []File) int64 {
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return n
}

// BenchmarkSHA256Memory is the machine limit's unit: one core hashing
// SHA-256 from memory. The hashing benchmarks below should reach
// GOMAXPROCS times this rate.
func BenchmarkSHA256Memory(b *testing.B) {
	for _, alg := range []Algorithm{SHA256, BLAKE2b, BLAKE3} {
		b.Run(string(alg), func(b *testing.B) {
			buf := make([]byte, DefaultBufferSize)
			rand.Read(buf)
			h, _ := alg.New()
			b.SetBytes(int64(len(buf)))
			cpu0 := cpuSeconds()
			n := 0
			for b.Loop() {
				h.Write(buf)
				n++
			}
			if cpu := cpuSeconds() - cpu0; cpu > 0 {
				b.ReportMetric(float64(len(buf))*float64(n)/1e6/cpu, "MB/cpu-s")
			}
		})
	}
}

// benchHash also reports MB hashed per CPU-second used by the process
// (user+system, all threads): on a machine shared with other work, wall
// time says little, but CPU time per byte shows the pipeline's overhead
// over bare in-memory hashing, and the achievable throughput is
// cores × that rate.
func benchHash(b *testing.B, files []File, opts Options) {
	size := totalSize(files)
	b.SetBytes(size)
	cpu0 := cpuSeconds()
	n := 0
	for b.Loop() {
		if _, err := Hash(context.Background(), files, opts); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(size)*float64(n)/1e6/cpu, "MB/cpu-s")
	}
}

// BenchmarkHashManyFiles: 64 files of 4 MiB, whole-file digests.
func BenchmarkHashManyFiles(b *testing.B) {
	files := benchModel(b, 64, 4<<20)
	for _, alg := range []Algorithm{SHA256, BLAKE3} {
		b.Run(string(alg), func(b *testing.B) { benchHash(b, files, Options{Algorithm: alg}) })
	}
}

// BenchmarkHashShards: one 256 MiB file in 16 MiB shards.
func BenchmarkHashShards(b *testing.B) {
	files := benchModel(b, 1, 256<<20)
	b.Run("sha256", func(b *testing.B) { benchHash(b, files, Options{ShardSize: 16 << 20}) })
	b.Run("sha256-1worker", func(b *testing.B) { benchHash(b, files, Options{ShardSize: 16 << 20, Workers: 1}) })
	for _, buf := range []int{32 << 10, 128 << 10, 256 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("sha256-buf%dk", buf>>10), func(b *testing.B) { benchHash(b, files, Options{ShardSize: 16 << 20, BufferSize: buf}) })
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
