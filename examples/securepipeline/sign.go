package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"strings"

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

// verifyModel verifies the model's OMS signature with the public key the
// deploy policy trusts (not the one the signature names).
func (p *pipeline) verifyModel(ctx context.Context, c *candidate) (string, error) {
	if c.signature == "" {
		return "", errors.New("the model has no signature")
	}
	sig, err := os.ReadFile(c.signature)
	if err != nil {
		return "", err
	}
	v, err := p.trustedVerifier()
	if err != nil {
		return "", err
	}
	res, err := signing.Verify(ctx, c.dir, sig, signing.VerifyOptions{Key: v})
	var mismatch *signing.MismatchError
	var broken *signing.BundleError
	switch {
	case errors.As(err, &mismatch):
		return "", fmt.Errorf("model does not match its OMS signature: %s", describeMismatch(mismatch))
	case errors.As(err, &broken):
		return "", fmt.Errorf("OMS signature rejected (%s): %v", broken.Rule, broken.Err)
	case err != nil:
		return "", err
	}
	return fmt.Sprintf("OMS signature verified with the trusted key, %d files, root sha256:%x…",
		len(res.Manifest.Resources), res.Manifest.RootDigest().Value[:6]), nil
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

// describeMismatch says which files differ from what was signed.
func describeMismatch(m *signing.MismatchError) string {
	var parts []string
	for _, g := range []struct {
		what  string
		names []string
	}{{"changed", m.Changed}, {"missing", m.Missing}, {"unsigned", m.Extra}} {
		if len(g.names) > 0 {
			parts = append(parts, g.what+" "+strings.Join(g.names, ", "))
		}
	}
	return strings.Join(parts, "; ")
}
