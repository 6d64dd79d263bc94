package hashing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// Known answers for b"Test string" from the reference OMS tool's tests
// (sigstore/model-transparency tests/_hashing/memory_test.py).
func TestAlgorithmKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		alg  Algorithm
		want string
	}{
		{SHA256, "a3e49d843df13c2e2a7786f6ecd7e0d184f45d718d1ac1a8a63e570466e489dd"},
		{BLAKE2b, "3f1b20a13e94ef2a12c50f40de256e0eb444f274b8e2e04e5fb3f572242c858af600a06a0c350eef1645307a9bf2fa1fcb65445a0b3b2b44d0602ab95f4fb802"},
		{BLAKE3, "f3adfd721502f7d9510368688a392ab4f29dbff47092c0aea25f638d4985a8b1"},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			h, err := tc.alg.New()
			require.NoError(t, err)
			h.Write([]byte("Test string"))
			require.Equal(t, tc.want, hex.EncodeToString(h.Sum(nil)))
			require.Equal(t, h.Size(), tc.alg.Size())
			a, err := ParseAlgorithm(string(tc.alg))
			require.NoError(t, err)
			require.Equal(t, tc.alg, a)
		})
	}
	_, err := ParseAlgorithm("md5")
	require.ErrorContains(t, err, `"md5"`)
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "a/b", "d0/f00", "weird name:0:8", ".hidden", "a..b", "é"} {
		require.NoError(t, CheckName(ok), ok)
	}
	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../../x", "a/..", "..", ".", "./a", "a//b", "a/", "a\x00b", "a\\b", "\xff"} {
		err := CheckName(bad)
		require.ErrorIs(t, err, ErrBadName, "%q", bad)
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

func names(fs []File) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func TestWalk(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for _, n := range []string{"b", "a/x", "a-b", ".git/config", "sub/.git/keep", "ignore-me", "dir/ignored/f", "dir/kept"} {
		writeFile(t, filepath.Join(root, n), n)
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "empty-dir"), 0o755))

	files, err := Walk(ctx, root, WalkOptions{Ignore: []string{".git", "ignore-me", "dir/ignored/", "absent"}})
	require.NoError(t, err)
	// Byte-wise order; directories never appear; ".git" is anchored at the root.
	require.Equal(t, []string{"a-b", "a/x", "b", "dir/kept", "sub/.git/keep"}, names(files))
	require.Equal(t, int64(3), files[1].Size)
	require.Equal(t, filepath.Join(root, "a", "x"), files[1].Path)

	// A single file is its own only item, named by its base name.
	files, err = Walk(ctx, filepath.Join(root, "b"), WalkOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"b"}, names(files))

	for _, bad := range []string{"../x", "/abs", "."} {
		_, err = Walk(ctx, root, WalkOptions{Ignore: []string{bad}})
		require.Error(t, err, bad)
	}
	_, err = Walk(ctx, filepath.Join(root, "missing"), WalkOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestWalkSymlinks(t *testing.T) {
	ctx := context.Background()
	outside := filepath.Join(t.TempDir(), "outside")
	writeFile(t, outside, "secret")

	t.Run("refused by default", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "f"), "x")
		require.NoError(t, os.Symlink("f", filepath.Join(root, "link")))
		_, err := Walk(ctx, root, WalkOptions{})
		require.ErrorIs(t, err, ErrSymlink)
		// ...but not under an ignored path.
		_, err = Walk(ctx, root, WalkOptions{Ignore: []string{"link"}})
		require.NoError(t, err)
	})
	t.Run("allowed inside root", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "d/f"), "xyz")
		require.NoError(t, os.Symlink("d/f", filepath.Join(root, "link")))
		require.NoError(t, os.Symlink("d", filepath.Join(root, "dirlink")))
		files, err := Walk(ctx, root, WalkOptions{AllowSymlinks: true})
		require.NoError(t, err)
		require.Equal(t, []string{"d/f", "link"}, names(files))
		require.True(t, files[1].Symlink)
		require.Equal(t, int64(3), files[1].Size)
	})
	t.Run("root is a link", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "real/f"), "x")
		require.NoError(t, os.Symlink("real", filepath.Join(root, "model")))
		files, err := Walk(ctx, filepath.Join(root, "model"), WalkOptions{})
		require.NoError(t, err)
		require.Equal(t, []string{"f"}, names(files))
		_, err = Hash(ctx, files, Options{})
		require.NoError(t, err)

		// A single-file model given through a link is named by the link.
		require.NoError(t, os.Symlink("real/f", filepath.Join(root, "weights.bin")))
		files, err = Walk(ctx, filepath.Join(root, "weights.bin"), WalkOptions{})
		require.NoError(t, err)
		require.Equal(t, []string{"weights.bin"}, names(files))
		ds, err := Hash(ctx, files, Options{})
		require.NoError(t, err)
		require.Equal(t, sha("x"), ds[0].Sum)
	})
	t.Run("escape", func(t *testing.T) {
		root := t.TempDir()
		require.NoError(t, os.Symlink(outside, filepath.Join(root, "link")))
		_, err := Walk(ctx, root, WalkOptions{AllowSymlinks: true})
		require.ErrorIs(t, err, ErrSymlinkEscapes)
	})
	t.Run("loop", func(t *testing.T) {
		root := t.TempDir()
		require.NoError(t, os.Symlink("b", filepath.Join(root, "a")))
		require.NoError(t, os.Symlink("a", filepath.Join(root, "b")))
		_, err := Walk(ctx, root, WalkOptions{AllowSymlinks: true})
		require.ErrorIs(t, err, ErrSymlinkLoop)
	})
}

