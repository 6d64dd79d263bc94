package main

import (
	"context"
	"crypto"
	"fmt"
	"os"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

// signModel signs the model directory in the OpenSSF Model Signing (OMS)
// v1.0 format with the pipeline key. The signature goes next to the model
// directory (model/loan-default.sig), so it is not one of the signed files.
func (p *pipeline) signModel(ctx context.Context, c *candidate) (string, error) {
	sig, err := signing.Sign(ctx, c.dir, p.key.sv, signing.SignOptions{})
	if err != nil {
		return "", err
	}
	c.signature = c.dir + ".sig"
	if err := writeFile(c.signature, sig); err != nil {
		return "", err
	}
	m, err := signing.HashModel(ctx, c.dir, signing.Options{})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("OMS v1.0 over %d files, root sha256:%x…, with the pipeline key -> %s",
		len(m.Resources), m.RootDigest().Value[:6], p.rel(c.signature)), nil
}

// trustedVerifier loads the public key the deploy policy trusts.
func (p *pipeline) trustedVerifier() (signature.Verifier, error) {
	b, err := os.ReadFile(p.path("policy", "pipeline.pub"))
	if err != nil {
		return nil, err
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("policy/pipeline.pub: %w", err)
	}
	return signature.LoadVerifier(pub, crypto.SHA256)
}

// addModelSubject records the model as the training run's subject by its
// OMS root digest, so provenance and signature name the same bytes.
func (p *pipeline) addModelSubject(ctx context.Context, rec *provenance.Recorder, c *candidate) error {
	m, err := signing.HashModel(ctx, c.dir, signing.Options{})
	if err != nil {
		return err
	}
	return rec.AddOutputOMS(c.name, m.RootDigest().String())
}

// modelDigest is the digest the gate looks the model up by: its OMS root
// digest, computed from the files on disk.
func (p *pipeline) modelDigest(ctx context.Context, dir string) (provenance.DigestSet, error) {
	m, err := signing.HashModel(ctx, dir, signing.Options{})
	if err != nil {
		return nil, err
	}
	root := m.RootDigest()
	return provenance.DigestSet{root.Algorithm: root.Hex()}, nil
}
