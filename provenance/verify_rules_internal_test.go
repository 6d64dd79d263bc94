package provenance

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
)

// Each rule step of Verify, tested on its own: a table of policies and
// statements per rule, and the violations that rule alone reports.

var ruleNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const (
	ruleHexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	ruleHexB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

type ruleKey struct {
	signer signature.SignerVerifier
	pub    crypto.PublicKey
	v      signature.Verifier
}

func newRuleKey(t *testing.T) ruleKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sv, err := signature.LoadDefaultSignerVerifier(priv)
	require.NoError(t, err)
	v, err := VerifierFromPublicKey(priv.Public())
	require.NoError(t, err)
	return ruleKey{signer: sv, pub: priv.Public(), v: v}
}

// ruleStatement is a training statement finished an hour before ruleNow.
func ruleStatement(t *testing.T) *Statement {
	t.Helper()
	r := NewRecorder("https://ci.example.com/trainer", BuildTypeTraining, RecorderOptions{Clock: func() time.Time { return ruleNow.Add(-time.Hour) }})
	r.SetParameter("entrypoint", "train.py")
	r.SetParameter("seed", 42)
	r.AddInput(ResourceDescriptor{Name: "data", Digest: DigestSet{"dirHash": ruleHexA}})
	r.AddInput(ResourceDescriptor{Name: "image", URI: "oci://registry.example.com/trainer", Digest: DigestSet{"sha256": ruleHexB}})
	r.AddOutput(ResourceDescriptor{Name: "model.bin", Digest: DigestSet{"sha256": ruleHexB}})
	st, err := r.Finish()
	require.NoError(t, err)
	return st
}

// ruleCase is one row of a rule's table.
type ruleCase struct {
	name     string
	policy   Policy
	edit     func(*Statement)
	other    string // verify as a statement of this other predicate type
	subjects []DigestSet
	want     []string // the rules violated, in order; none for a pass
	sentinel error
}

// runRule applies rule alone to each case.
func runRule(t *testing.T, rule func(*ruleInput) []*Violation, cases []ruleCase) {
	t.Helper()
	k := newRuleKey(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.policy
			p.Builders = []TrustedBuilder{{ID: "*", Verifiers: []signature.Verifier{k.v}}}
			cp, err := compilePolicy(&p, "", "policy")
			require.NoError(t, err)
			st := ruleStatement(t)
			if c.edit != nil {
				c.edit(st)
			}
			vst := &verifiedStatement{predicateType: st.PredicateType, subject: st.Subject, slsa: st}
			if c.other != "" {
				vst = &verifiedStatement{predicateType: c.other, subject: st.Subject}
			}
			vs := rule(&ruleInput{policy: cp, st: vst, signers: []crypto.PublicKey{k.pub}, subjects: c.subjects, now: ruleNow})
			requireViolations(t, vs, c.want, c.sentinel)
		})
	}
}

func requireViolations(t *testing.T, vs []*Violation, want []string, sentinel error) {
	t.Helper()
	var got []string
	for _, v := range vs {
		got = append(got, v.Rule)
		require.NotEmpty(t, v.Reason)
		if sentinel != nil {
			require.ErrorIs(t, v, sentinel)
		}
	}
	require.Equal(t, want, got, "violations: %v", vs)
}

func TestRulePayloadType(t *testing.T) {
	for _, c := range []struct {
		payloadType string
		ok          bool
	}{
		{PayloadType, true},
		{"application/json", false},
		{"", false},
		{"application/vnd.in-toto+json ", false},
	} {
		v := checkPayloadType(&dsse.Envelope{PayloadType: c.payloadType})
		if c.ok {
			require.Nil(t, v, c.payloadType)
			continue
		}
		require.NotNil(t, v, c.payloadType)
		require.Equal(t, RulePayloadType, v.Rule)
		require.ErrorIs(t, v, ErrPayloadType)
	}
}

