package signing_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mlsec-dev/mlsec/signing"
	"github.com/sigstore/sigstore/pkg/signature"
)

func Example() {
	ctx := context.Background()
	model, _ := os.MkdirTemp("", "model")
	defer os.RemoveAll(model)
	os.WriteFile(filepath.Join(model, "weights.safetensors"), []byte("weights"), 0o644)
	os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"layers":2}`), 0o644)

	// Any sigstore SignerVerifier signs: here an in-memory P-256 key; a
	// KMS or HSM key plugs in the same way.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := signature.LoadSignerVerifier(key, crypto.SHA256)

	sig, err := signing.Sign(ctx, model, signer, signing.SignOptions{
		Options: signing.Options{IgnorePaths: []string{"model.sig"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	os.WriteFile(filepath.Join(model, "model.sig"), sig, 0o644)

	// The verifier needs only the public key.
	verifier, _ := signature.LoadVerifier(key.Public(), crypto.SHA256)
	res, err := signing.Verify(ctx, model, sig, signing.VerifyOptions{Key: verifier})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res.Manifest.Resources {
		fmt.Println(r.Name)
	}

	// Tampering is reported file by file.
	os.WriteFile(filepath.Join(model, "weights.safetensors"), []byte("poisoned"), 0o644)
	_, err = signing.Verify(ctx, model, sig, signing.VerifyOptions{Key: verifier})
	var mismatch *signing.MismatchError
	if errors.As(err, &mismatch) {
		fmt.Println("changed:", mismatch.Changed)
	}
	// Output:
	// config.json
	// weights.safetensors
	// changed: [weights.safetensors]
}

func ExampleHashModel() {
	dir, _ := os.MkdirTemp("", "model")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "model.bin"), []byte("This is a simple model"), 0o644)

	m, err := signing.HashModel(context.Background(), dir, signing.Options{Method: signing.MethodShards, ShardSize: 8})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range m.Resources {
		fmt.Printf("%s %x\n", r.Name, r.Digest[:4])
	}
	// Names sort as strings (OMS v1.0 §5.2.1), so 16 comes before 8.
	fmt.Printf("root %x\n", m.RootDigest().Value[:4])
	// Output:
	// model.bin:0:8 a37010c9
	// model.bin:16:22 a791e1e8
	// model.bin:8:16 bd762002
	// root 669c9f7a
}

func ExampleVerify_certificate() {
	// Verify a model signed by the reference tool with a certificate: the
	// chain in the signature must lead to one of the trusted roots.
	dir := "testdata/oms/v1.1.0-certificate"
	sig, _ := os.ReadFile(filepath.Join(dir, "model.sig"))
	rootPEM, _ := os.ReadFile("testdata/oms/keys/ca-cert.pem")
	roots := x509CertPool(rootPEM)

	res, err := signing.Verify(context.Background(), dir, sig, signing.VerifyOptions{Roots: roots})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("signed by %s, root %x\n", res.Certificate.Subject.CommonName, res.Manifest.RootDigest().Value[:8])
	// Output:
	// signed by intermediate-ca, root 61d4849d9d90076d
}

func ExampleUnhashableError() {
	model, _ := os.MkdirTemp("", "model")
	defer os.RemoveAll(model)
	os.WriteFile(filepath.Join(model, "weights.bin"), []byte("weights"), 0o644)
	os.Symlink("weights.bin", filepath.Join(model, "latest.bin"))

	_, err := signing.HashModel(context.Background(), model, signing.Options{})
	var bad *signing.UnhashableError
	switch {
	case errors.As(err, &bad) && errors.Is(err, signing.ErrSymlink):
		// Sign with Options.AllowSymlinks, or remove the link.
		fmt.Printf("%s is a symbolic link\n", bad.Name)
	case err != nil:
		log.Fatal(err)
	}
	// Output:
	// latest.bin is a symbolic link
}
