package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlsec-dev/mlsec/provenance"
)

// The gate's checks, in the order it runs them.
const (
	checkSignature  = "signature"
	checkSecrets    = "secrets"
	checkProvenance = "provenance"
	checkValidation = "validation"
	checkDrift      = "drift"
)

// checkResult is the outcome of one gate check.
type checkResult struct {
	name   string
	status Verdict // Pass or Fail
	reason string
}

// decision is everything the gate found about one candidate.
type decision struct{ checks []checkResult }

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

// gate checks everything about a candidate model before it may serve: its
// signature, that it carries no credential, the provenance chain under
// the deploy policy, the validation result of its training data, and that
// the batch it is about to score has not drifted from that data. It reads
// only the model, the policy, the public key and the attestation store,
// as a gate in another process would.
func (p *pipeline) gate(ctx context.Context, c *candidate, batch, batchName string) decision {
	var d decision
	add := func(name string, reason string, err error) {
		if err != nil {
			d.checks = append(d.checks, checkResult{name, Fail, err.Error()})
		} else {
			d.checks = append(d.checks, checkResult{name, Pass, reason})
		}
	}

	reason, err := p.verifyModel(ctx, c)
	add(checkSignature, reason, err)

	findings, err := p.scanModel(ctx, c)
	if err == nil && len(findings) > 0 {
		err = fmt.Errorf("credentials in the model directory: %s", joinReasons(findings))
	}
	add(checkSecrets, "no credential in the model directory", err)

	reason, err = p.verifyProvenance(ctx, c)
	add(checkProvenance, reason, err)

	reason, err = p.checkValidation(ctx, c)
	add(checkValidation, reason, err)

	rep, html, err := p.checkDrift(ctx, batch, batchName)
	switch {
	case err != nil:
		add(checkDrift, "", err)
	case rep.Dataset.Drifted:
		add(checkDrift, "", fmt.Errorf("%d of %d features drifted (gate limit %.0f%%): %s; report %s",
			rep.Dataset.DriftedColumns, rep.Dataset.TestedColumns, 100*rep.Dataset.DriftShare,
			strings.Join(driftedColumns(rep), ", "), p.rel(html)))
	default:
		add(checkDrift, fmt.Sprintf("%d of %d features drifted, below the %.0f%% limit; report %s",
			rep.Dataset.DriftedColumns, rep.Dataset.TestedColumns, 100*rep.Dataset.DriftShare, p.rel(html)), nil)
	}
	return d
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

// verifyProvenance verifies the model's training provenance under the
// training policy (trusted key, build type, approved dataset version, code
// pinned by digest), then the provenance of the dataset it names under the
// dataset policy.
func (p *pipeline) verifyProvenance(ctx context.Context, c *candidate) (string, error) {
	store, err := p.loadStore()
	if err != nil {
		return "", err
	}
	md, err := p.modelDigest(ctx, c.dir)
	if err != nil {
		return "", err
	}
	training, err := provenance.LoadPolicy(p.path("policy", "training.json"))
	if err != nil {
		return "", err
	}
	results, err := store.About(provenance.PredicateSLSAProvenance, md).
		Verify(ctx, training, provenance.VerifyOptions{Subjects: []provenance.DigestSet{md}})
	if err != nil {
		return "", err
	}
	if len(results) == 0 {
		return "", fmt.Errorf("no training provenance has the model's digest %s as subject", short(md))
	}
	var errs []string
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, violations(r.Err)...)
			continue
		}
		ds := datasetOf(r.Verified.Statement)
		reason, err := p.verifyDatasetProvenance(ctx, store, ds)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		return fmt.Sprintf("training run by builder %s, signed by the trusted key, on approved dataset %s; %s",
			shortBuilder(r.Verified.Statement.Predicate.RunDetails.Builder.ID), short(ds), reason), nil
	}
	return "", errors.New(joinReasons(errs))
}

// datasetOf returns the digest of the dataset a training statement names.
func datasetOf(st *provenance.Statement) provenance.DigestSet {
	for _, dep := range st.Predicate.BuildDefinition.ResolvedDependencies {
		if dep.Name == datasetDep {
			return dep.Digest
		}
	}
	return nil
}

func (p *pipeline) verifyDatasetProvenance(ctx context.Context, store provenance.Attestations, ds provenance.DigestSet) (string, error) {
	if len(ds) == 0 {
		return "", fmt.Errorf("the training provenance names no %q dataset", datasetDep)
	}
	pol, err := provenance.LoadPolicy(p.path("policy", "dataset.json"))
	if err != nil {
		return "", err
	}
	results, err := store.About(provenance.PredicateSLSAProvenance, ds).
		Verify(ctx, pol, provenance.VerifyOptions{Subjects: []provenance.DigestSet{ds}})
	if err != nil {
		return "", err
	}
	if len(results.Verified()) > 0 {
		return "dataset build attested", nil
	}
	if len(results) == 0 {
		return "", fmt.Errorf("no dataset provenance for %s", short(ds))
	}
	var errs []string
	for _, r := range results {
		errs = append(errs, violations(r.Err)...)
	}
	return "", errors.New(joinReasons(errs))
}

// violations lists the rules a verification broke, one string each.
func violations(err error) []string {
	var ve *provenance.VerificationError
	if errors.As(err, &ve) {
		var out []string
		for _, v := range ve.Violations {
			out = append(out, fmt.Sprintf("policy rule %s: %s", v.Rule, v.Reason))
		}
		return out
	}
	return []string{err.Error()}
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

// deploy copies the model (and its signature) into the serving folder,
// through a temporary folder and a rename so a server never sees half a
// model.
func (p *pipeline) deploy(c *candidate) (string, error) {
	dst := p.path("serving", c.name)
	tmp := dst + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if err := copyDir(c.dir, tmp); err != nil {
		return "", err
	}
	if c.signature != "" {
		if err := copyFile(c.signature, dst+".sig"); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", err
	}
	return dst, nil
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
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
