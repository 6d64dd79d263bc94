package gate_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
)

// The pickle of os.system("id"), protocol 0: what a malicious checkpoint
// runs on load.
const evilPickle = "cos\nsystem\n(S'id'\ntR."

func TestDataPolicy(t *testing.T) {
	base := gate.DataPolicy{AllowGaps: true, Suites: []provenance.DigestSet{suiteDigest}}
	tests := []struct {
		name    string
		policy  gate.DataPolicy
		mutate  func(t *testing.T, w *world)
		drifted bool
		rules   []string // the rules violated, in order; none = allowed
		message string   // a part of the first violation's message
	}{
		{name: "good_all_evidence", policy: base},
		{name: "fail_gaps_not_allowed", policy: gate.DataPolicy{}, rules: []string{gate.RuleChain}, message: "has no verified provenance"},
		{name: "fail_signature_missing", policy: base, mutate: func(t *testing.T, w *world) {
			require.NoError(t, os.Remove(w.sigFile))
		}, rules: []string{gate.RuleSignature}, message: "no OMS signature"},
		{name: "fail_signature_untrusted_key", policy: base, mutate: func(t *testing.T, w *world) {
			w.key, w.other = w.other, w.key
			w.sign(t) // signed by the key the trust does not name
			w.key, w.other = w.other, w.key
		}, rules: []string{gate.RuleSignature}, message: "not the given key"},
		{name: "fail_model_changed_after_signing", policy: base, mutate: func(t *testing.T, w *world) {
			require.NoError(t, os.WriteFile(filepath.Join(w.model, "weights.bin"), []byte("tampered"), 0o644))
		}, rules: []string{gate.RuleSignature, gate.RuleProvenance}},
		{name: "fail_provenance_missing", policy: base, mutate: func(t *testing.T, w *world) {
			require.NoError(t, os.Remove(filepath.Join(w.store, "train.intoto.json")))
		}, rules: []string{gate.RuleProvenance}, message: "no verified provenance has the subject"},
		{name: "fail_provenance_stale", policy: base, mutate: func(t *testing.T, w *world) {
			w.writeStatement(t, "train.intoto.json", w.trainStatement(t, w.modelDigest, w.now.Add(-48*time.Hour)), w.key)
		}, rules: []string{gate.RuleProvenance}, message: "maxAge"},
		{name: "fail_provenance_untrusted_key", policy: base, mutate: func(t *testing.T, w *world) {
			w.writeStatement(t, "train.intoto.json", w.trainStatement(t, w.modelDigest, w.now), w.other)
		}, rules: []string{gate.RuleProvenance}, message: "train.intoto.json"},
		{name: "fail_provenance_other_subject", policy: base, mutate: func(t *testing.T, w *world) {
			w.writeStatement(t, "train.intoto.json", w.trainStatement(t, w.raw, w.now), w.key)
		}, rules: []string{gate.RuleProvenance}},
		{name: "fail_validation_missing", policy: base, mutate: func(t *testing.T, w *world) {
			require.NoError(t, os.Remove(filepath.Join(w.store, "validation.intoto.json")))
		}, rules: []string{gate.RuleValidation}, message: "has no verified test result"},
		{name: "fail_validation_failed", policy: base, mutate: func(t *testing.T, w *world) {
			w.writePayload(t, "validation.intoto.json", w.testResult(w.dataset, "FAILED"), w.key)
		}, rules: []string{gate.RuleValidation}, message: "FAILED validation: failed no_nulls"},
		{name: "fail_validation_untrusted_key", policy: base, mutate: func(t *testing.T, w *world) {
			w.writePayload(t, "validation.intoto.json", w.testResult(w.dataset, "PASSED"), w.other)
		}, rules: []string{gate.RuleValidation}, message: "no signature by a key the policy trusts"},
		{name: "fail_validation_other_subject", policy: base, mutate: func(t *testing.T, w *world) {
			w.writePayload(t, "validation.intoto.json", w.testResult(w.raw, "PASSED"), w.key)
		}, rules: []string{gate.RuleValidation}},
		{name: "fail_validation_unpinned_suite", policy: gate.DataPolicy{AllowGaps: true,
			Suites: []provenance.DigestSet{{"sha256": "0000000000000000000000000000000000000000000000000000000000000000"}}},
			rules: []string{gate.RuleValidation}, message: "not pinned"},
		{name: "fail_drifted", policy: base, drifted: true, rules: []string{gate.RuleDrift}, message: "1 of 2 columns drifted: amount"},
		{name: "fail_drift_required", policy: gate.DataPolicy{AllowGaps: true, RequireDrift: true}, rules: []string{gate.RuleDrift}},
		{name: "good_drift_attested", policy: gate.DataPolicy{AllowGaps: true, RequireDrift: true}, mutate: func(t *testing.T, w *world) {
			w.writePayload(t, "drift.intoto.json", w.driftStatement(w.dataset, false), w.key)
		}},
		{name: "fail_drift_attested_drifted", policy: base, mutate: func(t *testing.T, w *world) {
			w.writePayload(t, "drift.intoto.json", w.driftStatement(w.dataset, true), w.key)
		}, rules: []string{gate.RuleDrift}, message: "1 of 2 columns drifted: amount (" + "/"},
		{name: "fail_drift_untrusted_key", policy: gate.DataPolicy{AllowGaps: true, RequireDrift: true}, mutate: func(t *testing.T, w *world) {
			w.writePayload(t, "drift.intoto.json", w.driftStatement(w.dataset, false), w.other)
		}, rules: []string{gate.RuleDrift}, message: "drift.intoto.json: signature: no signature by a key the policy trusts"},
		{name: "fail_drift_other_subject", policy: gate.DataPolicy{AllowGaps: true, RequireDrift: true}, mutate: func(t *testing.T, w *world) {
			// A verdict about data the model was not built from says
			// nothing about this model.
			w.writePayload(t, "drift.intoto.json", w.driftStatement(provenance.DigestSet{"sha256": "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"}, false), w.key)
		}, rules: []string{gate.RuleDrift}, message: "drift: no drift verdict"},
		{name: "fail_scan_finding", policy: base, mutate: func(t *testing.T, w *world) {
			require.NoError(t, os.WriteFile(filepath.Join(w.model, "extra.pkl"), []byte(evilPickle), 0o644))
			w.sign(t)
			w.writeStatement(t, "train.intoto.json", w.trainStatement(t, w.modelDigest, w.now), w.key)
		}, rules: []string{gate.RuleScan}, message: "os.system"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.mutate != nil {
				tc.mutate(t, w)
			}
			src := w.sources(t)
			if tc.drifted {
				src.Drift = []gate.DriftReport{{Source: "drift.json", Report: &drift.Report{
					Dataset: drift.DatasetResult{TestedColumns: 2, DriftedColumns: 1, DriftShare: 0.5, Drifted: true},
					Columns: []drift.ColumnResult{{Column: "amount", Drifted: true}, {Column: "age"}},
				}}}
			}
			ev, err := gate.Collect(context.Background(), src, w.trust(t))
			require.NoError(t, err)
			validateSchema(t, gate.EvidenceSchema(), gate.EvidenceSchemaID, ev)

			d := tc.policy.Decide(context.Background(), ev)
			var rules []string
			for _, v := range d.Violations {
				rules = append(rules, v.Rule)
			}
			require.Equal(t, tc.rules, rules, "violations: %v", d.Violations)
			require.Equal(t, len(tc.rules) == 0, d.Allowed)
			if tc.message != "" {
				require.Contains(t, d.Violations[0].String(), tc.message)
			}
		})
	}
}

