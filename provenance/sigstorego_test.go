package provenance_test

import (
	"context"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

// sigstore-go, the reference Sigstore verifier, verifies the Sigstore
// bundle v0.3 mlsec writes (key-signed, no transparency log) and returns
// the same in-toto Statement.
func TestSigstoreGoVerifiesMlsecBundle(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "p256")
	st := trainingStatement(t)
	env, err := provenance.Sign(ctx, st, k.signer)
	require.NoError(t, err)
	data, err := provenance.MarshalBundle(env, "trainer-key")
	require.NoError(t, err)

	var b bundle.Bundle
	require.NoError(t, b.UnmarshalJSON(data))
	v, err := signature.LoadDefaultVerifier(k.priv.Public())
	require.NoError(t, err)
	trusted := root.NewTrustedPublicKeyMaterialFromMapping(map[string]*root.ExpiringKey{
		"trainer-key": root.NewExpiringKey(v, time.Time{}, time.Time{}),
	})
	sv, err := verify.NewVerifier(trusted, verify.WithNoObserverTimestamps())
	require.NoError(t, err)
	res, err := sv.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", mustHex(t, hexB)), verify.WithKey()))
	require.NoError(t, err)
	require.Equal(t, provenance.PredicateSLSAProvenance, res.Statement.GetPredicateType())
	require.Equal(t, "model.safetensors", res.Statement.GetSubject()[0].GetName())

	// A bundle whose payload was swapped does not verify.
	swapped := trainingStatement(t)
	swapped.Predicate.RunDetails.Metadata.InvocationID = "run-666"
	other, err := provenance.Unsigned(swapped)
	require.NoError(t, err)
	require.NotEqual(t, env.Payload, other.Payload)
	env.Payload = other.Payload
	forged, err := provenance.MarshalBundle(env, "trainer-key")
	require.NoError(t, err)
	var fb bundle.Bundle
	require.NoError(t, fb.UnmarshalJSON(forged))
	_, err = sv.Verify(&fb, verify.NewPolicy(verify.WithArtifactDigest("sha256", mustHex(t, hexB)), verify.WithKey()))
	require.Error(t, err)
}