func TestRuleSignature(t *testing.T) {
	ctx := context.Background()
	a, b, c := newRuleKey(t), newRuleKey(t), newRuleKey(t)
	body, err := ruleStatement(t).Marshal()
	require.NoError(t, err)
	sign := func(keys ...ruleKey) *dsse.Envelope {
		env := &dsse.Envelope{PayloadType: PayloadType, Payload: base64.StdEncoding.EncodeToString(body), Signatures: []dsse.Signature{}}
		for _, k := range keys {
			one, err := SignPayload(ctx, body, k.signer)
			require.NoError(t, err)
			env.Signatures = append(env.Signatures, one.Signatures...)
		}
		return env
	}
	renamed := sign(a)
	renamed.Signatures[0].KeyID = "someone-else"
	tampered := sign(a)
	tampered.Payload = base64.StdEncoding.EncodeToString(append(body[:len(body)-1:len(body)-1], ' ', '}'))
	policy := &Policy{Builders: []TrustedBuilder{{ID: "x", Verifiers: []signature.Verifier{a.v}}, {ID: "y", Verifiers: []signature.Verifier{b.v, a.v}}}}
	for _, tc := range []struct {
		name    string
		env     *dsse.Envelope
		signers int
		reason  string
	}{
		{"trusted key", sign(a), 1, ""},
		{"two trusted keys", sign(a, b), 2, ""},
		{"a trusted and an unknown key", sign(c, a), 1, ""},
		{"keyid is a hint, not trust", renamed, 1, ""},
		{"unknown key", sign(c), 0, "no signature by a key the policy trusts"},
		{"not signed", sign(), 0, "the envelope is not signed"},
		{"payload changed after signing", tampered, 0, "no signature by a key the policy trusts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp, err := compilePolicy(policy, "", "policy")
			require.NoError(t, err)
			signers, got, v, err := checkSignature(ctx, tc.env, cp)
			require.NoError(t, err)
			if tc.reason != "" {
				require.NotNil(t, v)
				require.Equal(t, RuleSignature, v.Rule)
				require.Equal(t, tc.reason, v.Reason)
				require.ErrorIs(t, v, ErrSignature)
				require.Nil(t, got)
				return
			}
			require.Nil(t, v)
			require.Len(t, signers, tc.signers)
			require.Equal(t, body, got)
		})
	}
}

