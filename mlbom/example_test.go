package mlbom_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/mlbom"
	"github.com/mlsec-dev/mlsec/signing"
)

// A CycloneDX ML-BOM of a model whose signature verified. With the
// model's attestations (see FromGate), the BOM also lists the datasets it
// was trained on, the training run and its metrics.
func ExampleDerive() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "model")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for name, content := range map[string]string{"weights.bin": "weights", "config.json": `{"layers": 2}`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	key, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		log.Fatal(err)
	}
	sig, err := signing.Sign(ctx, dir, key, signing.SignOptions{})
	if err != nil {
		log.Fatal(err)
	}
	res, err := signing.Verify(ctx, dir, sig, signing.VerifyOptions{Key: key})
	if err != nil {
		log.Fatal(err)
	}

	b, err := mlbom.Derive(mlbom.Evidence{Model: res.Manifest})
	if err != nil {
		log.Fatal(err)
	}
	doc, err := b.CycloneDX()
	if err != nil {
		log.Fatal(err)
	}
	var bom struct {
		SpecVersion string
		Metadata    struct {
			Component struct {
				Type       string
				Components []struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal(doc, &bom); err != nil {
		log.Fatal(err)
	}
	m := bom.Metadata.Component
	fmt.Println("CycloneDX", bom.SpecVersion, m.Type)
	for _, f := range m.Components {
		fmt.Println(" ", f.Name)
	}
	// Output:
	// CycloneDX 1.6 machine-learning-model
	//   config.json
	//   weights.bin
}
