package secrets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
)

// Envelope file format.
//
// An encrypted file has the layout of Tink's KMS envelope AEAD ciphertext,
// with a streaming data key:
//
//	uint32_be(len(H)) ‖ H ‖ S
//
// H is a Tink EncryptedKeyset (binary protobuf): a fresh keyset holding one
// AES256_GCM_HKDF_1MB streaming AEAD key, encrypted by the KEK with empty
// associated data. S is the Tink streaming AEAD ciphertext of the plaintext
// under that key with the caller's associated data. Rotation replaces H
// and copies S unchanged; any KEK able to decrypt H decrypts the file.
const maxHeaderLen = 16 << 10

// FormatError reports an input that is not an envelope ciphertext.
type FormatError struct {
	Input  string
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("secrets: %s: not an mlsec envelope ciphertext: %s", e.Input, e.Reason)
}

// KeyError reports that none of the KEKs given could unwrap the data key:
// the ciphertext was made under another KEK, or its header was altered.
type KeyError struct {
	Input string
	// Tried is the URI of every KEK tried, in order.
	Tried []string
	// Errs holds each KEK's error, in the order of Tried.
	Errs []error
}

func (e *KeyError) Error() string {
	if len(e.Tried) == 0 {
		return fmt.Sprintf("secrets: %s: no KEK given to unwrap the data key", e.Input)
	}
	return fmt.Sprintf("secrets: %s: none of the KEKs %q could unwrap the data key (wrong KEK or altered header)", e.Input, e.Tried)
}

func (e *KeyError) Unwrap() []error { return e.Errs }

// IntegrityError reports that a ciphertext failed authentication: it was
// altered or truncated, or the associated data differs from encryption's.
type IntegrityError struct {
	Input string
	Err   error
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("secrets: %s: ciphertext failed authentication (tampered, truncated, or wrong associated data)", e.Input)
}

func (e *IntegrityError) Unwrap() error { return e.Err }

// Encrypt reads plaintext from src until EOF and writes to dst its
// envelope ciphertext under a fresh data key wrapped by kek. aad is
// authenticated but not encrypted (e.g. "dataset=orders;version=7"); the
// same aad must be given to decrypt. Memory stays bounded by one 1 MiB
// segment whatever the input size.
func Encrypt(ctx context.Context, dst io.Writer, src io.Reader, kek KEK, aad []byte) error {
	if kek == nil {
		return errors.New("secrets: encrypt: nil KEK")
	}
	h, err := keyset.NewHandle(streamingaead.AES256GCMHKDF1MBKeyTemplate())
	if err != nil {
		return fmt.Errorf("secrets: encrypt: new data key: %w", err)
	}
	header, err := wrapDataKey(ctx, h, kek)
	if err != nil {
		return err
	}
	sa, err := streamingaead.New(h)
	if err != nil {
		return fmt.Errorf("secrets: encrypt: %w", err)
	}
	if err := writeHeader(dst, header); err != nil {
		return fmt.Errorf("secrets: encrypt: %w", err)
	}
	w, err := sa.NewEncryptingWriter(dst, aad)
	if err != nil {
		return fmt.Errorf("secrets: encrypt: %w", err)
	}
	if _, err := io.Copy(w, ctxReader{ctx, src}); err != nil {
		return fmt.Errorf("secrets: encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("secrets: encrypt: %w", err)
	}
	return nil
}

// Decrypt reads an envelope ciphertext from src and writes its plaintext
// to dst, unwrapping the data key with the first of keks that can (during
// a rotation, give the new KEK and the old). Each 1 MiB segment is
// authenticated before it is written, but truncation shows only at the
// end: when Decrypt returns an error, discard what dst received.
// [DecryptFile] does that for files.
func Decrypt(ctx context.Context, dst io.Writer, src io.Reader, aad []byte, keks ...KEK) error {
	return decrypt(ctx, "ciphertext", dst, src, aad, keks)
}

func decrypt(ctx context.Context, name string, dst io.Writer, src io.Reader, aad []byte, keks []KEK) error {
	dst = writerOnly{dst}
	br := bufio.NewReaderSize(src, 64<<10)
	header, err := readHeader(name, br)
	if err != nil {
		return err
	}
	h, err := unwrapDataKey(ctx, name, header, keks)
	if err != nil {
		return err
	}
	sa, err := streamingaead.New(h)
	if err != nil {
		return fmt.Errorf("secrets: %s: %w", name, err)
	}
	r, err := sa.NewDecryptingReader(ctxReader{ctx, br}, aad)
	if err != nil {
		return fmt.Errorf("secrets: %s: %w", name, err)
	}
	if _, err := io.Copy(dst, r); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("secrets: %s: %w", name, cerr)
		}
		var we *writeError
		if errors.As(err, &we) {
			return fmt.Errorf("secrets: %s: %w", name, we.err)
		}
		return &IntegrityError{Input: name, Err: err}
	}
	return nil
}