func TestRuleStatement(t *testing.T) {
	slsa, err := ruleStatement(t).Marshal()
	require.NoError(t, err)
	const testResult = "https://in-toto.io/attestation/test-result/v0.1"
	result := func(mod func(map[string]any)) []byte {
		m := map[string]any{
			"_type":         StatementType,
			"subject":       []any{map[string]any{"name": "data", "digest": map[string]any{"dirHash": ruleHexA}}},
			"predicateType": testResult,
			"predicate":     map[string]any{"result": "PASSED"},
		}
		if mod != nil {
			mod(m)
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	for _, c := range []struct {
		name          string
		body          []byte
		predicateType string
		sentinel      error // nil for a pass
	}{
		{"SLSA provenance", slsa, "", nil},
		{"SLSA provenance named", slsa, PredicateSLSAProvenance, nil},
		{"SLSA provenance where a test result is wanted", slsa, testResult, ErrPredicateType},
		{"test result", result(nil), testResult, nil},
		{"test result where SLSA is wanted", result(nil), "", ErrPredicateType},
		// Statement v0.1 carries SLSA v0.2 (npm provenance before 2023):
		// read for predicate types other than SLSA v1; any other _type not.
		{"statement v0.1", result(func(m map[string]any) { m["_type"] = "https://in-toto.io/Statement/v0.1" }), testResult, nil},
		{"unknown statement type", result(func(m map[string]any) { m["_type"] = "https://in-toto.io/Statement/v9" }), testResult, ErrStatementType},
		{"no subject", result(func(m map[string]any) { delete(m, "subject") }), testResult, ErrMalformed},
		{"subject without digest", result(func(m map[string]any) { m["subject"] = []any{map[string]any{"name": "x"}} }), testResult, ErrMalformed},
		{"subject digest of the wrong length", result(func(m map[string]any) {
			m["subject"] = []any{map[string]any{"digest": map[string]any{"sha256": "abcd"}}}
		}), testResult, ErrMalformed},
		{"duplicate key", []byte(`{"_type":"` + StatementType + `","_type":"x","subject":[],"predicateType":"` + testResult + `"}`), testResult, ErrDuplicateKey},
		{"not JSON", []byte(`{"_type":`), testResult, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, v := checkStatement(c.body, c.predicateType)
			if c.sentinel == nil {
				require.Nil(t, v)
				require.NotEmpty(t, st.subject)
				require.Equal(t, st.predicateType == PredicateSLSAProvenance, st.slsa != nil)
				return
			}
			require.NotNil(t, v)
			require.Equal(t, RuleStatement, v.Rule)
			require.ErrorIs(t, v, c.sentinel)
		})
	}
}

func TestRuleBuilders(t *testing.T) {
	a, b, c := newRuleKey(t), newRuleKey(t), newRuleKey(t)
	trainer := TrustedBuilder{ID: "https://ci.example.com/trainer", Verifiers: []signature.Verifier{a.v}}
	prefix := TrustedBuilder{ID: "https://ci.example.com/*", Verifiers: []signature.Verifier{b.v}}
	pair := TrustedBuilder{ID: "https://ci.example.com/trainer", Threshold: 2, Verifiers: []signature.Verifier{a.v, b.v, c.v}}
	for _, tc := range []struct {
		name      string
		builders  []TrustedBuilder
		builderID string
		other     bool // a statement that names no builder
		signers   []crypto.PublicKey
		want      string // the matched builder, or "" when a violation is wanted
		reason    string
	}{
		{name: "exact id", builders: []TrustedBuilder{trainer}, signers: []crypto.PublicKey{a.pub}, want: trainer.ID},
		{name: "prefix id", builders: []TrustedBuilder{prefix}, signers: []crypto.PublicKey{b.pub}, want: prefix.ID},
		{name: "second entry for the same id", builders: []TrustedBuilder{trainer, prefix}, signers: []crypto.PublicKey{b.pub}, want: prefix.ID},
		{name: "untrusted id", builders: []TrustedBuilder{trainer}, builderID: "https://laptop.example.com/x", signers: []crypto.PublicKey{a.pub}, reason: `builder.id "https://laptop.example.com/x" is not a trusted builder`},
		{name: "key of another builder", builders: []TrustedBuilder{trainer, {ID: "https://ci.example.com/datasets", Verifiers: []signature.Verifier{b.v}}}, signers: []crypto.PublicKey{b.pub}, reason: `0 of 1 required keys of "https://ci.example.com/trainer" signed`},
		{name: "threshold met", builders: []TrustedBuilder{pair}, signers: []crypto.PublicKey{c.pub, a.pub}, want: pair.ID},
		{name: "threshold short", builders: []TrustedBuilder{pair}, signers: []crypto.PublicKey{a.pub}, reason: `1 of 2 required keys of "https://ci.example.com/trainer" signed`},
		{name: "other predicate type, any entry", builders: []TrustedBuilder{trainer, prefix}, other: true, signers: []crypto.PublicKey{b.pub}, want: prefix.ID},
		{name: "other predicate type, threshold short", builders: []TrustedBuilder{pair}, other: true, signers: []crypto.PublicKey{b.pub}, reason: "1 of 2 required keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp, err := compilePolicy(&Policy{Builders: tc.builders}, "", "policy")
			require.NoError(t, err)
			st := ruleStatement(t)
			if tc.builderID != "" {
				st.Predicate.RunDetails.Builder.ID = tc.builderID
			}
			vst := &verifiedStatement{predicateType: st.PredicateType, subject: st.Subject, slsa: st}
			if tc.other {
				vst = &verifiedStatement{predicateType: "https://in-toto.io/attestation/test-result/v0.1", subject: st.Subject}
			}
			got, vs := checkBuilders(&ruleInput{policy: cp, st: vst, signers: tc.signers, now: ruleNow})
			if tc.want != "" {
				require.Empty(t, vs)
				require.Equal(t, tc.want, got.builder)
				require.NotEmpty(t, got.keyIDs)
				return
			}
			requireViolations(t, vs, []string{RuleBuilder}, ErrUntrustedBuilder)
			require.Contains(t, vs[0].Reason, tc.reason)
		})
	}
}

