package provenance

import (
	"context"
	"crypto"
	"fmt"
	"os"
	"path/filepath"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/internal/keyfile"
)

// This file holds every conversion from a key the policy names to a
// verifier Verify uses: a policy's PEM keys, its key files and the
// verifiers given in code all end up as a trustedKey here, and nowhere else.

// trustedKey is one key a policy trusts, loaded.
type trustedKey struct {
	verifier dsse.Verifier
	public   crypto.PublicKey
}

// trustRoot is a TrustedBuilder with its keys loaded, each distinct key
// once, so that a key listed twice cannot count twice toward Threshold.
type trustRoot struct {
	TrustedBuilder
	keys []trustedKey
}

// loadKeys loads b's keys: Keys (PEM inline, or a file relative to dir)
// and Verifiers. where names the builder in errors.
func loadKeys(b *TrustedBuilder, dir, where string) ([]trustedKey, error) {
	var out []trustedKey
	add := func(v dsse.Verifier) {
		pub := v.Public()
		for _, k := range out {
			if sameKey(k.public, pub) {
				return
			}
		}
		out = append(out, trustedKey{verifier: v, public: pub})
	}
	for j, k := range b.Keys {
		name := fmt.Sprintf("%s.keys[%d]", where, j)
		pem := []byte(k.PEM)
		if k.File != "" {
			f := k.File
			if !filepath.IsAbs(f) {
				f = filepath.Join(dir, f)
			}
			var err error
			if pem, err = os.ReadFile(f); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			name = k.File
		}
		v, err := VerifierFromPEM(pem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", name, ErrMalformed, err)
		}
		add(v)
	}
	for j, v := range b.Verifiers {
		if v == nil || v.Public() == nil {
			return nil, fmt.Errorf("%s.verifiers[%d]: %w: no public key", where, j, ErrMalformed)
		}
		add(v)
	}
	return out, nil
}

// VerifierFromPEM returns a DSSE verifier for a PEM public key or
// certificate (ECDSA P-256/P-384, Ed25519 or RSA PKCS#1 v1.5), with the hash
// conventionally paired with the key: SHA-256 for P-256 and RSA, SHA-384
// for P-384, pure Ed25519.
func VerifierFromPEM(pem []byte) (dsse.Verifier, error) {
	pub, err := keyfile.ParsePublicKey(pem)
	if err != nil {
		return nil, err
	}
	return VerifierFromPublicKey(pub)
}

// VerifierFromPublicKey wraps a public key as a DSSE verifier.
func VerifierFromPublicKey(pub crypto.PublicKey) (dsse.Verifier, error) {
	h, err := dssesig.DefaultHash(pub)
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadVerifier(pub, h)
	if err != nil {
		return nil, err
	}
	return dssesig.NewVerifier(context.Background(), sv)
}

// keyID is the id Verified.KeyIDs reports for a key.
func keyID(pub crypto.PublicKey) string {
	id, _ := dssesig.KeyID(pub)
	return id
}

// sameKey compares two public keys by value.
func sameKey(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// indexKey finds pub in keys by value.
func indexKey(keys []crypto.PublicKey, pub crypto.PublicKey) int {
	for i, k := range keys {
		if sameKey(pub, k) {
			return i
		}
	}
	return -1
}

// verifiers returns the root's keys as verifiers, each distinct key once.
func (r *trustRoot) verifiers() []dsse.Verifier {
	out := make([]dsse.Verifier, len(r.keys))
	for i, k := range r.keys {
		out[i] = k.verifier
	}
	return out
}
