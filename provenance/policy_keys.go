package provenance

import (
	"context"
	"crypto"
	"fmt"
	"path/filepath"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/internal/docread"
	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/internal/sigstorekeyless"
)

// This file holds the loading of a policy's keys: its PEM keys, its key
// files and the verifiers given in code all become a trustedKey here (by
// way of VerifierFromPEM), and nowhere else.

// trustedKey is one key a policy trusts, loaded: the caller's verifier and
// its DSSE adapter.
type trustedKey struct {
	source   signature.Verifier
	verifier dsse.Verifier
	public   crypto.PublicKey
}

// trustRoot is a TrustedBuilder with its keys loaded, each distinct key
// once, so that a key listed twice cannot count twice toward Threshold.
type trustRoot struct {
	TrustedBuilder
	keys       []trustedKey
	identities []*sigstorekeyless.Matcher
}

// loadKeys loads b's keys: Keys (PEM inline, or a file relative to dir)
// and Verifiers. where names the builder in errors.
func loadKeys(b *TrustedBuilder, dir, where string) ([]trustedKey, error) {
	var out []trustedKey
	add := func(name string, v signature.Verifier) error {
		if v == nil {
			return fmt.Errorf("%s: %w: nil verifier", name, ErrMalformed)
		}
		dv, err := dssesig.NewVerifier(context.Background(), v)
		if err != nil {
			return fmt.Errorf("%s: %w: %w", name, ErrMalformed, err)
		}
		pub := dv.Public()
		if pub == nil {
			return fmt.Errorf("%s: %w: no public key", name, ErrMalformed)
		}
		for _, k := range out {
			if sameKey(k.public, pub) {
				return nil
			}
		}
		out = append(out, trustedKey{source: v, verifier: dv, public: pub})
		return nil
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
			if pem, err = docread.ReadFile(context.Background(), f, docread.ConfigLimit); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			name = k.File
		}
		v, err := VerifierFromPEM(pem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", name, ErrMalformed, err)
		}
		if err := add(name, v); err != nil {
			return nil, err
		}
	}
	for j, v := range b.Verifiers {
		if err := add(fmt.Sprintf("%s.verifiers[%d]", where, j), v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// KeyID is the id [Verified].KeyIDs reports for a key: the lowercase hex
// SHA-256 of its DER SubjectPublicKeyInfo, or "" for a key that has none.
func KeyID(pub crypto.PublicKey) string {
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
func (r *trustRoot) verifiers() []signature.Verifier {
	out := make([]signature.Verifier, len(r.keys))
	for i, k := range r.keys {
		out[i] = k.source
	}
	return out
}
