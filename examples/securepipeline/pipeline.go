package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
)

type config struct {
	out  string // output folder
	seed uint64 // seed of the synthetic data
	rows int    // rows in the training dataset
}

// pipeline holds what the steps share: where files go, the runner that
// prints verdicts, and the artifacts of the clean path that the attacks
// start from.
type pipeline struct {
	cfg config
	w   io.Writer
	r   *runner

	key       *pipelineKey
	reference string // the reference drift profile
	// servingBatch is today's batch of applications to score (CSV).
	servingBatch string
	servingLoans []Loan

	// gateKey signs the gate's verification summaries (VSAs); serving
	// trusts its public half and nothing else.
	gateKey signature.SignerVerifier
	// registry is the host:port of the model registry.
	registry string

	approved *dataset   // the dataset the data owner approved for training
	clean    *candidate // the model the clean path produced
	deployed string     // serving folder of the deployed model, "" if none
	vsa      string     // the VSA the gate signed for the deployed model
}

func newPipeline(cfg config, w io.Writer) *pipeline {
	return &pipeline{cfg: cfg, w: w, r: newRunner(w)}
}

func (p *pipeline) path(elem ...string) string {
	return filepath.Join(append([]string{p.cfg.out}, elem...)...)
}

// ok reports whether the run may exit 0: no step failed or missed, and the
// clean model was deployed.
func (p *pipeline) ok() bool { return p.r.ok() && p.deployed != "" }

// run executes the clean path and then the attacks, and prints the
// summary. When a step of the clean path fails there is nothing to attack:
// the run stops there, prints what it has and reports the failure. An
// error means not even the summary could be written.
func (p *pipeline) run(ctx context.Context) error {
	start := time.Now()
	fmt.Fprintf(p.w, "mlsec secure pipeline demo: loan-default model, seed %d, %d training rows\n", p.cfg.seed, p.cfg.rows)
	fmt.Fprintf(p.w, "output folder: %s\n", p.cfg.out)

	host, stop, err := startRegistry()
	if err != nil {
		return err
	}
	defer stop()
	p.registry = host
	if err := p.cleanPath(ctx); err != nil {
		fmt.Fprintf(p.w, "\nthe clean path stopped: %v\n", err)
	} else {
		p.attacks(ctx)
	}

	p.r.summary()
	if err := writeJSON(p.path("summary.json"), p.r.results); err != nil {
		return err
	}
	fmt.Fprintln(p.w)
	caught, total := 0, 0
	for _, res := range p.r.results {
		if strings.HasPrefix(res.Name, "attack: ") {
			total++
			if res.Verdict == Caught {
				caught++
			}
		}
	}
	attacks := fmt.Sprintf("%d of %d attacks caught for the right reason", caught, total)
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case p.ok():
		fmt.Fprintf(p.w, "result: OK: the clean model passed the gate and was deployed to %s with its signed VSA %s; %s (%s)\n",
			p.rel(p.deployed), p.rel(p.vsa), attacks, took)
	case p.deployed == "":
		fmt.Fprintf(p.w, "result: FAILED: the clean model was not deployed; %s\n", attacks)
	default:
		fmt.Fprintf(p.w, "result: FAILED: a step failed or an attack was missed (see the table); %s\n", attacks)
	}
	fmt.Fprintf(p.w, "output folder: %s\n", p.cfg.out)
	return nil
}

