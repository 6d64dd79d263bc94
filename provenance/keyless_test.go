package provenance_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

// The vectors in testdata/keyless are real Sigstore bundles published by
// the ecosystem (see testdata/keyless/SOURCE.md), verified offline against
// the public-good trusted root shipped with sigstore-go v1.3.0.

const (
	githubIssuer  = "https://token.actions.githubusercontent.com"
	sigstoreJSSAN = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
	slsaV02       = "https://slsa.dev/provenance/v0.2"
)

func keylessData(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keyless", name))
	require.NoError(t, err)
	return b
}

func tarballDigest(t *testing.T, name string) provenance.DigestSet {
	t.Helper()
	d, err := provenance.DigestFile(context.Background(), filepath.Join("testdata", "keyless", name), "sha512")
	require.NoError(t, err)
	return d
}

func sigstoreJSIdentity() provenance.TrustedIdentity {
	return provenance.TrustedIdentity{
		Issuer: githubIssuer, SAN: sigstoreJSSAN,
		SourceRepository: "https://github.com/sigstore/sigstore-js", SourceRef: "refs/heads/main",
		RunnerEnvironment: "github-hosted", BuildTrigger: "push",
	}
}

func identityPolicy(ids ...provenance.TrustedIdentity) *provenance.Policy {
	return &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Identities: ids}}}
}

// editBundle decodes a bundle, lets edit change it, and encodes it again.
func editBundle(t *testing.T, data []byte, edit func(b map[string]any)) []byte {
	t.Helper()
	var b map[string]any
	require.NoError(t, json.Unmarshal(data, &b))
	edit(b)
	out, err := json.Marshal(b)
	require.NoError(t, err)
	return out
}

func envelopeOf(b map[string]any) map[string]any { return b["dsseEnvelope"].(map[string]any) }

func TestVerifyKeylessVectors(t *testing.T) {
	root := keylessData(t, "trusted_root_public_good.json")
	ctx := context.Background()
	tests := []struct {
		name, bundle, predicateType, tarball string
		want                                 provenance.SignerIdentity
	}{
		// npm provenance of sigstore@2.0.0: bundle v0.1, SLSA v1, sha512.
		{name: "npm sigstore@2.0.0", bundle: "good_npm_sigstore-2.0.0.sigstore.json", tarball: "sigstore-2.0.0.tgz",
			want: provenance.SignerIdentity{Issuer: githubIssuer, SAN: sigstoreJSSAN, SourceRef: "refs/heads/main", SourceDigest: "f0b49a04e5a62250e0f60fb128004a73110fe311"}},
		// npm provenance of sigstore@1.3.0: bundle v0.1, SLSA v0.2, sha512.
		{name: "npm sigstore@1.3.0", bundle: "good_npm_sigstore-1.3.0.sigstore.json", predicateType: slsaV02, tarball: "sigstore-1.3.0.tgz",
			want: provenance.SignerIdentity{Issuer: githubIssuer, SAN: sigstoreJSSAN, SourceRef: "refs/heads/main", SourceDigest: "dae8bd8eb433a4147b4655c00fe73e0f22bc0fb1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := provenance.VerifyBundle(ctx, keylessData(t, tt.bundle), identityPolicy(sigstoreJSIdentity()), provenance.VerifyOptions{
				TrustedRoot: root, PredicateType: tt.predicateType, Subjects: []provenance.DigestSet{tarballDigest(t, tt.tarball)},
			})
			require.NoError(t, err)
			require.NotNil(t, v.Identity)
			require.Equal(t, tt.want.Issuer, v.Identity.Issuer)
			require.Equal(t, tt.want.SAN, v.Identity.SAN)
			require.Equal(t, "https://github.com/sigstore/sigstore-js", v.Identity.SourceRepository)
			require.Equal(t, tt.want.SourceRef, v.Identity.SourceRef)
			require.Equal(t, tt.want.SourceDigest, v.Identity.SourceDigest)
			require.Equal(t, "sha512", firstAlg(v.Subject[0].Digest))
		})
	}

	// sigstore-go's own example: a v0.1 bundle signed by an email
	// identity of the GitHub OAuth issuer, in 2022.
	t.Run("sigstore-go dsse example", func(t *testing.T) {
		id := provenance.TrustedIdentity{Issuer: "https://github.com/login/oauth", SAN: "brian@dehamer.com"}
		v, err := provenance.VerifyBundle(ctx, keylessData(t, "good_slsa-provenance-0.0.7.sigstore.json"), identityPolicy(id),
			provenance.VerifyOptions{TrustedRoot: root, PredicateType: slsaV02})
		require.NoError(t, err)
		require.Equal(t, "brian@dehamer.com", v.Identity.SAN)
	})
}

func firstAlg(d provenance.DigestSet) string {
	for a := range d {
		return a
	}
	return ""
}

