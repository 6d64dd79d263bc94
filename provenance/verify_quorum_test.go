package provenance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

// signedBy is an attestation of payload, one envelope signed by signers.
func signedBy(t *testing.T, source string, payload []byte, signers ...*testKey) provenance.Attestation {
	t.Helper()
	var svs []signature.SignerVerifier
	for _, k := range signers {
		svs = append(svs, k.signer)
	}
	env, err := provenance.SignPayload(context.Background(), payload, svs...)
	require.NoError(t, err)
	return provenance.Attestation{File: source, Source: source, Envelope: env}
}

func keyPolicy(threshold int, keys ...*testKey) *provenance.Policy {
	b := provenance.TrustedBuilder{ID: "https://ci.example.com/*", Threshold: threshold}
	for _, k := range keys {
		b.Keys = append(b.Keys, provenance.PublicKey{PEM: string(k.pubPEM)})
	}
	return &provenance.Policy{Builders: []provenance.TrustedBuilder{b}}
}

// reindent is payload with other whitespace and its subjects reversed:
// the same statement as a JSON value.
func reindent(t *testing.T, payload []byte) []byte {
	t.Helper()
	var st map[string]any
	require.NoError(t, json.Unmarshal(payload, &st))
	subj := st["subject"].([]any)
	for i, j := 0, len(subj)-1; i < j; i, j = i+1, j-1 {
		subj[i], subj[j] = subj[j], subj[i]
	}
	out, err := json.MarshalIndent(st, "", "    ")
	require.NoError(t, err)
	require.NotEqual(t, payload, out)
	return out
}