// EncryptFile encrypts the file in to the file out (see [Encrypt]). out is
// written atomically: it appears only when encryption succeeded.
func EncryptFile(ctx context.Context, in, out string, kek KEK, aad []byte) error {
	return EncryptFileWith(ctx, in, out, kek, aad, FileOptions{})
}

// FileOptions are the optional settings of the file functions
// [EncryptFileWith], [DecryptFileWith] and [RewrapWith].
type FileOptions struct {
	// Progress, when set, is called as the input file is read, with the
	// bytes read so far and the file's size, from the calling goroutine.
	Progress func(done, total int64)
}

// progressReader counts what is read through it for FileOptions.Progress.
type progressReader struct {
	r           io.Reader
	done, total int64
	fn          func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.done += int64(n)
		p.fn(p.done, max(p.total, p.done))
	}
	return n, err
}

// input returns f, counted for opts.Progress when set.
func (o FileOptions) input(f *os.File) io.Reader {
	if o.Progress == nil {
		return f
	}
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return &progressReader{r: f, total: size, fn: o.Progress}
}

// EncryptFileWith is [EncryptFile] with options.
func EncryptFileWith(ctx context.Context, in, out string, kek KEK, aad []byte, opts FileOptions) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	defer f.Close()
	src := opts.input(f)
	return writeFileAtomic(out, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := Encrypt(ctx, bw, src, kek, aad); err != nil {
			return fmt.Errorf("%w (input %s)", err, in)
		}
		return bw.Flush()
	})
}

// DecryptFile decrypts the file in to the file out (see [Decrypt]). out is
// written atomically with mode 0600: on any error (wrong KEK, tampered or
// truncated ciphertext, wrong associated data) no plaintext is left
// behind and an existing out is untouched.
func DecryptFile(ctx context.Context, in, out string, aad []byte, keks ...KEK) error {
	return DecryptFileWith(ctx, in, out, aad, FileOptions{}, keks...)
}

// DecryptFileWith is [DecryptFile] with options.
func DecryptFileWith(ctx context.Context, in, out string, aad []byte, opts FileOptions, keks ...KEK) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	defer f.Close()
	src := opts.input(f)
	return writeFileAtomic(out, 0o600, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := decrypt(ctx, in, bw, src, aad, keks); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// Rewrap re-wraps the data key of the envelope file at path under the KEK
// to, unwrapping it with the first of from that can. The encrypted data is
// copied unchanged (not re-encrypted), and the file is replaced
// atomically. The plaintext data key exists only in memory, briefly.
func Rewrap(ctx context.Context, path string, to KEK, from ...KEK) error {
	return RewrapWith(ctx, path, FileOptions{}, to, from...)
}

// RewrapWith is [Rewrap] with options.
func RewrapWith(ctx context.Context, path string, opts FileOptions, to KEK, from ...KEK) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	src := opts.input(f)
	return writeFileAtomic(path, fi.Mode().Perm(), func(w io.Writer) error {
		return rewrap(ctx, path, w, src, to, from)
	})
}

// RewrapStream is [Rewrap] from src to dst.
func RewrapStream(ctx context.Context, dst io.Writer, src io.Reader, to KEK, from ...KEK) error {
	return rewrap(ctx, "ciphertext", dst, src, to, from)
}

func rewrap(ctx context.Context, name string, dst io.Writer, src io.Reader, to KEK, from []KEK) error {
	if to == nil {
		return errors.New("secrets: rewrap: nil KEK")
	}
	br := bufio.NewReaderSize(src, 1<<20)
	header, err := readHeader(name, br)
	if err != nil {
		return err
	}
	h, err := unwrapDataKey(ctx, name, header, from)
	if err != nil {
		return err
	}
	newHeader, err := wrapDataKey(ctx, h, to)
	if err != nil {
		return fmt.Errorf("%w (input %s)", err, name)
	}
	if err := writeHeader(dst, newHeader); err != nil {
		return fmt.Errorf("secrets: %s: %w", name, err)
	}
	if _, err := io.Copy(dst, ctxReader{ctx, br}); err != nil {
		return fmt.Errorf("secrets: %s: %w", name, err)
	}
	return nil
}

