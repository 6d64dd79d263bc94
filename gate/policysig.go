package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/provenance"
)

// PredicatePolicy is the predicate type of a policy approval: an in-toto
// statement whose subject is a gate policy (Rego module or data policy
// file) by its SHA-256, signed by whoever may approve policies. The policy
// file stays as it is; the approval travels beside it (a detached
// signature), and is verified like every other attestation mlsec reads.
const PredicatePolicy = "https://mlsec-dev.github.io/mlsec/gate/policy-approval/v1"

// The rules a policy check names in a PolicyError.
const (
	RulePolicyDigest    = "policy.digest"
	RulePolicySignature = "policy.signature"
)

// PolicyApproval is the predicate of a policy approval statement.
type PolicyApproval struct {
	// URI names the policy as the VSA will (its file name, say).
	URI string `json:"uri,omitempty"`
}

// PolicyTrust says what must vouch for a policy's bytes before it is
// used. The zero value trusts any policy.
type PolicyTrust struct {
	// Digest pins the policy: bytes whose SHA-256 differs are refused.
	Digest provenance.DigestSet
	// Keys are the keys trusted to approve policies. When set, a policy
	// must carry Signature, an approval signed by one of them.
	Keys []signature.Verifier
	// Signature is the policy's approval (SignPolicy), a DSSE envelope.
	Signature *dsse.Envelope
}

// PolicyError is a policy that is not vouched for: its digest is not the
// pinned one, or its approval is missing, not signed by a trusted key, or
// about other bytes.
type PolicyError struct {
	Policy string
	Rule   string // RulePolicyDigest or RulePolicySignature
	Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("gate: policy %s: %s: %s", e.Policy, e.Rule, e.Reason)
}

// SignPolicy approves a policy: it signs an in-toto statement (predicate
// PredicatePolicy) whose subject is the policy by its SHA-256, named name.
// Write the envelope beside the policy (provenance.MarshalEnvelope) and
// give it to VerifyPolicy, or to `mlsec gate --policy-signature`.
func SignPolicy(ctx context.Context, name string, src []byte, signer signature.SignerVerifier) (*dsse.Envelope, error) {
	sum := sha256.Sum256(src)
	st := struct {
		Type          string                          `json:"_type"`
		Subject       []provenance.ResourceDescriptor `json:"subject"`
		PredicateType string                          `json:"predicateType"`
		Predicate     PolicyApproval                  `json:"predicate"`
	}{
		Type:          provenance.StatementType,
		Subject:       []provenance.ResourceDescriptor{{Name: name, Digest: provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}}},
		PredicateType: PredicatePolicy,
		Predicate:     PolicyApproval{URI: name},
	}
	body, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("gate: policy %s: %w", name, err)
	}
	return provenance.SignPayload(ctx, body, signer)
}

// VerifyPolicy checks that src, the bytes of the policy named name, is
// the pinned policy (t.Digest) and approved by a trusted key (t.Keys):
// the approval must verify under those keys, as an attestation of type
// PredicatePolicy whose subject is src's SHA-256. A policy changed after
// it was approved, an approval signed by another key, or none when keys
// are given, is a *PolicyError. Use the bytes that were checked, never the
// file read again.
func VerifyPolicy(ctx context.Context, name string, src []byte, t PolicyTrust) error {
	sum := sha256.Sum256(src)
	digest := provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}
	if len(t.Digest) > 0 {
		want, ok := t.Digest["sha256"]
		if !ok {
			return &PolicyError{Policy: name, Rule: RulePolicyDigest, Reason: "pin it by sha256"}
		}
		if !strings.EqualFold(want, digest["sha256"]) {
			return &PolicyError{Policy: name, Rule: RulePolicyDigest,
				Reason: fmt.Sprintf("sha256 %s is not the pinned %s", digest["sha256"], want)}
		}
	}
	if len(t.Keys) == 0 {
		if t.Signature != nil {
			// An approval nobody checks would look like protection.
			return errors.New("gate: policy " + name + ": a signature but no key to verify it with")
		}
		return nil
	}
	if t.Signature == nil {
		return &PolicyError{Policy: name, Rule: RulePolicySignature, Reason: "a signed policy is required and it has no signature"}
	}
	pol := &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Verifiers: t.Keys}}}
	_, err := provenance.Verify(ctx, t.Signature, pol, provenance.VerifyOptions{
		Input: name + " signature", PredicateType: PredicatePolicy, Subjects: []provenance.DigestSet{digest},
	})
	var ve *provenance.VerificationError
	if errors.As(err, &ve) {
		var reasons []string
		for _, v := range ve.Violations {
			switch v.Rule {
			case provenance.RuleSubject:
				reasons = append(reasons, "the signature approves other bytes: the policy was changed after it was signed")
			default:
				reasons = append(reasons, v.Error())
			}
		}
		return &PolicyError{Policy: name, Rule: RulePolicySignature, Reason: strings.Join(reasons, "; ")}
	}
	if err != nil {
		return fmt.Errorf("gate: policy %s: %w", name, err)
	}
	return nil
}
