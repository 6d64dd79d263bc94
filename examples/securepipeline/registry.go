package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

// startRegistry starts the team's model registry: an OCI 1.1 registry
// (with the referrers API) in this process, on a loopback port, so the
// demo needs no network. Any OCI registry works the same way; oci.Open
// takes credentials from the docker config.
func startRegistry() (host string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("model registry: %w", err)
	}
	srv := &http.Server{
		Handler:           registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// publish pushes the model that passed the gate to the registry as a CNCF
// ModelPack artifact (one raw layer per file) and attaches its evidence
// as OCI 1.1 referrers: the OMS signature, the training provenance and the
// gate's VSA. It returns the model's manifest digest.
func (p *pipeline) publish(ctx context.Context, c *candidate, vsa string) (string, error) {
	repo, err := oci.Open(ctx, p.registry+"/models/"+c.name, oci.Options{})
	if err != nil {
		return "", err
	}
	m, err := repo.Push(ctx, c.dir, oci.PushOptions{Tag: "v1"})
	if err != nil {
		return "", err
	}
	for _, a := range []struct {
		path, artifactType string
	}{
		{c.signature, oci.ArtifactTypeSignature},
		{c.training, oci.ArtifactTypeInToto},
		{vsa, oci.ArtifactTypeInToto},
	} {
		b, err := os.ReadFile(a.path)
		if err != nil {
			return "", err
		}
		if _, err := repo.Attach(ctx, m.Descriptor, oci.Attachment{ArtifactType: a.artifactType, Data: b,
			Annotations: map[string]string{"org.opencontainers.image.title": p.rel(a.path)}}); err != nil {
			return "", err
		}
	}
	return m.Descriptor.Digest.String(), nil
}

// deploy is the serving side. It holds the gate's public key and the
// pipeline's, and a model reference; it trusts nothing else. Before a
// byte of weights is read it resolves the tag to a digest, verifies the
// OMS signature against the registry manifest, and finds among the
// model's referrers a VSA from the gate for that model; then it pulls the
// model by digest (every layer checked against its digest as it streams)
// and checks the signature again on the files it wrote.
func (p *pipeline) deploy(ctx context.Context, c *candidate) (string, error) {
	ref := p.registry + "/models/" + c.name + ":v1"
	repo, err := oci.Open(ctx, ref, oci.Options{})
	if err != nil {
		return "", err
	}
	key, err := p.trustedVerifier()
	if err != nil {
		return "", err
	}
	res, err := repo.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: key}})
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	byDigest := res.Model.Descriptor.Digest.String()
	root := res.Manifest.RootDigest()
	if err := p.findVSA(ctx, repo, res.Model, provenance.DigestSet{root.Algorithm: root.Hex()}); err != nil {
		return "", fmt.Errorf("%s@%s: %w", repo.Name(), byDigest, err)
	}
	dst := p.path("serving", c.name)
	if _, err := repo.Pull(ctx, byDigest, dst); err != nil {
		return "", err
	}
	sig, err := os.ReadFile(c.signature)
	if err != nil {
		return "", err
	}
	if _, err := signing.Verify(ctx, dst, sig, signing.VerifyOptions{Key: key}); err != nil {
		return "", fmt.Errorf("%s after the pull: %w", p.rel(dst), err)
	}
	if err := writeFile(dst+".sig", sig); err != nil {
		return "", err
	}
	return dst, nil
}

// findVSA looks through the model's in-toto referrers for a VSA the gate
// signed for this model (its OMS root digest) and that PASSED.
func (p *pipeline) findVSA(ctx context.Context, repo *oci.Repository, m *oci.Model, subject provenance.DigestSet) error {
	refs, err := repo.Referrers(ctx, m.Descriptor, oci.ArtifactTypeInToto)
	if err != nil {
		return err
	}
	why := errors.New("no VSA attached")
	for _, d := range refs {
		b, _, err := repo.FetchEvidence(ctx, m.Descriptor, d)
		if err != nil {
			return err
		}
		env, err := gate.ParseVSA(b)
		if err != nil {
			continue
		}
		_, err = gate.VerifyVSA(ctx, env, gate.VerifyVSAOptions{Keys: []signature.Verifier{p.gateKey}, Subject: subject, Verifier: gateID})
		if err == nil {
			return nil
		}
		why = err
	}
	return why
}