// TestEvidenceDocument checks what a good collection holds: each item
// names the attestation it came from.
func TestEvidenceDocument(t *testing.T) {
	w := newWorld(t)
	ev := w.collect(t)
	require.Equal(t, gate.EvidenceVersion, ev.Version)
	require.Equal(t, w.modelDigest, ev.Subject.Digest)
	require.Equal(t, "model", ev.Subject.Name)
	require.NotNil(t, ev.Signature)
	require.True(t, ev.Signature.Verified, ev.Signature.Error)
	require.Equal(t, 2, ev.Signature.Files)
	require.Len(t, ev.Signature.Signer.KeyIDs, 1)

	require.Len(t, ev.Provenance.Statements, 1)
	require.Equal(t, filepath.Join(w.store, "train.intoto.json"), ev.Provenance.Statements[0].Source)
	require.Len(t, ev.Provenance.Upstream, 1)
	require.Equal(t, []string{ingestBuilder, trainBuilder}, ev.Provenance.Builders)
	require.Equal(t, []string{provenance.BuildTypeDataset, provenance.BuildTypeTraining}, ev.Provenance.BuildTypes)
	require.ElementsMatch(t, []gate.Artifact{{Name: "dataset", Digest: w.dataset}, {Name: "code", Digest: w.code}, {Name: "raw", Digest: w.raw}}, ev.Provenance.Inputs)
	// The raw data of a dataset build is a source, not a gap.
	require.Equal(t, []gate.Artifact{{Name: "code", Digest: w.code}}, ev.Provenance.Gaps)

	require.Len(t, ev.Validation, 1)
	require.Equal(t, "PASSED", ev.Validation[0].Result)
	require.Equal(t, w.dataset, ev.Validation[0].Input.Digest)
	require.Equal(t, filepath.Join(w.store, "validation.intoto.json"), ev.Validation[0].Source)
	require.Len(t, ev.Attestations, 3)
	require.Empty(t, ev.Rejected)
	require.True(t, ev.Scan.Scanned)
	require.Equal(t, 2, ev.Scan.Files)
	validateSchema(t, gate.EvidenceSchema(), gate.EvidenceSchemaID, ev)
}

