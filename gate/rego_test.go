package gate_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
)

const regoRequireAll = `package mlsec.gate

deny contains {"rule": "signature", "message": "model signature not verified", "evidence": input.signature.source} if {
	not input.signature.verified
}

deny contains {"rule": "validation", "message": sprintf("dataset test result %s", [v.result]), "evidence": v.source} if {
	some v in input.validation
	v.result != "PASSED"
}

deny contains "no provenance" if count(input.provenance.statements) == 0

deny contains {"rule": "builder", "message": b} if {
	some b in input.provenance.builders
	not startswith(b, "https://ci.example.com/")
}
`

func TestRegoPolicy(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, src string
		mutate    func(t *testing.T, w *world)
		rules     []string
		compile   string // a part of the compile error, when it must not compile
	}{
		{name: "good_allow", src: regoRequireAll},
		{name: "fail_deny_several", src: regoRequireAll, mutate: func(t *testing.T, w *world) {
			w.writePayload(t, "validation.intoto.json", w.testResult(w.dataset, "FAILED"), w.key)
			w.key, w.other = w.other, w.key
			w.sign(t)
			w.key, w.other = w.other, w.key
		}, rules: []string{"signature", "validation"}},
		{name: "fail_undefined", src: "package mlsec.gate\n\nallow := true\n", rules: []string{gate.RulePolicy}},
		{name: "fail_not_a_set", src: "package mlsec.gate\n\ndeny := 3\n", rules: []string{gate.RulePolicy}},
		{name: "fail_runtime_error", src: "package mlsec.gate\n\ndeny contains x if { x := 1 / count(input.drift) }\n", rules: []string{gate.RulePolicy}},
		{name: "fail_http_send_refused", src: "package mlsec.gate\n\ndeny contains r.body if { r := http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1:1/\"}) }\n", compile: "http.send"},
		{name: "fail_opa_runtime_refused", src: "package mlsec.gate\n\ndeny contains k if { some k, _ in opa.runtime().env }\n", compile: "opa.runtime"},
		{name: "fail_dns_refused", src: "package mlsec.gate\n\ndeny contains x if { x := net.lookup_ip_addr(\"example.com\") }\n", compile: "net.lookup_ip_addr"},
		{name: "fail_rego_v0_syntax", src: "package mlsec.gate\n\ndeny[x] { x := 1 }\n", compile: "rego_parse_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := gate.NewRegoPolicy(ctx, "policy.rego", []byte(tc.src), gate.RegoOptions{})
			if tc.compile != "" {
				require.ErrorContains(t, err, tc.compile)
				return
			}
			require.NoError(t, err)
			w := newWorld(t)
			if tc.mutate != nil {
				tc.mutate(t, w)
			}
			d := pol.Decide(ctx, w.collect(t))
			var rules []string
			for _, v := range d.Violations {
				rules = append(rules, v.Rule)
			}
			require.Equal(t, tc.rules, rules, "%v", d.Violations)
			require.Equal(t, len(tc.rules) == 0, d.Allowed)
			sum := sha256.Sum256([]byte(tc.src))
			require.Equal(t, provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}, d.Policy.Digest)
		})
	}
}

func TestRegoPolicyPinned(t *testing.T) {
	ctx := context.Background()
	sum := sha256.Sum256([]byte(regoRequireAll))
	_, err := gate.NewRegoPolicy(ctx, "p.rego", []byte(regoRequireAll), gate.RegoOptions{Digest: provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}})
	require.NoError(t, err)
	_, err = gate.NewRegoPolicy(ctx, "p.rego", []byte(regoRequireAll+"\n"), gate.RegoOptions{Digest: provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}})
	require.ErrorContains(t, err, "is not the pinned")
}

// cosignPolicy is written for cosign verify-attestation --policy: package
// signature, a boolean allow, Rego v0 syntax, the statement as input.
const cosignPolicy = `package signature

default allow = false

allow {
	input.predicateType == "https://slsa.dev/provenance/v1"
	startswith(input.predicate.runDetails.builder.id, "https://ci.example.com/")
}
`

func TestRegoCosignCompat(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	ev := w.collect(t)
	pol, err := gate.NewRegoPolicy(ctx, "cosign.rego", []byte(cosignPolicy),
		gate.RegoOptions{Cosign: true, PredicateType: provenance.PredicateSLSAProvenance})
	require.NoError(t, err)
	d := pol.Decide(ctx, ev)
	require.True(t, d.Allowed, "%v", d.Violations)

	// Over every attestation, the test result is not provenance: denied,
	// naming it.
	all, err := gate.NewRegoPolicy(ctx, "cosign.rego", []byte(cosignPolicy), gate.RegoOptions{Cosign: true})
	require.NoError(t, err)
	d = all.Decide(ctx, ev)
	require.False(t, d.Allowed)
	require.Len(t, d.Violations, 1)
	require.Equal(t, "signature.allow", d.Violations[0].Rule)
	require.Contains(t, d.Violations[0].Evidence, "validation.intoto.json")

	// No attestation at all: nothing was allowed, so denied.
	d = pol.Decide(ctx, &gate.Evidence{Subject: ev.Subject})
	require.False(t, d.Allowed)
	require.Equal(t, gate.RulePolicy, d.Violations[0].Rule)
}