// EncryptValue encrypts a small value (a password, a token) with Tink's
// KMS envelope AEAD: a fresh AES-256-GCM data key per call, wrapped by
// kek. The result is Tink's wire format, uint32_be(len(encDEK)) ‖ encDEK
// ‖ AES-GCM ciphertext.
func EncryptValue(ctx context.Context, kek KEK, plaintext, aad []byte) ([]byte, error) {
	if kek == nil {
		return nil, errors.New("secrets: encrypt value: nil KEK")
	}
	env, err := aead.NewKMSEnvelopeAEADWithContext(aead.AES256GCMKeyTemplate(), kek)
	if err != nil {
		return nil, fmt.Errorf("secrets: encrypt value: %w", err)
	}
	ct, err := env.EncryptWithContext(ctx, plaintext, aad)
	if err != nil {
		return nil, fmt.Errorf("secrets: encrypt value with KEK %s: %w", kek.URI(), err)
	}
	return ct, nil
}

// DecryptValue decrypts the output of [EncryptValue] with the first of
// keks that can.
func DecryptValue(ctx context.Context, ciphertext, aad []byte, keks ...KEK) ([]byte, error) {
	const name = "encrypted value"
	if len(ciphertext) < 4 {
		return nil, &FormatError{Input: name, Reason: "too short"}
	}
	n := binary.BigEndian.Uint32(ciphertext)
	if n == 0 || n > 4096 || int64(n) > int64(len(ciphertext)-4) {
		return nil, &FormatError{Input: name, Reason: "bad wrapped key length"}
	}
	ke := &KeyError{Input: name}
	for _, k := range keks {
		env, err := aead.NewKMSEnvelopeAEADWithContext(aead.AES256GCMKeyTemplate(), k)
		if err != nil {
			return nil, fmt.Errorf("secrets: %s: %w", name, err)
		}
		// Tink's envelope does not tell a wrong KEK from a tampered
		// payload; unwrap first to tell the caller which it was.
		if _, err := k.DecryptWithContext(ctx, ciphertext[4:4+n], nil); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("secrets: %s: %w", name, cerr)
			}
			ke.Tried = append(ke.Tried, k.URI())
			ke.Errs = append(ke.Errs, err)
			continue
		}
		pt, err := env.DecryptWithContext(ctx, ciphertext, aad)
		if err != nil {
			return nil, &IntegrityError{Input: name, Err: err}
		}
		return pt, nil
	}
	return nil, ke
}

func wrapDataKey(ctx context.Context, h *keyset.Handle, kek KEK) ([]byte, error) {
	var buf bytes.Buffer
	if err := h.WriteWithContext(ctx, keyset.NewBinaryWriter(&buf), kek, nil); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = cerr // Tink flattens the cause to text.
		}
		return nil, fmt.Errorf("secrets: wrap data key with KEK %s: %w", kek.URI(), err)
	}
	if buf.Len() > maxHeaderLen {
		return nil, fmt.Errorf("secrets: wrap data key with KEK %s: wrapped key is %d bytes, more than %d", kek.URI(), buf.Len(), maxHeaderLen)
	}
	return buf.Bytes(), nil
}

func unwrapDataKey(ctx context.Context, name string, header []byte, keks []KEK) (*keyset.Handle, error) {
	ke := &KeyError{Input: name}
	for _, k := range keks {
		h, err := keyset.ReadWithContext(ctx, keyset.NewBinaryReader(bytes.NewReader(header)), k, nil)
		if err == nil {
			return h, nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("secrets: %s: unwrap data key with KEK %s: %w", name, k.URI(), cerr)
		}
		ke.Tried = append(ke.Tried, k.URI())
		ke.Errs = append(ke.Errs, err)
	}
	return nil, ke
}

func writeHeader(w io.Writer, header []byte) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err := w.Write(header)
	return err
}

func readHeader(name string, r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, &FormatError{Input: name, Reason: "shorter than its 4-byte header length"}
	}
	l := binary.BigEndian.Uint32(n[:])
	if l == 0 || l > maxHeaderLen {
		return nil, &FormatError{Input: name, Reason: fmt.Sprintf("wrapped key length %d out of range 1..%d", l, maxHeaderLen)}
	}
	header := make([]byte, l)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, &FormatError{Input: name, Reason: "truncated inside the wrapped key"}
	}
	return header, nil
}

// ctxReader stops a long copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writerOnly marks errors of the destination, so a full disk is not
// reported as tampering.
type writerOnly struct{ w io.Writer }

type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

func (w writerOnly) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}
