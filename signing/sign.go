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
	var material verificationMaterial
	material.TlogEntries = []json.RawMessage{}
	if len(opts.Certificates) > 0 {
		leaf := opts.Certificates[0]
		if k, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(pub) {
			return nil, errors.New("signing: the signing certificate is not for the signer's key")
		}
		if !certUsageOK(leaf) {
			return nil, errors.New("signing: the signing certificate allows neither digitalSignature key usage nor codeSigning extended key usage")
		}
		material.X509CertificateChain = &certificateChain{}
		for _, c := range opts.Certificates {
			material.X509CertificateChain.Certificates = append(material.X509CertificateChain.Certificates,
				rawCertificate{RawBytes: base64.StdEncoding.EncodeToString(c.Raw)})
		}
	} else {
		hint, err := keyHint(pub)
		if err != nil {
			return nil, err
		}
		material.PublicKey = &publicKeyIdentifier{Hint: hint}
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
		VerificationMaterial: &material,
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
