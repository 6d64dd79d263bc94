package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/keyfile"
)

// fixedSigner signs with a constant signature: ECDSA signatures are
// randomised, and the pinned bytes must not be.
type fixedSigner struct{ signature.SignerVerifier }

func (fixedSigner) SignMessage(io.Reader, ...signature.SignOption) ([]byte, error) {
	return []byte("fixed signature bytes"), nil
}

// TestPinnedBundleBytes pins the exact bytes of the OMS bundles Sign writes
// (key and certificate methods), so that a change of codec cannot change
// what the reference tool reads. Regenerate with MLSEC_UPDATE_PINNED=1 only
// for a deliberate format change.
func TestPinnedBundleBytes(t *testing.T) {
	ctx := context.Background()
	keyPEM, err := os.ReadFile(filepath.Join(vectors, "keys/signing-key.pem"))
	require.NoError(t, err)
	priv, err := keyfile.ParsePrivateKey(keyPEM, nil)
	require.NoError(t, err)
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA384)
	require.NoError(t, err)
	var certs []*x509.Certificate
	for _, f := range []string{"signing-key-cert.pem", "int-ca-cert.pem"} {
		b, err := os.ReadFile(filepath.Join(vectors, "keys", f))
		require.NoError(t, err)
		blk, _ := pem.Decode(b)
		c, err := x509.ParseCertificate(blk.Bytes)
		require.NoError(t, err)
		certs = append(certs, c)
	}

	model := filepath.Join(t.TempDir(), "pinned-model")
	require.NoError(t, os.MkdirAll(filepath.Join(model, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(model, "weights.bin"), bytes.Repeat([]byte{1, 2, 3}, 1000), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(model, "sub", "config.json"), []byte(`{"layers":2}`), 0o644))

	for name, opts := range map[string]SignOptions{
		"key.sig":         {},
		"certificate.sig": {Certificates: certs},
		"shards.sig":      {Options: Options{Method: MethodShards, ShardSize: 1024}},
	} {
		got, err := Sign(ctx, model, fixedSigner{sv}, opts)
		require.NoError(t, err, name)
		p := filepath.Join("testdata", "pinned", name)
		if os.Getenv("MLSEC_UPDATE_PINNED") == "1" {
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, got, 0o644))
			continue
		}
		want, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), name)
		_, _, _, err = parseBundle(got)
		require.NoError(t, err, name)
	}
}

// Readers disagree on which of two equal keys wins, so a bundle or a signed
// statement that repeats a key is refused, as provenance refuses it; so is
// an envelope with more signatures than the codec's cap.
func TestHostile_StrictBundleJSON(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "pinned", "key.sig"))
	require.NoError(t, err)
	_, payload, _, err := parseBundle(good)
	require.NoError(t, err)

	dup := bytes.Replace(good, []byte(`"mediaType"`), []byte(`"mediaType": "x", "mediaType"`), 1)
	_, _, _, err = parseBundle(dup)
	requireRule(t, err, RuleMalformed)
	require.ErrorContains(t, err, "duplicate JSON key")

	dupStmt := bytes.Replace(payload, []byte(`"_type"`), []byte(`"_type": "x", "_type"`), 1)
	_, err = parseStatement(dupStmt)
	requireRule(t, err, RuleStatement)
	require.ErrorContains(t, err, "duplicate JSON key")

	sig := []byte(`"signatures": [`)
	many := bytes.Replace(good, sig, append(sig, bytes.Repeat([]byte(`{"sig": "c2ln"}, `), 64)...), 1)
	_, _, _, err = parseBundle(many)
	requireRule(t, err, RuleMalformed)
	require.ErrorContains(t, err, "65 signatures, limit 64")
}

// A signature path that is a FIFO, a device or too large is refused at
// once, naming the path; the read never blocks.
func TestHostile_UnboundedRead_Signature(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.sig")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(dir, "big.sig")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(100<<20))
	require.NoError(t, f.Close())
	for _, p := range []string{fifo, big, dir, "/dev/zero"} {
		_, err := ReadSignature(ctx, p)
		require.Error(t, err, p)
		require.ErrorContains(t, err, p)
		require.NoError(t, ctx.Err(), "blocked on %s", p)
	}
	b, err := ReadSignature(ctx, filepath.Join("testdata", "pinned", "key.sig"))
	require.NoError(t, err)
	_, _, _, err = parseBundle(b)
	require.NoError(t, err)
}
