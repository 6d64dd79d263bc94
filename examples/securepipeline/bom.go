package main

import (
	"context"
	"fmt"
	"os"

	"github.com/mlsec-dev/mlsec/mlbom"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

// writeBOMs derives the deployed model's ML bill of materials from what
// verifies (its signature, its training provenance under the training
// policy, its dataset's provenance and validation result) and writes it in
// both formats.
func (p *pipeline) writeBOMs(ctx context.Context, c *candidate) (string, error) {
	sig, err := os.ReadFile(c.signature)
	if err != nil {
		return "", err
	}
	key, err := p.trustedVerifier()
	if err != nil {
		return "", err
	}
	res, err := signing.Verify(ctx, c.dir, sig, signing.VerifyOptions{Key: key})
	if err != nil {
		return "", err
	}
	store, err := p.loadStore()
	if err != nil {
		return "", err
	}
	var policies []*provenance.Policy
	for _, name := range []string{"training.json", "dataset.json"} {
		pol, err := provenance.LoadPolicy(p.path("policy", name))
		if err != nil {
			return "", err
		}
		policies = append(policies, pol)
	}
	ev, err := mlbom.Collect(ctx, res.Manifest, "pipeline key", store, mlbom.CollectOptions{
		Policies: policies, TestResultPolicies: []*provenance.Policy{p.keyPolicy()}})
	if err != nil {
		return "", err
	}
	b, err := mlbom.Derive(ev)
	if err != nil {
		return "", err
	}
	for file, render := range map[string]func() ([]byte, error){
		p.path("reports", c.name+".cdx.json"):  b.CycloneDX,
		p.path("reports", c.name+".spdx.json"): b.SPDX,
	} {
		doc, err := render()
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(file, doc, 0o644); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("CycloneDX 1.6 and SPDX 3.0.1 from verified evidence: %d files, %d dataset(s), %d training run(s) -> %s, %s",
		len(b.Model.Files), len(b.Datasets), len(b.Runs), p.rel(p.path("reports", c.name+".cdx.json")), p.rel(p.path("reports", c.name+".spdx.json"))), nil
}
