package provenance_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

// Real GitHub artifact attestations (actions/attest-build-provenance) and
// an npm provenance bundle v0.3, from the GitHub CLI's test data (see
// testdata/keyless/SOURCE.md), verified offline.

const (
	// The reusable workflow that signed: GitHub's artifact attestation
	// workflow, called from malancas/attest-demo. Fulcio names the reusable
	// workflow in the SAN and the caller's repository in the source claims.
	reusableSAN      = "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d"
	reusableCallRepo = "https://github.com/malancas/attest-demo"
)

func reusableIdentity() provenance.TrustedIdentity {
	return provenance.TrustedIdentity{
		Issuer: githubIssuer, SAN: reusableSAN,
		SourceRepository:  reusableCallRepo,
		SourceRef:         "refs/heads/main",
		BuildSignerURI:    reusableSAN,
		BuildSignerDigest: "09b495c3f12c7881b3cc17209a327792065c1a1d",
		RunnerEnvironment: "github-hosted",
	}
}

func fileDigest(t *testing.T, path, alg string) provenance.DigestSet {
	t.Helper()
	d, err := provenance.DigestFile(context.Background(), filepath.Join("testdata", "keyless", path), alg)
	require.NoError(t, err)
	return d
}

// tamperPayload flips one byte of the statement inside the bundle's
// envelope, keeping its signature.
func tamperPayload(t *testing.T, data []byte) []byte {
	return editBundle(t, data, func(b map[string]any) {
		env := envelopeOf(b)
		body, err := base64.StdEncoding.DecodeString(env["payload"].(string))
		require.NoError(t, err)
		i := strings.Index(string(body), "refs/heads/main")
		require.Positive(t, i)
		body[i+len("refs/heads/")] = 'M'
		env["payload"] = base64.StdEncoding.EncodeToString(body)
	})
}

func TestVerifyGitHubAttestations(t *testing.T) {
	ctx := context.Background()
	publicGood := keylessData(t, "trusted_root_public_good.json")
	reusable := keylessData(t, "github/good_reusable-workflow.sigstore.json")
	npm := keylessData(t, "good_npm_sigstore-2.1.0.v0.3.sigstore.json")
	reusableArtifact := fileDigest(t, "github/github_provenance_demo-0.0.0-py3-none-any.whl", "sha256")
	npmTarball := fileDigest(t, "sigstore-2.1.0.tgz", "sha512")

	withRepo := func(id provenance.TrustedIdentity, repo string) provenance.TrustedIdentity {
		id.SourceRepository = repo
		return id
	}
	callerWorkflow := reusableIdentity()
	callerWorkflow.SAN = reusableCallRepo + "/.github/workflows/shared.yml@refs/heads/main"

	tests := []struct {
		name     string
		bundle   []byte
		identity provenance.TrustedIdentity
		subject  provenance.DigestSet
		// wantRule is the violated rule, "" when it verifies; wantReason a
		// part of the reason.
		wantRule, wantReason string
		wantRepo             string
	}{
		{name: "good: reusable workflow attestation", bundle: reusable, identity: reusableIdentity(), subject: reusableArtifact, wantRepo: reusableCallRepo},
		{name: "good: npm provenance bundle v0.3, sha512", bundle: npm, identity: sigstoreJSIdentity(), subject: npmTarball, wantRepo: "https://github.com/sigstore/sigstore-js"},
		{name: "fail: the caller's workflow is not the identity that signed", bundle: reusable, identity: callerWorkflow, subject: reusableArtifact,
			wantRule: provenance.RuleBuilder, wantReason: `san "` + reusableSAN + `" does not match`},
		{name: "fail: another repository claim", bundle: reusable, identity: withRepo(reusableIdentity(), "https://github.com/github/artifact-attestations-workflows"), subject: reusableArtifact,
			wantRule: provenance.RuleBuilder, wantReason: `sourceRepository "` + reusableCallRepo + `"`},
		{name: "fail: npm, another repository claim", bundle: npm, identity: withRepo(sigstoreJSIdentity(), "https://github.com/sigstore/sigstore-go"), subject: npmTarball,
			wantRule: provenance.RuleBuilder, wantReason: `sourceRepository "https://github.com/sigstore/sigstore-js"`},
		{name: "fail: another artifact", bundle: reusable, identity: reusableIdentity(), subject: fileDigest(t, "github/github_provenance_demo-0.0.12-py3-none-any.whl", "sha256"),
			wantRule: provenance.RuleSubject, wantReason: "no subject has digest sha256:ae57936d"},
		{name: "fail: tampered payload, reusable workflow", bundle: tamperPayload(t, reusable), identity: reusableIdentity(), subject: reusableArtifact,
			wantRule: provenance.RuleSignature, wantReason: "sigstore verification failed"},
		{name: "fail: tampered payload, npm v0.3", bundle: tamperPayload(t, npm), identity: sigstoreJSIdentity(), subject: npmTarball,
			wantRule: provenance.RuleSignature, wantReason: "sigstore verification failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := provenance.VerifyBundle(ctx, tt.bundle, identityPolicy(tt.identity),
				provenance.VerifyOptions{TrustedRoot: publicGood, Subjects: []provenance.DigestSet{tt.subject}})
			if tt.wantRule == "" {
				require.NoError(t, err)
				require.Equal(t, tt.wantRepo, v.Identity.SourceRepository)
				require.Equal(t, tt.identity.SAN, v.Identity.SAN)
				require.Equal(t, "https://github.com/actions/runner/github-hosted", v.Statement.Predicate.RunDetails.Builder.ID)
				return
			}
			require.Nil(t, v)
			var ve *provenance.VerificationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Violations, 1, "%v", err)
			require.Equal(t, tt.wantRule, ve.Violations[0].Rule)
			require.Contains(t, ve.Violations[0].Reason, tt.wantReason)
		})
	}
}

