package provenance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

const testResultPredicate = "https://in-toto.io/attestation/test-result/v0.1"

// testResult is an in-toto test-result v0.1 statement about subject, the
// kind of attestation a validation step signs.
func testResult(t *testing.T, result string, subject provenance.DigestSet) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"_type":         provenance.StatementType,
		"subject":       []any{map[string]any{"name": "reviews", "digest": subject}},
		"predicateType": testResultPredicate,
		"predicate":     map[string]any{"result": result, "passedTests": []string{"rows"}},
	})
	require.NoError(t, err)
	return b
}

// attestationStore writes a store in every carrier: a model's training
// provenance (DSSE JSON), the dataset's provenance and its test result
// (.intoto.jsonl), a second training run signed by an unknown key (a
// Sigstore bundle), and files a store reader must pass over.
type attestationStore struct {
	dir              string
	model, data, raw provenance.DigestSet
	trusted          *testKey
}

func newAttestationStore(t *testing.T) *attestationStore {
	t.Helper()
	ctx := context.Background()
	s := &attestationStore{
		dir:     t.TempDir(),
		model:   provenance.DigestSet{"sha256": hexB},
		data:    provenance.DigestSet{"dirHash": hexA},
		raw:     provenance.DigestSet{"sha256": hexC},
		trusted: newKey(t, "p256"),
	}
	ds := step(t, provenance.BuildTypeDataset, fixedTime, []provenance.ResourceDescriptor{{Name: "raw.csv", Digest: s.raw}},
		provenance.ResourceDescriptor{Name: "reviews", Digest: s.data})
	train := step(t, provenance.BuildTypeTraining, fixedTime, []provenance.ResourceDescriptor{{Name: "reviews", Digest: s.data}},
		provenance.ResourceDescriptor{Name: "model.bin", Digest: s.model})

	env, err := provenance.Sign(ctx, train, s.trusted.signer)
	require.NoError(t, err)
	b, err := provenance.MarshalEnvelope(env)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "a-training.json"), b, 0o644))

	dsEnv, err := provenance.Sign(ctx, ds, s.trusted.signer)
	require.NoError(t, err)
	trEnv, err := provenance.SignPayload(ctx, testResult(t, "PASSED", s.data), s.trusted.signer)
	require.NoError(t, err)
	var jl bytes.Buffer
	require.NoError(t, provenance.WriteJSONL(&jl, dsEnv, trEnv))
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "b-dataset.intoto.jsonl"), jl.Bytes(), 0o644))

	// A rival history: another run claims to have produced the model from
	// other data, signed by a key nobody trusts.
	rival := step(t, provenance.BuildTypeTraining, fixedTime.Add(time.Hour), []provenance.ResourceDescriptor{{Name: "reviews", Digest: provenance.DigestSet{"dirHash": hexC}}},
		provenance.ResourceDescriptor{Name: "model.bin", Digest: s.model})
	rEnv, err := provenance.Sign(ctx, rival, newKey(t, "p256").signer)
	require.NoError(t, err)
	bundle, err := provenance.MarshalBundle(rEnv, "rival")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "c-rival.sigstore.json"), bundle, 0o644))

	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "README.txt"), []byte("not an attestation"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(s.dir, "old.json"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(s.dir, "a-training.json"), filepath.Join(s.dir, "d-link.json")))
	return s
}

func (s *attestationStore) policy() *provenance.Policy {
	return &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "https://ci.example.com/*", Keys: []provenance.PublicKey{{PEM: string(s.trusted.pubPEM)}}}}}
}

func sources(atts provenance.Attestations) []string {
	var out []string
	for _, a := range atts {
		out = append(out, filepath.Base(a.Source))
	}
	return out
}

