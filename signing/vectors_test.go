package signing

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlsec-dev/mlsec/internal/keyfile"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
)

const vectors = "testdata/oms"

func referenceKey(t testing.TB) signature.Verifier {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectors, "keys/signing-key-pub.pem"))
	require.NoError(t, err)
	pub, err := keyfile.ParsePublicKey(data)
	require.NoError(t, err)
	v, err := signature.LoadVerifier(pub, crypto.SHA384)
	require.NoError(t, err)
	return v
}

func referenceSigner(t testing.TB) signature.SignerVerifier {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectors, "keys/signing-key.pem"))
	require.NoError(t, err)
	k, err := keyfile.ParsePrivateKey(data, nil)
	require.NoError(t, err)
	sv, err := signature.LoadSignerVerifier(k, crypto.SHA384)
	require.NoError(t, err)
	return sv
}

func readCerts(t testing.TB, paths ...string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			c, err := x509.ParseCertificate(b.Bytes)
			require.NoError(t, err)
			out = append(out, c)
		}
	}
	require.NotEmpty(t, out)
	return out
}

func referenceRoots(t testing.TB) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range readCerts(t, filepath.Join(vectors, "keys/ca-cert.pem")) {
		p.AddCert(c)
	}
	return p
}

// vector describes one signed model written by the reference tool.
type vector struct {
	dir   string
	model string // relative to dir; "" for the directory itself
	cert  bool
	// keyless: a Sigstore (public-good) bundle, verified offline.
	keyless bool
	ignore  []string
	root    string // "" for the legacy predicate
	legacy  bool
}

var goodVectors = []vector{
	{dir: "v1.1.0-elliptic-key", root: "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"},
	{dir: "v1.0.1-elliptic-key", ignore: []string{"ignore-me"}, root: "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"},
	{dir: "v1.0.0-elliptic-key", model: "signme-1", root: "afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b"},
	{dir: "v0.3.1-elliptic-key", model: "signme-1", root: "afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b"},
	{dir: "v1.1.0-certificate", cert: true, root: "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	{dir: "v1.0.1-certificate", cert: true, ignore: []string{"ignore-me"}, root: "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	{dir: "v1.0.0-certificate", cert: true, root: "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	{dir: "v0.3.1-certificate", cert: true, root: "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	{dir: "v0.2.0-certificate", cert: true, legacy: true},
	{dir: "v1.1.0-sigstore", keyless: true, root: "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	{dir: "v1.0.1-sigstore", keyless: true, ignore: []string{"ignore-me"}, root: "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	{dir: "v1.0.0-sigstore", keyless: true, root: "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	{dir: "v0.3.1-sigstore", keyless: true, root: "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
}

// The signer of the Sigstore vectors (model_signing's
// scripts/tests/test-verify-v*.sh).
const (
	vectorIdentity = "stefanb@us.ibm.com"
	vectorIssuer   = "https://sigstore.verify.ibm.com/oauth2"
)

func publicGoodRoot(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/sigstore/trusted-root-public-good.json")
	require.NoError(t, err)
	return b
}

func (v vector) opts(t testing.TB) VerifyOptions {
	o := VerifyOptions{IgnorePaths: append([]string{"model.sig"}, v.ignore...)}
	switch {
	case v.keyless:
		o.Sigstore = &Sigstore{TrustedRoot: publicGoodRoot(t), Identity: vectorIdentity, Issuer: vectorIssuer}
	case v.cert:
		o.Roots = referenceRoots(t)
	default:
		o.Key = referenceKey(t)
	}
	return o
}

func (v vector) modelPath() string { return filepath.Join(vectors, v.dir, v.model) }

func (v vector) bundle(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join(vectors, v.dir, "model.sig"))
	require.NoError(t, err)
	return b
}

func TestReferenceVectorsVerify(t *testing.T) {
	ctx := context.Background()
	for _, v := range goodVectors {
		t.Run(v.dir, func(t *testing.T) {
			res, err := Verify(ctx, v.modelPath(), v.bundle(t), v.opts(t))
			require.NoError(t, err)
			require.Equal(t, v.legacy, res.Legacy)
			if v.root != "" {
				require.Equal(t, v.root, res.Manifest.RootDigest().Hex())
			}
			if v.cert {
				require.Equal(t, "intermediate-ca", res.Certificate.Subject.CommonName)
			}
			if v.keyless {
				require.Equal(t, []string{vectorIdentity}, res.Certificate.EmailAddresses)
			}
		})
	}
}