// An attestation of a private repository is signed by GitHub's own
// Fulcio instance (certificate issuer O=GitHub, Inc., CN=Fulcio
// Intermediate l2) and timestamped by GitHub's timestamp authority, not
// logged in the public Rekor: the public-good trusted root, or any other
// Sigstore instance's, does not verify it. The first thing sigstore-go
// finds missing is the transparency log entry mlsec requires; the
// certificate's CA is not in those roots either.
func TestVerifyGitHubFulcioBundleNeedsGitHubRoot(t *testing.T) {
	ctx := context.Background()
	atts, err := provenance.ReadAttestations(filepath.Join("testdata", "keyless", "github", "fail_github-fulcio_demo-0.0.12.jsonl"))
	require.NoError(t, err)
	require.Len(t, atts, 1)
	id := provenance.TrustedIdentity{Issuer: githubIssuer, SAN: "https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main"}
	subject := fileDigest(t, "github/github_provenance_demo-0.0.12-py3-none-any.whl", "sha256")
	// The statement is about the wheel at hand: only trust is missing.
	require.Len(t, atts.About("", subject), 1)
	for _, root := range []string{"trusted_root_public_good.json", "trusted_root_scaffolding.json"} {
		t.Run(root, func(t *testing.T) {
			res, err := atts.Verify(ctx, identityPolicy(id), provenance.VerifyOptions{TrustedRoot: keylessData(t, root), Subjects: []provenance.DigestSet{subject}})
			require.NoError(t, err)
			var ve *provenance.VerificationError
			require.ErrorAs(t, res[0].Err, &ve)
			require.Equal(t, provenance.RuleSignature, ve.Violations[0].Rule)
			require.Contains(t, ve.Violations[0].Reason, "not enough verified log entries from transparency log")
			require.ErrorIs(t, res[0].Err, provenance.ErrSignature)
		})
	}
}

// Under GitHub's own trusted root (its 2023-10-27 to 2024-05-25
// generation: the Fulcio and timestamp authority chains GitHub publishes
// through its TUF repository, see testdata/keyless/SOURCE.md) the same
// attestation verifies: the certificate chains to GitHub's Fulcio, and the
// signing time comes from GitHub's TSA, since that root has no
// transparency log. Another workflow's identity, a changed payload or a
// bundle stripped of its timestamp is refused under the same root.
func TestVerifyGitHubFulcioBundleWithGitHubRoot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join("testdata", "keyless", "github", "fail_github-fulcio_demo-0.0.12.jsonl")
	line, err := os.ReadFile(path)
	require.NoError(t, err)
	id := provenance.TrustedIdentity{Issuer: githubIssuer, SAN: "https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main"}
	subject := fileDigest(t, "github/github_provenance_demo-0.0.12-py3-none-any.whl", "sha256")
	opts := provenance.VerifyOptions{TrustedRoot: keylessData(t, "trusted_root_github_2023-10.json"), Subjects: []provenance.DigestSet{subject}}

	v, err := provenance.VerifyBundle(ctx, line, identityPolicy(id), opts)
	require.NoError(t, err)
	require.Equal(t, provenance.PredicateSLSAProvenance, v.Statement.PredicateType)

	other := id
	other.SAN = "https://github.com/actions/attest-demo/.github/workflows/other.yml@refs/heads/main"
	_, err = provenance.VerifyBundle(ctx, line, identityPolicy(other), opts)
	require.Error(t, err, "another workflow's identity")

	for name, b := range map[string][]byte{
		"payload changed": tamperPayload(t, line),
		"timestamp removed": editBundle(t, line, func(b map[string]any) {
			delete(b["verificationMaterial"].(map[string]any), "timestampVerificationData")
		}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := provenance.VerifyBundle(ctx, b, identityPolicy(id), opts)
			require.ErrorIs(t, err, provenance.ErrSignature)
		})
	}
}