func sha(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func TestHashFilesAndShards(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	// The reference tool's sample_model_file: 22 bytes, 8-byte shards.
	const model = "This is a simple model"
	writeFile(t, filepath.Join(root, "m"), model)
	writeFile(t, filepath.Join(root, "z-empty"), "")
	files, err := Walk(ctx, root, WalkOptions{})
	require.NoError(t, err)

	ds, err := Hash(ctx, files, Options{})
	require.NoError(t, err)
	require.Len(t, ds, 2)
	require.Equal(t, "3aab065c7181a173b5dd9e9d32a9f79923440b413be1e1ffcdba26a7365f719b", hex.EncodeToString(ds[0].Sum))
	require.Equal(t, sha(""), ds[1].Sum)
	require.Equal(t, int64(22), ds[0].End)

	var mu sync.Mutex
	var seen []int64
	ds, err = Hash(ctx, files, Options{ShardSize: 8, Workers: 3, BufferSize: 3, Progress: func(done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, int64(22), total)
		if len(seen) > 0 {
			require.GreaterOrEqual(t, done, seen[len(seen)-1])
		}
		seen = append(seen, done)
	}})
	require.NoError(t, err)
	// The empty file has no shard; shards come in offset order.
	require.Len(t, ds, 3)
	for i, want := range []struct {
		start, end int64
		hex        string
	}{{0, 8, "a37010c9"}, {8, 16, "bd762002"}, {16, 22, "a791e1e8"}} {
		require.Equal(t, want.start, ds[i].Start)
		require.Equal(t, want.end, ds[i].End)
		require.Equal(t, want.hex, hex.EncodeToString(ds[i].Sum)[:8])
		require.Equal(t, sha(model[want.start:want.end]), ds[i].Sum)
	}
	require.Equal(t, int64(22), seen[len(seen)-1])

	_, err = Hash(ctx, files, Options{Algorithm: "md5"})
	require.Error(t, err)
	_, err = Hash(ctx, files, Options{ShardSize: -1})
	require.Error(t, err)
}

func TestHashManyFilesDeterministic(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for i := range 50 {
		writeFile(t, filepath.Join(root, "d", string(rune('a'+i%26))+string(rune('a'+i/26))), string(make([]byte, i*1000)))
	}
	files, err := Walk(ctx, root, WalkOptions{})
	require.NoError(t, err)
	for _, alg := range []Algorithm{SHA256, BLAKE2b, BLAKE3} {
		ds, err := Hash(ctx, files, Options{Algorithm: alg, Workers: 4, BufferSize: 4096})
		require.NoError(t, err)
		require.Len(t, ds, len(files))
		for i, d := range ds {
			require.Equal(t, files[i].Name, d.File.Name)
			h, _ := alg.New()
			b, err := os.ReadFile(files[i].Path)
			require.NoError(t, err)
			h.Write(b)
			require.Equal(t, h.Sum(nil), d.Sum, d.File.Name)
		}
	}
}