func TestReadAttestations(t *testing.T) {
	s := newAttestationStore(t)
	atts, err := provenance.ReadAttestations(s.dir)
	require.NoError(t, err)
	// Name order; every carrier; the text file, the directory and the
	// symlink are passed over.
	require.Equal(t, []string{"a-training.json", "b-dataset.intoto.jsonl[0]", "b-dataset.intoto.jsonl[1]", "c-rival.sigstore.json"}, sources(atts))
	require.Equal(t, 1, atts[2].Index)
	require.Equal(t, filepath.Join(s.dir, "b-dataset.intoto.jsonl"), atts[2].File)

	// Files and directories mix.
	one, err := provenance.ReadAttestations(filepath.Join(s.dir, "a-training.json"), s.dir)
	require.NoError(t, err)
	require.Len(t, one, 5)

	// A file that is not an attestation is an error naming it, not a
	// silently smaller store.
	bad := filepath.Join(s.dir, "e-broken.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"payloadType": "application/vnd.in-toto+json", "payload": `), 0o644))
	_, err = provenance.ReadAttestations(s.dir)
	require.ErrorContains(t, err, "e-broken.json")
	require.ErrorIs(t, err, provenance.ErrMalformed)

	_, err = provenance.ReadAttestations(filepath.Join(s.dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "missing")

	big := filepath.Join(t.TempDir(), "big.json")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte(" "), 4*provenance.MaxDocumentSize+1), 0o644))
	_, err = provenance.ReadAttestations(big)
	require.ErrorIs(t, err, provenance.ErrTooLarge)
	require.ErrorContains(t, err, "big.json")
}

func TestAttestationsAbout(t *testing.T) {
	s := newAttestationStore(t)
	atts, err := provenance.ReadAttestations(s.dir)
	require.NoError(t, err)
	slsa := provenance.PredicateSLSAProvenance
	for _, c := range []struct {
		name          string
		predicateType string
		subjects      []provenance.DigestSet
		want          []string
	}{
		{"all provenance", slsa, nil, []string{"a-training.json", "b-dataset.intoto.jsonl[0]", "c-rival.sigstore.json"}},
		{"provenance by default", "", nil, []string{"a-training.json", "b-dataset.intoto.jsonl[0]", "c-rival.sigstore.json"}},
		{"provenance of the model", slsa, []provenance.DigestSet{s.model}, []string{"a-training.json", "c-rival.sigstore.json"}},
		{"provenance of the dataset", slsa, []provenance.DigestSet{s.data}, []string{"b-dataset.intoto.jsonl[0]"}},
		{"test results of the dataset", testResultPredicate, []provenance.DigestSet{s.data}, []string{"b-dataset.intoto.jsonl[1]"}},
		{"test results of the model", testResultPredicate, []provenance.DigestSet{s.model}, nil},
		{"every subject must match", slsa, []provenance.DigestSet{s.model, s.data}, nil},
		{"unknown type", "https://example.com/x", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, sources(atts.About(c.predicateType, c.subjects...)))
		})
	}
	// A payload that is not a statement claims nothing.
	junk := provenance.Attestations{{Source: "junk", Envelope: &dsse.Envelope{PayloadType: provenance.PayloadType, Payload: "bm90IGpzb24="}}}
	require.Empty(t, junk.About(slsa))
}

// The set is verified statement by statement, for the predicate type
// named; lineage is traced through the verified statements only.
func TestAttestationsVerifyAndTrace(t *testing.T) {
	ctx := context.Background()
	s := newAttestationStore(t)
	atts, err := provenance.ReadAttestations(s.dir)
	require.NoError(t, err)

	// SLSA provenance: the rival run, signed by an unknown key, fails; so
	// does the test result, which is not SLSA provenance.
	results, err := atts.Verify(ctx, s.policy(), provenance.VerifyOptions{Now: fixedTime})
	require.NoError(t, err)
	require.Len(t, results, 4)
	require.Len(t, results.Verified(), 2)
	failed := results.Failed()
	require.Equal(t, []string{"b-dataset.intoto.jsonl[1]", "c-rival.sigstore.json"}, sources(attestationsOf(failed)))
	requireRule(t, failed[0].Err, provenance.RuleStatement, provenance.ErrPredicateType)
	requireRule(t, failed[1].Err, provenance.RuleSignature, provenance.ErrSignature)
	var ve *provenance.VerificationError
	require.True(t, errors.As(failed[1].Err, &ve))
	require.Equal(t, failed[1].Source, ve.Input)

	// The rival claims to be the newest producer of the model; unverified,
	// it would have won. The verified lineage runs through the trusted
	// run to the raw file.
	l := results.Trace(s.model)
	require.Equal(t, provenance.StatusAttested, l.Root.Status)
	data := l.Root.Run.Inputs[0]
	require.Equal(t, s.data, data.Artifact.Digest)
	require.Equal(t, provenance.StatusAttested, data.Status)
	require.Equal(t, provenance.StatusSource, data.Run.Inputs[0].Status)
	require.Empty(t, l.Gaps)
	require.Empty(t, l.Breaks)

	// A test result, verified for its own predicate type; its predicate is
	// read from the verified payload.
	results, err = atts.About(testResultPredicate, s.data).Verify(ctx, s.policy(),
		provenance.VerifyOptions{PredicateType: testResultPredicate, Subjects: []provenance.DigestSet{s.data}})
	require.NoError(t, err)
	require.Len(t, results, 1)
	require.NoError(t, results[0].Err)
	v := results[0].Verified
	require.Nil(t, v.Statement)
	require.Equal(t, testResultPredicate, v.PredicateType)
	require.Equal(t, "reviews", v.Subject[0].Name)
	require.Equal(t, "https://ci.example.com/*", v.Builder)
	var st struct {
		Predicate struct {
			Result string `json:"result"`
		} `json:"predicate"`
	}
	require.NoError(t, json.Unmarshal(v.Payload, &st))
	require.Equal(t, "PASSED", st.Predicate.Result)
	require.Empty(t, results.Statements())

	// SLSA-only rules fail closed on a test result.
	pol := s.policy()
	pol.BuildTypes = []string{provenance.BuildTypeDataset}
	results, err = atts.About(testResultPredicate).Verify(ctx, pol, provenance.VerifyOptions{PredicateType: testResultPredicate})
	require.NoError(t, err)
	requireRule(t, results[0].Err, provenance.RuleBuildType, provenance.ErrBuildType)
}

