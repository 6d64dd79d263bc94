//go:build cgo

package secrets_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

func TestPKCS11KEK(t *testing.T) {
	ctx := testCtx(t)
	uriA := hsmAESKey(t, "kek-a")
	uriB := hsmAESKey(t, "kek-b")
	a, err := secrets.OpenKEK(ctx, uriA, secrets.KEKOptions{})
	require.NoError(t, err)
	b, err := secrets.OpenKEK(ctx, uriB, secrets.KEKOptions{})
	require.NoError(t, err)
	require.NotContains(t, a.URI(), "pin", "a KEK's URI must not carry PIN details")

	pt := randBytes(t, 1<<20+3)
	var ct bytes.Buffer
	require.NoError(t, secrets.Encrypt(ctx, &ct, bytes.NewReader(pt), a, []byte("ctx")))
	var got bytes.Buffer
	require.NoError(t, secrets.Decrypt(ctx, &got, bytes.NewReader(ct.Bytes()), []byte("ctx"), a))
	require.True(t, bytes.Equal(pt, got.Bytes()))
	err = secrets.Decrypt(ctx, io.Discard, bytes.NewReader(ct.Bytes()), []byte("ctx"), b)
	isKeyError(t, err)

	// Rotate from the HSM key to another.
	var rw bytes.Buffer
	require.NoError(t, secrets.RewrapStream(ctx, &rw, bytes.NewReader(ct.Bytes()), b, a))
	got.Reset()
	require.NoError(t, secrets.Decrypt(ctx, &got, bytes.NewReader(rw.Bytes()), []byte("ctx"), b))
	require.True(t, bytes.Equal(pt, got.Bytes()))
}

func TestPKCS11Errors(t *testing.T) {
	ctx := testCtx(t)
	module, _ := softHSM(t)
	_, err := secrets.OpenKEK(ctx, hsmURI(t, "no-such-key"), secrets.KEKOptions{})
	require.ErrorContains(t, err, "was not found")

	// A wrong PIN, in a fresh process: PKCS#11 login state is shared by
	// every session of a process, so this one is already logged in.
	hsmAESKey(t, "kek-a")
	cmd := exec.Command(os.Args[0], "-test.run=^TestPKCS11WrongPINChild$", "-test.v")
	cmd.Env = append(os.Environ(), "MLSEC_CHILD_URI=pkcs11:token="+hsmToken+";object=kek-a?module-path="+module+"&pin-value=0000-wrong-pin")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "open PKCS#11 token")
	require.NotContains(t, string(out), "0000-wrong-pin")

	_, err = secrets.OpenKEK(ctx, "pkcs11:token=no-such-token;object=k?module-path="+module+"&pin-value=1", secrets.KEKOptions{})
	require.Error(t, err)
	_, err = secrets.OpenKEK(ctx, "pkcs11:token=t;object=k?module-path=/nonexistent/lib.so&pin-value=1", secrets.KEKOptions{})
	require.ErrorContains(t, err, "/nonexistent/lib.so")
}

// TestPKCS11WrongPINChild runs only as the child of TestPKCS11Errors.
func TestPKCS11WrongPINChild(t *testing.T) {
	uri := os.Getenv("MLSEC_CHILD_URI")
	if uri == "" {
		t.Skip("runs as a child of TestPKCS11Errors")
	}
	_, err := secrets.OpenKEK(testCtx(t), uri, secrets.KEKOptions{})
	require.Error(t, err)
	t.Log(err)
}

func TestPKCS11Signer(t *testing.T) {
	ctx := testCtx(t)
	for _, tc := range []struct {
		label string
		curve elliptic.Curve
	}{{"sign-p256", elliptic.P256()}, {"sign-p384", elliptic.P384()}} {
		t.Run(tc.label, func(t *testing.T) {
			sv, err := secrets.LoadSignerVerifier(ctx, hsmECKey(t, tc.label, tc.curve))
			require.NoError(t, err)
			msg := []byte("model.safetensors digest list")
			sig, err := sv.SignMessage(bytes.NewReader(msg))
			require.NoError(t, err)
			require.NoError(t, sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)))
			require.Error(t, sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(append(msg, '!'))))

			// Independently: the stdlib verifies it against the public key.
			pub, err := sv.PublicKey()
			require.NoError(t, err)
			ec := pub.(*ecdsa.PublicKey)
			require.Equal(t, tc.curve, ec.Curve)
			v, err := signature.LoadVerifier(pub, map[int]crypto.Hash{256: crypto.SHA256, 384: crypto.SHA384}[ec.Curve.Params().BitSize])
			require.NoError(t, err)
			require.NoError(t, v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)))
			if tc.curve == elliptic.P256() {
				d := sha256.Sum256(msg)
				require.True(t, ecdsa.VerifyASN1(ec, d[:], sig))
			}
		})
	}
	_, err := secrets.LoadSignerVerifier(ctx, hsmURI(t, "no-such-pair"))
	require.ErrorContains(t, err, "was not found")
}

func TestPKCS11PinSourceFromEnv(t *testing.T) {
	ctx := testCtx(t)
	module, _ := softHSM(t)
	hsmAESKey(t, "kek-env")
	t.Setenv(secrets.EnvPKCS11Module, module)
	t.Setenv(secrets.EnvPKCS11PIN, hsmPIN)
	k, err := secrets.OpenKEK(ctx, "pkcs11:token="+hsmToken+";object=kek-env", secrets.KEKOptions{})
	require.NoError(t, err)
	ct, err := secrets.EncryptValue(ctx, k, []byte("v"), nil)
	require.NoError(t, err)
	pt, err := secrets.DecryptValue(ctx, ct, nil, k)
	require.NoError(t, err)
	require.Equal(t, "v", string(pt))
	require.False(t, strings.Contains(k.URI(), hsmPIN))
}
