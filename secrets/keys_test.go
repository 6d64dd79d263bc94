package secrets_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

const fixturePassword = "mlsec-test-password" // internal/keyfile/testdata/gen.sh

func withPassword(pw string) secrets.KeyOptions {
	return secrets.KeyOptions{Password: func() ([]byte, error) { return []byte(pw), nil }}
}

// Every OpenSSL-made fixture loads as a signer whose signatures the
// verifier loaded from the matching public key file accepts.
func TestLoadSignerOpenSSLKeys(t *testing.T) {
	ctx := context.Background()
	keys, err := filepath.Glob("../internal/keyfile/testdata/good_*.pem")
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		t.Run(filepath.Base(k), func(t *testing.T) {
			sv, err := secrets.LoadSigner(ctx, k, withPassword(fixturePassword))
			require.NoError(t, err)
			v, err := secrets.LoadVerifier(ctx, strings.TrimSuffix(k, ".pem")+".pub", secrets.KeyOptions{})
			require.NoError(t, err)
			msg := []byte("model root digest")
			sig, err := sv.SignMessage(bytes.NewReader(msg))
			require.NoError(t, err)
			require.NoError(t, v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)))
			require.Error(t, v.VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("other"))))
		})
	}
}

func TestLoadSignerPasswords(t *testing.T) {
	ctx := context.Background()
	enc := "../internal/keyfile/testdata/good_p256_pkcs8_scrypt_aes192.pem"
	legacy := "../internal/keyfile/testdata/good_p256_sec1_legacy_aes256.pem"
	for _, k := range []string{enc, legacy} {
		_, err := secrets.LoadSigner(ctx, k, withPassword("not the password"))
		require.ErrorIs(t, err, secrets.ErrKeyPassword, k)
		require.NotContains(t, err.Error(), "not the password")
		_, err = secrets.LoadSigner(ctx, k, secrets.KeyOptions{})
		require.ErrorIs(t, err, secrets.ErrKeyPassword, k)
	}
	calls := 0
	plain := "../internal/keyfile/testdata/good_p384_sec1.pem"
	_, err := secrets.LoadSigner(ctx, plain, secrets.KeyOptions{Password: func() ([]byte, error) { calls++; return nil, nil }})
	require.NoError(t, err)
	require.Zero(t, calls, "the password callback runs only for an encrypted key")
	failing := errors.New("no terminal to ask on")
	_, err = secrets.LoadSigner(ctx, enc, secrets.KeyOptions{Password: func() ([]byte, error) { return nil, failing }})
	require.ErrorIs(t, err, failing)
}

// The hash follows the curve, so a P-384 key signs SHA-384 digests and a
// P-521 key SHA-512 digests.
func TestLoadSignerHashFollowsCurve(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		file   string
		digest func([]byte) []byte
	}{
		{"good_p256_pkcs8.pem", func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
		{"good_p384_sec1.pem", func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }},
		{"good_p521_pkcs8_pbkdf2_aes256.pem", func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }},
	} {
		sv, err := secrets.LoadSigner(ctx, "../internal/keyfile/testdata/"+c.file, withPassword(fixturePassword))
		require.NoError(t, err)
		pub, err := sv.PublicKey()
		require.NoError(t, err)
		msg := []byte("payload")
		sig, err := sv.SignMessage(bytes.NewReader(msg))
		require.NoError(t, err)
		require.True(t, ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), c.digest(msg), sig), c.file)
	}
}

func TestLoadSignerCosignAndECParamKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	// A sigstore/cosign encrypted key, as `cosign generate-key-pair` writes.
	cosignDER, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(priv, cryptoutils.StaticPasswordFunc([]byte("cosign-pw")))
	require.NoError(t, err)
	cosignPEM := pem.EncodeToMemory(&pem.Block{Type: string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), Bytes: cosignDER})
	cosignPath := filepath.Join(dir, "cosign.key")
	require.NoError(t, os.WriteFile(cosignPath, cosignPEM, 0o600))
	sv, err := secrets.LoadSigner(ctx, cosignPath, withPassword("cosign-pw"))
	require.NoError(t, err)
	pub, err := sv.PublicKey()
	require.NoError(t, err)
	require.True(t, priv.PublicKey.Equal(pub))
	_, err = secrets.LoadSigner(ctx, cosignPath, withPassword("wrong"))
	require.ErrorIs(t, err, secrets.ErrKeyPassword)

	// `openssl ecparam -genkey` writes EC PARAMETERS before the key.
	der, err := x509.MarshalECPrivateKey(priv)
	require.NoError(t, err)
	params := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})
	ecparamPath := filepath.Join(dir, "ecparam.pem")
	require.NoError(t, os.WriteFile(ecparamPath, append(params, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})...), 0o600))
	sv, err = secrets.LoadSigner(ctx, ecparamPath, secrets.KeyOptions{})
	require.NoError(t, err)
	pub, err = sv.PublicKey()
	require.NoError(t, err)
	require.True(t, priv.PublicKey.Equal(pub))
	if openssl, err := exec.LookPath("openssl"); err == nil {
		real := filepath.Join(dir, "openssl-ecparam.pem")
		out, err := exec.Command(openssl, "ecparam", "-name", "prime256v1", "-genkey", "-out", real).CombinedOutput()
		require.NoError(t, err, string(out))
		_, err = secrets.LoadSigner(ctx, real, secrets.KeyOptions{})
		require.NoError(t, err)
	}
}

// A verifier comes from a public key or a certificate, never from a
// private key file.
func TestLoadVerifierCertificateAndRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	priv, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "model signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	require.NoError(t, err)
	certPath := filepath.Join(dir, "signer.crt")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), 0o644))
	v, err := secrets.LoadVerifier(ctx, certPath, secrets.KeyOptions{})
	require.NoError(t, err)
	digest := sha512.Sum384([]byte("m"))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	require.NoError(t, err)
	require.NoError(t, v.VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("m")), options.WithContext(ctx)))

	_, err = secrets.LoadVerifier(ctx, "../internal/keyfile/testdata/good_p384_sec1.pem", secrets.KeyOptions{})
	require.ErrorContains(t, err, "private key")

	_, err = secrets.LoadSigner(ctx, filepath.Join(dir, "missing.pem"), secrets.KeyOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = secrets.LoadSigner(ctx, dir, secrets.KeyOptions{})
	require.ErrorIs(t, err, secrets.ErrNotKeyFile)
	_, err = secrets.LoadSigner(ctx, "/dev/zero", secrets.KeyOptions{})
	require.ErrorIs(t, err, secrets.ErrNotKeyFile)
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	_, err = secrets.LoadSigner(ctx, fifo, secrets.KeyOptions{})
	require.ErrorIs(t, err, secrets.ErrNotKeyFile, "a named pipe is refused, not waited on")
	_, err = secrets.LoadSigner(ctx, "gcpkms://projects/p/keys/k", secrets.KeyOptions{})
	require.ErrorIs(t, err, secrets.ErrUnsupportedScheme)
}

// The insecure development KEK warns on the caller's logger, not on
// slog.Default, and a discarding logger silences it.
func TestOpenKEKLogsToCallersLogger(t *testing.T) {
	ctx := context.Background()
	uri, err := secrets.GenerateInsecureKeyFile(filepath.Join(t.TempDir(), "kek.json"))
	require.NoError(t, err)

	var global, mine bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&global, nil)))
	defer slog.SetDefault(prev)

	_, err = secrets.OpenKEK(ctx, uri, secrets.KEKOptions{Logger: slog.New(slog.NewTextHandler(&mine, nil))})
	require.NoError(t, err)
	require.Contains(t, mine.String(), "insecure local key file")
	require.Empty(t, global.String())

	_, err = secrets.OpenKEK(ctx, uri, secrets.KEKOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.Empty(t, global.String())

	_, err = secrets.OpenKEK(ctx, uri, secrets.KEKOptions{})
	require.NoError(t, err)
	require.Contains(t, global.String(), "insecure local key file", "with the zero options the warning reaches slog.Default")
}
