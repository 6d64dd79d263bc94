package docread

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.json")
	require.NoError(t, os.WriteFile(ok, []byte(`{"a":1}`), 0o600))
	exact := filepath.Join(dir, "exact")
	require.NoError(t, os.WriteFile(exact, bytes.Repeat([]byte("x"), 100), 0o600))
	over := filepath.Join(dir, "over")
	require.NoError(t, os.WriteFile(over, bytes.Repeat([]byte("x"), 101), 0o600))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(ok, link))

	ctx := context.Background()
	for _, tc := range []struct {
		name, path string
		want       string
		tooLarge   bool
		notReg     bool
	}{
		{name: "regular", path: ok, want: `{"a":1}`},
		{name: "exactly the limit", path: exact, want: strings.Repeat("x", 100)},
		{name: "symlink to regular", path: link, want: `{"a":1}`},
		{name: "one byte over", path: over, tooLarge: true},
		{name: "directory", path: dir, notReg: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadFile(ctx, tc.path, 100)
			switch {
			case tc.tooLarge:
				var te *TooLargeError
				require.ErrorAs(t, err, &te)
				require.Equal(t, int64(100), te.Limit)
				require.Contains(t, err.Error(), tc.path)
				require.Contains(t, err.Error(), "100-byte limit")
			case tc.notReg:
				var ne *NotRegularError
				require.ErrorAs(t, err, &ne)
				require.Contains(t, err.Error(), tc.path)
			default:
				require.NoError(t, err)
				require.Equal(t, tc.want, string(got))
			}
		})
	}
	_, err := ReadFile(ctx, filepath.Join(dir, "missing"), 100)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Contains(t, err.Error(), "missing")

	// Directories are refused even when non-regular files are allowed.
	_, err = Read(ctx, dir, Options{Limit: 100, AllowNonRegular: true})
	var ne *NotRegularError
	require.ErrorAs(t, err, &ne)
}

func TestHostile_UnboundedRead_DevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero on this system")
	}
	ctx := context.Background()
	_, err := ReadFile(ctx, "/dev/zero", ConfigLimit)
	var ne *NotRegularError
	require.ErrorAs(t, err, &ne)
	require.Contains(t, err.Error(), "/dev/zero: not a regular file (a character device)")

	// Allowed, it is still cut at the limit by bytes read.
	_, err = Read(ctx, "/dev/zero", Options{Limit: ConfigLimit, AllowNonRegular: true})
	var te *TooLargeError
	require.ErrorAs(t, err, &te)
	require.Equal(t, ConfigLimit, te.Limit)
	require.Contains(t, err.Error(), "/dev/zero")
}

func TestHostile_UnboundedRead_FIFODoesNotHang(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "sig.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// Refused before it is opened: no writer is needed and nothing blocks.
	done := make(chan error, 1)
	go func() { _, err := ReadFile(ctx, fifo, ConfigLimit); done <- err }()
	select {
	case err := <-done:
		var ne *NotRegularError
		require.ErrorAs(t, err, &ne)
		require.Contains(t, err.Error(), "a named pipe")
	case <-ctx.Done():
		t.Fatal("ReadFile blocked on a FIFO")
	}

	// Allowed, a FIFO with no writer reads as empty at once ...
	go func() { _, err := Read(ctx, fifo, Options{Limit: ConfigLimit, AllowNonRegular: true}); done <- err }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("Read blocked on a FIFO with no writer")
	}

	// ... and one whose writer never writes is given up when the context ends.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // O_RDWR: opening does not wait for a reader
	require.NoError(t, err)
	defer w.Close()
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	go func() { _, err := Read(short, fifo, Options{Limit: ConfigLimit, AllowNonRegular: true}); done <- err }()
	select {
	case err := <-done:
		require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
		require.Contains(t, err.Error(), fifo)
	case <-ctx.Done():
		t.Fatal("Read ignored its context on a silent FIFO")
	}
}

func TestHostile_UnboundedRead_LargeFileRefusedWithoutReadingIt(t *testing.T) {
	// A sparse 100 MB file: refused from its size before any read.
	p := filepath.Join(t.TempDir(), "big.sig")
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(100<<20))
	require.NoError(t, f.Close())
	_, err = ReadFile(context.Background(), p, DocumentLimit)
	var te *TooLargeError
	require.ErrorAs(t, err, &te)
	require.Equal(t, DocumentLimit, te.Limit)
}

func TestReadAll(t *testing.T) {
	got, err := ReadAll("stdin", strings.NewReader("hello"), 5)
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))

	_, err = ReadAll("stdin", strings.NewReader("hello!"), 5)
	var te *TooLargeError
	require.ErrorAs(t, err, &te)
	require.EqualError(t, err, "stdin: larger than the 5-byte limit")

	// An endless reader stops one byte past the limit.
	_, err = ReadAll("stdin", zeros{}, 1<<10)
	require.ErrorAs(t, err, &te)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
