// Package dssesig adapts sigstore signers and verifiers (and plain
// crypto.Signer keys, such as an HSM or KMS key) to the DSSE
// SignerVerifier interface of go-securesystemslib, so that any key mlsec
// can load signs and verifies DSSE envelopes.
package dssesig

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// KeyID returns the lowercase hex SHA-256 of the DER SubjectPublicKeyInfo
// of pub, the key id mlsec writes into DSSE signatures by default.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("dssesig: key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// DefaultHash is the hash conventionally paired with a key: SHA-256 for
// ECDSA P-256 and RSA, SHA-384 for P-384, SHA-512 for P-521, and none
// (crypto.Hash(0), the message is signed whole) for Ed25519.
func DefaultHash(pub crypto.PublicKey) (crypto.Hash, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return crypto.SHA256, nil
		case elliptic.P384():
			return crypto.SHA384, nil
		case elliptic.P521():
			return crypto.SHA512, nil
		}
		return 0, fmt.Errorf("dssesig: unsupported ECDSA curve %s", k.Curve.Params().Name)
	case *rsa.PublicKey:
		return crypto.SHA256, nil
	case ed25519.PublicKey:
		return crypto.Hash(0), nil
	}
	return 0, fmt.Errorf("dssesig: unsupported public key type %T", pub)
}

// FromCryptoSigner returns a sigstore SignerVerifier that signs with s
// using DefaultHash of its public key. For ECDSA the signature is ASN.1
// DER; for RSA it is PKCS #1 v1.5.
func FromCryptoSigner(s crypto.Signer) (signature.SignerVerifier, error) {
	pub := s.Public()
	h, err := DefaultHash(pub)
	if err != nil {
		return nil, err
	}
	switch s.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey:
		return signature.LoadSignerVerifier(s, h)
	}
	v, err := signature.LoadVerifier(pub, h)
	if err != nil {
		return nil, fmt.Errorf("dssesig: %w", err)
	}
	return &cryptoSignerVerifier{s: s, hash: h, Verifier: v}, nil
}

// cryptoSignerVerifier signs with an opaque crypto.Signer (a key in an
// HSM or KMS) that sigstore's loaders cannot take apart.
type cryptoSignerVerifier struct {
	s    crypto.Signer
	hash crypto.Hash
	signature.Verifier
}

func (c *cryptoSignerVerifier) SignMessage(message io.Reader, opts ...signature.SignOption) ([]byte, error) {
	if c.hash == 0 {
		msg, err := io.ReadAll(message)
		if err != nil {
			return nil, err
		}
		return c.s.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	// A caller may pass a precomputed digest (options.WithDigest) or ask for
	// another SHA-2 hash; both are checked as sigstore's own signers do.
	digest, hf, err := signature.ComputeDigestForSigning(message, c.hash, []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512}, opts...)
	if err != nil {
		return nil, err
	}
	return c.s.Sign(rand.Reader, digest, hf)
}

func (c *cryptoSignerVerifier) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return c.s.Public(), nil
}

// Option configures New and NewVerifier.
type Option func(*config)

type config struct {
	keyID    string
	keyIDSet bool
}

// WithKeyID sets the key id reported to DSSE (and so written into
// signatures); "" writes an empty key id. By default it is KeyID of the
// public key.
func WithKeyID(id string) Option {
	return func(c *config) { c.keyID, c.keyIDSet = id, true }
}

// SignerVerifier is a dsse.SignerVerifier backed by a sigstore
// signature.SignerVerifier.
type SignerVerifier struct {
	sv signature.SignerVerifier
	Verifier
}

var (
	_ dsse.SignerVerifier = (*SignerVerifier)(nil)
	_ dsse.Verifier       = (*Verifier)(nil)
)

// New adapts sv to DSSE. It fetches the public key once, with ctx (for a
// KMS key this is a network call).
func New(ctx context.Context, sv signature.SignerVerifier, opts ...Option) (*SignerVerifier, error) {
	if sv == nil {
		return nil, errors.New("dssesig: nil signer")
	}
	v, err := NewVerifier(ctx, sv, opts...)
	if err != nil {
		return nil, err
	}
	return &SignerVerifier{sv: sv, Verifier: *v}, nil
}

// Sign signs data (the DSSE pre-authentication encoding) and returns the
// raw signature.
func (s *SignerVerifier) Sign(ctx context.Context, data []byte) ([]byte, error) {
	sig, err := s.sv.SignMessage(bytes.NewReader(data), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("dssesig: sign: %w", err)
	}
	return sig, nil
}

// Verifier is a dsse.Verifier backed by a sigstore signature.Verifier.
type Verifier struct {
	v     signature.Verifier
	pub   crypto.PublicKey
	keyID string
}

// NewVerifier adapts v to DSSE. It fetches the public key once, with ctx.
func NewVerifier(ctx context.Context, v signature.Verifier, opts ...Option) (*Verifier, error) {
	if v == nil {
		return nil, errors.New("dssesig: nil verifier")
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	pub, err := v.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("dssesig: public key: %w", err)
	}
	id := c.keyID
	if !c.keyIDSet {
		if id, err = KeyID(pub); err != nil {
			return nil, err
		}
	}
	return &Verifier{v: v, pub: pub, keyID: id}, nil
}

// Verify checks sig over data.
func (v *Verifier) Verify(ctx context.Context, data, sig []byte) error {
	if err := v.v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(data), options.WithContext(ctx)); err != nil {
		return fmt.Errorf("dssesig: verify: %w", err)
	}
	return nil
}

// KeyID returns the key id given to DSSE.
func (v *Verifier) KeyID() (string, error) { return v.keyID, nil }

// Public returns the public key.
func (v *Verifier) Public() crypto.PublicKey { return v.pub }