func TestVerifyKeylessRejections(t *testing.T) {
	ctx := context.Background()
	root := keylessData(t, "trusted_root_public_good.json")
	good := keylessData(t, "good_npm_sigstore-2.0.0.sigstore.json")
	subject := []provenance.DigestSet{tarballDigest(t, "sigstore-2.0.0.tgz")}

	// A root whose Fulcio CAs are another instance's: the certificate
	// chains to a CA the root does not trust.
	var pg, other map[string]any
	require.NoError(t, json.Unmarshal(root, &pg))
	require.NoError(t, json.Unmarshal(keylessData(t, "trusted_root_scaffolding.json"), &other))
	pg["certificateAuthorities"] = other["certificateAuthorities"]
	otherCARoot, err := json.Marshal(pg)
	require.NoError(t, err)

	withID := func(edit func(*provenance.TrustedIdentity)) *provenance.Policy {
		id := sigstoreJSIdentity()
		edit(&id)
		return identityPolicy(id)
	}
	tests := []struct {
		name     string
		bundle   []byte
		policy   *provenance.Policy
		root     []byte
		subjects []provenance.DigestSet
		rule     string
		reason   string
	}{
		{name: "another workflow", bundle: good, rule: provenance.RuleBuilder, reason: `san "` + sigstoreJSSAN + `" does not match`,
			policy: withID(func(id *provenance.TrustedIdentity) {
				id.SAN = "https://github.com/sigstore/sigstore-js/.github/workflows/other.yml@refs/heads/main"
			})},
		{name: "another issuer", bundle: good, rule: provenance.RuleBuilder, reason: `issuer "` + githubIssuer + `" does not match`,
			policy: withID(func(id *provenance.TrustedIdentity) { id.Issuer = "https://accounts.google.com" })},
		{name: "another ref", bundle: good, rule: provenance.RuleBuilder, reason: `sourceRepositoryRef "refs/heads/main", want "refs/tags/v2.0.0"`,
			policy: withID(func(id *provenance.TrustedIdentity) { id.SourceRef = "refs/tags/v2.0.0" })},
		{name: "self-hosted runner required", bundle: good, rule: provenance.RuleBuilder, reason: `runnerEnvironment "github-hosted", want "self-hosted"`,
			policy: withID(func(id *provenance.TrustedIdentity) { id.RunnerEnvironment = "self-hosted" })},
		{name: "another repository", bundle: good, rule: provenance.RuleBuilder, reason: `sourceRepository "https://github.com/sigstore/sigstore-js"`,
			policy: withID(func(id *provenance.TrustedIdentity) {
				id.SourceRepository = "https://github.com/sigstore/sigstore-python"
			})},
		{name: "san regexp is anchored", bundle: good, rule: provenance.RuleBuilder, reason: "does not match regexp",
			policy: withID(func(id *provenance.TrustedIdentity) {
				id.SAN, id.SANRegexp = "", `https://github\.com/sigstore/`
			})},
		{name: "another artifact", bundle: good, rule: provenance.RuleSubject, reason: "no subject has digest",
			subjects: []provenance.DigestSet{tarballDigest(t, "sigstore-1.3.0.tgz")}},
		// The log entry records the signature: a flipped byte fails there first.
		{name: "flipped signature byte", rule: provenance.RuleSignature, reason: "transparency log signature does not match",
			bundle: editBundle(t, good, func(b map[string]any) {
				sig := envelopeOf(b)["signatures"].([]any)[0].(map[string]any)
				raw, err := base64.StdEncoding.DecodeString(sig["sig"].(string))
				require.NoError(t, err)
				raw[len(raw)/2] ^= 0x01
				sig["sig"] = base64.StdEncoding.EncodeToString(raw)
			})},
		{name: "changed payload", rule: provenance.RuleSignature, reason: "does not match envelope payload hash",
			bundle: editBundle(t, good, func(b map[string]any) {
				env := envelopeOf(b)
				raw, err := base64.StdEncoding.DecodeString(env["payload"].(string))
				require.NoError(t, err)
				var st map[string]any
				require.NoError(t, json.Unmarshal(raw, &st))
				st["subject"].([]any)[0].(map[string]any)["name"] = "pkg:npm/evil@2.0.0"
				raw, err = json.Marshal(st)
				require.NoError(t, err)
				env["payload"] = base64.StdEncoding.EncodeToString(raw)
			})},
		{name: "certificate from a CA the root does not trust", bundle: good, root: otherCARoot, rule: provenance.RuleSignature, reason: "leaf certificate verification failed"},
		{name: "no certificate", rule: provenance.RuleSignature, reason: "the policy trusts no key",
			bundle: editBundle(t, good, func(b map[string]any) {
				vm := b["verificationMaterial"].(map[string]any)
				delete(vm, "x509CertificateChain")
				vm["publicKey"] = map[string]any{"hint": "attacker"}
			})},
		// The signed entry timestamp covers integratedTime: a time moved out
		// of the certificate's ten minutes leaves no verified log entry.
		{name: "entry time outside the certificate's validity", rule: provenance.RuleSignature, reason: "not enough verified log entries",
			bundle: editBundle(t, good, func(b map[string]any) {
				e := b["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
				e["integratedTime"] = "1692461135" // a day after signing
			})},
		{name: "no trusted root", bundle: good, root: []byte{}, rule: provenance.RuleSignature, reason: "none given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			if p == nil {
				p = identityPolicy(sigstoreJSIdentity())
			}
			r := root
			if tt.root != nil {
				r = tt.root
			}
			subs := subject
			if tt.subjects != nil {
				subs = tt.subjects
			}
			_, err := provenance.VerifyBundle(ctx, tt.bundle, p, provenance.VerifyOptions{TrustedRoot: r, Subjects: subs, Input: "b.sigstore.json"})
			var ve *provenance.VerificationError
			require.ErrorAs(t, err, &ve, "%v", err)
			require.Len(t, ve.Violations, 1, "%v", err)
			require.Equal(t, tt.rule, ve.Violations[0].Rule)
			require.Contains(t, ve.Violations[0].Reason, tt.reason)
		})
	}
}

