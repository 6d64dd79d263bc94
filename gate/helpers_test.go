package gate_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/mlsec-dev/mlsec/validation"
)

const (
	ingestBuilder = "https://ci.example.com/ingest"
	trainBuilder  = "https://ci.example.com/train"
)

var suiteDigest = provenance.DigestSet{"sha256": "5e17e5e17e5e17e5e17e5e17e5e17e5e17e5e17e5e17e5e17e5e17e5e17e5e1"}

func newSigner(t testing.TB) signature.SignerVerifier {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sv, err := signature.LoadECDSASignerVerifier(k, crypto.SHA256)
	require.NoError(t, err)
	return sv
}

// world is a model with its OMS signature and an attestation store: the
// dataset's provenance (built from raw data), the training provenance
// (dataset and code in, model out), and a test result about the dataset.
type world struct {
	dir, model, sigFile, store string
	key, other                 signature.SignerVerifier
	modelDigest, dataset       provenance.DigestSet
	raw, code                  provenance.DigestSet
	now                        time.Time
}

func newWorld(t testing.TB) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{
		dir: dir, model: filepath.Join(dir, "model"), sigFile: filepath.Join(dir, "model.sig"),
		store: filepath.Join(dir, "attestations"), key: newSigner(t), other: newSigner(t),
		dataset: provenance.DigestSet{"sha256": "da7a5e7da7a5e7da7a5e7da7a5e7da7a5e7da7a5e7da7a5e7da7a5e7da7a5e70"},
		raw:     provenance.DigestSet{"sha256": "4a404a404a404a404a404a404a404a404a404a404a404a404a404a404a404a40"},
		code:    provenance.DigestSet{"sha256": "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"},
		now:     time.Now().UTC(),
	}
	require.NoError(t, os.MkdirAll(w.model, 0o755))
	require.NoError(t, os.MkdirAll(w.store, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(w.model, "config.json"), []byte(`{"layers": 2}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(w.model, "weights.bin"), []byte("0123456789abcdef"), 0o644))
	w.sign(t)
	w.writeStatement(t, "dataset.intoto.json", w.datasetStatement(t, w.now), w.key)
	w.writeStatement(t, "train.intoto.json", w.trainStatement(t, w.modelDigest, w.now), w.key)
	w.writePayload(t, "validation.intoto.json", w.testResult(w.dataset, "PASSED"), w.key)
	return w
}

// sign (re)signs the model and records its OMS root digest.
func (w *world) sign(t testing.TB) {
	t.Helper()
	sig, err := signing.Sign(context.Background(), w.model, w.key, signing.SignOptions{})
	require.NoError(t, err)
	require.NoError(t, signing.WriteSignature(w.sigFile, sig))
	m, err := signing.HashModel(context.Background(), w.model, signing.Options{})
	require.NoError(t, err)
	d := m.RootDigest()
	w.modelDigest = provenance.DigestSet{d.Algorithm: d.Hex()}
}

func (w *world) datasetStatement(t testing.TB, at time.Time) *provenance.Statement {
	t.Helper()
	r := provenance.NewRecorder(ingestBuilder, provenance.BuildTypeDataset, provenance.RecorderOptions{Clock: func() time.Time { return at }})
	r.SetParameter("repository", "https://git.example.com/loans")
	r.SetParameter("entrypoint", "ingest")
	r.SetParameter("dataset", "loans")
	r.SetParameter("split", "train")
	r.SetParameter("sources", []any{"s3://raw/loans"})
	r.AddInput(provenance.ResourceDescriptor{Name: "raw", Digest: w.raw})
	r.AddOutput(provenance.ResourceDescriptor{Name: "loans", Digest: w.dataset})
	st, err := r.Finish()
	require.NoError(t, err)
	return st
}

func (w *world) trainStatement(t testing.TB, model provenance.DigestSet, at time.Time) *provenance.Statement {
	t.Helper()
	r := provenance.NewRecorder(trainBuilder, provenance.BuildTypeTraining, provenance.RecorderOptions{Clock: func() time.Time { return at }})
	r.SetParameter("repository", "https://git.example.com/loans")
	r.SetParameter("entrypoint", "train")
	r.SetParameter("model", "model")
	r.SetParameter("datasets", []any{"dataset"})
	r.SetParameter("seed", 7)
	r.AddInput(provenance.ResourceDescriptor{Name: "dataset", Digest: w.dataset})
	r.AddInput(provenance.ResourceDescriptor{Name: "code", Digest: w.code})
	r.AddOutput(provenance.ResourceDescriptor{Name: "model", Digest: model})
	st, err := r.Finish()
	require.NoError(t, err)
	return st
}

func (w *world) testResult(subject provenance.DigestSet, result string) *validation.Statement {
	st := &validation.Statement{
		Type: provenance.StatementType, PredicateType: validation.TestResultPredicateV1,
		Subject: []validation.ResourceDescriptor{{Name: "loans", Digest: subject}},
		Predicate: validation.TestResult{
			Result:        result,
			Configuration: []validation.ResourceDescriptor{{Name: "loans_gate", Digest: suiteDigest}},
			PassedTests:   []string{"amount_positive"},
		},
	}
	if result != "PASSED" {
		st.Predicate.FailedTests = []string{"no_nulls"}
	}
	return st
}

func (w *world) writeStatement(t testing.TB, name string, st *provenance.Statement, key signature.SignerVerifier) {
	t.Helper()
	env, err := provenance.Sign(context.Background(), st, key)
	require.NoError(t, err)
	b, err := provenance.MarshalEnvelope(env)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(w.store, name), b, 0o644))
}

func (w *world) writePayload(t testing.TB, name string, st any, key signature.SignerVerifier) {
	t.Helper()
	body, err := json.Marshal(st)
	require.NoError(t, err)
	env, err := provenance.SignPayload(context.Background(), body, key)
	require.NoError(t, err)
	b, err := provenance.MarshalEnvelope(env)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(w.store, name), b, 0o644))
}

func (w *world) trust(t testing.TB) gate.Trust {
	t.Helper()
	return gate.Trust{
		Provenance: &provenance.Policy{
			Builders:   []provenance.TrustedBuilder{{ID: "https://ci.example.com/*", Verifiers: []signature.Verifier{w.key}}},
			BuildTypes: []string{provenance.BuildTypeTraining},
			MaxAge:     provenance.Duration(24 * time.Hour),
		},
		Model: signing.VerifyOptions{Key: w.key},
		Now:   w.now,
	}
}

func (w *world) sources(t testing.TB) gate.Sources {
	t.Helper()
	atts, err := provenance.ReadAttestations(w.store)
	require.NoError(t, err)
	var sig []byte
	if _, err := os.Stat(w.sigFile); err == nil {
		sig, err = signing.ReadSignature(context.Background(), w.sigFile)
		require.NoError(t, err)
	}
	return gate.Sources{Attestations: atts, Model: w.model, ModelSignature: sig, SignatureSource: "model.sig"}
}

func (w *world) collect(t testing.TB) *gate.Evidence {
	t.Helper()
	ev, err := gate.Collect(context.Background(), w.sources(t), w.trust(t))
	require.NoError(t, err)
	return ev
}

// validateSchema checks a document against one of the package's schemas.
func validateSchema(t testing.TB, schema []byte, id string, doc any) {
	t.Helper()
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource(id, s))
	sch, err := c.Compile(id)
	require.NoError(t, err)
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	require.NoError(t, sch.Validate(inst), fmt.Sprintf("document: %s", b))
}

// driftStatement is a drift report about subject as an in-toto statement,
// drifted or not.
func (w *world) driftStatement(subject provenance.DigestSet, drifted bool) *drift.Statement {
	rep := &drift.Report{
		Format: drift.ReportFormat, Version: drift.ReportVersion, Mode: "exact",
		Dataset: drift.DatasetResult{Columns: 2, TestedColumns: 2, DriftShare: 0.5},
		Columns: []drift.ColumnResult{{Column: "amount"}, {Column: "age"}},
	}
	if drifted {
		rep.Dataset.DriftedColumns, rep.Dataset.Share, rep.Dataset.Drifted = 1, 0.5, true
		rep.Columns[0].Drifted = true
	}
	return rep.Statement(drift.ResourceDescriptor{Name: "loans", Digest: subject})
}
