package signing

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
)

// copyDir copies a vector's model into a fresh directory to mutate.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

func requireRule(t *testing.T, err error, rule Rule) {
	t.Helper()
	var be *BundleError
	require.True(t, errors.As(err, &be), "want *BundleError(%s), got %v", rule, err)
	require.Equal(t, rule, be.Rule, "error: %v", err)
}

func requireMismatch(t *testing.T, err error) *MismatchError {
	t.Helper()
	var me *MismatchError
	require.True(t, errors.As(err, &me), "want *MismatchError, got %v", err)
	return me
}

// editBundle decodes a bundle to generic JSON, lets f change it, and
// encodes it again.
func editBundle(t *testing.T, b []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	f(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func env(m map[string]any) map[string]any { return m["dsseEnvelope"].(map[string]any) }

func TestMutatedModelsAreRejected(t *testing.T) {
	ctx := context.Background()
	for _, v := range goodVectors {
		if v.model != "" {
			continue // single-file models are covered below
		}
		t.Run(v.dir, func(t *testing.T) {
			opts := v.opts(t)
			b := v.bundle(t)

			t.Run("byte changed", func(t *testing.T) {
				dir := copyDir(t, v.modelPath())
				p := filepath.Join(dir, "signme-2")
				data, err := os.ReadFile(p)
				require.NoError(t, err)
				data[3] ^= 1
				require.NoError(t, os.WriteFile(p, data, 0o644))
				_, err = Verify(ctx, dir, b, opts)
				me := requireMismatch(t, err)
				require.Equal(t, []string{"signme-2"}, me.Changed)
				require.Empty(t, me.Missing)
				require.Empty(t, me.Extra)
				require.ErrorContains(t, err, "1 changed (signme-2)")
			})
			t.Run("file added", func(t *testing.T) {
				dir := copyDir(t, v.modelPath())
				require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "extra.bin"), []byte("x"), 0o644))
				_, err := Verify(ctx, dir, b, opts)
				me := requireMismatch(t, err)
				require.Equal(t, []string{"sub/extra.bin"}, me.Extra)
				require.Empty(t, me.Changed)

				o := opts
				o.IgnoreUnsignedFiles = true
				_, err = Verify(ctx, dir, b, o)
				require.NoError(t, err)
			})
			t.Run("file removed", func(t *testing.T) {
				dir := copyDir(t, v.modelPath())
				require.NoError(t, os.Remove(filepath.Join(dir, "signme-1")))
				_, err := Verify(ctx, dir, b, opts)
				me := requireMismatch(t, err)
				require.Equal(t, []string{"signme-1"}, me.Missing)
				o := opts
				o.IgnoreUnsignedFiles = true
				_, err = Verify(ctx, dir, b, o)
				require.Equal(t, []string{"signme-1"}, requireMismatch(t, err).Missing)
			})
			t.Run("signature swapped", func(t *testing.T) {
				other := goodVectors[0].bundle(t)
				if v.dir == goodVectors[0].dir {
					other = goodVectors[1].bundle(t)
				}
				var o map[string]any
				require.NoError(t, json.Unmarshal(other, &o))
				mut := editBundle(t, b, func(m map[string]any) { env(m)["signatures"] = env(o)["signatures"] })
				_, err := Verify(ctx, v.modelPath(), mut, opts)
				requireRule(t, err, map[bool]Rule{false: RuleSignature, true: RuleSigstore}[v.keyless])
			})
			t.Run("payload changed", func(t *testing.T) {
				mut := editBundle(t, b, func(m map[string]any) {
					p, err := base64.StdEncoding.DecodeString(env(m)["payload"].(string))
					require.NoError(t, err)
					p = bytes.Replace(p, []byte(`"allow_symlinks": false`), []byte(`"allow_symlinks": true `), 1)
					p = bytes.Replace(p, []byte(`"signme-2"`), []byte(`"signme-3"`), 1)
					env(m)["payload"] = base64.StdEncoding.EncodeToString(p)
				})
				require.NotEqual(t, b, mut)
				_, err := Verify(ctx, v.modelPath(), mut, opts)
				requireRule(t, err, map[bool]Rule{false: RuleSignature, true: RuleSigstore}[v.keyless])
			})
			t.Run("media type", func(t *testing.T) {
				mut := editBundle(t, b, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.1+json" })
				_, err := Verify(ctx, v.modelPath(), mut, opts)
				requireRule(t, err, RuleMediaType)
			})
			t.Run("payload type", func(t *testing.T) {
				mut := editBundle(t, b, func(m map[string]any) { env(m)["payloadType"] = "application/json" })
				_, err := Verify(ctx, v.modelPath(), mut, opts)
				// The payload type is signed (it is part of the PAE).
				requireRule(t, err, map[bool]Rule{false: RuleSignature, true: RuleSigstore}[v.keyless])
			})
			t.Run("wrong key or CA", func(t *testing.T) {
				o := opts
				if v.keyless {
					for _, s := range []Sigstore{
						{TrustedRoot: publicGoodRoot(t), Identity: "mallory@example.com", Issuer: vectorIssuer},
						{TrustedRoot: publicGoodRoot(t), Identity: vectorIdentity, Issuer: "https://accounts.google.com"},
					} {
						o.Sigstore = &s
						_, err := Verify(ctx, v.modelPath(), b, o)
						requireRule(t, err, RuleSigstore)
					}
					// A trusted root without the public-good Fulcio CA.
					tr := editBundle(t, publicGoodRoot(t), func(m map[string]any) { m["certificateAuthorities"] = []any{} })
					o.Sigstore = &Sigstore{TrustedRoot: tr, Identity: vectorIdentity, Issuer: vectorIssuer}
					_, err := Verify(ctx, v.modelPath(), b, o)
					require.Error(t, err)
					return
				}
				if v.cert {
					o.Roots = x509.NewCertPool()
					ca, _ := newCA(t, "other-root")
					o.Roots.AddCert(ca)
					_, err := Verify(ctx, v.modelPath(), b, o)
					requireRule(t, err, RuleCertificate)
					// The intermediate is not a trust anchor of its own.
					o.Roots = x509.NewCertPool()
					o.Roots.AddCert(readCerts(t, filepath.Join(vectors, "keys/int-ca-cert.pem"))[0])
					_, err = Verify(ctx, v.modelPath(), b, o)
					require.NoError(t, err, "the chain is leaf -> intermediate, so the intermediate as root does verify")
					return
				}
				o.Key = otherKey(t)
				_, err := Verify(ctx, v.modelPath(), b, o)
				if strings.HasPrefix(v.dir, "v1.1") {
					requireRule(t, err, RuleKeyHint)
				} else {
					requireRule(t, err, RuleSignature)
				}
			})
		})
	}
}