func attestationsOf(rs provenance.AttestationResults) provenance.Attestations {
	var out provenance.Attestations
	for _, r := range rs {
		out = append(out, r.Attestation)
	}
	return out
}

// What stops every verification is an error, not a result per statement.
func TestAttestationsVerifyErrors(t *testing.T) {
	s := newAttestationStore(t)
	atts, err := provenance.ReadAttestations(s.dir)
	require.NoError(t, err)

	pol := s.policy()
	pol.Builders[0].Threshold = 2
	_, err = atts.Verify(context.Background(), pol, provenance.VerifyOptions{})
	require.ErrorIs(t, err, provenance.ErrMalformed)
	require.ErrorContains(t, err, "threshold 2")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = atts.Verify(ctx, s.policy(), provenance.VerifyOptions{})
	require.ErrorIs(t, err, context.Canceled)

	// No policy: every statement fails closed, each with its own result.
	results, err := atts.Verify(context.Background(), nil, provenance.VerifyOptions{})
	require.NoError(t, err)
	require.Empty(t, results.Verified())
	for _, r := range results {
		requireRule(t, r.Err, provenance.RuleBuilder, provenance.ErrUntrustedBuilder)
		require.True(t, strings.HasPrefix(r.Err.Error(), "provenance: "+r.Source))
	}
}

// BenchmarkVerifySet verifies a store of 100 signed statements under a
// policy built in Go with a PEM key: once as a set (the policy compiled
// once) and once envelope by envelope with Verify (compiled per call).
func BenchmarkVerifySet(b *testing.B) {
	ctx := context.Background()
	k := newKey(b, "p256")
	dir := b.TempDir()
	for i := range 100 {
		r := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, clockAt(fixedTime))
		r.AddOutput(provenance.ResourceDescriptor{Name: "model.bin", Digest: provenance.DigestSet{"sha256": hexB}})
		r.SetInvocationID(strings.Repeat("x", i))
		st, err := r.Finish()
		require.NoError(b, err)
		env, err := provenance.Sign(ctx, st, k.signer)
		require.NoError(b, err)
		data, err := provenance.MarshalEnvelope(env)
		require.NoError(b, err)
		require.NoError(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.json", i)), data, 0o644))
	}
	policy := &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "https://ci.example.com/*", Keys: []provenance.PublicKey{{PEM: string(k.pubPEM)}}}}}
	atts, err := provenance.ReadAttestations(dir)
	require.NoError(b, err)
	b.Run("set", func(b *testing.B) {
		for b.Loop() {
			rs, err := atts.Verify(ctx, policy, provenance.VerifyOptions{})
			if err != nil || len(rs.Verified()) != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("one by one", func(b *testing.B) {
		for b.Loop() {
			for _, a := range atts {
				if _, err := provenance.Verify(ctx, a.Envelope, policy, provenance.VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("read and verify", func(b *testing.B) {
		for b.Loop() {
			atts, err := provenance.ReadAttestations(dir)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := atts.Verify(ctx, policy, provenance.VerifyOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
