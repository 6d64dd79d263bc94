package provenance_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

const (
	datasetBuilder = "https://ci.example.com/datasets/reviews"
	trainerBuilder = "https://ci.example.com/trainer"
)

// pipeline is a real two-step pipeline on disk: raw CSV files are cleaned
// into a dataset version, on which a (tiny) model is trained.
type pipeline struct {
	dir                     string
	rawDir, dataDir, model  string
	datasetKey, trainerKey  *testKey
	datasetEnv, trainingEnv *dsse.Envelope
	manifest                *provenance.Manifest
	imageDigest             string
}

func runPipeline(t *testing.T) *pipeline {
	t.Helper()
	ctx := context.Background()
	p := &pipeline{dir: t.TempDir(), datasetKey: newKey(t, "ed25519"), trainerKey: newKey(t, "p256"), imageDigest: hexC}
	p.rawDir = filepath.Join(p.dir, "raw")
	p.dataDir = filepath.Join(p.dir, "dataset")
	p.model = filepath.Join(p.dir, "model.txt")
	require.NoError(t, os.MkdirAll(p.rawDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(p.rawDir, "reviews-2026-10.csv"), []byte("id,text,stars\n1,great,5\n2,meh,3\n3,,1\n4,awful,1\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(p.rawDir, "reviews-2026-11.csv"), []byte("id,text,stars\n5,fine,4\n6,bad,2\n"), 0o644))

	// Step 1: dataset build. Drop rows without text, label stars >= 4.
	rec := provenance.NewRecorder(datasetBuilder, provenance.BuildTypeDataset, clockAt(fixedTime))
	rec.SetInvocationID("dataset-run-7")
	rec.SetParameter("dataset", "reviews")
	rec.SetParameter("sources", []any{"raw/reviews-2026-10.csv", "raw/reviews-2026-11.csv"})
	for _, name := range []string{"reviews-2026-10.csv", "reviews-2026-11.csv"} {
		_, err := rec.AddInputPath(ctx, "raw/"+name, filepath.Join(p.rawDir, name))
		require.NoError(t, err)
	}
	rec.AddInput(provenance.ResourceDescriptor{URI: "git+https://github.com/example/pipelines@refs/heads/main", Digest: provenance.DigestSet{"gitCommit": "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d"}})
	require.NoError(t, os.MkdirAll(filepath.Join(p.dataDir, "train"), 0o755))
	var rows []string
	for _, name := range []string{"reviews-2026-10.csv", "reviews-2026-11.csv"} {
		f, err := os.Open(filepath.Join(p.rawDir, name))
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			c := strings.Split(sc.Text(), ",")
			if c[1] == "" {
				continue
			}
			stars, err := strconv.Atoi(c[2])
			require.NoError(t, err)
			rows = append(rows, fmt.Sprintf("%s,%d", c[1], map[bool]int{true: 1, false: 0}[stars >= 4]))
		}
		require.NoError(t, f.Close())
	}
	require.NoError(t, os.WriteFile(filepath.Join(p.dataDir, "train", "part-0.csv"), []byte("text,label\n"+strings.Join(rows, "\n")+"\n"), 0o644))
	m, err := provenance.BuildManifest(ctx, p.dataDir, provenance.ManifestOptions{})
	require.NoError(t, err)
	p.manifest = m
	rec.AddOutput(m.Descriptor("reviews"))
	st, err := rec.Finish()
	require.NoError(t, err)
	p.datasetEnv, err = provenance.Sign(ctx, st, p.datasetKey.signer)
	require.NoError(t, err)

	// Step 2: training. The "model" is the share of positive labels.
	rec = provenance.NewRecorder(trainerBuilder, provenance.BuildTypeTraining, clockAt(fixedTime.Add(time.Hour)))
	rec.SetInvocationID("train-run-3")
	rec.SetParameter("entrypoint", "train.py")
	rec.SetParameter("seed", 42)
	rec.SetParameter("hyperparameters.lr", 0.01)
	rec.SetParameter("datasets", []any{"reviews"})
	_, err = rec.AddInputPath(ctx, "reviews", p.dataDir)
	require.NoError(t, err)
	rec.AddInput(provenance.ResourceDescriptor{Name: "image", URI: "oci://registry.example.com/trainer", Digest: provenance.DigestSet{"sha256": p.imageDigest}})
	pos := 0
	for _, r := range rows {
		if strings.HasSuffix(r, ",1") {
			pos++
		}
	}
	require.NoError(t, os.WriteFile(p.model, fmt.Appendf(nil, "p(positive)=%d/%d\n", pos, len(rows)), 0o644))
	_, err = rec.AddOutputPath(ctx, "model.txt", p.model)
	require.NoError(t, err)
	st, err = rec.Finish()
	require.NoError(t, err)
	p.trainingEnv, err = provenance.Sign(ctx, st, p.trainerKey.signer)
	require.NoError(t, err)
	return p
}

// policy is the deploy gate's policy, written as YAML with key files.
func (p *pipeline) policy(t *testing.T) *provenance.Policy {
	t.Helper()
	dir := t.TempDir()
	p.datasetKey.writePub(t, dir, "datasets.pub")
	p.trainerKey.writePub(t, dir, "trainer.pub")
	yml := fmt.Sprintf(`version: 1
builders:
  - id: %s
    keys: [{file: trainer.pub}]
  - id: https://ci.example.com/datasets/*
    keys: [{file: datasets.pub}]
buildTypes:
  - %s
  - %s
maxAge: 720h
dependencies:
  required:
    - name: reviews
      digests: [{dirHash: %s}]
    - uri: oci://*
      pinnedBy: sha256
externalParameters:
  seed: {oneOf: [42]}
  hyperparameters.lr: {exact: 0.01}
  entrypoint: {any: true}
  datasets: {any: true}
rejectUnknownParameters: true
`, trainerBuilder, provenance.BuildTypeDataset, provenance.BuildTypeTraining, p.manifest.Root["dirHash"])
	path := filepath.Join(dir, "policy.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yml), 0o644))
	pol, err := provenance.LoadPolicy(path)
	require.NoError(t, err)
	return pol
}

func (p *pipeline) datasetPolicy(t *testing.T) *provenance.Policy {
	t.Helper()
	return &provenance.Policy{
		Builders:   []provenance.TrustedBuilder{{ID: "https://ci.example.com/datasets/*", Verifiers: []signature.Verifier{p.datasetKey.verifier(t)}}},
		BuildTypes: []string{provenance.BuildTypeDataset},
		MaxAge:     provenance.Duration(720 * time.Hour),
	}
}

func digestOf(t *testing.T, path string) provenance.DigestSet {
	t.Helper()
	d, err := provenance.DigestPath(context.Background(), path)
	require.NoError(t, err)
	return d
}

var verifyAt = fixedTime.Add(2 * time.Hour)

// The whole chain verifies, and lineage runs from the model to raw files.
func TestChainEndToEnd(t *testing.T) {
	ctx := context.Background()
	p := runPipeline(t)

	// The deploy gate: the model on disk, its training provenance, the
	// dataset provenance, all under one policy.
	tv, err := provenance.Verify(ctx, p.trainingEnv, p.policy(t), provenance.VerifyOptions{Subjects: []provenance.DigestSet{digestOf(t, p.model)}, Now: verifyAt})
	require.NoError(t, err)
	require.Equal(t, trainerBuilder, tv.Builder)
	dv, err := provenance.Verify(ctx, p.datasetEnv, p.datasetPolicy(t), provenance.VerifyOptions{Subjects: []provenance.DigestSet{digestOf(t, p.dataDir)}, Now: verifyAt})
	require.NoError(t, err)

	// Lineage: model → training run → dataset version → dataset run → raw files.
	l := provenance.Trace([]*provenance.Statement{tv.Statement, dv.Statement}, digestOf(t, p.model))
	require.Equal(t, provenance.StatusAttested, l.Root.Status)
	require.Equal(t, "model.txt", l.Root.Artifact.Name)
	require.Equal(t, provenance.BuildTypeTraining, l.Root.Run.BuildType)
	data := l.Root.Run.Inputs[0]
	require.Equal(t, "reviews", data.Artifact.Name)
	require.Equal(t, provenance.StatusAttested, data.Status)
	require.Equal(t, provenance.BuildTypeDataset, data.Run.BuildType)
	raw := data.Run.Inputs[0]
	require.Equal(t, "raw/reviews-2026-10.csv", raw.Artifact.Name)
	require.Equal(t, provenance.StatusSource, raw.Status)
	require.Equal(t, digestOf(t, filepath.Join(p.rawDir, "reviews-2026-10.csv")), raw.Artifact.Digest)
	require.Equal(t, provenance.StatusSource, data.Run.Inputs[2].Status) // git commit
	// The container image has no provenance in this set: a gap.
	require.Len(t, l.Gaps, 1)
	require.Equal(t, "image", l.Gaps[0].Artifact.Name)
	require.Empty(t, l.Breaks)

	var text, dot strings.Builder
	require.NoError(t, l.WriteText(&text))
	require.Contains(t, text.String(), "raw/reviews-2026-11.csv sha256:")
	require.Contains(t, text.String(), "1 gap(s), 0 break(s)")
	require.NoError(t, l.WriteDOT(&dot))
	require.True(t, strings.HasPrefix(dot.String(), "digraph lineage {"))
	require.Equal(t, 6, strings.Count(dot.String(), "shape=box")) // model, dataset, 2 raw files, commit, image
}

// Each way of tampering with the chain is rejected, naming the rule.
func TestChainTampering(t *testing.T) {
	ctx := context.Background()
	p := runPipeline(t)
	policy := p.policy(t)

	t.Run("changed dataset file", func(t *testing.T) {
		f := filepath.Join(p.dataDir, "train", "part-0.csv")
		orig, err := os.ReadFile(f)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, os.WriteFile(f, orig, 0o644)) })
		require.NoError(t, os.WriteFile(f, []byte(strings.Replace(string(orig), "meh,0", "meh,1", 1)), 0o644))
		_, err = provenance.Verify(ctx, p.datasetEnv, p.datasetPolicy(t), provenance.VerifyOptions{Subjects: []provenance.DigestSet{digestOf(t, p.dataDir)}, Now: verifyAt})
		requireRule(t, err, provenance.RuleSubject, provenance.ErrSubjectMismatch)
	})

	t.Run("substituted model", func(t *testing.T) {
		evil := filepath.Join(t.TempDir(), "model.txt")
		require.NoError(t, os.WriteFile(evil, []byte("p(positive)=1/1\n"), 0o644))
		_, err := provenance.Verify(ctx, p.trainingEnv, policy, provenance.VerifyOptions{Subjects: []provenance.DigestSet{digestOf(t, evil)}, Now: verifyAt})
		requireRule(t, err, provenance.RuleSubject, provenance.ErrSubjectMismatch)
	})

	t.Run("untrusted builder", func(t *testing.T) {
		st := parseEnv(t, p.trainingEnv)
		st.Predicate.RunDetails.Builder.ID = "https://laptop.example.com/alice"
		env, err := provenance.Sign(ctx, st, p.trainerKey.signer)
		require.NoError(t, err)
		_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{Now: verifyAt})
		requireRule(t, err, provenance.RuleBuilder, provenance.ErrUntrustedBuilder)
		require.ErrorContains(t, err, `"https://laptop.example.com/alice" is not a trusted builder`)

		// The dataset builder's key is trusted, but not for the trainer.
		env, err = provenance.Sign(ctx, parseEnv(t, p.trainingEnv), p.datasetKey.signer)
		require.NoError(t, err)
		_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{Now: verifyAt})
		requireRule(t, err, provenance.RuleBuilder, provenance.ErrUntrustedBuilder)

		// An unknown key signs: no signature verifies at all.
		env, err = provenance.Sign(ctx, parseEnv(t, p.trainingEnv), newKey(t, "p256").signer)
		require.NoError(t, err)
		_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{Now: verifyAt})
		requireRule(t, err, provenance.RuleSignature, provenance.ErrSignature)
	})

	t.Run("disallowed dataset version", func(t *testing.T) {
		st := parseEnv(t, p.trainingEnv)
		st.Predicate.BuildDefinition.ResolvedDependencies[0].Digest = provenance.DigestSet{"dirHash": hexB}
		env, err := provenance.Sign(ctx, st, p.trainerKey.signer)
		require.NoError(t, err)
		_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{Now: verifyAt})
		requireRule(t, err, "dependencies.required[0]", provenance.ErrDependency)
		require.ErrorContains(t, err, "is not an approved version")

		// And lineage shows the break: a "reviews" exists, but not this one.
		l := provenance.Trace([]*provenance.Statement{st, parseEnv(t, p.datasetEnv)}, digestOf(t, p.model))
		require.Len(t, l.Breaks, 1)
		require.Equal(t, "reviews", l.Breaks[0].Artifact.Name)
	})

	t.Run("stale statement", func(t *testing.T) {
		_, err := provenance.Verify(ctx, p.trainingEnv, policy, provenance.VerifyOptions{Now: fixedTime.Add(31 * 24 * time.Hour)})
		requireRule(t, err, provenance.RuleMaxAge, provenance.ErrStale)
	})

	t.Run("every violation is reported", func(t *testing.T) {
		st := parseEnv(t, p.trainingEnv)
		st.Predicate.BuildDefinition.BuildType = "https://example.com/notebook"
		st.Predicate.BuildDefinition.ExternalParameters["seed"] = 7
		st.Predicate.BuildDefinition.ExternalParameters["hyperparameters"] = map[string]any{"lr": 0.5}
		st.Predicate.BuildDefinition.ExternalParameters["acme_debug"] = true
		st.Predicate.BuildDefinition.ResolvedDependencies[1].Digest = nil
		st.Predicate.BuildDefinition.ResolvedDependencies[1].URI = "oci://registry.example.com/trainer:latest"
		env, err := provenance.Sign(ctx, st, p.trainerKey.signer)
		require.NoError(t, err)
		_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{Now: fixedTime.Add(40 * 24 * time.Hour)})
		var ve *provenance.VerificationError
		require.ErrorAs(t, err, &ve)
		var rules []string
		for _, v := range ve.Violations {
			rules = append(rules, v.Rule)
		}
		require.ElementsMatch(t, []string{"buildTypes", "maxAge", "dependencies.required[1]", "externalParameters.seed", "externalParameters.hyperparameters.lr", "externalParameters.acme_debug"}, rules)
		var first *provenance.Violation
		require.ErrorAs(t, err, &first)
	})
}

func parseEnv(t *testing.T, env *dsse.Envelope) *provenance.Statement {
	t.Helper()
	body, err := env.DecodeB64Payload()
	require.NoError(t, err)
	st, err := provenance.ParseStatement(body)
	require.NoError(t, err)
	return st
}