func TestVerifyQuorumKeys(t *testing.T) {
	ctx := context.Background()
	k1, k2, k3, stranger := newKey(t, "p256"), newKey(t, "ed25519"), newKey(t, "p384"), newKey(t, "p256")
	st := trainingStatement(t)
	payload, err := json.Marshal(st)
	require.NoError(t, err)
	// Another run: the same subject, another seed.
	other := trainingStatement(t)
	other.Predicate.BuildDefinition.ExternalParameters["seed"] = 7
	otherPayload, err := json.Marshal(other)
	require.NoError(t, err)
	// Two subjects, so that reordering them is a change of form only.
	two := trainingStatement(t)
	two.Subject = append(two.Subject, provenance.ResourceDescriptor{Name: "tokenizer.json", Digest: provenance.DigestSet{"sha256": hexA}})
	twoPayload, err := json.Marshal(two)
	require.NoError(t, err)

	tests := []struct {
		name      string
		threshold int
		atts      provenance.Attestations
		// wantSigners when met; else the counts of the QuorumError.
		wantSigners          int
		found, failed        int
		disagreeing, sources []string
	}{
		{name: "2 of 3 met by two envelopes", threshold: 2,
			atts:        provenance.Attestations{signedBy(t, "a", payload, k1), signedBy(t, "b", payload, k2)},
			wantSigners: 2, sources: []string{"a", "b"}},
		{name: "3 of 3 met by three envelopes", threshold: 3,
			atts:        provenance.Attestations{signedBy(t, "a", payload, k1), signedBy(t, "b", payload, k2), signedBy(t, "c", payload, k3)},
			wantSigners: 3, sources: []string{"a", "b", "c"}},
		{name: "one envelope with two signatures still counts both", threshold: 2,
			atts:        provenance.Attestations{signedBy(t, "a", payload, k1, k3)},
			wantSigners: 2, sources: []string{"a"}},
		{name: "the same statement in another form agrees", threshold: 2,
			atts:        provenance.Attestations{signedBy(t, "a", twoPayload, k1), signedBy(t, "b", reindent(t, twoPayload), k2)},
			wantSigners: 2, sources: []string{"a", "b"}},
		{name: "the same signer twice counts once", threshold: 2,
			atts:  provenance.Attestations{signedBy(t, "a", payload, k1), signedBy(t, "b", payload, k1)},
			found: 1},
		{name: "a signer nobody trusts does not count", threshold: 2,
			atts:  provenance.Attestations{signedBy(t, "a", payload, k1), signedBy(t, "b", payload, stranger)},
			found: 1, failed: 1},
		{name: "disagreeing statements are refused", threshold: 2,
			atts:  provenance.Attestations{signedBy(t, "a", payload, k1), signedBy(t, "b", otherPayload, k2)},
			found: 1, disagreeing: []string{"b"}},
		{name: "a dissenting third signer refuses a met threshold", threshold: 2,
			atts:  provenance.Attestations{signedBy(t, "a", payload, k1), signedBy(t, "b", payload, k2), signedBy(t, "c", otherPayload, k3)},
			found: 2, disagreeing: []string{"c"}},
		{name: "nothing verified", threshold: 2,
			atts:  provenance.Attestations{signedBy(t, "a", payload, stranger)},
			found: 0, failed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, res, err := tt.atts.VerifyQuorum(ctx, keyPolicy(tt.threshold, k1, k2, k3), provenance.VerifyOptions{Subjects: []provenance.DigestSet{{"sha256": hexB}}})
			require.Len(t, res, len(tt.atts))
			if tt.wantSigners > 0 {
				require.NoError(t, err)
				require.Len(t, q.Signers, tt.wantSigners)
				require.Equal(t, tt.threshold, q.Required)
				require.Equal(t, "https://ci.example.com/*", q.Builder)
				require.Equal(t, tt.sources, q.Sources)
				require.Equal(t, "https://ci.example.com/trainer", q.Verified.Statement.Predicate.RunDetails.Builder.ID)
				return
			}
			require.Nil(t, q)
			var qe *provenance.QuorumError
			require.ErrorAs(t, err, &qe)
			require.ErrorIs(t, err, provenance.ErrQuorum)
			require.Equal(t, tt.found, qe.Found)
			require.Len(t, qe.Signers, tt.found)
			require.Equal(t, tt.threshold, qe.Required)
			require.Equal(t, tt.failed, qe.Failed)
			require.Equal(t, tt.disagreeing, qe.Disagreeing)
			require.ErrorContains(t, err, "required distinct trusted signers")
		})
	}

	// Each attestation still meets every other rule in full: the wrong
	// artifact fails each one, and the quorum with them.
	atts := provenance.Attestations{signedBy(t, "a", payload, k1), signedBy(t, "b", payload, k2)}
	_, res, err := atts.VerifyQuorum(ctx, keyPolicy(2, k1, k2, k3), provenance.VerifyOptions{Subjects: []provenance.DigestSet{{"sha256": hexC}}})
	var qe *provenance.QuorumError
	require.ErrorAs(t, err, &qe)
	require.Equal(t, 2, qe.Failed)
	require.ErrorIs(t, res[0].Err, provenance.ErrSubjectMismatch)

	// Verify, one attestation at a time, keeps the threshold per envelope.
	res, err = atts.Verify(ctx, keyPolicy(2, k1, k2, k3), provenance.VerifyOptions{})
	require.NoError(t, err)
	require.Len(t, res.Failed(), 2)
	require.ErrorContains(t, res[0].Err, "1 of 2 required keys")

	// A policy that is wrong stops everything with its own error.
	_, _, err = atts.VerifyQuorum(ctx, keyPolicy(4, k1, k2, k3), provenance.VerifyOptions{})
	require.Error(t, err)
	require.False(t, errors.As(err, &qe))
}