// cleanPath takes the approved data to a deployed model.
func (p *pipeline) cleanPath(ctx context.Context) error {
	p.r.section("clean path: raw data to a deployed model")
	r := p.r
	if err := r.do("pipeline key", func(*stepLog) (string, error) { return p.setupKey(ctx) }); err != nil {
		return err
	}
	var ds *dataset
	if err := r.do("ingest loans-v1", func(*stepLog) (string, error) {
		var detail string
		var err error
		ds, detail, err = p.ingest(ctx, "loans-v1", generateLoans(p.cfg.seed, p.cfg.rows, 1, normalPopulation), p.cfg.seed)
		return detail, err
	}); err != nil {
		return err
	}
	p.approved = ds
	if err := r.do("validate loans-v1", func(l *stepLog) (string, error) {
		detail, err := p.validate(ctx, ds)
		if err == nil && !ds.valid {
			for _, f := range ds.failures {
				l.note("%s", f)
			}
			return "", fmt.Errorf("the clean dataset failed validation: %s", detail)
		}
		return detail, err
	}); err != nil {
		return err
	}
	if err := r.do("deploy policy", func(*stepLog) (string, error) { return p.writePolicy(ctx) }); err != nil {
		return err
	}
	if err := r.do("profile loans-v1", func(*stepLog) (string, error) { return p.profileReference(ctx, ds) }); err != nil {
		return err
	}
	var c *candidate
	if err := r.do("train loan-default", func(*stepLog) (string, error) {
		var detail string
		var err error
		c, detail, err = p.trainModel(ctx, "loan-default", ds, p.path("model", "loan-default"), nil)
		return detail, err
	}); err != nil {
		return err
	}
	if err := r.do("training provenance", func(*stepLog) (string, error) { return p.recordTraining(ctx, c) }); err != nil {
		return err
	}
	if err := r.do("sign model", func(*stepLog) (string, error) { return p.signModel(ctx, c) }); err != nil {
		return err
	}
	p.clean = c

	p.servingBatch = p.path("data", "serving", "batch-today.csv")
	p.servingLoans = generateLoans(p.cfg.seed+100, 2000, 1_000_001, normalPopulation)
	if err := writeCSV(p.servingBatch, p.servingLoans, false); err != nil {
		return err
	}
	var d decision
	r.step("deploy gate", func(l *stepLog) (Verdict, string) {
		var err error
		if d, err = p.gate(ctx, gateRequest{c: c, batch: p.servingBatch, batchName: "today"}); err != nil {
			return Blocked, err.Error()
		}
		for _, ch := range d.checks {
			l.note("%-10s %-4s %s", ch.name, ch.status, ch.reason)
		}
		if !d.allowed() {
			return Blocked, "the clean model was refused: " + joinReasons(reasons(d.failed()))
		}
		vsa, err := p.signVSA(ctx, d, c)
		if err != nil {
			return Blocked, err.Error()
		}
		l.note("%-10s %-4s PASSED under %s sha256:%.12s…, over %d attestations, signed by the gate key -> %s", "verdict", "VSA",
			d.verdict.Policy.URI, d.verdict.Policy.Digest["sha256"], len(d.evidence.Attestations), p.rel(vsa))
		p.vsa = vsa
		return Pass, fmt.Sprintf("all %d checks passed; VSA signed -> %s", len(d.checks), p.rel(vsa))
	})
	if p.vsa == "" {
		return nil
	}
	if err := r.do("publish to the registry", func(*stepLog) (string, error) {
		digest, err := p.publish(ctx, c, p.vsa)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("ModelPack artifact %s/models/%s:v1 (%s…), one raw layer per file; OMS signature, training provenance and VSA attached as OCI 1.1 referrers",
			p.registry, c.name, digest[:19]), nil
	}); err != nil {
		return err
	}
	r.step("deploy from the registry", func(l *stepLog) (Verdict, string) {
		dst, err := p.deploy(ctx, c)
		if err != nil {
			return Blocked, err.Error()
		}
		p.deployed = dst
		return Deployed, fmt.Sprintf("signature verified in the registry and the gate's VSA found for the digest, before any weights were read; pulled by digest to %s and verified again",
			p.rel(dst))
	})
	if p.deployed == "" {
		return nil
	}
	if err := r.do("lineage of the deployed model", func(l *stepLog) (string, error) { return p.lineage(ctx, c, l) }); err != nil {
		return err
	}
	return r.do("bill of materials", func(*stepLog) (string, error) { return p.writeBOMs(c, d.evidence) })
}

func reasons(cs []checkResult) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.name+": "+c.reason)
	}
	return out
}