func TestMutatedSingleFileModel(t *testing.T) {
	ctx := context.Background()
	v := goodVectors[2]
	dir := copyDir(t, filepath.Join(vectors, v.dir))
	p := filepath.Join(dir, "signme-1")
	require.NoError(t, os.WriteFile(p, []byte("signme-X\n"), 0o644))
	_, err := Verify(ctx, p, v.bundle(t), v.opts(t))
	require.Equal(t, []string{"signme-1"}, requireMismatch(t, err).Changed)
}

func TestKeylessBundleWithChain(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(vectors, "v1.1.0-sigstore/model.sig"))
	require.NoError(t, err)
	_, err = Verify(context.Background(), filepath.Join(vectors, "v1.1.0-sigstore"), b, VerifyOptions{Roots: referenceRoots(t)})
	requireRule(t, err, RuleVerificationMaterial)
	_, err = Verify(context.Background(), filepath.Join(vectors, "v1.1.0-sigstore"), b, VerifyOptions{Key: referenceKey(t)})
	requireRule(t, err, RuleSignature)

	// And a key bundle is not a keyless one.
	kb := goodVectors[0].bundle(t)
	_, err = Verify(context.Background(), goodVectors[0].modelPath(), kb, VerifyOptions{
		Sigstore: &Sigstore{TrustedRoot: publicGoodRoot(t), Identity: vectorIdentity, Issuer: vectorIssuer}})
	requireRule(t, err, RuleVerificationMaterial)
	_, err = Verify(context.Background(), goodVectors[0].modelPath(), b, VerifyOptions{
		Sigstore: &Sigstore{TrustedRoot: publicGoodRoot(t)}})
	require.ErrorContains(t, err, "identity and issuer")
	_, err = Verify(context.Background(), goodVectors[0].modelPath(), b, VerifyOptions{
		Sigstore: &Sigstore{TrustedRoot: []byte("{}"), Identity: vectorIdentity, Issuer: vectorIssuer}})
	require.Error(t, err)
}

// The v0.2 signature verifies only through the legacy encoding.
func TestLegacyPAE(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(vectors, "v0.2.0-certificate/model.sig"))
	require.NoError(t, err)
	bun, payload, sig, err := parseBundle(b)
	require.NoError(t, err)
	require.NotNil(t, bun)
	leaf := readCerts(t, filepath.Join(vectors, "keys/signing-key-cert.pem"))[0]
	pub := leaf.PublicKey.(*ecdsa.PublicKey)
	v, err := signature.LoadVerifier(pub, curveHash(pub))
	require.NoError(t, err)
	require.False(t, verifySig(context.Background(), v, sig, pae(PayloadType, payload)))
	v256, err := signature.LoadVerifier(pub, 5 /* crypto.SHA256 */)
	require.NoError(t, err)
	require.True(t, verifySig(context.Background(), v256, sig, legacyPAE(PayloadType, payload)))

	require.Equal(t, `b'a\'b\n\x00\xff"'`, pythonBytesRepr([]byte("a'b\n\x00\xff\"")))
	require.Equal(t, `b"it's"`, pythonBytesRepr([]byte("it's")))
}

func otherKey(t testing.TB) signature.Verifier {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	v, err := signature.LoadVerifier(k.Public(), 6 /* crypto.SHA384 */)
	require.NoError(t, err)
	return v
}

// newCA makes a self-signed CA certificate.
func newCA(t testing.TB, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c, k
}
