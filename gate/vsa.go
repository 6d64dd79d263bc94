package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/provenance"
)

// PredicateVSA is the predicate type of a SLSA Verification Summary
// Attestation v1 (https://slsa.dev/spec/v1.0/verification_summary).
const PredicateVSA = "https://slsa.dev/verification_summary/v1"

// VSA results, as the specification names them.
const (
	VSAPassed = "PASSED"
	VSAFailed = "FAILED"
)

// VSAPredicate is the VSA v1 predicate, in the specification's field
// names (the same JSON as in-toto's VerificationSummary protobuf type).
type VSAPredicate struct {
	Verifier           VSAVerifier    `json:"verifier"`
	TimeVerified       time.Time      `json:"timeVerified"`
	ResourceURI        string         `json:"resourceUri"`
	Policy             PolicyRef      `json:"policy"`
	InputAttestations  []VSAInput     `json:"inputAttestations,omitempty"`
	VerificationResult string         `json:"verificationResult"`
	VerifiedLevels     []string       `json:"verifiedLevels"`
	DependencyLevels   map[string]int `json:"dependencyLevels,omitempty"`
	SlsaVersion        string         `json:"slsaVersion,omitempty"`
}

// VSAVerifier names who verified: the gate's identity.
type VSAVerifier struct {
	ID string `json:"id"`
}

// VSAInput is one attestation the decision rested on, by digest.
type VSAInput struct {
	URI    string               `json:"uri"`
	Digest provenance.DigestSet `json:"digest"`
}

// VSAStatement is an in-toto Statement v1 carrying a VSA.
type VSAStatement struct {
	Type          string                          `json:"_type"`
	Subject       []provenance.ResourceDescriptor `json:"subject"`
	PredicateType string                          `json:"predicateType"`
	Predicate     VSAPredicate                    `json:"predicate"`
}

// VSAOptions configure SignVSA.
type VSAOptions struct {
	// Verifier is the gate's identity (verifier.id), a URI. Required.
	Verifier string
	// ResourceURI names the model where it is deployed from (default: the
	// subject's name).
	ResourceURI string
	// VerifiedLevels are the levels a passing decision vouches for
	// (default "MLSEC_GATE_V1" when passed, none when failed).
	VerifiedLevels []string
	// Now is the verification time (default time.Now()).
	Now time.Time
}

// NewVSA builds the VSA statement for a decision over its evidence.
func NewVSA(d *Decision, ev *Evidence, opts VSAOptions) (*VSAStatement, error) {
	if opts.Verifier == "" {
		return nil, errors.New("gate: VSA: no verifier id")
	}
	if d == nil || ev == nil || len(d.Subject.Digest) == 0 {
		return nil, errors.New("gate: VSA: no decision or subject")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	uri := opts.ResourceURI
	if uri == "" {
		uri = d.Subject.Name
	}
	p := VSAPredicate{
		Verifier: VSAVerifier{ID: opts.Verifier}, TimeVerified: now.UTC().Truncate(time.Second),
		ResourceURI: uri, Policy: d.Policy, VerificationResult: VSAFailed, VerifiedLevels: []string{},
		SlsaVersion: "1.0",
	}
	if d.Allowed {
		p.VerificationResult = VSAPassed
		p.VerifiedLevels = opts.VerifiedLevels
		if len(p.VerifiedLevels) == 0 {
			p.VerifiedLevels = []string{"MLSEC_GATE_V1"}
		}
	}
	for _, a := range ev.Attestations {
		p.InputAttestations = append(p.InputAttestations, VSAInput{URI: a.Source, Digest: a.Digest})
	}
	return &VSAStatement{
		Type:          provenance.StatementType,
		Subject:       []provenance.ResourceDescriptor{{Name: d.Subject.Name, Digest: d.Subject.Digest}},
		PredicateType: PredicateVSA,
		Predicate:     p,
	}, nil
}

// SignVSA builds the VSA for a decision and signs it as a DSSE envelope
// with the caller's key (any sigstore SignerVerifier: a key file, a KMS,
// an HSM). A denial is signed too, as a FAILED summary.
func SignVSA(ctx context.Context, d *Decision, ev *Evidence, opts VSAOptions, signer signature.SignerVerifier) (*dsse.Envelope, error) {
	st, err := NewVSA(d, ev, opts)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("gate: VSA: %w", err)
	}
	return provenance.SignPayload(ctx, body, signer)
}

