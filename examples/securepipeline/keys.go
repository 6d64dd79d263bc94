package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/mlsec-dev/mlsec/secrets"
)

// pipelineKey is the key the pipeline signs with: model signatures,
// provenance and test results. The gate only ever sees its public half.
type pipelineKey struct {
	// where says where the private key lives, for the step line.
	where string
	// sv signs model signatures, provenance and test results alike.
	sv signature.SignerVerifier
	// pubPath is the PEM public key the deploy policy trusts.
	pubPath string
}

// setupKey picks where the pipeline key lives: a fresh token in SoftHSM2
// when its PKCS#11 module is installed, a local key file otherwise.
func (p *pipeline) setupKey(ctx context.Context) (string, error) {
	k, hsmErr := hsmKey(ctx, p.path("keys"))
	if hsmErr == nil {
		p.key = k
		return k.where, nil
	}
	k, err := localKey(ctx, p.path("keys"))
	if err != nil {
		return "", err
	}
	p.key = k
	return k.where + "; SoftHSM2 not used: " + hsmErr.Error(), nil
}

// localKey makes a fresh ECDSA P-256 key in a file under dir. It stands in
// for a KMS or HSM key when none is available, and says so.
func localKey(ctx context.Context, dir string) (*pipelineKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, "pipeline.key")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	sv, err := secrets.LoadSigner(ctx, keyPath, secrets.KeyOptions{})
	if err != nil {
		return nil, err
	}
	return newPipelineKey(ctx, sv, dir, "local key file keys/pipeline.key (ECDSA P-256; development only, not for production)")
}

func newPipelineKey(ctx context.Context, sv signature.SignerVerifier, dir, where string) (*pipelineKey, error) {
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	pubPath := filepath.Join(dir, "pipeline.pub")
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return &pipelineKey{where: where, sv: sv, pubPath: pubPath}, nil
}

// setupGateKey makes the gate's own signing key, for its verification
// summaries. It is not the pipeline key: the step that builds a model must
// not be able to vouch that it passed the gate. The demo keeps it in
// memory and writes its public half to keys/gate.pub, the one key
// serving trusts; a real gate keeps it in its own KMS key or HSM token.
func (p *pipeline) setupGateKey() error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return err
	}
	if err := writeFile(p.path("keys", "gate.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})); err != nil {
		return err
	}
	p.gateKey = sv
	return nil
}
