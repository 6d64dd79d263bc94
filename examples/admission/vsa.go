package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
)

// checker decides whether a model digest may run: a VSA about it in the
// store passes gate.VerifyVSA (signed by a trusted gate key, PASSED, fresh
// and, when pinned, issued under the expected policy).
type checker struct {
	store  string // directory of VSA envelopes
	keys   []signature.Verifier
	maxAge time.Duration
	policy provenance.DigestSet // required policy digest, or nil
	now    func() time.Time
}

func newChecker(store string, keys []signature.Verifier, maxAge time.Duration, policyDigest string) (*checker, error) {
	c := &checker{store: store, keys: keys, maxAge: maxAge, now: time.Now}
	if policyDigest != "" {
		d, err := provenance.ParseDigest(policyDigest)
		if err != nil {
			return nil, fmt.Errorf("--policy-digest: %w", err)
		}
		c.policy = d
	}
	return c, nil
}

// check returns nil when digest ("sha256:HEX") has a passing VSA, or an
// error saying why not. Every failure denies: no VSA, a bad signature, a
// FAILED verdict, a stale one.
func (c *checker) check(ctx context.Context, digest string) error {
	want, err := provenance.ParseDigest(digest)
	if err != nil {
		return fmt.Errorf("model %s: %w", digest, err)
	}
	atts, err := provenance.ReadAttestations(c.store)
	if err != nil {
		return fmt.Errorf("VSA store: %w", err)
	}
	candidates := atts.About(gate.PredicateVSA, want)
	if len(candidates) == 0 {
		return fmt.Errorf("model %s: no verification summary (VSA) about it", digest)
	}
	var reasons []string
	for _, a := range candidates {
		_, err := gate.VerifyVSA(ctx, a.Envelope, gate.VerifyVSAOptions{
			Keys: c.keys, Subject: want, Policy: c.policy, MaxAge: c.maxAge, Now: c.now()})
		if err == nil {
			return nil
		}
		reasons = append(reasons, a.Source+": "+err.Error())
	}
	return fmt.Errorf("model %s: no passing verification summary: %s", digest, strings.Join(reasons, "; "))
}
