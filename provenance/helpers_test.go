package provenance_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/provenance"
)

// testKey is a key pair with its sigstore signer (what provenance.Sign
// takes), the same key adapted to DSSE (for SignDSSE) and its PEM public key.
type testKey struct {
	priv   crypto.Signer
	signer signature.SignerVerifier
	dsse   dsse.Signer
	pubPEM []byte
}

func newKey(t testing.TB, kind string) *testKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "p256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("unknown key kind %s", kind)
	}
	require.NoError(t, err)
	sv, err := signature.LoadDefaultSignerVerifier(priv)
	require.NoError(t, err)
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	require.NoError(t, err)
	ds, err := dssesig.New(context.Background(), sv)
	require.NoError(t, err)
	return &testKey{priv: priv, signer: sv, dsse: ds, pubPEM: pemBytes}
}

func (k *testKey) verifier(t testing.TB) signature.Verifier {
	t.Helper()
	v, err := provenance.VerifierFromPEM(k.pubPEM)
	require.NoError(t, err)
	return v
}

func (k *testKey) writePub(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, k.pubPEM, 0o644))
	return p
}

// fixedTime is the clock of every test statement.
var fixedTime = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func clockAt(t time.Time) provenance.RecorderOptions {
	return provenance.RecorderOptions{Clock: func() time.Time { return t }}
}

const (
	hexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hexB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	hexC = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

// trainingStatement is a small valid training statement.
func trainingStatement(t testing.TB) *provenance.Statement {
	t.Helper()
	r := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, clockAt(fixedTime))
	r.SetInvocationID("run-42")
	r.SetParameter("entrypoint", "train.py")
	r.SetParameter("seed", 42)
	r.SetParameter("hyperparameters.lr", 0.001)
	r.AddInput(provenance.ResourceDescriptor{Name: "train-data", Digest: provenance.DigestSet{"dirHash": hexA}})
	r.AddInput(provenance.ResourceDescriptor{Name: "image", URI: "oci://registry.example.com/trainer", Digest: provenance.DigestSet{"sha256": hexC}})
	r.AddOutput(provenance.ResourceDescriptor{Name: "model.safetensors", Digest: provenance.DigestSet{"sha256": hexB}})
	st, err := r.Finish()
	require.NoError(t, err)
	return st
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}
