//go:build unix

package hashing

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// swapModel is a model with sub/w, and a directory outside it holding a
// file of the same name: what an attacker would have the model read.
func swapModel(t *testing.T) (root, outside string) {
	t.Helper()
	root = filepath.Join(t.TempDir(), "model")
	writeFile(t, filepath.Join(root, "sub", "w"), "weights")
	writeFile(t, filepath.Join(root, "top"), "t")
	outside = filepath.Join(t.TempDir(), "outside")
	writeFile(t, filepath.Join(outside, "w"), "SECRET")
	return root, outside
}

// swapDir replaces the directory root/sub by a symbolic link to target.
func swapDir(t *testing.T, root, target string) {
	t.Helper()
	require.NoError(t, os.RemoveAll(filepath.Join(root, "sub")))
	require.NoError(t, os.Symlink(target, filepath.Join(root, "sub")))
}

// noSecret fails if any digest is of the outside file's content.
func noSecret(t *testing.T, ds []Digest) {
	t.Helper()
	for _, d := range ds {
		require.NotEqual(t, sha("SECRET"), d.Sum, "hashed a file outside the model: %s", d.File.Name)
	}
}

// A directory of the model swapped for a symbolic link while the model is
// read must never make Walk or Hash read a file outside the model.
func TestDirectorySwappedForSymlink(t *testing.T) {
	ctx := context.Background()
	for _, absolute := range []bool{true, false} {
		target := func(root, outside string) string {
			if absolute {
				return outside
			}
			rel, err := filepath.Rel(root, outside)
			require.NoError(t, err)
			return rel
		}
		name := map[bool]string{true: "absolute link", false: "relative link"}[absolute]

		t.Run(name+"/between walk and hash", func(t *testing.T) {
			for _, shards := range []int64{0, 2} {
				root, outside := swapModel(t)
				files, err := Walk(ctx, root, WalkOptions{})
				require.NoError(t, err)
				require.Equal(t, []string{"sub/w", "top"}, names(files))
				swapDir(t, root, target(root, outside))
				ds, err := Hash(ctx, files, Options{ShardSize: shards})
				require.Error(t, err, "sub/w must not be opened through the link")
				noSecret(t, ds)
			}
		})
		t.Run(name+"/during walk", func(t *testing.T) {
			for _, allow := range []bool{false, true} {
				root, outside := swapModel(t)
				walkHook = func(n string) {
					if n == "sub" {
						swapDir(t, root, target(root, outside))
					}
				}
				files, err := Walk(ctx, root, WalkOptions{AllowSymlinks: allow})
				walkHook = nil
				require.Error(t, err, "listing sub must not follow the link out of the model")
				require.Empty(t, files)
			}
		})
	}
	t.Run("link inside the model is followed only within it", func(t *testing.T) {
		root, _ := swapModel(t)
		writeFile(t, filepath.Join(root, "other", "w"), "inside")
		files, err := Walk(ctx, root, WalkOptions{})
		require.NoError(t, err)
		swapDir(t, root, "other")
		ds, err := Hash(ctx, files, Options{})
		require.NoError(t, err)
		noSecret(t, ds)
	})
	t.Run("root replaced", func(t *testing.T) {
		root, outside := swapModel(t)
		files, err := Walk(ctx, root, WalkOptions{})
		require.NoError(t, err)
		require.NoError(t, os.Rename(root, root+".old"))
		require.NoError(t, os.Symlink(outside, root))
		ds, err := Hash(ctx, files, Options{})
		require.ErrorContains(t, err, "replaced")
		noSecret(t, ds)
	})
}

// A file swapped for a named pipe after Walk is refused, not waited on.
func TestFileSwappedForFIFO(t *testing.T) {
	root, _ := swapModel(t)
	files, err := Walk(context.Background(), root, WalkOptions{})
	require.NoError(t, err)
	p := filepath.Join(root, "top")
	require.NoError(t, os.Remove(p))
	require.NoError(t, mkfifo(p))
	_, err = Hash(context.Background(), files, Options{})
	require.ErrorIs(t, err, ErrNotRegular)
	var ee *EntryError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, "top", ee.Name)
}

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }
