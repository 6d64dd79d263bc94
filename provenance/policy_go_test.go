package provenance_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

// equivalencePolicyYAML uses every rule of the policy format.
const equivalencePolicyYAML = `version: 1
builders:
  - id: https://ci.example.com/*
    keys: [{file: trainer.pub}]
    threshold: 1
buildTypes: [%s]
digestAlgorithms: [sha256, dirHash]
maxAge: 720h
dependencies:
  required:
    - name: train-data
      digests: [{dirHash: %s}]
  allowed:
    - name: train-data
    - uri: oci://registry.example.com/*
      pinnedBy: sha256
externalParameters:
  entrypoint: {exact: train.py}
  seed: {oneOf: [42, 43]}
  hyperparameters.lr: {any: true}
rejectUnknownParameters: true
`

// equivalencePolicyGo is the same policy built in Go, its key given as
// Keys (a file or inline PEM), as a user writing the policy in code would.
func equivalencePolicyGo(key provenance.PublicKey) *provenance.Policy {
	return &provenance.Policy{
		Version:          1,
		Builders:         []provenance.TrustedBuilder{{ID: "https://ci.example.com/*", Keys: []provenance.PublicKey{key}, Threshold: 1}},
		BuildTypes:       []string{provenance.BuildTypeTraining},
		DigestAlgorithms: []string{"sha256", "dirHash"},
		MaxAge:           provenance.Duration(720 * time.Hour),
		Dependencies: provenance.DependencyPolicy{
			Required: []provenance.DependencyRule{{Name: "train-data", Digests: []provenance.DigestSet{{"dirHash": hexA}}}},
			Allowed: []provenance.DependencyRule{
				{Name: "train-data"},
				{URI: "oci://registry.example.com/*", PinnedBy: "sha256"},
			},
		},
		ExternalParameters: map[string]provenance.ParamRule{
			"entrypoint":         {Exact: "train.py"},
			"seed":               {OneOf: []any{42, 43}},
			"hyperparameters.lr": {Any: true},
		},
		RejectUnknownParameters: true,
	}
}

// A policy built in Go and the same policy parsed from YAML give the same
// verdict, rule for rule, on a statement that passes and on one that
// breaks each rule. Before, a Go policy's Keys were ignored and every
// statement failed with "the policy lists no key".
func TestPolicyGoEqualsParsed(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "p256")
	dir := t.TempDir()
	keyFile := k.writePub(t, dir, "trainer.pub")
	parsed, err := provenance.ParsePolicy(fmt.Appendf(nil, equivalencePolicyYAML, provenance.BuildTypeTraining, hexA), dir)
	require.NoError(t, err)
	policies := map[string]*provenance.Policy{
		"yaml":         parsed,
		"go, key file": equivalencePolicyGo(provenance.PublicKey{File: keyFile}),
		"go, PEM":      equivalencePolicyGo(provenance.PublicKey{PEM: string(k.pubPEM)}),
	}
	for name, p := range policies {
		require.NoError(t, p.Validate(), name)
	}

	type edit func(st *provenance.Statement)
	params := func(f func(map[string]any)) edit {
		return func(st *provenance.Statement) { f(st.Predicate.BuildDefinition.ExternalParameters) }
	}
	cases := []struct {
		name     string
		edit     edit
		signer   signature.SignerVerifier
		subjects []provenance.DigestSet
		now      time.Time
		envelope func(*dsse.Envelope) // changes the signed envelope
		want     string               // the rule that must be violated; "" for a pass
	}{
		{name: "pass", subjects: []provenance.DigestSet{{"sha256": hexB}}},
		{name: "payloadType", envelope: func(env *dsse.Envelope) { env.PayloadType = "application/json" }, want: provenance.RulePayloadType},
		{name: "statement", envelope: func(env *dsse.Envelope) {
			other, err := provenance.SignPayload(ctx, testResult(t, "PASSED", provenance.DigestSet{"sha256": hexB}), k.signer)
			require.NoError(t, err)
			*env = *other
		}, want: provenance.RuleStatement},
		{name: "signature", signer: newKey(t, "p256").signer, want: provenance.RuleSignature},
		{name: "builders", edit: func(st *provenance.Statement) { st.Predicate.RunDetails.Builder.ID = "https://laptop.example.com/x" }, want: provenance.RuleBuilder},
		{name: "buildTypes", edit: func(st *provenance.Statement) {
			st.Predicate.BuildDefinition.BuildType = "https://example.com/notebook"
		}, want: provenance.RuleBuildType},
		{name: "digestAlgorithms", edit: func(st *provenance.Statement) {
			st.Subject[0].Digest = provenance.DigestSet{"sha512": strings.Repeat("ab", 64)}
		}, want: provenance.RuleDigestAlgorithms},
		{name: "subject", subjects: []provenance.DigestSet{{"sha256": hexC}}, want: provenance.RuleSubject},
		{name: "maxAge", now: fixedTime.Add(31 * 24 * time.Hour), want: provenance.RuleMaxAge},
		{name: "dependencies.required", edit: func(st *provenance.Statement) {
			st.Predicate.BuildDefinition.ResolvedDependencies[0].Digest = provenance.DigestSet{"dirHash": hexB}
		}, want: "dependencies.required[0]"},
		{name: "dependencies.allowed", edit: func(st *provenance.Statement) {
			st.Predicate.BuildDefinition.ResolvedDependencies = append(st.Predicate.BuildDefinition.ResolvedDependencies,
				provenance.ResourceDescriptor{Name: "extra", Digest: provenance.DigestSet{"sha256": hexC}})
		}, want: "dependencies.allowed"},
		{name: "externalParameters exact", edit: params(func(m map[string]any) { m["entrypoint"] = "evil.py" }), want: "externalParameters.entrypoint"},
		{name: "externalParameters oneOf", edit: params(func(m map[string]any) { m["seed"] = 7 }), want: "externalParameters.seed"},
		{name: "externalParameters any", edit: params(func(m map[string]any) { delete(m, "hyperparameters") }), want: "externalParameters.hyperparameters.lr"},
		{name: "rejectUnknownParameters", edit: params(func(m map[string]any) { m["acme_debug"] = true }), want: "externalParameters.acme_debug"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := trainingStatement(t)
			if c.edit != nil {
				c.edit(st)
			}
			signer := c.signer
			if signer == nil {
				signer = k.signer
			}
			env, err := provenance.Sign(ctx, st, signer)
			require.NoError(t, err)
			if c.envelope != nil {
				c.envelope(env)
			}
			now := c.now
			if now.IsZero() {
				now = fixedTime.Add(time.Hour)
			}
			opts := provenance.VerifyOptions{Subjects: c.subjects, Now: now}
			verdicts := map[string]string{}
			for name, p := range policies {
				v, err := provenance.Verify(ctx, env, p, opts)
				if c.want == "" {
					require.NoError(t, err, name)
					require.Equal(t, "https://ci.example.com/*", v.Builder, name)
					verdicts[name] = "pass"
					continue
				}
				requireRule(t, err, c.want, errorsOf(c.want))
				verdicts[name] = err.Error()
			}
			require.Equal(t, verdicts["yaml"], verdicts["go, key file"])
			require.Equal(t, verdicts["yaml"], verdicts["go, PEM"])
		})
	}
}

// errorsOf is the sentinel each rule's violations wrap.
func errorsOf(rule string) error {
	switch strings.SplitN(strings.SplitN(rule, ".", 2)[0], "[", 2)[0] {
	case provenance.RulePayloadType:
		return provenance.ErrPayloadType
	case provenance.RuleStatement:
		return provenance.ErrPredicateType
	case provenance.RuleSignature:
		return provenance.ErrSignature
	case provenance.RuleBuilder:
		return provenance.ErrUntrustedBuilder
	case provenance.RuleBuildType:
		return provenance.ErrBuildType
	case provenance.RuleDigestAlgorithms:
		return provenance.ErrDigestAlgorithm
	case provenance.RuleSubject:
		return provenance.ErrSubjectMismatch
	case provenance.RuleMaxAge:
		return provenance.ErrStale
	case provenance.RuleDependencies:
		return provenance.ErrDependency
	case provenance.RuleExternalParameters:
		return provenance.ErrExternalParameters
	}
	return nil
}

// A policy that the schema rejects as a document is rejected when built in
// Go too, by Validate and by Verify, with an error naming the field.
func TestPolicyGoRejectedLikeParsed(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "ed25519")
	pemYAML := fmt.Sprintf("{pem: %q}", string(k.pubPEM))
	pemKey := provenance.PublicKey{PEM: string(k.pubPEM)}
	builder := func(b provenance.TrustedBuilder) *provenance.Policy {
		return &provenance.Policy{Builders: []provenance.TrustedBuilder{b}}
	}
	withKey := func(p *provenance.Policy) *provenance.Policy {
		p.Builders = []provenance.TrustedBuilder{{ID: "x", Keys: []provenance.PublicKey{pemKey}}}
		return p
	}
	cases := []struct {
		name, yaml string
		policy     *provenance.Policy
		field      string
	}{
		{"builder without keys", "builders: [{id: x}]", builder(provenance.TrustedBuilder{ID: "x"}), "builders[0]"},
		{"builder without id", "builders: [{id: '', keys: [" + pemYAML + "]}]", builder(provenance.TrustedBuilder{Keys: []provenance.PublicKey{pemKey}}), "builders[0]"},
		{"key with file and pem", "builders: [{id: x, keys: [{file: a.pub, pem: b}]}]", builder(provenance.TrustedBuilder{ID: "x", Keys: []provenance.PublicKey{{File: "a.pub", PEM: "b"}}}), "keys[0]"},
		{"key that is not a key", "builders: [{id: x, keys: [{pem: nonsense}]}]", builder(provenance.TrustedBuilder{ID: "x", Keys: []provenance.PublicKey{{PEM: "nonsense"}}}), "builders[0].keys[0]"},
		{"threshold above the keys", "builders: [{id: x, threshold: 2, keys: [" + pemYAML + "]}]", builder(provenance.TrustedBuilder{ID: "x", Threshold: 2, Keys: []provenance.PublicKey{pemKey}}), "threshold 2"},
		{"a key twice toward a threshold", "builders: [{id: x, threshold: 2, keys: [" + pemYAML + ", " + pemYAML + "]}]", builder(provenance.TrustedBuilder{ID: "x", Threshold: 2, Keys: []provenance.PublicKey{pemKey, pemKey}}), "1 distinct key"},
		{"version 2", "version: 2", &provenance.Policy{Version: 2}, "version"},
		{"dependency rule selecting nothing", "dependencies: {required: [{pinnedBy: sha256}]}", &provenance.Policy{Dependencies: provenance.DependencyPolicy{Required: []provenance.DependencyRule{{PinnedBy: "sha256"}}}}, "dependencies.required[0]"},
		{"malformed uri pattern", "builders: [{id: x, keys: [" + pemYAML + "]}]\ndependencies: {allowed: [{uri: 'oci://['}]}", withKey(&provenance.Policy{Dependencies: provenance.DependencyPolicy{Allowed: []provenance.DependencyRule{{URI: "oci://["}}}}), "dependencies.allowed[0]"},
		{"digest not hex", "dependencies: {required: [{name: d, digests: [{sha256: xyz}]}]}", &provenance.Policy{Dependencies: provenance.DependencyPolicy{Required: []provenance.DependencyRule{{Name: "d", Digests: []provenance.DigestSet{{"sha256": "xyz"}}}}}}, "digests[0]"},
		{"two expectations on a parameter", "externalParameters: {seed: {exact: 1, any: true}}", &provenance.Policy{ExternalParameters: map[string]provenance.ParamRule{"seed": {Exact: 1, Any: true}}}, "seed"},
		{"no expectation on a parameter", "externalParameters: {seed: {any: false}}", &provenance.Policy{ExternalParameters: map[string]provenance.ParamRule{"seed": {}}}, "seed"},
		{"empty buildType", "buildTypes: ['']", &provenance.Policy{BuildTypes: []string{""}}, "buildTypes"},
		{"negative maxAge", "maxAge: -1h", &provenance.Policy{MaxAge: provenance.Duration(-time.Hour)}, "maxAge"},
	}
	env, err := provenance.Sign(ctx, trainingStatement(t), k.signer)
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := provenance.ParsePolicy([]byte(c.yaml), t.TempDir())
			require.Error(t, err, "parsed")

			err = c.policy.Validate()
			require.Error(t, err, "built in Go")
			require.ErrorContains(t, err, c.field)
			require.ErrorIs(t, err, provenance.ErrMalformed)
			// Verify runs the same step: no verdict from a wrong policy.
			_, verr := provenance.Verify(ctx, env, c.policy, provenance.VerifyOptions{})
			require.EqualError(t, verr, err.Error())
		})
	}
}

// ParsePolicy loads key files once: the policy keeps verifying after the
// file is gone, and a Go policy naming a relative key file reads it
// from the working directory.
func TestPolicyKeysLoadedOnce(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "p384")
	dir := t.TempDir()
	path := k.writePub(t, dir, "k.pub")
	p, err := provenance.ParsePolicy([]byte("builders: [{id: '*', keys: [{file: k.pub}]}]"), dir)
	require.NoError(t, err)
	require.Empty(t, p.Builders[0].Keys)
	require.NoError(t, os.Remove(path))
	env, err := provenance.Sign(ctx, trainingStatement(t), k.signer)
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, env, p, provenance.VerifyOptions{})
	require.NoError(t, err)

	// Relative to the working directory for a policy built in Go.
	k.writePub(t, dir, "k.pub")
	t.Chdir(dir)
	goPolicy := &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Keys: []provenance.PublicKey{{File: "k.pub"}}}}}
	_, err = provenance.Verify(ctx, env, goPolicy, provenance.VerifyOptions{})
	require.NoError(t, err)
	goPolicy.Builders[0].Keys[0].File = filepath.Join(dir, "missing.pub")
	_, err = provenance.Verify(ctx, env, goPolicy, provenance.VerifyOptions{})
	require.ErrorContains(t, err, "missing.pub")
}
