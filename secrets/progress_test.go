package secrets_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

// TestFileProgress checks that the file functions report the bytes read of
// their input, rising to the file's size, and that the result is the same
// as without a callback.
func TestFileProgress(t *testing.T) {
	ctx := testCtx(t)
	oldKEK, _ := devKEK(t)
	newKEK, _ := devKEK(t)
	dir := t.TempDir()
	plain := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // 4.8 MB: several reads
	in := filepath.Join(dir, "data.bin")
	require.NoError(t, os.WriteFile(in, plain, 0o600))
	enc, dec := filepath.Join(dir, "data.enc"), filepath.Join(dir, "data.out")

	type call struct{ done, total int64 }
	record := func(calls *[]call) secrets.FileOptions {
		return secrets.FileOptions{Progress: func(d, tot int64) { *calls = append(*calls, call{d, tot}) }}
	}
	check := func(name string, calls []call, size int64) {
		require.Greater(t, len(calls), 1, name)
		for i, c := range calls {
			require.Equal(t, size, c.total, name)
			if i > 0 {
				require.Greater(t, c.done, calls[i-1].done, "%s: done rises", name)
			}
		}
		require.Equal(t, size, calls[len(calls)-1].done, "%s: ends at the size", name)
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		return fi.Size()
	}

	var calls []call
	require.NoError(t, secrets.EncryptFileWith(ctx, in, enc, oldKEK, []byte("a"), record(&calls)))
	check("encrypt", calls, int64(len(plain)))

	calls = nil
	encSize := size(enc)
	require.NoError(t, secrets.RewrapWith(ctx, enc, record(&calls), newKEK, oldKEK))
	check("rewrap", calls, encSize)

	calls = nil
	encSize = size(enc)
	require.NoError(t, secrets.DecryptFileWith(ctx, enc, dec, []byte("a"), record(&calls), newKEK))
	check("decrypt", calls, encSize)
	got, err := os.ReadFile(dec)
	require.NoError(t, err)
	require.Equal(t, plain, got)

	// Nil options are the plain functions.
	require.NoError(t, secrets.DecryptFileWith(ctx, enc, dec, []byte("a"), secrets.FileOptions{}, newKEK))
	require.NoError(t, secrets.EncryptFileWith(ctx, in, enc, oldKEK, nil, secrets.FileOptions{}))
}
