package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/mlsec-dev/mlsec/validation"
)

// The gate's checks as the demo prints them: the gate package's rules,
// with the provenance chain's rules (gaps, breaks) under provenance.
const (
	checkSignature  = gate.RuleSignature
	checkScan       = gate.RuleScan
	checkProvenance = gate.RuleProvenance
	checkValidation = gate.RuleValidation
	checkDrift      = gate.RuleDrift
)

var gateChecks = []string{checkSignature, checkScan, checkProvenance, checkValidation, checkDrift}

// gateID names the demo's gate in the VSAs it signs.
const gateID = "https://mlsec-dev.github.io/mlsec/examples/securepipeline/gate"

func checkOf(rule string) string {
	if rule == gate.RuleChain || rule == gate.RuleBreak {
		return checkProvenance
	}
	return rule
}

// checkResult is the outcome of one gate check.
type checkResult struct {
	name   string
	status Verdict // Pass or Fail
	reason string
}

// decision is what the gate decided about one candidate, grouped by check
// for printing.
type decision struct {
	checks []checkResult
	// verdict and evidence are the gate package's decision and the
	// evidence document it was made over.
	verdict  *gate.Decision
	evidence *gate.Evidence
}

// allowed reports whether the candidate may deploy: every check passed.
func (d decision) allowed() bool {
	for _, c := range d.checks {
		if c.status != Pass {
			return false
		}
	}
	return len(d.checks) > 0
}

func (d decision) result(name string) checkResult {
	for _, c := range d.checks {
		if c.name == name {
			return c
		}
	}
	return checkResult{name: name, reason: "not run"}
}

