package secrets_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func TestEnvelopeRoundTripSizes(t *testing.T) {
	kek, _ := devKEK(t)
	ctx := testCtx(t)
	// Sizes around the 1 MiB segment boundary, where streaming AEADs break.
	for _, n := range []int{0, 1, 1000, 1<<20 - 100, 1 << 20, 1<<20 + 1, 3<<20 + 17} {
		pt := randBytes(t, n)
		var ct bytes.Buffer
		require.NoError(t, secrets.Encrypt(ctx, &ct, bytes.NewReader(pt), kek, []byte("dataset=orders;v=7")))
		require.False(t, n > 64 && bytes.Contains(ct.Bytes(), pt[:64]), "plaintext visible in ciphertext")
		var got bytes.Buffer
		require.NoError(t, secrets.Decrypt(ctx, &got, bytes.NewReader(ct.Bytes()), []byte("dataset=orders;v=7"), kek))
		require.True(t, bytes.Equal(pt, got.Bytes()), "size %d", n)
	}
}

func TestEnvelopeFailures(t *testing.T) {
	kek, _ := devKEK(t)
	other, _ := devKEK(t)
	ctx := testCtx(t)
	pt := randBytes(t, 2<<20+5)
	aad := []byte("model=resnet;v=3")
	var buf bytes.Buffer
	require.NoError(t, secrets.Encrypt(ctx, &buf, bytes.NewReader(pt), kek, aad))
	ct := buf.Bytes()
	headerEnd := 4 + int(binary.BigEndian.Uint32(ct))

	flip := func(i int) []byte { c := bytes.Clone(ct); c[i] ^= 1; return c }
	cases := []struct {
		name  string
		ct    []byte
		aad   []byte
		keks  []secrets.KEK
		check func(t *testing.T, err error)
	}{
		{"wrong KEK", ct, aad, []secrets.KEK{other}, isKeyError},
		{"no KEK", ct, aad, nil, isKeyError},
		{"wrong aad", ct, []byte("model=resnet;v=4"), []secrets.KEK{kek}, isIntegrityError},
		{"tampered payload", flip(len(ct) - 100), aad, []secrets.KEK{kek}, isIntegrityError},
		{"tampered first segment", flip(headerEnd + 200), aad, []secrets.KEK{kek}, isIntegrityError},
		{"tampered header", flip(headerEnd - 20), aad, []secrets.KEK{kek}, isKeyError},
		{"truncated at segment boundary", ct[:len(ct)-(len(ct)-headerEnd)/3], aad, []secrets.KEK{kek}, isIntegrityError},
		{"truncated by one byte", ct[:len(ct)-1], aad, []secrets.KEK{kek}, isIntegrityError},
		{"truncated in header", ct[:headerEnd-3], aad, []secrets.KEK{kek}, isFormatError},
		{"empty", nil, aad, []secrets.KEK{kek}, isFormatError},
		{"not an envelope", []byte("PK\x03\x04 this is a zip file, not ciphertext"), aad, []secrets.KEK{kek}, isFormatError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := secrets.Decrypt(ctx, io.Discard, bytes.NewReader(tc.ct), tc.aad, tc.keks...)
			require.Error(t, err)
			tc.check(t, err)
		})
	}
}

func isKeyError(t *testing.T, err error) {
	var ke *secrets.KeyError
	require.ErrorAs(t, err, &ke)
}

func isIntegrityError(t *testing.T, err error) {
	var ie *secrets.IntegrityError
	require.ErrorAs(t, err, &ie)
}

func isFormatError(t *testing.T, err error) {
	var fe *secrets.FormatError
	require.ErrorAs(t, err, &fe)
}

// Decryption into a file is all or nothing: a failure leaves neither a
// partial output nor a temporary file, and keeps an existing output.
func TestDecryptFileAtomic(t *testing.T) {
	kek, _ := devKEK(t)
	ctx := testCtx(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "weights.bin")
	enc := filepath.Join(dir, "weights.bin.enc")
	out := filepath.Join(dir, "out", "weights.bin")
	require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))
	pt := randBytes(t, 5<<20)
	require.NoError(t, os.WriteFile(in, pt, 0o644))
	require.NoError(t, secrets.EncryptFile(ctx, in, enc, kek, nil))

	ct, err := os.ReadFile(enc)
	require.NoError(t, err)
	trunc := filepath.Join(dir, "trunc.enc")
	// Cut inside the last segment: the first four segments authenticate.
	require.NoError(t, os.WriteFile(trunc, ct[:len(ct)-1000], 0o644))
	err = secrets.DecryptFile(ctx, trunc, out, nil, kek)
	isIntegrityError(t, err)
	require.Contains(t, err.Error(), trunc)
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Empty(t, entries, "partial plaintext or temp file left behind")

	require.NoError(t, os.WriteFile(out, []byte("previous"), 0o600))
	require.Error(t, secrets.DecryptFile(ctx, trunc, out, []byte("x"), kek))
	prev, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "previous", string(prev))

	require.NoError(t, secrets.DecryptFile(ctx, enc, out, nil, kek))
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.Equal(pt, got))
	fi, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// Rotation: rewrapping changes only the header; the new KEK decrypts,
