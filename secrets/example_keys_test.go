package secrets_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlsec-dev/mlsec/secrets"
)

// A pipeline key in an encrypted PEM file: the password comes from a
// callback (a secret store, a prompt), and the same signer value then signs
// models (signing.Sign) and provenance (provenance.Sign).
func ExampleLoadSigner() {
	dir, _ := os.MkdirTemp("", "keys")
	defer os.RemoveAll(dir)
	password := []byte("from your secret store")
	keyPath, pubPath := writeExampleKey(dir, password)

	ctx := context.Background()
	signer, err := secrets.LoadSigner(ctx, keyPath, secrets.KeyOptions{
		Password: func() ([]byte, error) { return password, nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier, err := secrets.LoadVerifier(ctx, pubPath, secrets.KeyOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	msg := []byte("sha256:9f86d081884c7d65...")
	sig, _ := signer.SignMessage(bytes.NewReader(msg))
	fmt.Println("verified:", verifier.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)) == nil)
	// Output: verified: true
}

func writeExampleKey(dir string, password []byte) (keyPath, pubPath string) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(priv)
	//lint:ignore SA1019 legacy PEM encryption is a format users bring.
	block, _ := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", der, password, x509.PEMCipherAES256) //nolint:staticcheck
	keyPath = filepath.Join(dir, "pipeline.key")
	_ = os.WriteFile(keyPath, pem.EncodeToMemory(block), 0o600)
	pubDER, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	pubPath = filepath.Join(dir, "pipeline.pub")
	_ = os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	return keyPath, pubPath
}