func (d decision) failed() []checkResult {
	var out []checkResult
	for _, c := range d.checks {
		if c.status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// gateRequest is one candidate at the gate, with the serving batch it is
// about to score.
type gateRequest struct {
	c                *candidate
	batch, batchName string
	// approve adds dataset versions to those the training policy approves,
	// as a data owner approving a refresh by its digest would.
	approve []provenance.DigestSet
}

// gate decides whether a candidate may serve, with the gate package, over
// everything known about it at once: its OMS signature, a scan of its
// files (code that would run on load, credentials), the provenance chain
// under the deploy policies, the signed validation results of its data,
// and a drift report of the batch it is about to score. It reads only the
// model, the policy folder and the attestation store, as a gate in another
// process would, and writes the evidence document it decided over.
func (p *pipeline) gate(ctx context.Context, req gateRequest) (decision, error) {
	c := req.c
	store, err := p.loadStore()
	if err != nil {
		return decision{}, err
	}
	training, err := provenance.LoadPolicy(p.path("policy", "training.json"))
	if err != nil {
		return decision{}, err
	}
	if len(req.approve) > 0 {
		rule := &training.Dependencies.Required[0]
		rule.Digests = append(rule.Digests, req.approve...)
	}
	dataset, err := provenance.LoadPolicy(p.path("policy", "dataset.json"))
	if err != nil {
		return decision{}, err
	}
	key, err := p.trustedVerifier()
	if err != nil {
		return decision{}, err
	}
	suite, err := validation.LoadSuite(p.path("policy", "loans_gate.yaml"))
	if err != nil {
		return decision{}, err
	}
	pinned, err := provenance.ParseDigest(suite.Digest())
	if err != nil {
		return decision{}, err
	}
	rep, html, err := p.checkDrift(ctx, req.batch, req.batchName)
	if err != nil {
		return decision{}, err
	}

	src := gate.Sources{Name: c.name, Attestations: store, Model: c.dir,
		Drift: []gate.DriftReport{{Source: p.rel(html), Report: rep}}}
	if c.signature != "" {
		if src.ModelSignature, err = os.ReadFile(c.signature); err != nil {
			return decision{}, err
		}
		src.SignatureSource = p.rel(c.signature)
	}
	ev, err := gate.Collect(ctx, src, gate.Trust{
		Provenance: training, Upstream: dataset,
		// Test results are the pipeline key's word about a dataset,
		// whichever builder ran the suite.
		Attestations: p.keyPolicy(),
		Model:        signing.VerifyOptions{Key: key},
	})
	if err != nil {
		return decision{}, err
	}
	// The code that ran is pinned by digest in the training policy; it
	// has no build provenance of its own here, so gaps are accepted.
	policy := gate.DataPolicy{AllowGaps: true, RequireDrift: true, Suites: []provenance.DigestSet{pinned},
		URI: "https://mlsec-dev.github.io/mlsec/examples/securepipeline/deploy-policy"}
	verdict := policy.Decide(ctx, ev)
	if err := p.writeEvidence(ev, req.batchName); err != nil {
		return decision{}, err
	}
	return p.summarize(verdict, ev), nil
}

// summarize groups the gate's violations by check and says, for each check
// that passed, what it verified.
func (p *pipeline) summarize(verdict *gate.Decision, ev *gate.Evidence) decision {
	d := decision{verdict: verdict, evidence: ev}
	failed := map[string][]string{}
	names := append([]string(nil), gateChecks...)
	for _, v := range verdict.Violations {
		name := checkOf(v.Rule)
		if failed[name] == nil && !contains(names, name) {
			names = append(names, name)
		}
		msg := v.Message
		if v.Rule == gate.RuleScan && v.Evidence != "" {
			msg = v.Evidence + ": " + msg // the file (and archive member) it is in
		}
		// Attestation sources are paths under the output folder.
		msg = strings.ReplaceAll(msg, p.cfg.out+string(filepath.Separator), "")
		failed[name] = append(failed[name], msg)
	}
	for _, name := range names {
		if msgs := failed[name]; len(msgs) > 0 {
			d.checks = append(d.checks, checkResult{name, Fail, joinReasons(msgs)})
			continue
		}
		d.checks = append(d.checks, checkResult{name, Pass, passReason(name, ev)})
	}
	return d
}

func passReason(check string, ev *gate.Evidence) string {
	switch check {
	case checkSignature:
		var ids []string
		for _, id := range ev.Signature.Signer.KeyIDs {
			ids = append(ids, id[:min(12, len(id))]+"…")
		}
		return fmt.Sprintf("OMS signature verified with the trusted key %s, %d files, root %s",
			strings.Join(ids, ", "), ev.Signature.Files, short(ev.Subject.Digest))
	case checkScan:
		return fmt.Sprintf("%d files scanned: no code that runs on load, no credential", ev.Scan.Files)
	case checkProvenance:
		var builders []string
		for _, b := range ev.Provenance.Builders {
			builders = append(builders, shortBuilder(b))
		}
		return fmt.Sprintf("%d training and %d upstream statement(s) verified under the deploy policies; builders %s",
			len(ev.Provenance.Statements), len(ev.Provenance.Upstream), strings.Join(builders, ", "))
	case checkValidation:
		var passed []string
		for _, v := range ev.Validation {
			if v.Result == string(validation.StatusPassed) {
				passed = append(passed, fmt.Sprintf("dataset %s PASSED the pinned suite (%d checks)", short(v.Input.Digest), len(v.PassedTests)))
			}
		}
		if len(passed) == 0 {
			return "no dataset in the verified chain to judge"
		}
		return joinReasons(passed)
	case checkDrift:
		var out []string
		for _, dr := range ev.Drift {
			out = append(out, fmt.Sprintf("%d of %d features drifted, below the %.0f%% limit; report %s",
				dr.DriftedColumns, dr.TestedColumns, 100*dr.DriftShare, dr.Source))
		}
		return joinReasons(out)
	}
	return "passed"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeEvidence keeps the evidence document the gate decided over, as a
// record of why.
func (p *pipeline) writeEvidence(ev *gate.Evidence, name string) error {
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(p.path("reports", "evidence-"+name+".json"), append(b, '\n'))
}

// loadStore reads every attestation in the attestation store. Nothing
// read here is trusted: each is verified before it is used.
func (p *pipeline) loadStore() (provenance.Attestations, error) {
	return provenance.ReadAttestations(p.path("attestations"))
}

// keyPolicy trusts the pipeline's public key for any statement and asks
// nothing more of it: a policy built in Go, for checks that judge the
// statement's content themselves.
func (p *pipeline) keyPolicy() *provenance.Policy {
	return &provenance.Policy{Builders: []provenance.TrustedBuilder{{
		ID: "*", Keys: []provenance.PublicKey{{File: p.path("policy", "pipeline.pub")}},
	}}}
}

// signVSA records the gate's decision as a SLSA Verification Summary
// Attestation over the model's digest, signed with the gate's own key, so
// that a later step checks one signature instead of deciding again.
func (p *pipeline) signVSA(ctx context.Context, d decision, c *candidate) (string, error) {
	env, err := gate.SignVSA(ctx, d.verdict, d.evidence, gate.VSAOptions{Verifier: gateID}, p.gateKey)
	if err != nil {
		return "", err
	}
	b, err := provenance.MarshalEnvelope(env)
	if err != nil {
		return "", err
	}
	path := p.path("attestations", "vsa-"+c.name+".intoto.json")
	return path, writeFile(path, b)
}

// shortBuilder keeps the last two path elements of a builder id.
func shortBuilder(id string) string {
	if i := strings.LastIndex(id, "/"); i > 0 {
		if j := strings.LastIndex(id[:i], "/"); j >= 0 {
			return id[j+1:]
		}
	}
	return id
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		return copyFile(path, target)
	})
}