// Keys and identities in one trusted builder count toward one threshold:
// a keyless bundle is one signer.
func TestKeylessThresholdAcrossKeysAndIdentities(t *testing.T) {
	ctx := context.Background()
	root := keylessData(t, "trusted_root_public_good.json")
	good := keylessData(t, "good_npm_sigstore-2.0.0.sigstore.json")
	k := newKey(t, "p256")
	doc := `
version: 1
builders:
  - id: "https://github.com/actions/runner/github-hosted"
    threshold: THRESHOLD
    keys:
      - pem: |
` + indent(string(k.pubPEM), "          ") + `
    identities:
      - issuer: https://token.actions.githubusercontent.com
        sanRegexp: 'https://github\.com/sigstore/sigstore-js/\.github/workflows/release\.yml@refs/heads/.*'
        runnerEnvironment: github-hosted
`
	for _, tt := range []struct {
		threshold string
		ok        bool
	}{{"1", true}, {"2", false}} {
		t.Run("threshold "+tt.threshold, func(t *testing.T) {
			p, err := provenance.ParsePolicy([]byte(replaceAll(doc, "THRESHOLD", tt.threshold)), t.TempDir())
			require.NoError(t, err)
			v, err := provenance.VerifyBundle(ctx, good, p, provenance.VerifyOptions{TrustedRoot: root})
			if tt.ok {
				require.NoError(t, err)
				require.Equal(t, sigstoreJSSAN, v.Identity.SAN)
				require.Empty(t, v.KeyIDs)
				return
			}
			require.ErrorContains(t, err, `builders: builder.id "https://github.com/actions/runner/github-hosted": 1 of 2 required signers (keys and identities)`)
		})
	}
	_, err := provenance.ParsePolicy([]byte(replaceAll(doc, "THRESHOLD", "3")), t.TempDir())
	require.ErrorContains(t, err, "threshold 3 but 1 distinct key(s) and 1 identity rule(s)")
}

func TestPolicyIdentityProblems(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"issuer and issuerRegexp", `{"builders":[{"id":"*","identities":[{"issuer":"a","issuerRegexp":"b","san":"c"}]}]}`, "schema"},
		{"no san", `{"builders":[{"id":"*","identities":[{"issuer":"a"}]}]}`, "schema"},
		{"bad regexp", `{"builders":[{"id":"*","identities":[{"issuer":"a","sanRegexp":"("}]}]}`, "identities[0]: sanRegexp"},
		{"unknown claim", `{"builders":[{"id":"*","identities":[{"issuer":"a","san":"b","workflow":"c"}]}]}`, "schema"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := provenance.ParsePolicy([]byte(tt.doc), "")
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// A JSON Lines file of bundles, as GitHub publishes attestations, is read
// bundle by bundle, each verified whole.
func TestKeylessJSONL(t *testing.T) {
	atts, err := provenance.ReadAttestations(filepath.Join("testdata", "keyless", "attestations", "npm-sigstore.jsonl"))
	require.NoError(t, err)
	require.Len(t, atts, 2)
	require.Equal(t, []string{"sha512"}, atts.SubjectAlgorithms())
	res, err := atts.Verify(context.Background(), identityPolicy(sigstoreJSIdentity()),
		provenance.VerifyOptions{TrustedRoot: keylessData(t, "trusted_root_public_good.json")})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.Equal(t, sigstoreJSSAN, res[0].Verified.Identity.SAN)
	// The second is SLSA v0.2, not the predicate type asked for.
	require.ErrorContains(t, res[1].Err, "statement")
}

func indent(s, pad string) string {
	return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}

func replaceAll(s, old, new string) string { return strings.ReplaceAll(s, old, new) }
