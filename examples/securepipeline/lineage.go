package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/mlsec-dev/mlsec/provenance"
)

// lineage traces the deployed model back to its raw inputs through the
// attestations that verify under the deploy policies, and writes the tree
// as text and as Graphviz DOT.
func (p *pipeline) lineage(ctx context.Context, c *candidate, l *stepLog) (string, error) {
	store, err := p.loadStore()
	if err != nil {
		return "", err
	}
	// Only statements that verify feed the trace: an unverified one could
	// claim any history. Each step has its policy.
	slsa := store.About(provenance.PredicateSLSAProvenance)
	var verified []*provenance.Statement
	for _, name := range []string{"training.json", "dataset.json"} {
		pol, err := provenance.LoadPolicy(p.path("policy", name))
		if err != nil {
			return "", err
		}
		results, err := slsa.Verify(ctx, pol, provenance.VerifyOptions{})
		if err != nil {
			return "", err
		}
		verified = append(verified, results.Statements()...)
	}
	md, err := p.modelDigest(ctx, c.dir)
	if err != nil {
		return "", err
	}
	tree := provenance.Trace(verified, md)
	var text, dot bytes.Buffer
	if err := tree.WriteText(&text); err != nil {
		return "", err
	}
	if err := tree.WriteDOT(&dot); err != nil {
		return "", err
	}
	txt := p.path("reports", "lineage.txt")
	if err := writeFile(txt, text.Bytes()); err != nil {
		return "", err
	}
	if err := writeFile(p.path("reports", "lineage.dot"), dot.Bytes()); err != nil {
		return "", err
	}
	for _, line := range strings.Split(strings.TrimRight(text.String(), "\n"), "\n") {
		l.note("%s", line)
	}
	if tree.Root == nil || tree.Root.Status != provenance.StatusAttested {
		return "", fmt.Errorf("the deployed model has no attested lineage")
	}
	if len(tree.Breaks) > 0 {
		return "", fmt.Errorf("%d break(s) in the lineage", len(tree.Breaks))
	}
	return fmt.Sprintf("model -> training run -> dataset %s -> dataset build, from %d verified statements, %d gap(s) -> %s",
		short(p.approved.version), len(verified), len(tree.Gaps), p.rel(txt)), nil
}