func TestRuleBuildType(t *testing.T) {
	runRule(t, checkBuildType, []ruleCase{
		{name: "any when none listed"},
		{name: "allowed", policy: Policy{BuildTypes: []string{BuildTypeDataset, BuildTypeTraining}}},
		{name: "not allowed", policy: Policy{BuildTypes: []string{BuildTypeDataset}}, want: []string{RuleBuildType}, sentinel: ErrBuildType},
		{name: "not SLSA", policy: Policy{BuildTypes: []string{BuildTypeTraining}}, other: "https://example.com/p", want: []string{RuleBuildType}, sentinel: ErrBuildType},
		{name: "not SLSA, no rule", other: "https://example.com/p"},
	})
}

func TestRuleDigestAlgorithms(t *testing.T) {
	runRule(t, checkDigestAlgorithms, []ruleCase{
		{name: "defaults"},
		{name: "subject in another algorithm", policy: Policy{DigestAlgorithms: []string{"sha512"}},
			edit: func(st *Statement) { st.Predicate.BuildDefinition.ResolvedDependencies = nil },
			want: []string{RuleDigestAlgorithms}, sentinel: ErrDigestAlgorithm},
		{name: "subject and dependencies", policy: Policy{DigestAlgorithms: []string{"gitCommit"}},
			want: []string{RuleDigestAlgorithms, RuleDigestAlgorithms, RuleDigestAlgorithms}, sentinel: ErrDigestAlgorithm},
		{name: "dependency without digest is not judged", policy: Policy{DigestAlgorithms: []string{"sha256"}},
			edit: func(st *Statement) { st.Predicate.BuildDefinition.ResolvedDependencies[0].Digest = nil }},
		{name: "md5 only", edit: func(st *Statement) { st.Subject[0].Digest = DigestSet{"md5": strings.Repeat("a", 32)} },
			want: []string{RuleDigestAlgorithms}, sentinel: ErrDigestAlgorithm},
		{name: "not SLSA: subjects only", policy: Policy{DigestAlgorithms: []string{"sha256"}}, other: "https://example.com/p"},
	})
}

func TestRuleSubject(t *testing.T) {
	runRule(t, checkSubject, []ruleCase{
		{name: "nothing asked"},
		{name: "match", subjects: []DigestSet{{"sha256": ruleHexB}}},
		{name: "match, upper case", subjects: []DigestSet{{"sha256": strings.ToUpper(ruleHexB)}}},
		{name: "mismatch", subjects: []DigestSet{{"sha256": ruleHexA}}, want: []string{RuleSubject}, sentinel: ErrSubjectMismatch},
		{name: "each is checked", subjects: []DigestSet{{"sha256": ruleHexB}, {"sha256": ruleHexA}, {"dirHash": ruleHexB}}, want: []string{RuleSubject, RuleSubject}, sentinel: ErrSubjectMismatch},
		{name: "only by an accepted algorithm", policy: Policy{DigestAlgorithms: []string{"sha512"}}, subjects: []DigestSet{{"sha256": ruleHexB}}, want: []string{RuleSubject}, sentinel: ErrSubjectMismatch},
		{name: "not SLSA", other: "https://example.com/p", subjects: []DigestSet{{"sha256": ruleHexB}}},
	})
}

