package main

import "context"

// setupKey picks where the pipeline key lives: a token in SoftHSM2 when a
// PKCS#11 module is available, a local key file otherwise.
func (p *pipeline) setupKey(ctx context.Context) (string, error) {
	k, err := localKey(ctx, p.path("keys"))
	if err != nil {
		return "", err
	}
	p.key = k
	return k.where + "; SoftHSM2 not used: the secrets package (signers by URI) is not part of this build", nil
}

// signModel signs the model directory in the OMS format.
func (p *pipeline) signModel(ctx context.Context, c *candidate) (string, error) {
	return "", unavailable("signing")
}

// verifyModel verifies the model's OMS signature with the pipeline's
// public key.
func (p *pipeline) verifyModel(ctx context.Context, c *candidate) (string, error) {
	return "", unavailable("signing")
}

// scanModel scans the model directory for leaked credentials.
func (p *pipeline) scanModel(ctx context.Context, c *candidate) ([]string, error) {
	return nil, unavailable("secrets")
}
