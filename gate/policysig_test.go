package gate_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
)

func TestSignedPolicy(t *testing.T) {
	ctx := context.Background()
	approver, other := newSigner(t), newSigner(t)
	src := []byte(regoRequireAll)
	sum := sha256.Sum256(src)
	pin := provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}
	sig, err := gate.SignPolicy(ctx, "p.rego", src, approver)
	require.NoError(t, err)
	otherSig, err := gate.SignPolicy(ctx, "p.rego", src, other)
	require.NoError(t, err)
	// A statement about the policy's digest signed by the approver, but
	// not an approval: a VSA-typed statement must not stand in for one.
	notApproval, err := provenance.SignPayload(ctx, []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"p.rego","digest":{"sha256":"`+pin["sha256"]+`"}}],"predicateType":"`+gate.PredicateVSA+`","predicate":{}}`), approver)
	require.NoError(t, err)

	tests := []struct {
		name  string
		src   []byte
		trust gate.PolicyTrust
		rule  string // the rule of the *PolicyError; none = accepted
		msg   string
	}{
		{name: "good_signature", src: src, trust: gate.PolicyTrust{Keys: []signature.Verifier{approver}, Signature: sig}},
		{name: "good_signature_and_pin", src: src, trust: gate.PolicyTrust{Digest: pin, Keys: []signature.Verifier{other, approver}, Signature: sig}},
		{name: "good_unsigned_not_required", src: src},
		{name: "fail_wrong_key", src: src, trust: gate.PolicyTrust{Keys: []signature.Verifier{approver}, Signature: otherSig},
			rule: gate.RulePolicySignature, msg: "no signature by a key the policy trusts"},
		{name: "fail_tampered_policy", src: append([]byte(regoRequireAll), "\ndeny contains \"x\" if false\n"...),
			trust: gate.PolicyTrust{Keys: []signature.Verifier{approver}, Signature: sig},
			rule:  gate.RulePolicySignature, msg: "changed after it was signed"},
		{name: "fail_missing_signature", src: src, trust: gate.PolicyTrust{Keys: []signature.Verifier{approver}},
			rule: gate.RulePolicySignature, msg: "has no signature"},
		{name: "fail_not_an_approval", src: src, trust: gate.PolicyTrust{Keys: []signature.Verifier{approver}, Signature: notApproval},
			rule: gate.RulePolicySignature, msg: "predicateType"},
		{name: "fail_signature_stripped", src: src, trust: gate.PolicyTrust{Keys: []signature.Verifier{approver},
			Signature: &dsse.Envelope{PayloadType: sig.PayloadType, Payload: sig.Payload, Signatures: []dsse.Signature{}}},
			rule: gate.RulePolicySignature, msg: "not signed"},
		{name: "fail_pin", src: append([]byte(regoRequireAll), '\n'), trust: gate.PolicyTrust{Digest: pin},
			rule: gate.RulePolicyDigest, msg: "is not the pinned"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := gate.VerifyPolicy(ctx, "p.rego", tc.src, tc.trust)
			_, rerr := gate.NewRegoPolicy(ctx, "p.rego", tc.src, gate.RegoOptions{Digest: tc.trust.Digest, Keys: tc.trust.Keys, Signature: tc.trust.Signature})
			if tc.rule == "" {
				require.NoError(t, err)
				require.NoError(t, rerr)
				return
			}
			for _, e := range []error{err, rerr} {
				var pe *gate.PolicyError
				require.True(t, errors.As(e, &pe), "%v", e)
				require.Equal(t, tc.rule, pe.Rule)
				require.Equal(t, "p.rego", pe.Policy)
				require.Contains(t, pe.Reason, tc.msg)
			}
		})
	}

	t.Run("fail_signature_without_keys", func(t *testing.T) {
		// An approval no key checks would look like protection.
		err := gate.VerifyPolicy(ctx, "p.rego", src, gate.PolicyTrust{Signature: sig})
		require.ErrorContains(t, err, "no key to verify it with")
	})
}