func TestRuleMaxAge(t *testing.T) {
	at := func(d time.Duration) func(*Statement) {
		return func(st *Statement) {
			ts := ruleNow.Add(d)
			st.Predicate.RunDetails.Metadata = &BuildMetadata{FinishedOn: &ts}
		}
	}
	day := Policy{MaxAge: Duration(24 * time.Hour)}
	runRule(t, checkMaxAge, []ruleCase{
		{name: "no bound"},
		{name: "fresh", policy: day},
		{name: "stale", policy: day, edit: at(-25 * time.Hour), want: []string{RuleMaxAge}, sentinel: ErrStale},
		{name: "slightly in the future", policy: day, edit: at(time.Minute)},
		{name: "far in the future", policy: day, edit: at(time.Hour), want: []string{RuleMaxAge}, sentinel: ErrStale},
		{name: "started only", policy: day, edit: func(st *Statement) {
			ts := ruleNow.Add(-48 * time.Hour)
			st.Predicate.RunDetails.Metadata = &BuildMetadata{StartedOn: &ts}
		}, want: []string{RuleMaxAge}, sentinel: ErrStale},
		{name: "no timestamp", policy: day, edit: func(st *Statement) { st.Predicate.RunDetails.Metadata = nil }, want: []string{RuleMaxAge}, sentinel: ErrStale},
		{name: "not SLSA: no timestamp", policy: day, other: "https://example.com/p", want: []string{RuleMaxAge}, sentinel: ErrStale},
	})
}

func TestRuleDependencies(t *testing.T) {
	data := DependencyRule{Name: "data", Digests: []DigestSet{{"dirHash": ruleHexA}}}
	image := DependencyRule{URI: "oci://registry.example.com/*", PinnedBy: "sha256"}
	runRule(t, checkDependencies, []ruleCase{
		{name: "no rules"},
		{name: "required, approved", policy: Policy{Dependencies: DependencyPolicy{Required: []DependencyRule{data, image}}}},
		{name: "required, other version", policy: Policy{Dependencies: DependencyPolicy{Required: []DependencyRule{{Name: "data", Digests: []DigestSet{{"dirHash": ruleHexB}}}}}},
			want: []string{"dependencies.required[0]"}, sentinel: ErrDependency},
		{name: "required, absent", policy: Policy{Dependencies: DependencyPolicy{Required: []DependencyRule{image, {Name: "tokenizer"}}}},
			want: []string{"dependencies.required[1]"}, sentinel: ErrDependency},
		{name: "required, not pinned", policy: Policy{Dependencies: DependencyPolicy{Required: []DependencyRule{image}}},
			edit: func(st *Statement) { st.Predicate.BuildDefinition.ResolvedDependencies[1].Digest = nil },
			want: []string{"dependencies.required[0]"}, sentinel: ErrDependency},
		{name: "allowed, all", policy: Policy{Dependencies: DependencyPolicy{Allowed: []DependencyRule{data, image}}}},
		{name: "allowed, one unknown", policy: Policy{Dependencies: DependencyPolicy{Allowed: []DependencyRule{data}}},
			want: []string{"dependencies.allowed"}, sentinel: ErrDependency},
		{name: "allowed, selected but not satisfied", policy: Policy{Dependencies: DependencyPolicy{Allowed: []DependencyRule{image, {Name: "data", PinnedBy: "sha256"}}}},
			want: []string{"dependencies.allowed"}, sentinel: ErrDependency},
		{name: "not SLSA", policy: Policy{Dependencies: DependencyPolicy{Required: []DependencyRule{data}}}, other: "https://example.com/p",
			want: []string{RuleDependencies}, sentinel: ErrDependency},
	})
}

