//go:build unix

package signing

import (
	"context"
	"crypto/elliptic"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every class of entry a signature cannot cover comes back as an
// *UnhashableError naming the entry, from HashModel, Sign and Verify, and
// errors.Is tells the class.
func TestUnhashableClasses(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	outside := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(outside, []byte("s"), 0o600))
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T, model string)
		allow bool
		class error
		entry string
	}{
		{"symlink", func(t *testing.T, m string) { require.NoError(t, os.Symlink("w", filepath.Join(m, "alias"))) }, false, ErrSymlink, "alias"},
		{"symlink out", func(t *testing.T, m string) { require.NoError(t, os.Symlink(outside, filepath.Join(m, "out"))) }, true, ErrSymlinkEscapes, "out"},
		{"symlink loop", func(t *testing.T, m string) {
			require.NoError(t, os.Symlink("l2", filepath.Join(m, "l1")))
			require.NoError(t, os.Symlink("l1", filepath.Join(m, "l2")))
		}, true, ErrSymlinkLoop, "l1"},
		{"named pipe", func(t *testing.T, m string) {
			require.NoError(t, syscall.Mkfifo(filepath.Join(m, "sub", "pipe"), 0o644))
		}, false, ErrNotRegular, "sub/pipe"},
		{"bad name", func(t *testing.T, m string) {
			require.NoError(t, os.WriteFile(filepath.Join(m, `back\slash`), []byte("x"), 0o644))
		}, false, ErrBadName, `back\slash`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := writeModel(t, map[string]string{"w": "weights", "sub/x": "x"})
			sig, err := Sign(ctx, model, sv, SignOptions{Options: Options{AllowSymlinks: tc.allow}})
			require.NoError(t, err)
			tc.make(t, model)

			_, errHash := HashModel(ctx, model, Options{AllowSymlinks: tc.allow})
			_, errSign := Sign(ctx, model, sv, SignOptions{Options: Options{AllowSymlinks: tc.allow}})
			_, errVerify := Verify(ctx, model, sig, VerifyOptions{Key: sv})
			for _, err := range []error{errHash, errSign, errVerify} {
				require.ErrorIs(t, err, tc.class)
				var ue *UnhashableError
				require.True(t, errors.As(err, &ue), "want *UnhashableError, got %v", err)
				require.Equal(t, tc.entry, ue.Name)
				require.Equal(t, model, ue.Model)
			}
		})
	}
}

// A model path that is a device is bad input, not a model with a bad
// entry: no *UnhashableError.
func TestModelIsADevice(t *testing.T) {
	_, err := HashModel(context.Background(), os.DevNull, Options{})
	require.Error(t, err)
	var ue *UnhashableError
	require.False(t, errors.As(err, &ue), "%v", err)
}

// A file name with a newline cannot forge a line of an error message.
func TestNamesAreQuotedInErrors(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	model := writeModel(t, map[string]string{"w": "weights"})
	sig, err := Sign(ctx, model, sv, SignOptions{})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(model, "x\nchanged   w"), []byte("x"), 0o644))
	_, err = Verify(ctx, model, sig, VerifyOptions{Key: sv})
	me := requireMismatch(t, err)
	require.Equal(t, []string{"x\nchanged   w"}, me.Extra, "the typed error keeps the real name")
	require.NotContains(t, err.Error(), "\n")
	require.Contains(t, err.Error(), `"x\nchanged   w"`)

	require.NoError(t, os.Symlink("w", filepath.Join(model, "l\nnk")))
	_, err = HashModel(ctx, model, Options{})
	require.ErrorIs(t, err, ErrSymlink)
	require.NotContains(t, err.Error(), "\n")
}

// MethodShards cannot see an empty file come or go (it has no shard);
// Result.EmptyFiles shows the empty files a shards signature leaves out,
// and MethodFiles covers them.
func TestEmptyFilesAndShards(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	model := writeModel(t, map[string]string{"w": "weights", "marker": ""})
	shards, err := Sign(ctx, model, sv, SignOptions{Options: Options{Method: MethodShards, ShardSize: 4}})
	require.NoError(t, err)
	files, err := Sign(ctx, model, sv, SignOptions{})
	require.NoError(t, err)

	res, err := Verify(ctx, model, shards, VerifyOptions{Key: sv})
	require.NoError(t, err)
	require.Equal(t, []string{"marker"}, res.EmptyFiles)
	for _, r := range res.Manifest.Resources {
		require.False(t, strings.HasPrefix(r.Name, "marker"), r.Name)
	}

	// Removing the empty file: shards does not notice, but says what it
	// cannot see; files does notice.
	require.NoError(t, os.Remove(filepath.Join(model, "marker")))
	require.NoError(t, os.WriteFile(filepath.Join(model, "added-empty"), nil, 0o644))
	res, err = Verify(ctx, model, shards, VerifyOptions{Key: sv})
	require.NoError(t, err, "the OMS shards rule: empty files are not covered")
	require.Equal(t, []string{"added-empty"}, res.EmptyFiles)

	_, err = Verify(ctx, model, files, VerifyOptions{Key: sv})
	me := requireMismatch(t, err)
	require.Equal(t, []string{"marker"}, me.Missing)
	require.Equal(t, []string{"added-empty"}, me.Extra)
}

// The root digest carries its algorithm: SHA-256 (fixed by OMS) whatever
// hash the files were hashed with, and the signature records it under
// that name.
func TestRootDigestNamesItsAlgorithm(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	model := writeModel(t, map[string]string{"w": "weights"})
	for _, h := range []HashAlgorithm{SHA256, BLAKE2b, BLAKE3} {
		m, err := HashModel(ctx, model, Options{Hash: h})
		require.NoError(t, err)
		root := m.RootDigest()
		require.Equal(t, "sha256", root.Algorithm)
		require.Len(t, root.Value, 32)
		require.Equal(t, "sha256:"+root.Hex(), root.String())
		sig, err := Sign(ctx, model, sv, SignOptions{Options: Options{Hash: h}})
		require.NoError(t, err)
		res, err := Verify(ctx, model, sig, VerifyOptions{Key: sv})
		require.NoError(t, err)
		require.Equal(t, root, res.Manifest.RootDigest())
	}
}

func TestWriteSignature(t *testing.T) {
	p := filepath.Join(t.TempDir(), "model.sig")
	require.NoError(t, os.WriteFile(p, []byte("old"), 0o600))
	require.NoError(t, WriteSignature(p, []byte("new signature")))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "new signature", string(b))
	entries, err := os.ReadDir(filepath.Dir(p))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
	require.ErrorContains(t, WriteSignature(filepath.Join(p, "not-a-dir", "x.sig"), nil), "signing: signature")
}
