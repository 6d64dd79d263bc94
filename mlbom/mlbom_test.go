package mlbom_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
	"github.com/xeipuuv/gojsonschema"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/mlsec-dev/mlsec/mlbom"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

const (
	trainer  = "https://ci.example.com/train"
	ingester = "https://ci.example.com/ingest"
	loansV1  = "1d538542d9d6917667b7aed48c93034325cfa3a46d6d9a7d6294cae4a33e9264"
	codeSHA  = "6d4fd191da0ee393b69158cb25ff70f732fe362e4e6186e29ad457583bcf8f74"
)

var runTime = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// fixture is a signed model and signed, verified attestations about it:
// the evidence a deploy step holds.
type fixture struct {
	model  *signing.Manifest
	dir    string // the model directory
	sig    []byte // its OMS signature
	key    signature.Verifier
	policy *provenance.Policy
	// envelopes are the signed attestations, by file name.
	envelopes map[string][]byte
	training  *provenance.Verified
	dataset   *provenance.Verified
	test      *provenance.Verified
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	require.NoError(t, err)
	pemKey, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	require.NoError(t, err)

	dir := filepath.Join(t.TempDir(), "loan-default")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "model.json"), []byte(`{"weights":[0.1,0.2]}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"features":8}`), 0o644))
	sig, err := signing.Sign(ctx, dir, sv, signing.SignOptions{})
	require.NoError(t, err)
	res, err := signing.Verify(ctx, dir, sig, signing.VerifyOptions{Key: sv})
	require.NoError(t, err)
	root := res.Manifest.RootDigest()

	rec := provenance.NewRecorder(trainer, provenance.BuildTypeTraining, provenance.RecorderOptions{Clock: func() time.Time { return runTime }})
	rec.SetInvocationID("run-7")
	rec.SetParameter("datasets", []string{"loans"})
	rec.SetParameter("hyperparameters", map[string]any{"learning_rate": 0.5, "epochs": 300})
	rec.SetParameter("seed", 7)
	rec.AddInput(provenance.ResourceDescriptor{Name: "loans", Digest: provenance.DigestSet{"dirHash": loansV1}, MediaType: mlbom.DatasetMediaType})
	rec.AddInput(provenance.ResourceDescriptor{Name: "code", URI: "git+https://example.com/repo//train", Digest: provenance.DigestSet{"sha256": codeSHA}})
	require.NoError(t, rec.AddOutputOMS("loan-default", root.String()))
	rec.AddByproduct(provenance.ResourceDescriptor{Name: "metrics", Digest: provenance.DigestSet{"sha256": codeSHA},
		Annotations: map[string]any{"accuracy": 0.8525, "auc": 0.81}})
	train, err := rec.Finish()
	require.NoError(t, err)

	drec := provenance.NewRecorder(ingester, provenance.BuildTypeDataset, provenance.RecorderOptions{Clock: func() time.Time { return runTime.Add(-time.Hour) }})
	drec.SetParameter("dataset", "loans-v1")
	drec.SetParameter("sources", []string{"s3://raw/loans/2026-11"})
	drec.AddOutput(provenance.ResourceDescriptor{Name: "loans-v1", Digest: provenance.DigestSet{"dirHash": loansV1}, MediaType: mlbom.DatasetMediaType})
	ds, err := drec.Finish()
	require.NoError(t, err)

	testResult := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"loans-v1","digest":{"dirHash":"` + loansV1 + `"}}],` +
		`"predicateType":"https://in-toto.io/attestation/test-result/v0.1","predicate":{"result":"PASSED",` +
		`"configuration":[{"name":"loans-gate","digest":{"sha256":"` + codeSHA + `"}}],"passedTests":["rows","id.unique"],"warnedTests":[],"failedTests":[]}}`)

	policy := &provenance.Policy{Builders: []provenance.TrustedBuilder{
		{ID: trainer, Keys: []provenance.PublicKey{{PEM: string(pemKey)}}},
		{ID: ingester, Keys: []provenance.PublicKey{{PEM: string(pemKey)}}},
	}}
	verify := func(env []byte, predicate string) *provenance.Verified {
		t.Helper()
		e, err := provenance.ParseEnvelope(env)
		require.NoError(t, err)
		v, err := provenance.Verify(ctx, e, policy, provenance.VerifyOptions{PredicateType: predicate, Now: runTime.Add(time.Hour)})
		require.NoError(t, err)
		return v
	}
	sign := func(body []byte) []byte {
		env, err := provenance.SignPayload(ctx, body, sv)
		require.NoError(t, err)
		b, err := provenance.MarshalEnvelope(env)
		require.NoError(t, err)
		return b
	}
	tb, err := train.Marshal()
	require.NoError(t, err)
	db, err := ds.Marshal()
	require.NoError(t, err)
	envs := map[string][]byte{"training.json": sign(tb), "dataset.json": sign(db), "validation.json": sign(testResult)}
	return &fixture{
		model:     res.Manifest,
		dir:       dir,
		sig:       sig,
		key:       sv,
		policy:    policy,
		envelopes: envs,
		training:  verify(envs["training.json"], ""),
		dataset:   verify(envs["dataset.json"], ""),
		test:      verify(envs["validation.json"], "https://in-toto.io/attestation/test-result/v0.1"),
	}
}

func (f *fixture) evidence() mlbom.Evidence {
	return mlbom.Evidence{Model: f.model, Signer: "test key", Attestations: []*provenance.Verified{f.training, f.dataset, f.test}}
}

// cyclonedxSchema compiles the official CycloneDX 1.6 schema with the two
// schemas it references, all from testdata, never the network.
func cyclonedxSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	sl := gojsonschema.NewSchemaLoader()
	for _, f := range []string{"spdx.schema.json", "jsf-0.82.schema.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "schema", f))
		require.NoError(t, err)
		require.NoError(t, sl.AddSchemas(gojsonschema.NewBytesLoader(b)))
	}
	b, err := os.ReadFile(filepath.Join("testdata", "schema", "bom-1.6.schema.json"))
	require.NoError(t, err)
	s, err := sl.Compile(gojsonschema.NewBytesLoader(b))
	require.NoError(t, err)
	return s
}

func requireCycloneDXValid(t *testing.T, doc []byte) {
	t.Helper()
	res, err := cyclonedxSchema(t).Validate(gojsonschema.NewBytesLoader(doc))
	require.NoError(t, err)
	var msgs []string
	for _, e := range res.Errors() {
		msgs = append(msgs, e.String())
	}
	require.True(t, res.Valid(), strings.Join(msgs, "\n"))
}

// spdxSchema compiles the official SPDX 3.0.1 JSON Schema (draft 2020-12).
func spdxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "schema", "spdx-3.0.1.schema.json"))
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	// The schema's patterns are ECMAScript regular expressions (one uses a
	// lookahead, which Go's regexp lacks).
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(s, regexp2.ECMAScript)
		if err != nil {
			return nil, err
		}
		return ecmaRegexp{re}, nil
	})
	require.NoError(t, c.AddResource("spdx-3.0.1.schema.json", doc))
	s, err := c.Compile("spdx-3.0.1.schema.json")
	require.NoError(t, err)
	return s
}

type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return ok && err == nil
}

func (r ecmaRegexp) String() string { return r.re.String() }

func requireSPDXValid(t *testing.T, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	require.NoError(t, spdxSchema(t).Validate(v))
}

func TestCycloneDX(t *testing.T) {
	f := newFixture(t)
	b, err := mlbom.Derive(f.evidence())
	require.NoError(t, err)
	doc, err := b.CycloneDX()
	require.NoError(t, err)
	requireCycloneDXValid(t, doc)

	var bom struct {
		SpecVersion string `json:"specVersion"`
		Metadata    struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Type      string `json:"type"`
				Name      string `json:"name"`
				Hashes    []struct{ Alg, Content string }
				ModelCard struct {
					ModelParameters struct {
						Datasets []struct{ Ref string }
					}
					QuantitativeAnalysis struct {
						PerformanceMetrics []struct{ Type, Value string }
					}
				}
				Components []struct {
					Name   string
					Hashes []struct{ Alg, Content string }
				}
			}
		}
		Components []struct {
			BOMRef     string `json:"bom-ref"`
			Type       string
			Name       string
			Version    string
			Properties []struct{ Name, Value string }
		}
		Formulation []struct {
			Workflows []struct {
				UID    string
				Inputs []struct{ Resource struct{ Ref string } }
			}
		}
	}
	require.NoError(t, json.Unmarshal(doc, &bom))
	require.Equal(t, "1.6", bom.SpecVersion)
	m := bom.Metadata.Component
	require.Equal(t, "machine-learning-model", m.Type)
	require.Equal(t, "loan-default", m.Name)
	require.Equal(t, f.model.RootDigest().Hex(), m.Hashes[0].Content)
	// Every file with its OMS digest, as the signature lists it.
	require.Len(t, m.Components, len(f.model.Resources))
	for i, r := range f.model.Resources {
		require.Equal(t, r.Name, m.Components[i].Name)
		require.Equal(t, "SHA-256", m.Components[i].Hashes[0].Alg)
	}
	require.Equal(t, []struct{ Type, Value string }{{"accuracy", "0.8525"}, {"auc", "0.81"}}, m.ModelCard.QuantitativeAnalysis.PerformanceMetrics)
	require.Len(t, m.ModelCard.ModelParameters.Datasets, 1)
	require.Equal(t, runTime.Format(time.RFC3339), bom.Metadata.Timestamp)

	// The dataset carries the digest the training provenance recorded and
	// the version its own verified build statement gives.
	var ds *struct {
		BOMRef     string `json:"bom-ref"`
		Type       string
		Name       string
		Version    string
		Properties []struct{ Name, Value string }
	}
	for i := range bom.Components {
		if bom.Components[i].Type == "data" {
			ds = &bom.Components[i]
		}
	}
	require.NotNil(t, ds)
	require.Equal(t, m.ModelCard.ModelParameters.Datasets[0].Ref, ds.BOMRef)
	require.Equal(t, "loans-v1", ds.Version)
	props := map[string]string{}
	for _, p := range ds.Properties {
		props[p.Name] = p.Value
	}
	require.Equal(t, loansV1, props["mlsec:digest:dirHash"])
	require.Equal(t, "true", props["mlsec:dataset:provenanceVerified"])
	require.Equal(t, "s3://raw/loans/2026-11", props["mlsec:dataset:source"])
	require.Equal(t, "PASSED (2 passed, 0 warned, 0 failed)", props["mlsec:validation:loans-gate"])
	require.Equal(t, "run-7", bom.Formulation[0].Workflows[0].UID)
	require.Len(t, bom.Formulation[0].Workflows[0].Inputs, 2)
}

func TestSPDX(t *testing.T) {
	f := newFixture(t)
	b, err := mlbom.Derive(f.evidence())
	require.NoError(t, err)
	doc, err := b.SPDX()
	require.NoError(t, err)
	requireSPDXValid(t, doc)

	var d struct {
		Context string           `json:"@context"`
		Graph   []map[string]any `json:"@graph"`
	}
	require.NoError(t, json.Unmarshal(doc, &d))
	byType := map[string][]map[string]any{}
	for _, o := range d.Graph {
		byType[o["type"].(string)] = append(byType[o["type"].(string)], o)
	}
	require.Len(t, byType["ai_AIPackage"], 1)
	require.Len(t, byType["dataset_DatasetPackage"], 1)
	require.Len(t, byType["software_File"], len(f.model.Resources))
	model, ds := byType["ai_AIPackage"][0], byType["dataset_DatasetPackage"][0]
	require.Equal(t, "loans-v1", ds["software_packageVersion"])
	var trained bool
	for _, r := range byType["Relationship"] {
		if r["relationshipType"] == "trainedOn" {
			trained = true
			require.Equal(t, model["spdxId"], r["from"])
			require.Equal(t, []any{ds["spdxId"]}, r["to"])
		}
	}
	require.True(t, trained, "trainedOn relationship")
	hp := map[string]string{}
	for _, e := range model["ai_hyperparameter"].([]any) {
		hp[e.(map[string]any)["key"].(string)] = e.(map[string]any)["value"].(string)
	}
	require.Equal(t, map[string]string{"epochs": "300", "learning_rate": "0.5"}, hp)
}

// The same evidence in any order gives the same bytes.
func TestDeterministic(t *testing.T) {
	f := newFixture(t)
	ev := f.evidence()
	b1, err := mlbom.Derive(ev)
	require.NoError(t, err)
	slices.Reverse(ev.Attestations)
	b2, err := mlbom.Derive(ev)
	require.NoError(t, err)
	for _, render := range []func(*mlbom.BOM) ([]byte, error){(*mlbom.BOM).CycloneDX, (*mlbom.BOM).SPDX} {
		x, err := render(b1)
		require.NoError(t, err)
		y, err := render(b2)
		require.NoError(t, err)
		require.Equal(t, string(x), string(y))
	}
}

// Without the dataset's own provenance, the dataset appears by the digest
// the training run recorded, marked unverified, with no version.
func TestUnverifiedDatasetIsMarked(t *testing.T) {
	f := newFixture(t)
	b, err := mlbom.Derive(mlbom.Evidence{Model: f.model, Attestations: []*provenance.Verified{f.training}})
	require.NoError(t, err)
	require.Len(t, b.Datasets, 1)
	require.False(t, b.Datasets[0].Verified)
	require.Empty(t, b.Datasets[0].Version)
	require.Empty(t, b.Datasets[0].Tests)
	cdx, err := b.CycloneDX()
	require.NoError(t, err)
	requireCycloneDXValid(t, cdx)
	require.Contains(t, string(cdx), `"value": "false"`)
	spdx, err := b.SPDX()
	require.NoError(t, err)
	requireSPDXValid(t, spdx)
	require.Contains(t, string(spdx), "unverified beyond its digest")

	// Only the model: no training run, no dataset, still a valid BOM.
	b, err = mlbom.Derive(mlbom.Evidence{Model: f.model})
	require.NoError(t, err)
	require.Empty(t, b.Datasets)
	cdx, err = b.CycloneDX()
	require.NoError(t, err)
	requireCycloneDXValid(t, cdx)
	spdx, err = b.SPDX()
	require.NoError(t, err)
	requireSPDXValid(t, spdx)

	_, err = mlbom.Derive(mlbom.Evidence{})
	require.ErrorIs(t, err, mlbom.ErrNoModel)
}

// The schemas are not a rubber stamp: a BOM with a wrong field fails them.
func TestSchemasRefuseBrokenBOMs(t *testing.T) {
	f := newFixture(t)
	b, err := mlbom.Derive(f.evidence())
	require.NoError(t, err)
	cdx, err := b.CycloneDX()
	require.NoError(t, err)
	broken := bytes.Replace(cdx, []byte(`"machine-learning-model"`), []byte(`"ml-model"`), 1)
	res, err := cyclonedxSchema(t).Validate(gojsonschema.NewBytesLoader(broken))
	require.NoError(t, err)
	require.False(t, res.Valid())

	spdx, err := b.SPDX()
	require.NoError(t, err)
	broken = bytes.Replace(spdx, []byte(`"trainedOn"`), []byte(`"trainedWith"`), 1)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(broken))
	require.NoError(t, err)
	require.Error(t, spdxSchema(t).Validate(v))
}

// Independent implementations read the BOMs back: CycloneDX's own
// JavaScript library and Ajv (SPDX 3.0.1 schema), run with Node.js from
// the checkers installed by scripts/with-test-services.
func TestIndependentCheckers(t *testing.T) {
	modules := testenv.Getenv(t, "MLSEC_TEST_BOM_CHECKERS", "the BOM checkers (npm ci in mlbom/testdata/node)")
	node := testenv.LookPath(t, "node")
	f := newFixture(t)
	b, err := mlbom.Derive(f.evidence())
	require.NoError(t, err)
	cdx, err := b.CycloneDX()
	require.NoError(t, err)
	spdx, err := b.SPDX()
	require.NoError(t, err)
	broken := bytes.Replace(cdx, []byte(`"machine-learning-model"`), []byte(`"ml-model"`), 1)
	schema, err := filepath.Abs(filepath.Join("testdata", "schema", "spdx-3.0.1.schema.json"))
	require.NoError(t, err)
	dir := t.TempDir()
	for _, c := range []struct {
		kind  string
		doc   []byte
		valid bool
	}{
		{"cyclonedx", cdx, true},
		{"spdx", spdx, true},
		{"cyclonedx", broken, false},
		{"spdx", bytes.Replace(spdx, []byte(`"trainedOn"`), []byte(`"trainedWith"`), 1), false},
	} {
		p := filepath.Join(dir, c.kind+".json")
		require.NoError(t, os.WriteFile(p, c.doc, 0o644))
		cmd := exec.Command(node, filepath.Join(modules, "check.mjs"), c.kind, p, schema)
		cmd.Dir = modules
		out, err := cmd.CombinedOutput()
		if c.valid {
			require.NoError(t, err, "%s: %s", c.kind, out)
			continue
		}
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "%s: %s", c.kind, out)
		require.Equal(t, 1, ee.ExitCode(), "%s: the checker must find the document invalid: %s", c.kind, out)
	}
}

// The gate's evidence about the model gives the same BOM as the evidence
// verified by hand; one tampered attestation among it, or a model whose
// signature does not verify, means no BOM, with the reason named.
func TestFromGate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	for name, b := range f.envelopes {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	collect := func(sig []byte) *gate.Evidence {
		t.Helper()
		atts, err := provenance.ReadAttestations(dir)
		require.NoError(t, err)
		ev, err := gate.Collect(ctx, gate.Sources{Attestations: atts, Model: f.dir, ModelSignature: sig},
			gate.Trust{Provenance: f.policy, Model: signing.VerifyOptions{Key: f.key}, Now: runTime.Add(time.Hour)})
		require.NoError(t, err)
		return ev
	}
	ev, err := mlbom.FromGate(collect(f.sig))
	require.NoError(t, err)
	require.Len(t, ev.Attestations, 3)
	require.Contains(t, ev.Signer, "key ")
	got, err := mlbom.Derive(ev)
	require.NoError(t, err)
	want, err := mlbom.Derive(mlbom.Evidence{Model: f.model, Signer: ev.Signer, Attestations: []*provenance.Verified{f.training, f.dataset, f.test}})
	require.NoError(t, err)
	a, err := got.CycloneDX()
	require.NoError(t, err)
	b, err := want.CycloneDX()
	require.NoError(t, err)
	require.Equal(t, string(b), string(a))

	// The model's signature is not the model's: no manifest to describe.
	var bundle map[string]any
	require.NoError(t, json.Unmarshal(f.sig, &bundle))
	bundle["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any)["sig"] = base64.StdEncoding.EncodeToString([]byte("not a signature"))
	other, err := json.Marshal(bundle)
	require.NoError(t, err)
	_, err = mlbom.FromGate(collect(other))
	require.ErrorIs(t, err, mlbom.ErrNoModel)

	// The dataset's attestation names another source, under the old
	// signature.
	var env map[string]any
	require.NoError(t, json.Unmarshal(f.envelopes["dataset.json"], &env))
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	require.NoError(t, err)
	require.Contains(t, string(payload), "2026-11")
	env["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte("2026-11"), []byte("2026-12"), 1))
	tampered, err := json.Marshal(env)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dataset.json"), tampered, 0o644))
	_, err = mlbom.FromGate(collect(f.sig))
	require.ErrorContains(t, err, "dataset.json")
	require.ErrorContains(t, err, "signature")

	_, err = mlbom.FromGate(nil)
	require.ErrorIs(t, err, mlbom.ErrNoModel)
}

// A BOM signed as an in-toto statement about the model verifies as one,
// under any policy that trusts the key, and carries the document unchanged.
func TestStatement(t *testing.T) {
	f := newFixture(t)
	b, err := mlbom.Derive(f.evidence())
	require.NoError(t, err)
	doc, err := b.CycloneDX()
	require.NoError(t, err)
	st, err := b.Statement(mlbom.PredicateCycloneDX, doc)
	require.NoError(t, err)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	require.NoError(t, err)
	env, err := provenance.SignPayload(context.Background(), st, sv)
	require.NoError(t, err)
	root := f.model.RootDigest()
	v, err := provenance.Verify(context.Background(), env,
		&provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Verifiers: []signature.Verifier{sv}}}},
		provenance.VerifyOptions{PredicateType: mlbom.PredicateCycloneDX, Subjects: []provenance.DigestSet{{root.Algorithm: root.Hex()}}})
	require.NoError(t, err)
	var got struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	require.NoError(t, json.Unmarshal(v.Payload, &got))
	require.JSONEq(t, string(doc), string(got.Predicate))

	_, err = b.Statement("https://example.com/other", doc)
	require.Error(t, err)
}
