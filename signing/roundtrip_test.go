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
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
)

// omsSchemas compiles the OMS v1.0 JSON Schemas in testdata/schema.
func omsSchemas(t testing.TB) (bundleSchema, statementSchema *jsonschema.Schema) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range []string{"bundle", "envelope", "statement", "predicate"} {
		data, err := os.ReadFile(filepath.Join("testdata/schema", f+".schema.json"))
		require.NoError(t, err)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		require.NoError(t, err)
		require.NoError(t, c.AddResource(fmt.Sprintf("https://model_signing/%s/v1.0/schema", f), doc))
	}
	bs, err := c.Compile("https://model_signing/bundle/v1.0/schema")
	require.NoError(t, err)
	ss, err := c.Compile("https://model_signing/statement/v1.0/schema")
	require.NoError(t, err)
	return bs, ss
}

// requireSchemaValid checks a bundle, and the statement inside it,
// against the OMS schemas.
func requireSchemaValid(t testing.TB, b []byte) {
	t.Helper()
	bs, ss := omsSchemas(t)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	require.NoError(t, bs.Validate(inst))
	var m struct {
		DSSEEnvelope struct{ Payload string } `json:"dsseEnvelope"`
	}
	require.NoError(t, json.Unmarshal(b, &m))
	payload, err := base64.StdEncoding.DecodeString(m.DSSEEnvelope.Payload)
	require.NoError(t, err)
	inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	require.NoError(t, err)
	require.NoError(t, ss.Validate(inst))
}