func TestRuleExternalParameters(t *testing.T) {
	params := func(f func(map[string]any)) func(*Statement) {
		return func(st *Statement) { f(st.Predicate.BuildDefinition.ExternalParameters) }
	}
	runRule(t, checkExternalParameters, []ruleCase{
		{name: "no expectations"},
		{name: "exact, as JSON", policy: Policy{ExternalParameters: map[string]ParamRule{"seed": {Exact: 42.0}, "entrypoint": {Exact: "train.py"}}}},
		{name: "exact, other value", policy: Policy{ExternalParameters: map[string]ParamRule{"seed": {Exact: 7}}},
			want: []string{"externalParameters.seed"}, sentinel: ErrExternalParameters},
		{name: "oneOf", policy: Policy{ExternalParameters: map[string]ParamRule{"seed": {OneOf: []any{1, 42}}}}},
		{name: "oneOf, none", policy: Policy{ExternalParameters: map[string]ParamRule{"seed": {OneOf: []any{1, 2}}}},
			want: []string{"externalParameters.seed"}, sentinel: ErrExternalParameters},
		{name: "any, missing", policy: Policy{ExternalParameters: map[string]ParamRule{"hyperparameters.lr": {Any: true}}},
			want: []string{"externalParameters.hyperparameters.lr"}, sentinel: ErrExternalParameters},
		{name: "dotted path", policy: Policy{ExternalParameters: map[string]ParamRule{"hyperparameters.lr": {Exact: 0.1}}},
			edit: params(func(m map[string]any) { m["hyperparameters"] = map[string]any{"lr": 0.1} })},
		{name: "unknown rejected", policy: Policy{RejectUnknownParameters: true, ExternalParameters: map[string]ParamRule{"seed": {Any: true}}},
			want: []string{"externalParameters.entrypoint"}, sentinel: ErrExternalParameters},
		{name: "buildType schema", edit: params(func(m map[string]any) { m["learningRate"] = 1 }),
			want: []string{"externalParameters.schema"}, sentinel: ErrExternalParameters},
		{name: "not SLSA", policy: Policy{ExternalParameters: map[string]ParamRule{"seed": {Any: true}}}, other: "https://example.com/p",
			want: []string{RuleExternalParameters}, sentinel: ErrExternalParameters},
	})
}

// Verify composes the steps: the rules after the signature all run, in
// the order of statementRules, and nothing after a failed signature does.
func TestVerifyComposesRules(t *testing.T) {
	ctx := context.Background()
	k := newRuleKey(t)
	st := ruleStatement(t)
	st.Predicate.BuildDefinition.BuildType = BuildTypeDataset
	env, err := Sign(ctx, st, k.signer)
	require.NoError(t, err)
	p := &Policy{
		Builders:   []TrustedBuilder{{ID: "https://ci.example.com/other", Verifiers: []signature.Verifier{k.v}}},
		BuildTypes: []string{BuildTypeTraining},
		MaxAge:     Duration(time.Minute),
	}
	_, err = Verify(ctx, env, p, VerifyOptions{Now: ruleNow, Subjects: []DigestSet{{"sha256": ruleHexA}}})
	var ve *VerificationError
	require.True(t, errors.As(err, &ve))
	var rules []string
	for _, v := range ve.Violations {
		rules = append(rules, v.Rule)
	}
	require.Equal(t, []string{RuleBuilder, RuleBuildType, RuleSubject, RuleMaxAge, "externalParameters.schema"}, rules)

	other := newRuleKey(t)
	p.Builders[0].Verifiers = []signature.Verifier{other.v}
	_, err = Verify(ctx, env, p, VerifyOptions{Now: ruleNow})
	require.True(t, errors.As(err, &ve))
	require.Len(t, ve.Violations, 1)
	require.Equal(t, RuleSignature, ve.Violations[0].Rule)
}

// FuzzCheckStatement: the statement step reads any verified payload, of
// any predicate type, without panicking, and what it accepts has the
// subjects the later rules rely on.
func FuzzCheckStatement(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"`+ruleHexA+`"}}],"predicateType":"https://in-toto.io/attestation/test-result/v0.1","predicate":{"result":"PASSED"}}`), "https://in-toto.io/attestation/test-result/v0.1")
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{}}],"predicateType":"x"}`), "x")
	f.Add([]byte(`[]`), "")
	f.Fuzz(func(t *testing.T, body []byte, predicateType string) {
		st, v := checkStatement(body, predicateType)
		if v != nil {
			if v.Rule != RuleStatement || !errors.Is(v, v.Err) {
				t.Fatalf("violation %+v", v)
			}
			return
		}
		if len(st.subject) == 0 {
			t.Fatal("accepted a statement without subjects")
		}
		for _, s := range st.subject {
			if len(s.Digest) == 0 {
				t.Fatal("accepted a subject without digest")
			}
		}
	})
}
