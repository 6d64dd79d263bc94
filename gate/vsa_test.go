package gate_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
)

const gateID = "https://ci.example.com/gate"

func TestVSA(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	ev := w.collect(t)
	pol := gate.DataPolicy{AllowGaps: true}
	d := pol.Decide(ctx, ev)
	require.True(t, d.Allowed, "%v", d.Violations)
	gateKey := newSigner(t)
	env, err := gate.SignVSA(ctx, d, ev, gate.VSAOptions{Verifier: gateID, Now: w.now}, gateKey)
	require.NoError(t, err)
	b, err := provenance.MarshalEnvelope(env)
	require.NoError(t, err)
	env, err = gate.ParseVSA(b)
	require.NoError(t, err)

	good := gate.VerifyVSAOptions{Keys: []signature.Verifier{gateKey}, Subject: w.modelDigest, Verifier: gateID,
		Policy: pol.Ref().Digest, MaxAge: time.Hour, Now: w.now.Add(time.Minute)}
	st, err := gate.VerifyVSA(ctx, env, good)
	require.NoError(t, err)
	require.Equal(t, gate.VSAPassed, st.Predicate.VerificationResult)
	require.Len(t, st.Predicate.InputAttestations, len(ev.Attestations))
	require.Equal(t, ev.Attestations[0].Digest, st.Predicate.InputAttestations[0].Digest)

	tests := []struct {
		name   string
		change func(o *gate.VerifyVSAOptions)
		reason string
	}{
		{"fail_other_subject", func(o *gate.VerifyVSAOptions) { o.Subject = w.dataset }, "subject"},
		{"fail_untrusted_key", func(o *gate.VerifyVSAOptions) { o.Keys = []signature.Verifier{w.key} }, "signature"},
		{"fail_other_verifier", func(o *gate.VerifyVSAOptions) { o.Verifier = "https://other.example.com/gate" }, "verifier"},
		{"fail_other_policy", func(o *gate.VerifyVSAOptions) { o.Policy = gate.DataPolicy{}.Ref().Digest }, "policy"},
		{"fail_stale", func(o *gate.VerifyVSAOptions) { o.Now = w.now.Add(2 * time.Hour) }, "older than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.change(&o)
			_, err := gate.VerifyVSA(ctx, env, o)
			var ve *gate.VSAError
			require.ErrorAs(t, err, &ve)
			require.Contains(t, ve.Reason, tc.reason)
		})
	}

	// A denial is signed as FAILED and never lets the model through.
	denied := gate.DataPolicy{}.Decide(ctx, ev)
	require.False(t, denied.Allowed)
	fenv, err := gate.SignVSA(ctx, denied, ev, gate.VSAOptions{Verifier: gateID, Now: w.now}, gateKey)
	require.NoError(t, err)
	o := good
	o.Policy = nil
	_, err = gate.VerifyVSA(ctx, fenv, o)
	require.ErrorContains(t, err, `verificationResult is "FAILED"`)
}

// TestVSAInToToTypes reads the VSA with in-toto's own Statement and
// VerificationSummary types: unknown or misnamed fields fail to decode.
func TestVSAInToToTypes(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	ev := w.collect(t)
	d := gate.DataPolicy{AllowGaps: true}.Decide(ctx, ev)
	st, err := gate.NewVSA(d, ev, gate.VSAOptions{Verifier: gateID, Now: w.now})
	require.NoError(t, err)
	b, err := json.Marshal(st)
	require.NoError(t, err)

	var s intoto.Statement
	require.NoError(t, protojson.Unmarshal(b, &s))
	require.NoError(t, s.Validate())
	require.Equal(t, gate.PredicateVSA, s.GetPredicateType())

	pb, err := json.Marshal(st.Predicate)
	require.NoError(t, err)
	var vs vsav1.VerificationSummary
	require.NoError(t, protojson.Unmarshal(pb, &vs))
	require.Equal(t, gateID, vs.GetVerifier().GetId())
	require.Equal(t, "PASSED", vs.GetVerificationResult())
	require.Equal(t, d.Policy.Digest["sha256"], vs.GetPolicy().GetDigest()["sha256"])
	require.Equal(t, w.now.Truncate(time.Second).Unix(), vs.GetTimeVerified().AsTime().Unix())
	require.Len(t, vs.GetInputAttestations(), 3)
	require.Equal(t, "1.0", vs.GetSlsaVersion())
}
