package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/provenance"
)

// PredicateVSA is the SLSA Verification Summary Attestation v1 predicate
// type: a verifier's signed verdict on an artifact, here the deploy gate's
// verdict on a model.
const PredicateVSA = "https://slsa.dev/verification_summary/v1"

// vsaPredicate holds the fields of a VSA v1 predicate the admission check
// reads (https://slsa.dev/spec/v1.0/verification_summary).
type vsaPredicate struct {
	Verifier struct {
		ID string `json:"id"`
	} `json:"verifier"`
	TimeVerified time.Time `json:"timeVerified"`
	ResourceURI  string    `json:"resourceUri"`
	Policy       struct {
		URI    string            `json:"uri"`
		Digest map[string]string `json:"digest"`
	} `json:"policy"`
	VerificationResult string `json:"verificationResult"`
}

// checker decides whether a model digest may run: a VSA about it, signed
// by a trusted key, says PASSED, is fresh, and (when pinned) names the
// expected policy.
type checker struct {
	store   string // directory of VSA envelopes
	policy  *provenance.Policy
	maxAge  time.Duration
	policyD string // required policy digest "alg:hex", or ""
	now     func() time.Time
}

func newChecker(store string, keys []signature.Verifier, maxAge time.Duration, policyDigest string) *checker {
	return &checker{
		store:   store,
		policy:  &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Verifiers: keys}}},
		maxAge:  maxAge,
		policyD: policyDigest,
		now:     time.Now,
	}
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
	candidates := atts.About(PredicateVSA, want)
	if len(candidates) == 0 {
		return fmt.Errorf("model %s: no verification summary (VSA) about it", digest)
	}
	results, err := candidates.Verify(ctx, c.policy, provenance.VerifyOptions{PredicateType: PredicateVSA, Subjects: []provenance.DigestSet{want}, Now: c.now()})
	if err != nil {
		return fmt.Errorf("model %s: %w", digest, err)
	}
	var reasons []string
	for _, r := range results {
		if r.Err != nil {
			reasons = append(reasons, r.Err.Error())
			continue
		}
		if err := c.accept(r.Verified.Payload); err != nil {
			reasons = append(reasons, r.Source+": "+err.Error())
			continue
		}
		return nil
	}
	return fmt.Errorf("model %s: no passing verification summary: %s", digest, strings.Join(reasons, "; "))
}

// accept checks a verified VSA's predicate.
func (c *checker) accept(payload []byte) error {
	var st struct {
		Predicate vsaPredicate `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return fmt.Errorf("malformed VSA predicate: %w", err)
	}
	p := st.Predicate
	if p.VerificationResult != "PASSED" {
		return fmt.Errorf("verificationResult %q", p.VerificationResult)
	}
	if p.TimeVerified.IsZero() {
		return fmt.Errorf("no timeVerified")
	}
	if age := c.now().Sub(p.TimeVerified); c.maxAge > 0 && age > c.maxAge {
		return fmt.Errorf("verified %s ago, more than %s", age.Round(time.Second), c.maxAge)
	}
	if c.policyD != "" {
		alg, hex, _ := strings.Cut(c.policyD, ":")
		if !strings.EqualFold(p.Policy.Digest[alg], hex) {
			return fmt.Errorf("verified under policy %v, not the pinned %s", p.Policy.Digest, c.policyD)
		}
	}
	return nil
}
