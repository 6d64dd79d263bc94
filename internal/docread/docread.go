// Package docread reads the documents mlsec parses (DSSE envelopes,
// Sigstore bundles, OMS signatures, dataset manifests, policies, keys,
// certificates) with a bound on memory and time, whatever the input is.
//
// A hostile or mistaken input must not take a CI runner down: a 100 MB
// "signature", /dev/zero given as an envelope, or a FIFO nobody writes to
// must each fail fast with an error naming the input. So every read here
//
//   - counts the bytes it actually reads and stops one byte past the limit
//     (a file's stat size is only an early refusal: /dev/zero, /proc files
//     and growing files report sizes that mean nothing);
//   - refuses anything but a regular file (directory, FIFO, socket, device)
//     unless the caller asks for it with [Options.AllowNonRegular], checking
//     the mode before opening so that opening a device has no side effect,
//     and again on the opened descriptor;
//   - opens with O_NONBLOCK, so that opening a FIFO with no writer never
//     blocks, and reads such a file under the caller's context.
//
// Errors are typed: [*TooLargeError] carries the limit, [*NotRegularError]
// the file mode; both name the input.
package docread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// Default limits. Callers pick the one that fits the document, or their own.
const (
	// DocumentLimit (64 MiB) caps envelopes, Sigstore bundles, JSON Lines
	// attestation files, OMS signature bundles and dataset manifests. An
	// OMS bundle lists every file of the model (about 200 bytes each once
	// base64-encoded), so 64 MiB holds a model of some 300,000 files; a
	// provenance statement with 10,000 subjects is about 2 MB. It is the
	// size the strict JSON reader accepts, so nothing readable is refused.
	DocumentLimit int64 = 64 << 20
	// ConfigLimit (1 MiB) caps keys, certificates, trusted roots and
	// policies: a PEM key is under 4 KB, a Sigstore trusted root about
	// 20 KB, and a policy naming a hundred builders well under 1 MiB.
	ConfigLimit int64 = 1 << 20
)

// Options say how a document is read. The zero value is not useful: set
// Limit.
type Options struct {
	// Limit is the most bytes the document may hold; reading stops at
	// Limit+1 bytes with a [*TooLargeError]. Zero or less means DocumentLimit.
	Limit int64
	// AllowNonRegular accepts a FIFO, socket or character device (such as
	// /dev/stdin or a shell's process substitution, /dev/fd/N) and reads it
	// under the limit and the context. Directories are always refused.
	AllowNonRegular bool
}

// TooLargeError reports a document over its size limit.
type TooLargeError struct {
	Input string // the path or name of the input
	Limit int64  // the limit in bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: larger than the %d-byte limit", e.Input, e.Limit)
}

// NotRegularError reports an input that is not a regular file and was not
// allowed to be one.
type NotRegularError struct {
	Input string
	Mode  fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: not a regular file (%s)", e.Input, describe(e.Mode))
}

func describe(m fs.FileMode) string {
	if name := ModeName(m); name != "" {
		return "a " + name
	}
	return "mode " + m.String()
}

// ModeName names the kind of file a mode that is not a regular file's
// describes ("named pipe", "character device", ...), or "" for a mode it
// has no name for. It is the one wording mlsec uses wherever it refuses or
// skips such a file.
func ModeName(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return ""
}

// ReadFile reads the regular file at path, refusing one larger than limit
// bytes (zero or less: [DocumentLimit]). Use [Read] for FIFOs and devices.
//
//	data, err := docread.ReadFile(ctx, sigPath, docread.DocumentLimit)
func ReadFile(ctx context.Context, path string, limit int64) ([]byte, error) {
	return Read(ctx, path, Options{Limit: limit})
}

// Read reads the file at path as opts say. Symbolic links are followed; the
// mode checked is the target's.
func Read(ctx context.Context, path string, opts Options) ([]byte, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = DocumentLimit
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		// Report it as the open it stands for: "open x: no such file".
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open"
		}
		return nil, err
	}
	if err := checkMode(path, fi.Mode(), opts); err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, &TooLargeError{Input: path, Limit: limit}
	}
	// O_NONBLOCK: a FIFO swapped in after the Stat must not block the open.
	// Regular files ignore it; Go puts a non-blocking FIFO under its poller,
	// so reads honour the deadline set below.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkMode(path, fi.Mode(), opts); err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
		defer stop()
	}
	data, err := readAll(path, f, limit)
	if err != nil && ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, fmt.Errorf("%s: %w", path, ctx.Err())
	}
	return data, err
}

func checkMode(path string, m fs.FileMode, opts Options) error {
	if m.IsRegular() {
		return nil
	}
	if m.IsDir() || !opts.AllowNonRegular {
		return &NotRegularError{Input: path, Mode: m}
	}
	return nil
}

// ReadAll reads r (standard input, a network body) to its end, refusing
// more than limit bytes (zero or less: [DocumentLimit]). input names r in
// errors. ReadAll cannot interrupt a blocked Read: give it a reader that
// ends or honours its own deadline.
func ReadAll(input string, r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DocumentLimit
	}
	return readAll(input, r, limit)
}

func readAll(input string, r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", input, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Input: input, Limit: limit}
	}
	return data, nil
}
