package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
	"github.com/mlsec-dev/mlsec/internal/hashing"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// SignOptions configure Sign.
type SignOptions struct {
	Options
	// Certificates selects the certificate method: the signer's
	// certificate first, then any intermediates, all written into the
	// bundle. Without it the key method is used and the bundle carries the
	// key's hint (hex SHA-256 of its PEM public key).
	Certificates []*x509.Certificate
	// CachePath, if set, names a file that remembers file digests between
	// runs, so that signing a model again after a small change re-hashes
	// only the changed files. A file is taken as unchanged while its size,
	// modification time, change time, inode and device are. Verify never
	// uses it.
	CachePath string
}

// Sign hashes the model at modelPath (a file or a directory) and returns
// an OMS v1.0 signature: a Sigstore bundle (JSON) holding a DSSE envelope
// signed by signer. Write it next to the model, and pass its path in
// IgnorePaths when it lies inside the model directory.
//
// signer is sigstore's signature.SignerVerifier, so a key in a file, a KMS
// or an HSM can sign; OMS requires ECDSA on P-256, P-384 or P-521, and the
// signer should hash with SHA-256, SHA-384 or SHA-512 respectively.
func Sign(ctx context.Context, modelPath string, signer signature.SignerVerifier, opts SignOptions) ([]byte, error) {
	material, err := signerMaterial(ctx, signer, opts.Certificates)
	if err != nil {
		return nil, err
	}
	var cache *hashing.Cache
	if opts.CachePath != "" {
		if cache, err = hashing.OpenCache(opts.CachePath); err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
	}
	m, err := hashModel(ctx, modelPath, opts.Options, cache)
	if err != nil {
		return nil, err
	}
	if len(m.Resources) == 0 {
		return nil, fmt.Errorf("signing: model %s: no file to sign after exclusions", hashing.QuoteName(modelPath))
	}
	if cache != nil {
		if err := cache.Save(); err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
	}
	return signBundle(ctx, m, signer, material)
}

// SignManifest signs a manifest whose digests are already known, without
// reading any file: a model in an OCI registry whose raw layers are its
// files lists every file digest in its image manifest, so a few kilobytes
// suffice to sign weights of any size. The signature is the one Sign
// writes for a model on disk with the same files: it verifies with
// Verify after the model is downloaded, and a signature made by Sign
// verifies the manifest with VerifyManifest.
//
// m.Resources need not be sorted; names must be clean relative paths
// (MethodFiles) or "path:start:end" (MethodShards) and digests as long as
// m.Serialization.Hash makes them. DefaultIgnorePaths are added to the
// recorded ignore paths, as Sign adds them. Of opts, only Certificates is
// used: the manifest already says how the model was hashed.
func SignManifest(ctx context.Context, m *Manifest, signer signature.SignerVerifier, opts SignOptions) ([]byte, error) {
	material, err := signerMaterial(ctx, signer, opts.Certificates)
	if err != nil {
		return nil, err
	}
	norm, err := normalizeManifest(m)
	if err != nil {
		return nil, err
	}
	return signBundle(ctx, norm, signer, material)
}

