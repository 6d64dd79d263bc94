package keyfile

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/stretchr/testify/require"
)

const testPassword = "mlsec-test-password" // see testdata/gen.sh

func pw(s string) PasswordFunc { return func() ([]byte, error) { return []byte(s), nil } }

type equaler interface{ Equal(crypto.PublicKey) bool }

// Every good_*.pem made by OpenSSL parses, with the password when it is
// encrypted, to the key whose public half OpenSSL wrote to good_*.pub.
func TestOpenSSLKeys(t *testing.T) {
	paths, err := filepath.Glob("testdata/good_*.pem")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			pubData, err := os.ReadFile(strings.TrimSuffix(p, ".pem") + ".pub")
			require.NoError(t, err)
			want, err := ParsePublicKey(pubData)
			require.NoError(t, err)

			encrypted := strings.Contains(string(data), "ENCRYPTED")
			k, err := ParsePrivateKey(data, pw(testPassword))
			require.NoError(t, err)
			require.True(t, k.Public().(equaler).Equal(want))
			if !encrypted {
				return
			}
			_, err = ParsePrivateKey(data, nil)
			require.ErrorIs(t, err, ErrPassword)
			_, err = ParsePrivateKey(data, pw(""))
			require.ErrorIs(t, err, ErrPassword)
			_, err = ParsePrivateKey(data, pw("hunter2-Zq9"))
			require.ErrorIs(t, err, ErrPassword)
			require.NotContains(t, err.Error(), "hunter2-Zq9")
			_, err = ParsePrivateKey(data, func() ([]byte, error) { return nil, errors.New("no tty") })
			require.ErrorContains(t, err, "no tty")
		})
	}
}

func TestSigstoreEncryptedKey(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(k, func(bool) ([]byte, error) { return []byte(testPassword), nil })
	require.NoError(t, err)
	data := pem.EncodeToMemory(&pem.Block{Type: string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), Bytes: der})
	got, err := ParsePrivateKey(data, pw(testPassword))
	require.NoError(t, err)
	require.True(t, got.Public().(equaler).Equal(k.Public()))
	_, err = ParsePrivateKey(data, pw("nope"))
	require.ErrorIs(t, err, ErrPassword)
}

// The reference OMS tool's test key files carry certtool text around the
// PEM block.
func TestCerttoolPreamble(t *testing.T) {
	data := "Public Key Info:\n\tPublic Key Algorithm: EC/ECDSA\n\n" + mustRead(t, "testdata/good_p384_sec1.pem")
	_, err := ParsePrivateKey([]byte(data), nil)
	require.NoError(t, err)
}

func mustRead(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

func TestBadInput(t *testing.T) {
	_, err := ParsePrivateKey([]byte("not pem"), nil)
	require.ErrorContains(t, err, "no PEM private key")
	_, err = ParsePublicKey([]byte("not pem"))
	require.ErrorContains(t, err, "no PEM public key")
	_, err = ParsePublicKey([]byte(mustRead(t, "testdata/good_p256_pkcs8.pem")))
	require.ErrorContains(t, err, "private key where a public key")
	_, err = ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), nil)
	require.Error(t, err)
	_, err = ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0}}), pw("x"))
	require.ErrorContains(t, err, "malformed")
}

func FuzzParsePrivateKey(f *testing.F) {
	paths, _ := filepath.Glob("testdata/good_*.pem")
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateKey(data, pw(testPassword))
		if err == nil && k == nil {
			t.Fatal("nil key without error")
		}
		_, _ = ParsePublicKey(data)
	})
}