func TestHashErrors(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "f"), "0123456789")
	files, err := Walk(ctx, root, WalkOptions{})
	require.NoError(t, err)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Hash(cctx, files, Options{})
	require.ErrorIs(t, err, context.Canceled)

	// A file that shrinks after it was listed is caught in shard mode.
	require.NoError(t, os.WriteFile(files[0].Path, []byte("01"), 0o644))
	_, err = Hash(ctx, files, Options{ShardSize: 4})
	require.ErrorContains(t, err, "shrank")

	// A file replaced by a symlink after it was listed is not followed.
	require.NoError(t, os.Remove(files[0].Path))
	writeFile(t, filepath.Join(root, "other"), "x")
	require.NoError(t, os.Symlink("other", files[0].Path))
	_, err = Hash(ctx, files, Options{})
	require.Error(t, err)

	_, err = Hash(ctx, []File{{Name: "gone", Path: filepath.Join(root, "gone"), Size: 1}}, Options{})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "gone")
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	cachePath := filepath.Join(t.TempDir(), "cache.json")
	writeFile(t, filepath.Join(root, "a"), "aaaa")
	writeFile(t, filepath.Join(root, "b"), "bbbb")
	// Entries are kept only for files not modified within the racy window.
	time.Sleep(racyWindow + 100*time.Millisecond)
	files, err := Walk(ctx, root, WalkOptions{})
	require.NoError(t, err)

	c, err := OpenCache(cachePath)
	require.NoError(t, err)
	first, err := Hash(ctx, files, Options{Cache: c})
	require.NoError(t, err)
	require.Equal(t, 0, c.Hits())
	require.NoError(t, c.Save())

	c, err = OpenCache(cachePath)
	require.NoError(t, err)
	again, err := Hash(ctx, files, Options{Cache: c})
	require.NoError(t, err)
	require.Equal(t, 2, c.Hits())
	require.Equal(t, first, again)

	// Same size, new content: the stamp changes, the cache is bypassed.
	writeFile(t, filepath.Join(root, "a"), "AAAA")
	c, err = OpenCache(cachePath)
	require.NoError(t, err)
	changed, err := Hash(ctx, files, Options{Cache: c})
	require.NoError(t, err)
	require.Equal(t, 1, c.Hits())
	require.Equal(t, sha("AAAA"), changed[0].Sum)

	// Another algorithm or shard layout never reuses an entry.
	c, err = OpenCache(cachePath)
	require.NoError(t, err)
	_, err = Hash(ctx, files, Options{Cache: c, Algorithm: BLAKE3})
	require.NoError(t, err)
	_, err = Hash(ctx, files, Options{Cache: c, ShardSize: 2})
	require.NoError(t, err)
	require.Equal(t, 0, c.Hits())

	// A corrupt cache file is discarded, not fatal.
	require.NoError(t, os.WriteFile(cachePath, []byte("{not json"), 0o600))
	c, err = OpenCache(cachePath)
	require.NoError(t, err)
	_, err = Hash(ctx, files, Options{Cache: c})
	require.NoError(t, err)
	require.Equal(t, 0, c.Hits())
	require.False(t, errors.Is(c.Save(), os.ErrNotExist))
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../a", "/a", "a/./b", "a\\b", "\xff", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if CheckName(name) != nil {
			return
		}
		if path.Clean(name) != name || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || strings.ContainsAny(name, "\x00\\") || !utf8.ValidString(name) {
			t.Fatalf("accepted %q", name)
		}
	})
}

func TestQuoteName(t *testing.T) {
	for in, want := range map[string]string{
		"a/b.bin":        "a/b.bin",
		"with space":     "with space",
		"é":              "é",
		"a\nchanged   b": `"a\nchanged   b"`,
		"tab\there":      `"tab\there"`,
		"\x1b[31mred":    `"\x1b[31mred"`,
		"\xff":           `"\xff"`,
		`"looks quoted"`: `"\"looks quoted\""`,
		"":               `""`,
		"bidi\u202eevil": `"bidi\u202eevil"`,
	} {
		require.Equal(t, want, QuoteName(in), "%q", in)
	}
}
