package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mlsec-dev/mlsec/provenance"
)

// Builder ids: who ran a step. The deploy policy trusts the pipeline key
// to speak for each.
const (
	builderIngest = "https://mlsec-dev.github.io/mlsec/examples/securepipeline/ingest"
	builderTrain  = "https://mlsec-dev.github.io/mlsec/examples/securepipeline/train"
	repository    = "git+https://github.com/mlsec-dev/mlsec"
	// datasetDep is the name under which training records its dataset, and
	// which the policy's approved-versions rule selects.
	datasetDep = "loans"
)

// codeDescriptor names the code that ran: this program's executable, by
// digest. A CI pipeline would record the source commit as well.
func codeDescriptor() (provenance.ResourceDescriptor, error) {
	exe, err := os.Executable()
	if err != nil {
		return provenance.ResourceDescriptor{}, err
	}
	f, err := os.Open(exe)
	if err != nil {
		return provenance.ResourceDescriptor{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return provenance.ResourceDescriptor{}, err
	}
	return provenance.ResourceDescriptor{Name: "code", URI: repository + "//examples/securepipeline",
		Digest: provenance.DigestSet{"sha256": hex.EncodeToString(h.Sum(nil))}}, nil
}

// recordDataset writes the dataset's manifest (its content-addressed
// version) and the signed provenance of the dataset build.
func (p *pipeline) recordDataset(ctx context.Context, ds *dataset, seed uint64) error {
	rec := provenance.NewRecorder(builderIngest, provenance.BuildTypeDataset, provenance.RecorderOptions{})
	rec.SetInvocationID(p.invocation("ingest-" + ds.name))
	rec.SetParameter("repository", repository)
	rec.SetParameter("entrypoint", "examples/securepipeline")
	rec.SetParameter("dataset", ds.name)
	rec.SetParameter("split", "train")
	rec.SetParameter("sources", []any{fmt.Sprintf("synthetic:loan-applications?seed=%d&rows=%d", seed, ds.rows)})
	code, err := codeDescriptor()
	if err != nil {
		return err
	}
	rec.AddInput(code)
	m, err := provenance.BuildManifest(ctx, ds.dir, provenance.ManifestOptions{})
	if err != nil {
		return err
	}
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	ds.manifest = p.path("data", "raw", ds.name+".manifest.json")
	if err := writeFile(ds.manifest, b); err != nil {
		return err
	}
	ds.version = m.Root
	rec.AddOutput(m.Descriptor(ds.name))
	st, err := rec.Finish()
	if err != nil {
		return err
	}
	ds.provenance = p.path("attestations", "dataset-"+ds.name+".intoto.json")
	return p.signStatement(ctx, st, ds.provenance)
}

// recordTraining writes the signed provenance of the training run:
// dataset version, code, hyperparameters and seed in, the model out, the
// hold-out metrics as a byproduct.
func (p *pipeline) recordTraining(ctx context.Context, c *candidate) (string, error) {
	rec := provenance.NewRecorder(builderTrain, provenance.BuildTypeTraining, provenance.RecorderOptions{})
	rec.SetInvocationID(p.invocation("train-" + c.name))
	rec.SetParameter("repository", repository)
	rec.SetParameter("entrypoint", "examples/securepipeline")
	rec.SetParameter("model", c.name)
	rec.SetParameter("datasets", []any{datasetDep})
	rec.SetParameter("seed", c.hp.Seed)
	rec.SetParameter("hyperparameters.learning_rate", c.hp.LearningRate)
	rec.SetParameter("hyperparameters.epochs", c.hp.Epochs)
	rec.SetParameter("hyperparameters.l2", c.hp.L2)
	rec.SetParameter("hyperparameters.hold_out_fraction", c.hp.HoldOut)
	if _, err := rec.AddInputPath(ctx, datasetDep, c.dataset.dir); err != nil {
		return "", err
	}
	code, err := codeDescriptor()
	if err != nil {
		return "", err
	}
	rec.AddInput(code)
	md, err := provenance.DigestPath(ctx, c.metricsAt)
	if err != nil {
		return "", err
	}
	rec.AddByproduct(provenance.ResourceDescriptor{Name: "metrics", Digest: md, MediaType: "application/json",
		Annotations: map[string]any{"accuracy": c.metrics.Accuracy, "auc": c.metrics.AUC}})
	if err := p.addModelSubject(ctx, rec, c); err != nil {
		return "", err
	}
	st, err := rec.Finish()
	if err != nil {
		return "", err
	}
	file := "training-" + c.name
	if c.id != "" {
		file += "-" + c.id
	}
	c.training = p.path("attestations", file+".intoto.json")
	if err := p.signStatement(ctx, st, c.training); err != nil {
		return "", err
	}
	return fmt.Sprintf("SLSA v1: dataset %s, code, hyperparameters, seed %d, metrics; signed -> %s",
		short(c.dataset.version), c.hp.Seed, p.rel(c.training)), nil
}

func (p *pipeline) signStatement(ctx context.Context, st *provenance.Statement, path string) error {
	env, err := provenance.Sign(ctx, st, p.key.sv)
	if err != nil {
		return err
	}
	b, err := provenance.MarshalEnvelope(env)
	if err != nil {
		return err
	}
	return writeFile(path, b)
}

// writePolicy writes the deploy policy: which key speaks for which
// builder, and which dataset versions the data owner approved for
// training. It is data, loaded back the way a separate gate would load it.
func (p *pipeline) writePolicy(ctx context.Context) (string, error) {
	dir := p.path("policy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := p.setupGateKey(); err != nil {
		return "", err
	}
	pub, err := os.ReadFile(p.key.pubPath)
	if err != nil {
		return "", err
	}
	if err := writeFile(filepath.Join(dir, "pipeline.pub"), pub); err != nil {
		return "", err
	}
	maxAge := provenance.Duration(24 * time.Hour)
	training := provenance.Policy{
		Version:    1,
		Builders:   []provenance.TrustedBuilder{{ID: builderTrain, Keys: []provenance.PublicKey{{File: "pipeline.pub"}}}},
		BuildTypes: []string{provenance.BuildTypeTraining},
		MaxAge:     maxAge,
		Dependencies: provenance.DependencyPolicy{Required: []provenance.DependencyRule{
			{Name: datasetDep, Digests: []provenance.DigestSet{p.approved.version}},
			{Name: "code", PinnedBy: "sha256"},
		}},
		ExternalParameters: map[string]provenance.ParamRule{"repository": {Exact: repository}},
	}
	dataset := provenance.Policy{
		Version:    1,
		Builders:   []provenance.TrustedBuilder{{ID: builderIngest, Keys: []provenance.PublicKey{{File: "pipeline.pub"}}}},
		BuildTypes: []string{provenance.BuildTypeDataset},
		MaxAge:     maxAge,
	}
	// The validation suite is part of the policy: the gate accepts only
	// test results made with exactly this suite (by digest).
	if err := writeFile(filepath.Join(dir, "loans_gate.yaml"), suiteYAML); err != nil {
		return "", err
	}
	if err := writeJSON(filepath.Join(dir, "training.json"), training); err != nil {
		return "", err
	}
	if err := writeJSON(filepath.Join(dir, "dataset.json"), dataset); err != nil {
		return "", err
	}
	// Load them back as the gate will, so a policy that does not validate
	// against the policy schema fails here rather than at the gate.
	for _, name := range []string{"training.json", "dataset.json"} {
		if _, err := provenance.LoadPolicy(filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("approved training data: %s %s; trusted key: the pipeline's; pinned suite: loans-gate; the gate signs with its own key -> %s",
		p.approved.name, short(p.approved.version), p.rel(dir)), nil
}

func (p *pipeline) invocation(step string) string {
	return "securepipeline-" + strconv.FormatUint(p.cfg.seed, 10) + "-" + step
}

// short abbreviates a digest set for a step line: "dirHash:1a2b3c4d…".
func short(d provenance.DigestSet) string {
	for _, alg := range []string{"sha256", "dirHash"} {
		if v, ok := d[alg]; ok && len(v) > 12 {
			return alg + ":" + v[:12] + "…"
		}
	}
	if len(d) == 0 {
		return "(no version)"
	}
	return d.String()
}

func (p *pipeline) rel(path string) string {
	if r, err := filepath.Rel(p.cfg.out, path); err == nil {
		return r
	}
	return path
}

func writeFile(path string, b []byte) error {
	return writeAtomic(path, func(f *os.File) error { _, err := f.Write(b); return err })
}