func TestCollectBadInput(t *testing.T) {
	w := newWorld(t)
	_, err := gate.Collect(context.Background(), gate.Sources{}, w.trust(t))
	require.ErrorContains(t, err, "no subject")
	_, err = gate.Collect(context.Background(), w.sources(t), gate.Trust{})
	require.ErrorContains(t, err, "no provenance policy")
	src := w.sources(t)
	src.Model = filepath.Join(w.dir, "absent")
	_, err = gate.Collect(context.Background(), src, w.trust(t))
	require.ErrorContains(t, err, "absent")
}

// A drift attestation about the dataset is evidence like any other: the
// verdict names the input and signer, and the attestation is referenced;
// one signed by an untrusted key is rejected with the rule named.
func TestDriftAttestation(t *testing.T) {
	w := newWorld(t)
	w.writePayload(t, "drift.intoto.json", w.driftStatement(w.dataset, false), w.key)
	w.writePayload(t, "drift-other-key.intoto.json", w.driftStatement(w.dataset, true), w.other)
	ev := w.collect(t)
	validateSchema(t, gate.EvidenceSchema(), gate.EvidenceSchemaID, ev)
	require.Len(t, ev.Drift, 1)
	it := ev.Drift[0]
	require.Equal(t, filepath.Join(w.store, "drift.intoto.json"), it.Source)
	require.False(t, it.Drifted)
	require.Equal(t, &gate.Artifact{Name: "dataset", Digest: w.dataset}, it.Input)
	require.NotNil(t, it.Signer)
	require.Len(t, it.Signer.KeyIDs, 1)
	var refs []string
	for _, a := range ev.Attestations {
		refs = append(refs, a.PredicateType)
	}
	require.Contains(t, refs, drift.PredicateReportV1)
	require.Len(t, ev.Rejected, 1)
	require.Equal(t, "drift", ev.Rejected[0].Kind)
	require.Equal(t, []string{provenance.RuleSignature}, ev.Rejected[0].Rules)
	require.Equal(t, filepath.Join(w.store, "drift-other-key.intoto.json"), ev.Rejected[0].Source)
}