// The schemas reject what they should, so a pass above means something.
func TestSchemaRejects(t *testing.T) {
	bs, ss := omsSchemas(t)
	bad, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"mediaType":"x","dsseEnvelope":{}}`))
	require.NoError(t, err)
	require.Error(t, bs.Validate(bad))
	payload, err := os.ReadFile("testdata/statements/good_shards_reference_style.json")
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	require.NoError(t, err)
	require.Error(t, ss.Validate(inst), "the reference tool's shard algorithm names are not OMS v1.0")
}

func writeModel(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, c := range files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(c), 0o644))
	}
	return dir
}

func newSigner(t testing.TB, c elliptic.Curve) (*ecdsa.PrivateKey, signature.SignerVerifier) {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	require.NoError(t, err)
	sv, err := dssesig.FromCryptoSigner(k)
	require.NoError(t, err)
	return k, sv
}

func TestRoundTripKey(t *testing.T) {
	ctx := context.Background()
	model := writeModel(t, map[string]string{
		"config.json":               `{"layers": 2}`,
		"weights/a.safetensors":     strings.Repeat("a", 100),
		"weights/b.safetensors":     strings.Repeat("b", 33),
		"empty":                     "",
		"tokenizer/vocab.txt":       "hello\nworld\n",
		".git/HEAD":                 "ref: refs/heads/main",
		"name with space:colon.bin": "x",
	})
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		_, sv := newSigner(t, curve)
		for _, o := range []Options{
			{},
			{Method: MethodShards, ShardSize: 16},
			{Method: MethodShards, Hash: BLAKE3},
			{Hash: BLAKE2b, IgnorePaths: []string{"tokenizer"}},
			{Method: MethodShards, ShardSize: 7, Hash: BLAKE2b, Workers: 1},
		} {
			t.Run(fmt.Sprintf("%s/%s-%s-%d", curve.Params().Name, o.Method, o.Hash, o.ShardSize), func(t *testing.T) {
				b, err := Sign(ctx, model, sv, SignOptions{Options: o})
				require.NoError(t, err)
				requireSchemaValid(t, b)
				res, err := Verify(ctx, model, b, VerifyOptions{Key: sv})
				require.NoError(t, err)
				require.Equal(t, filepath.Base(model), res.Manifest.Name)
				for _, r := range res.Manifest.Resources {
					require.False(t, strings.HasPrefix(r.Name, ".git/"), r.Name)
					if o.IgnorePaths != nil {
						require.False(t, strings.HasPrefix(r.Name, "tokenizer/"), r.Name)
					}
				}
				// The same manifest comes out of HashModel.
				m, err := HashModel(ctx, model, o)
				require.NoError(t, err)
				require.Equal(t, m.RootDigest(), res.Manifest.RootDigest())

				// A byte changed is caught in every layout.
				p := filepath.Join(model, "weights", "b.safetensors")
				require.NoError(t, os.WriteFile(p, []byte(strings.Repeat("b", 32)+"c"), 0o644))
				defer os.WriteFile(p, []byte(strings.Repeat("b", 33)), 0o644)
				_, err = Verify(ctx, model, b, VerifyOptions{Key: sv})
				me := requireMismatch(t, err)
				require.Len(t, me.Changed, 1)
				require.True(t, strings.HasPrefix(me.Changed[0], "weights/b.safetensors"), me.Changed[0])
			})
		}
	}
}

func TestShardLayout(t *testing.T) {
	ctx := context.Background()
	model := writeModel(t, map[string]string{"m": "This is a simple model", "empty": ""})
	m, err := HashModel(ctx, model, Options{Method: MethodShards, ShardSize: 8})
	require.NoError(t, err)
	var names []string
	for _, r := range m.Resources {
		names = append(names, r.Name)
		require.Equal(t, "sha256", r.Algorithm)
	}
	// Empty files have no shard; names sort as strings (OMS §5.2.1).
	require.Equal(t, []string{"m:0:8", "m:16:22", "m:8:16"}, names)

	// Files mode on the reference tool's sample file: its known digest.
	m, err = HashModel(ctx, filepath.Join(model, "m"), Options{})
	require.NoError(t, err)
	require.Equal(t, "m", m.Resources[0].Name)
	require.Equal(t, "3aab065c7181a173b5dd9e9d32a9f79923440b413be1e1ffcdba26a7365f719b", hex.EncodeToString(m.Resources[0].Digest))

	_, err = HashModel(ctx, model, Options{Method: "chunks"})
	require.Error(t, err)
	_, err = HashModel(ctx, model, Options{ShardSize: 8})
	require.Error(t, err)
	_, err = HashModel(ctx, model, Options{Hash: "md5"})
	require.Error(t, err)
	_, err = HashModel(ctx, model, Options{IgnorePaths: []string{"../up"}})
	require.Error(t, err)
}

// Signing the reference model with the reference key gives the root digest
// and key hint the reference tool wrote.
func TestSignLikeReference(t *testing.T) {
	ctx := context.Background()
	dir := copyDir(t, filepath.Join(vectors, "v1.1.0-elliptic-key"))
	b, err := Sign(ctx, dir, referenceSigner(t), SignOptions{Options: Options{IgnorePaths: []string{"model.sig", "ignore-me"}}})
	require.NoError(t, err)
	requireSchemaValid(t, b)
	var got, want bundle
	require.NoError(t, json.Unmarshal(b, &got))
	require.NoError(t, json.Unmarshal(goodVectors[0].bundle(t), &want))
	require.Equal(t, want.MediaType, got.MediaType)
	require.Equal(t, want.VerificationMaterial.PublicKey.Hint, got.VerificationMaterial.PublicKey.Hint)
	require.Equal(t, "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e", got.VerificationMaterial.PublicKey.Hint)
	res, err := Verify(ctx, dir, b, goodVectors[0].opts(t))
	require.NoError(t, err)
	require.Equal(t, goodVectors[0].root, res.Manifest.RootDigest().Hex())
	require.Equal(t, []string{".git", ".gitattributes", ".github", ".gitignore", "ignore-me", "model.sig"}, res.Manifest.Serialization.IgnorePaths)
	// The recorded ignores are applied again: no need to pass them.
	_, err = Verify(ctx, dir, b, VerifyOptions{Key: referenceKey(t)})
	require.NoError(t, err)
}

func TestRoundTripCertificate(t *testing.T) {
	ctx := context.Background()
	dir := copyDir(t, filepath.Join(vectors, "v1.1.0-certificate"))
	chain := readCerts(t, filepath.Join(vectors, "keys/signing-key-cert.pem"), filepath.Join(vectors, "keys/int-ca-cert.pem"))
	b, err := Sign(ctx, dir, referenceSigner(t), SignOptions{
		Certificates: chain,
		Options:      Options{Method: MethodShards, IgnorePaths: []string{"model.sig"}},
	})
	require.NoError(t, err)
	requireSchemaValid(t, b)
	res, err := Verify(ctx, dir, b, VerifyOptions{Roots: referenceRoots(t)})
	require.NoError(t, err)
	require.Equal(t, chain[0].Raw, res.Certificate.Raw)

	// A certificate for another key is refused when signing.
	_, other := newSigner(t, elliptic.P384())
	_, err = Sign(ctx, dir, other, SignOptions{Certificates: chain})
	require.ErrorContains(t, err, "not for the signer's key")
}

// issue makes a certificate for pub signed by parent/parentKey.
func issue(t testing.TB, tmpl *x509.Certificate, pub any, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

func TestCertificateRules(t *testing.T) {
	ctx := context.Background()
	model := writeModel(t, map[string]string{"w": "weights"})
	ca, caKey := newCA(t, "root")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	k, sv := newSigner(t, elliptic.P256())
	leafTmpl := func(ku x509.KeyUsage, eku []x509.ExtKeyUsage, nb, na time.Time) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "signer"},
			NotBefore: nb, NotAfter: na, KeyUsage: ku, ExtKeyUsage: eku}
	}
	now := time.Now()
	for _, tc := range []struct {
		name string
		leaf *x509.Certificate
		ok   bool
	}{
		{"digitalSignature", leafTmpl(x509.KeyUsageDigitalSignature, nil, now.Add(-time.Minute), now.Add(time.Hour)), true},
		{"codeSigning", leafTmpl(0, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, now.Add(-time.Minute), now.Add(time.Hour)), true},
		// Expired now, valid when it signed: accepted, as the reference does.
		{"expired", leafTmpl(x509.KeyUsageDigitalSignature, nil, now.Add(-30*time.Minute), now.Add(-20*time.Minute)), true},
		{"no usage", leafTmpl(x509.KeyUsageKeyEncipherment, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, now.Add(-time.Minute), now.Add(time.Hour)), false},
		// Issued before the CA itself was valid.
		{"before CA", leafTmpl(x509.KeyUsageDigitalSignature, nil, now.Add(-48*time.Hour), now.Add(time.Hour)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaf := issue(t, tc.leaf, k.Public(), ca, caKey)
			if !tc.ok && tc.name == "no usage" {
				// Sign refuses such a certificate; build the bundle
				// with a good one and swap the chain in.
				_, err := Sign(ctx, model, sv, SignOptions{Certificates: []*x509.Certificate{leaf}})
				require.ErrorContains(t, err, "neither digitalSignature")
				good := issue(t, leafTmpl(x509.KeyUsageDigitalSignature, nil, now.Add(-time.Minute), now.Add(time.Hour)), k.Public(), ca, caKey)
				b, err := Sign(ctx, model, sv, SignOptions{Certificates: []*x509.Certificate{good}})
				require.NoError(t, err)
				b = editBundle(t, b, func(m map[string]any) {
					m["verificationMaterial"] = map[string]any{"x509CertificateChain": map[string]any{
						"certificates": []any{map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(leaf.Raw)}}}}
				})
				_, err = Verify(ctx, model, b, VerifyOptions{Roots: roots})
				requireRule(t, err, RuleCertificate)
				return
			}
			b, err := Sign(ctx, model, sv, SignOptions{Certificates: []*x509.Certificate{leaf}})
			require.NoError(t, err)
			_, err = Verify(ctx, model, b, VerifyOptions{Roots: roots})
			if tc.ok {
				require.NoError(t, err)
			} else {
				requireRule(t, err, RuleCertificate)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	empty := writeModel(t, map[string]string{".git/config": "x"})
	_, err := Sign(ctx, empty, sv, SignOptions{})
	require.ErrorContains(t, err, "no file to sign")

	// Keys outside the OMS algorithm registry.
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	bad, err := signature.LoadSignerVerifier(p224, 5)
	require.NoError(t, err)
	model := writeModel(t, map[string]string{"w": "x"})
	_, err = Sign(ctx, model, bad, SignOptions{})
	require.ErrorContains(t, err, "unsupported curve")
	_, err = Sign(ctx, model, nil, SignOptions{})
	require.Error(t, err)

	_, err = Verify(ctx, model, []byte("{}"), VerifyOptions{})
	require.ErrorContains(t, err, "exactly one")
}

func TestSymlinkPolicy(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	model := writeModel(t, map[string]string{"w": "weights"})
	require.NoError(t, os.Symlink("w", filepath.Join(model, "alias")))
	_, err := Sign(ctx, model, sv, SignOptions{})
	require.Error(t, err)
	require.ErrorContains(t, err, "symbolic link")

	b, err := Sign(ctx, model, sv, SignOptions{Options: Options{AllowSymlinks: true}})
	require.NoError(t, err)
	res, err := Verify(ctx, model, b, VerifyOptions{Key: sv})
	require.NoError(t, err)
	require.True(t, res.Manifest.Serialization.AllowSymlinks)
	require.Len(t, res.Manifest.Resources, 2)

	outside := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(outside, []byte("s"), 0o600))
	require.NoError(t, os.Symlink(outside, filepath.Join(model, "escape")))
	_, err = Sign(ctx, model, sv, SignOptions{Options: Options{AllowSymlinks: true}})
	require.ErrorContains(t, err, "outside the root")
	// The signed model now has a link out: verification refuses it too.
	_, err = Verify(ctx, model, b, VerifyOptions{Key: sv})
	require.ErrorContains(t, err, "outside the root")
	var be *BundleError
	require.False(t, errors.As(err, &be))
}

func TestIncrementalCache(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	model := writeModel(t, map[string]string{"a": "aaaa", "b": "bbbb"})
	cache := filepath.Join(t.TempDir(), "cache.json")
	time.Sleep(1100 * time.Millisecond) // past the cache's racy window
	b1, err := Sign(ctx, model, sv, SignOptions{CachePath: cache})
	require.NoError(t, err)
	_, err = os.Stat(cache)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(model, "a"), []byte("AAAA"), 0o644))
	b2, err := Sign(ctx, model, sv, SignOptions{CachePath: cache})
	require.NoError(t, err)
	_, err = Verify(ctx, model, b2, VerifyOptions{Key: sv})
	require.NoError(t, err)
	_, err = Verify(ctx, model, b1, VerifyOptions{Key: sv})
	require.Equal(t, []string{"a"}, requireMismatch(t, err).Changed)
}
