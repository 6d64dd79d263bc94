package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLoadKeys loads keys written by OpenSSL (internal/keyfile/testdata),
// signs, and verifies with the matching public key file.
func TestLoadKeys(t *testing.T) {
	ctx := context.Background()
	dir := "../../internal/keyfile/testdata"
	for _, name := range []string{"good_p256_pkcs8", "good_p384_sec1", "good_p521_pkcs8_pbkdf2_aes256"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(keyPasswordEnv, "mlsec-test-password")
			sv, err := loadSigner(ctx, filepath.Join(dir, name+".pem"))
			require.NoError(t, err)
			sig, err := sv.SignMessage(bytes.NewReader([]byte("msg")))
			require.NoError(t, err)
			v, err := loadVerifier(ctx, filepath.Join(dir, name+".pub"))
			require.NoError(t, err)
			require.NoError(t, v.VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("msg"))))
			require.Error(t, v.VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("other"))))
		})
	}
}

func TestLoadKeyErrors(t *testing.T) {
	ctx := context.Background()
	enc := "../../internal/keyfile/testdata/good_p521_pkcs8_pbkdf2_aes256.pem"

	os.Unsetenv(keyPasswordEnv)
	_, err := loadSigner(ctx, enc)
	require.ErrorContains(t, err, "set MLSEC_KEY_PASSWORD")
	require.ErrorContains(t, err, enc)

	t.Setenv(keyPasswordEnv, "s3cret-not-this-one")
	_, err = loadSigner(ctx, enc)
	require.ErrorContains(t, err, "wrong or missing password")
	require.NotContains(t, err.Error(), "s3cret-not-this-one")

	_, err = loadSigner(ctx, "missing.pem")
	require.ErrorIs(t, err, os.ErrNotExist)

	for _, uri := range []string{"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "azurekms://vault/key"} {
		_, err = loadSigner(ctx, uri)
		var xe *exitError
		require.True(t, errors.As(err, &xe))
		require.Equal(t, exitBad, xe.code)
		_, err = loadVerifier(ctx, uri)
		require.Error(t, err)
	}

	// A malformed PKCS#11 URI is refused before any module is loaded.
	_, err = loadSigner(ctx, "pkcs11:token=a")
	require.ErrorContains(t, err, "names no key")

	// secp256k1-style unsupported curves and non-key files are refused.
	k, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "p224.pub")
	require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600))
	_, err = loadVerifier(ctx, p)
	require.ErrorContains(t, err, "unsupported ECDSA curve")
}