// A keyless signer and a key count toward one threshold across separate
// attestations: the real npm provenance of sigstore@2.0.0, signed by the
// sigstore-js release workflow, and a key's envelope of the same statement.
func TestVerifyQuorumKeylessAndKey(t *testing.T) {
	ctx := context.Background()
	root := keylessData(t, "trusted_root_public_good.json")
	bundlePath := filepath.Join("testdata", "keyless", "good_npm_sigstore-2.0.0.sigstore.json")
	keyless, err := provenance.ReadAttestations(bundlePath)
	require.NoError(t, err)
	payload, err := keyless[0].Envelope.DecodeB64Payload()
	require.NoError(t, err)
	// The same statement with another predicate: a rival's claim.
	changed := bytes.Replace(payload, []byte(`"buildType":"https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"`),
		[]byte(`"buildType":"https://example.com/rebuild/v1"`), 1)
	require.NotEqual(t, payload, changed)

	reviewer, other := newKey(t, "p256"), newKey(t, "p256")
	policy := func(threshold int) *provenance.Policy {
		return &provenance.Policy{Builders: []provenance.TrustedBuilder{{
			ID: "https://github.com/actions/runner/github-hosted", Threshold: threshold,
			Keys:       []provenance.PublicKey{{PEM: string(reviewer.pubPEM)}, {PEM: string(other.pubPEM)}},
			Identities: []provenance.TrustedIdentity{sigstoreJSIdentity()},
		}}}
	}
	opts := provenance.VerifyOptions{TrustedRoot: root, Subjects: []provenance.DigestSet{tarballDigest(t, "sigstore-2.0.0.tgz")}}

	tests := []struct {
		name        string
		threshold   int
		atts        provenance.Attestations
		ok          bool
		found       int
		disagreeing []string
	}{
		{"keyless and key: 2 of 3", 2, provenance.Attestations{keyless[0], signedBy(t, "reviewer", payload, reviewer)}, true, 2, nil},
		{"keyless, key and key: 3 of 3", 3, provenance.Attestations{signedBy(t, "other", payload, other), keyless[0], signedBy(t, "reviewer", payload, reviewer)}, true, 3, nil},
		{"the same keyless bundle twice counts once", 2, provenance.Attestations{keyless[0], keyless[0]}, false, 1, nil},
		{"a key signs another statement", 2, provenance.Attestations{keyless[0], signedBy(t, "reviewer", changed, reviewer)}, false, 1, []string{"reviewer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _, err := tt.atts.VerifyQuorum(ctx, policy(tt.threshold), opts)
			if tt.ok {
				require.NoError(t, err)
				require.Len(t, q.Signers, tt.found)
				require.Contains(t, q.Signers, "identity[0] "+githubIssuer+" "+sigstoreJSSAN)
				require.Contains(t, q.Signers, "key "+provenance.KeyID(reviewer.priv.Public()))
				require.Len(t, q.Identities, 1)
				require.Equal(t, "https://github.com/sigstore/sigstore-js", q.Identities[0].SourceRepository)
				return
			}
			var qe *provenance.QuorumError
			require.ErrorAs(t, err, &qe)
			require.Equal(t, tt.found, qe.Found)
			require.Equal(t, tt.threshold, qe.Required)
			require.Equal(t, tt.disagreeing, qe.Disagreeing)
		})
	}
}

// BenchmarkVerifyQuorum compares the k-of-n decision across attestations
// with verifying the same attestations one by one: the real keyless npm
// bundle (sigstore-go's verification dominates) and a key's envelope of
// its statement. The quorum adds the agreement check on verified bytes.
func BenchmarkVerifyQuorum(b *testing.B) {
	ctx := context.Background()
	root, err := os.ReadFile(filepath.Join("testdata", "keyless", "trusted_root_public_good.json"))
	require.NoError(b, err)
	atts, err := provenance.ReadAttestations(filepath.Join("testdata", "keyless", "good_npm_sigstore-2.0.0.sigstore.json"))
	require.NoError(b, err)
	payload, err := atts[0].Envelope.DecodeB64Payload()
	require.NoError(b, err)
	k := newKey(b, "p256")
	env, err := provenance.SignPayload(ctx, payload, k.signer)
	require.NoError(b, err)
	atts = append(atts, provenance.Attestation{Source: "reviewer", Envelope: env})
	policy := &provenance.Policy{Builders: []provenance.TrustedBuilder{{
		ID: "https://github.com/actions/runner/github-hosted", Threshold: 2,
		Keys:       []provenance.PublicKey{{PEM: string(k.pubPEM)}},
		Identities: []provenance.TrustedIdentity{sigstoreJSIdentity()},
	}}}
	opts := provenance.VerifyOptions{TrustedRoot: root}
	b.Run("Verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := atts.Verify(ctx, policy, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("VerifyQuorum", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := atts.VerifyQuorum(ctx, policy, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
