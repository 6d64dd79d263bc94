//go:build unix

package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteFileModeHonoured(t *testing.T) {
	// The umask must not narrow the mode asked for (a report left 0600
	// cannot be read by the next step of a pipeline running as another
	// user).
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	for _, perm := range []fs.FileMode{0o600, 0o640, 0o644, 0o755} {
		path := filepath.Join(t.TempDir(), "out.json")
		require.NoError(t, WriteFile(path, []byte("{}\n"), perm))
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, perm, fi.Mode().Perm(), "mode %o", perm)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "{}\n", string(b))
	}
}

func TestWriteReplacesAndKeepsNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, WriteFile(path, []byte("new"), 0o644))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new", string(b))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o644), fi.Mode().Perm())
	requireOnly(t, dir, "report.json")
}

func TestWriteFailingFillLeavesNothing(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name     string
		existing bool
	}{
		{"fail_no_destination", false},
		{"fail_destination_kept", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "profile.json")
			if tc.existing {
				require.NoError(t, os.WriteFile(path, []byte("original"), 0o644))
			}
			err := Write(path, 0o644, func(w io.Writer) error {
				// Half a file, then a failure.
				_, werr := w.Write([]byte(`{"format": "half`))
				require.NoError(t, werr)
				return boom
			})
			require.ErrorIs(t, err, boom)
			require.Same(t, boom, err, "the callback's error is returned unchanged")
			if tc.existing {
				b, rerr := os.ReadFile(path)
				require.NoError(t, rerr)
				require.Equal(t, "original", string(b))
				requireOnly(t, dir, "profile.json")
			} else {
				_, serr := os.Stat(path)
				require.ErrorIs(t, serr, fs.ErrNotExist)
				requireOnly(t, dir)
			}
		})
	}
}

func TestWriteUnwritableDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "out.json")
	err := WriteFile(path, []byte("x"), 0o644)
	require.Error(t, err)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// requireOnly fails unless dir holds exactly the named entries (no
// temporary file left behind).
func requireOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	got := []string{}
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if names == nil {
		names = []string{}
	}
	require.Equal(t, names, got)
}