// normalizeManifest checks a caller's manifest the way a signature's is
// checked on reading, and returns a sorted copy with the recorded ignore
// paths completed.
func normalizeManifest(m *Manifest) (*Manifest, error) {
	if m == nil || len(m.Resources) == 0 {
		return nil, errors.New("signing: manifest: no resource to sign")
	}
	o := Options{Method: m.Serialization.Method, Hash: m.Serialization.Hash, ShardSize: m.Serialization.ShardSize, IgnorePaths: m.Serialization.IgnorePaths}
	if err := o.normalize(); err != nil {
		return nil, fmt.Errorf("signing: manifest: %w", err)
	}
	out := &Manifest{
		Name: m.Name,
		Serialization: Serialization{
			Method: o.Method, Hash: o.Hash, ShardSize: o.ShardSize,
			AllowSymlinks: m.Serialization.AllowSymlinks, IgnorePaths: ignoreList(o.IgnorePaths),
		},
	}
	if out.Name == "" {
		return nil, errors.New("signing: manifest: empty model name")
	}
	seen := make(map[string]bool, len(m.Resources))
	for _, r := range m.Resources {
		if err := checkResourceName(r.Name, out.Serialization); err != nil {
			return nil, fmt.Errorf("signing: manifest: %w", err)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("signing: manifest: resource %s listed twice", hashing.QuoteName(r.Name))
		}
		seen[r.Name] = true
		if len(r.Digest) != o.Hash.size() {
			return nil, fmt.Errorf("signing: manifest: resource %s: %d-byte digest, %s makes %d", hashing.QuoteName(r.Name), len(r.Digest), o.Hash, o.Hash.size())
		}
		out.Resources = append(out.Resources, Resource{Name: r.Name, Algorithm: string(o.Hash), Digest: slices.Clone(r.Digest)})
	}
	slices.SortFunc(out.Resources, func(a, b Resource) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// signerMaterial checks the signer's key and returns the verification
// material the bundle will carry: the key's hint, or the certificates.
func signerMaterial(ctx context.Context, signer signature.SignerVerifier, certs []*x509.Certificate) (*verificationMaterial, error) {
	if signer == nil {
		return nil, errors.New("signing: nil signer")
	}
	pub, err := signer.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing: signer public key: %w", err)
	}
	if err := checkKey(pub); err != nil {
		return nil, fmt.Errorf("signing: signer: %w", err)
	}
	material := &verificationMaterial{TlogEntries: []json.RawMessage{}}
	if len(certs) > 0 {
		leaf := certs[0]
		if k, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(pub) {
			return nil, errors.New("signing: the signing certificate is not for the signer's key")
		}
		if !certUsageOK(leaf) {
			return nil, errors.New("signing: the signing certificate allows neither digitalSignature key usage nor codeSigning extended key usage")
		}
		material.X509CertificateChain = &certificateChain{}
		for _, c := range certs {
			material.X509CertificateChain.Certificates = append(material.X509CertificateChain.Certificates,
				rawCertificate{RawBytes: base64.StdEncoding.EncodeToString(c.Raw)})
		}
		return material, nil
	}
	hint, err := keyHint(pub)
	if err != nil {
		return nil, err
	}
	material.PublicKey = &publicKeyIdentifier{Hint: hint}
	return material, nil
}

// signBundle signs the statement of m and wraps it in a bundle.
func signBundle(ctx context.Context, m *Manifest, signer signature.SignerVerifier, material *verificationMaterial) ([]byte, error) {
	payload, err := encodeStatement(m)
	if err != nil {
		return nil, err
	}
	sig, err := signer.SignMessage(bytes.NewReader(pae(PayloadType, payload)), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing: sign: %w", err)
	}
	empty := ""
	b := bundle{
		MediaType:            BundleMediaType,
		VerificationMaterial: material,
		DSSEEnvelope: &envelope{
			Payload:     base64.StdEncoding.EncodeToString(payload),
			PayloadType: PayloadType,
			Signatures:  []envelopeSignature{{Sig: base64.StdEncoding.EncodeToString(sig), KeyID: &empty}},
		},
	}
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return append(out, '\n'), nil
}

// WriteSignature writes a signature made by Sign to path atomically (a
// temporary file beside it, then a rename), so that a crash or a full disk
// never leaves a half-written signature where a verifier will look.
func WriteSignature(path string, sig []byte) error {
	if err := atomicfile.WriteFile(path, sig, 0o644); err != nil {
		return fmt.Errorf("signing: signature %s: %w", path, err)
	}
	return nil
}

// encodeStatement writes the in-toto statement of m, fields in the order
// of the OMS specification's examples.
func encodeStatement(m *Manifest) ([]byte, error) {
	type resource struct {
		Name      string `json:"name"`
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	}
	type serialization struct {
		Method        Method        `json:"method"`
		HashType      HashAlgorithm `json:"hash_type"`
		AllowSymlinks bool          `json:"allow_symlinks"`
		ShardSize     int64         `json:"shard_size,omitempty"`
		IgnorePaths   []string      `json:"ignore_paths,omitempty"`
	}
	type predicate struct {
		Serialization serialization `json:"serialization"`
		Resources     []resource    `json:"resources"`
	}
	type subject struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	}
	s := m.Serialization
	root := m.RootDigest()
	st := struct {
		Type          string    `json:"_type"`
		Subject       []subject `json:"subject"`
		PredicateType string    `json:"predicateType"`
		Predicate     predicate `json:"predicate"`
	}{
		Type:          StatementType,
		Subject:       []subject{{Name: m.Name, Digest: map[string]string{root.Algorithm: root.Hex()}}},
		PredicateType: PredicateType,
		Predicate: predicate{Serialization: serialization{
			Method: s.Method, HashType: s.Hash, AllowSymlinks: s.AllowSymlinks,
			ShardSize: s.ShardSize, IgnorePaths: slices.Clone(s.IgnorePaths),
		}},
	}
	for _, r := range m.Resources {
		st.Predicate.Resources = append(st.Predicate.Resources, resource{Name: r.Name, Algorithm: r.Algorithm, Digest: hex.EncodeToString(r.Digest)})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return nil, fmt.Errorf("signing: statement: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// checkKey enforces the OMS algorithm registry: ECDSA on P-256, P-384 or
// P-521.
func checkKey(pub crypto.PublicKey) error {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("unsupported key type %T: OMS signatures use ECDSA P-256, P-384 or P-521", pub)
	}
	switch k.Curve {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
		return nil
	}
	return fmt.Errorf("unsupported curve %s: OMS signatures use ECDSA P-256, P-384 or P-521", k.Curve.Params().Name)
}

// keyHint is the reference tool's public key hint: the lowercase hex
// SHA-256 of the PEM encoding of the SubjectPublicKeyInfo.
func keyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("signing: public key: %w", err)
	}
	sum := sha256.Sum256(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return hex.EncodeToString(sum[:]), nil
}

func certUsageOK(c *x509.Certificate) bool {
	return c.KeyUsage&x509.KeyUsageDigitalSignature != 0 || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageCodeSigning)
}
