package oci_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Push a model to a registry, sign it there by digest (reading only its
// manifest), and verify it by tag. The registry here is an in-process one
// on loopback; a real one takes credentials from the docker config.
func Example() {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	dir, _ := os.MkdirTemp("", "model")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "weights.safetensors"), []byte("weights"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := signature.LoadECDSASignerVerifier(key, crypto.SHA256)

	repo, err := oci.Open(ctx, "oci://"+host+"/models/demo", oci.Options{})
	if err != nil {
		log.Fatal(err)
	}
	m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pushed", len(m.Files), "files as", m.Manifest.ArtifactType)

	if _, err := repo.Sign(ctx, m.Descriptor.Digest.String(), signer, signing.SignOptions{}); err != nil {
		log.Fatal(err)
	}
	res, err := repo.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: signer}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", res.Model.Descriptor.Digest == m.Descriptor.Digest, len(res.Manifest.Resources), "files")
	// Output:
	// pushed 2 files as application/vnd.cncf.model.manifest.v1+json
	// verified: true 2 files
}