// the old one no longer does, and the payload bytes are unchanged.
func TestRewrap(t *testing.T) {
	oldKEK, _ := devKEK(t)
	newKEK, _ := devKEK(t)
	ctx := testCtx(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "data.csv")
	enc := filepath.Join(dir, "data.csv.enc")
	pt := randBytes(t, 3<<20)
	require.NoError(t, os.WriteFile(in, pt, 0o644))
	require.NoError(t, secrets.EncryptFile(ctx, in, enc, oldKEK, []byte("aad")))
	before, err := os.ReadFile(enc)
	require.NoError(t, err)

	require.NoError(t, secrets.Rewrap(ctx, enc, newKEK, oldKEK))
	after, err := os.ReadFile(enc)
	require.NoError(t, err)
	payload := func(b []byte) []byte { return b[4+binary.BigEndian.Uint32(b):] }
	require.True(t, bytes.Equal(payload(before), payload(after)), "rewrap re-encrypted the payload")
	require.False(t, bytes.Equal(before, after))

	err = secrets.Decrypt(ctx, io.Discard, bytes.NewReader(after), []byte("aad"), oldKEK)
	isKeyError(t, err)
	// During a rotation window both KEKs are given; either order works.
	for _, keks := range [][]secrets.KEK{{oldKEK, newKEK}, {newKEK, oldKEK}} {
		var got bytes.Buffer
		require.NoError(t, secrets.Decrypt(ctx, &got, bytes.NewReader(after), []byte("aad"), keks...))
		require.True(t, bytes.Equal(pt, got.Bytes()))
	}
	// A rewrap with the wrong KEK fails and leaves the file as it was.
	third, _ := devKEK(t)
	require.Error(t, secrets.Rewrap(ctx, enc, third, oldKEK))
	again, err := os.ReadFile(enc)
	require.NoError(t, err)
	require.True(t, bytes.Equal(after, again))
}

func TestEncryptValue(t *testing.T) {
	kek, _ := devKEK(t)
	other, _ := devKEK(t)
	ctx := testCtx(t)
	ct, err := secrets.EncryptValue(ctx, kek, []byte("s3cr3t-db-password"), []byte("db/prod"))
	require.NoError(t, err)
	pt, err := secrets.DecryptValue(ctx, ct, []byte("db/prod"), other, kek)
	require.NoError(t, err)
	require.Equal(t, "s3cr3t-db-password", string(pt))
	_, err = secrets.DecryptValue(ctx, ct, []byte("db/dev"), kek)
	isIntegrityError(t, err)
	_, err = secrets.DecryptValue(ctx, ct, []byte("db/prod"), other)
	isKeyError(t, err)
	_, err = secrets.DecryptValue(ctx, ct[:3], nil, kek)
	isFormatError(t, err)
}

func TestContextCancelled(t *testing.T) {
	kek, _ := devKEK(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := secrets.Encrypt(ctx, io.Discard, bytes.NewReader([]byte("x")), kek, nil)
	require.ErrorIs(t, err, context.Canceled)
}

func TestOpenKEKErrors(t *testing.T) {
	ctx := testCtx(t)
	for _, uri := range []string{"", "file:///etc/key", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "awskms://", "insecure-keyfile:", "insecure-keyfile:/nonexistent/k.json", "pkcs11:object=k"} {
		_, err := secrets.OpenKEK(ctx, uri, secrets.KEKOptions{})
		require.Error(t, err, uri)
	}
	_, err := secrets.OpenKEK(ctx, "vault://x", secrets.KEKOptions{})
	require.True(t, errors.Is(err, secrets.ErrUnsupportedScheme))
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"key": "AAAA-secret-material-BBBB"`), 0o600))
	_, err = secrets.OpenKEK(ctx, "insecure-keyfile:"+bad, secrets.KEKOptions{})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret-material")
}