// VerifyVSAOptions say what a VSA must be to let a model through.
type VerifyVSAOptions struct {
	// Keys are the gate keys trusted to sign VSAs. Required.
	Keys []signature.Verifier
	// Subject is the digest of the model at hand. Required.
	Subject provenance.DigestSet
	// Verifier, when set, is the verifier.id the VSA must name.
	Verifier string
	// Policy, when set, pins the policy digest the VSA must name.
	Policy provenance.DigestSet
	// MaxAge bounds the age of timeVerified; no bound when zero.
	MaxAge time.Duration
	// Now is the time ages are measured against (default time.Now()).
	Now time.Time
}

// VSAError is a VSA that does not let the model through, with the reason.
type VSAError struct{ Reason string }

func (e *VSAError) Error() string { return "gate: VSA rejected: " + e.Reason }

// VerifyVSA checks a VSA envelope: signed by a trusted key, about the
// subject, PASSED, and (when asked) by the verifier, under the policy and
// recent enough. It returns the verified statement.
func VerifyVSA(ctx context.Context, env *dsse.Envelope, opts VerifyVSAOptions) (*VSAStatement, error) {
	if len(opts.Keys) == 0 {
		return nil, errors.New("gate: VerifyVSA: no trusted key")
	}
	if len(opts.Subject) == 0 {
		return nil, errors.New("gate: VerifyVSA: no subject")
	}
	pol := &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Verifiers: opts.Keys}}}
	v, err := provenance.Verify(ctx, env, pol, provenance.VerifyOptions{
		PredicateType: PredicateVSA, Subjects: []provenance.DigestSet{opts.Subject}, Now: opts.Now,
	})
	if err != nil {
		return nil, &VSAError{Reason: err.Error()}
	}
	var st VSAStatement
	if err := json.Unmarshal(v.Payload, &st); err != nil {
		return nil, &VSAError{Reason: "predicate: " + err.Error()}
	}
	p := st.Predicate
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	switch {
	case p.VerificationResult != VSAPassed:
		return &st, &VSAError{Reason: fmt.Sprintf("verificationResult is %q", p.VerificationResult)}
	case opts.Verifier != "" && p.Verifier.ID != opts.Verifier:
		return &st, &VSAError{Reason: fmt.Sprintf("verifier %q is not %q", p.Verifier.ID, opts.Verifier)}
	case len(opts.Policy) > 0 && !digestsMatch(p.Policy.Digest, opts.Policy):
		return &st, &VSAError{Reason: fmt.Sprintf("policy %s is not the pinned %s", fmtDigest(p.Policy.Digest), fmtDigest(opts.Policy))}
	case opts.MaxAge > 0 && now.Sub(p.TimeVerified) > opts.MaxAge:
		return &st, &VSAError{Reason: fmt.Sprintf("verified at %s, older than %s", p.TimeVerified.Format(time.RFC3339), opts.MaxAge)}
	case p.TimeVerified.After(now.Add(5 * time.Minute)):
		return &st, &VSAError{Reason: "timeVerified is in the future"}
	}
	return &st, nil
}

// ParseVSA reads a VSA envelope (DSSE JSON, or a Sigstore bundle).
func ParseVSA(data []byte) (*dsse.Envelope, error) {
	if strings.Contains(string(data[:min(len(data), 512)]), "mediaType") {
		env, _, err := provenance.ParseBundle(data)
		return env, err
	}
	return provenance.ParseEnvelope(data)
}
