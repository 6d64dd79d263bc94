package main

import (
	"context"
	"errors"
)

// scanModel scans the model directory for leaked credentials.
func (p *pipeline) scanModel(ctx context.Context, c *candidate) ([]string, error) {
	return nil, unavailable("secrets")
}

// hsmKey would load the pipeline key from a SoftHSM2 token by its pkcs11:
// URI through the secrets package.
func hsmKey(ctx context.Context, dir string) (*pipelineKey, error) {
	return nil, errors.New("the secrets package (signers by URI) is not part of this build")
}
