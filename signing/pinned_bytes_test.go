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
	"testing"

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
