package main

import (
	"context"
	"fmt"

	"github.com/mlsec-dev/mlsec/secrets"
)

// scanModel scans the model directory for leaked credentials. Findings
// come back redacted: the demo never prints a secret, even a fake one.
func (p *pipeline) scanModel(ctx context.Context, c *candidate) ([]string, error) {
	findings, err := secrets.ScanPath(ctx, c.dir, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range findings {
		out = append(out, fmt.Sprintf("%s:%d %s (%s)", p.rel(f.Path), f.Line, f.Rule, f.Match))
	}
	return out, nil
}
