package provenance

import (
	"crypto"
	"fmt"
	"os"
	"path/filepath"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
)

// This file holds the loading of a policy's keys: its PEM keys, its key
// files and the verifiers given in code all become a trustedKey here (by
// way of VerifierFromPEM), and nowhere else.

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
