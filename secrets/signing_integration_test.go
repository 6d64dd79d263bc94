package secrets_test

// Integration of KMS/HSM signers with mlsec's signing package: test files
// may compose packages; the secrets package itself does not import signing.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/mlsec-dev/mlsec/secrets"
	"github.com/mlsec-dev/mlsec/signing"
)

// writeModel writes a small model folder.
func writeModel(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "model")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tokenizer"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "model.safetensors"), randBytes(t, 3<<20), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"hidden_size": 64}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokenizer", "vocab.txt"), []byte("a\nb\n"), 0o644))
	return dir
}

// signAndVerifyModel signs a model with sv through the signing package,
// verifies it with sv and, independently, with the public key alone, and
// checks that a changed file is caught.
func signAndVerifyModel(t *testing.T, sv signature.SignerVerifier) {
	ctx := testCtx(t)
	model := writeModel(t)
	bundle, err := signing.Sign(ctx, model, sv, signing.SignOptions{})
	require.NoError(t, err)

	_, err = signing.Verify(ctx, model, bundle, signing.VerifyOptions{Key: sv})
	require.NoError(t, err)

	// An offline verifier has only the exported public key.
	pub, err := sv.PublicKey()
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	pemPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	v, err := signature.LoadVerifierFromPEMFile(writeTemp(t, "key.pub", pemPub), hashFor(t, pub))
	require.NoError(t, err)
	_, err = signing.Verify(ctx, model, bundle, signing.VerifyOptions{Key: v})
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"hidden_size": 65}`), 0o644))
	_, err = signing.Verify(ctx, model, bundle, signing.VerifyOptions{Key: v})
	var me *signing.MismatchError
	require.ErrorAs(t, err, &me)
}

func writeTemp(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func TestSignModelWithAWSKMSKey(t *testing.T) {
	c := testenv.AWSKMS(t, testenv.LocalKMSEndpoint)
	uri := testenv.CreateAWSKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	sv, err := secrets.LoadSignerVerifier(testCtx(t), uri)
	require.NoError(t, err)
	signAndVerifyModel(t, sv)
}

func hashFor(t *testing.T, pub crypto.PublicKey) crypto.Hash {
	if ec, ok := pub.(*ecdsa.PublicKey); ok && ec.Curve == elliptic.P384() {
		return crypto.SHA384
	}
	return crypto.SHA256
}
