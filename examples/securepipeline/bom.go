package main

import (
	"fmt"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/mlbom"
)

// writeBOMs derives the deployed model's ML bill of materials from the
// evidence the gate verified (its signature, its training provenance under
// the training policy, its dataset's provenance and validation result) and
// writes it in both formats. Nothing is verified twice.
func (p *pipeline) writeBOMs(c *candidate, evidence *gate.Evidence) (string, error) {
	ev, err := mlbom.FromGate(evidence)
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
		if err := writeFile(file, doc); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("CycloneDX 1.6 and SPDX 3.0.1 from verified evidence: %d files, %d dataset(s), %d training run(s) -> %s, %s",
		len(b.Model.Files), len(b.Datasets), len(b.Runs), p.rel(p.path("reports", c.name+".cdx.json")), p.rel(p.path("reports", c.name+".spdx.json"))), nil
}
