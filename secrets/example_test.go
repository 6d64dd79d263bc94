package secrets_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/mlsec-dev/mlsec/secrets"
)

// Encrypt a dataset file under a KEK, binding it to its name and version,
// then decrypt it. In production the KEK URI names a KMS or HSM key, e.g.
// "awskms:///alias/ml-data" or "pkcs11:token=ml;object=kek?pin-source=/run/pin".
func ExampleEncryptFile() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	uri, _ := secrets.GenerateInsecureKeyFile(filepath.Join(dir, "dev-kek.json")) // development only
	kek, err := secrets.OpenKEK(ctx, uri, secrets.KEKOptions{})
	if err != nil {
		log.Fatal(err)
	}
	in := filepath.Join(dir, "train.csv")
	os.WriteFile(in, []byte("id,label\n1,cat\n"), 0o644)
	aad := []byte("dataset=train;version=3")
	if err := secrets.EncryptFile(ctx, in, in+".enc", kek, aad); err != nil {
		log.Fatal(err)
	}
	out := filepath.Join(dir, "train.decrypted.csv")
	if err := secrets.DecryptFile(ctx, in+".enc", out, aad, kek); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	fmt.Print(string(b))
	// Output:
	// id,label
	// 1,cat
}

// Rotate the KEK of an encrypted file: only the wrapped data key changes.
func ExampleRewrap() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	oldURI, _ := secrets.GenerateInsecureKeyFile(filepath.Join(dir, "old.json"))
	newURI, _ := secrets.GenerateInsecureKeyFile(filepath.Join(dir, "new.json"))
	keks, _ := secrets.OpenKEKs(ctx, oldURI, newURI)
	p := filepath.Join(dir, "model.bin")
	os.WriteFile(p, []byte("weights"), 0o644)
	secrets.EncryptFile(ctx, p, p+".enc", keks[0], nil)

	if err := secrets.Rewrap(ctx, p+".enc", keks[1], keks[0]); err != nil {
		log.Fatal(err)
	}
	err := secrets.DecryptFile(ctx, p+".enc", p, nil, keks[0])
	fmt.Println("old KEK:", err != nil)
	err = secrets.DecryptFile(ctx, p+".enc", p, nil, keks[1])
	fmt.Println("new KEK:", err == nil)
	// Output:
	// old KEK: true
	// new KEK: true
}

// Load a signing key that stays in an HSM or a KMS as a sigstore
// SignerVerifier, for mlsec's signing and provenance packages.
func ExampleLoadSignerVerifier() {
	ctx := context.Background()
	sv, err := secrets.LoadSignerVerifier(ctx, "pkcs11:token=ml-signing;object=model-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/secrets/pin")
	if err != nil {
		log.Fatal(err)
	}
	pub, _ := sv.PublicKey()
	fmt.Printf("%T\n", pub)
}

// Scan a model folder for leaked credentials.
func ExampleScan() {
	token := "hf_" + "Zq8Lm3Xw9Vt2Kp7Rn4Bc6Yd1Hf5Gj0Sa3Q" // built so this file holds no token
	model := fstest.MapFS{
		"config.json":         {Data: []byte(`{"hidden_size": 64}`)},
		"notebook.ipynb":      {Data: []byte(`{"cells": [{"source": ["login(\"` + token + `\")"]}]}`)},
		"tokenizer.json":      {Data: []byte(`{"pad_token": "<pad>"}`)},
		"weights.safetensors": {Data: make([]byte, 1024)},
	}
	findings, err := secrets.Scan(context.Background(), model, secrets.ScanOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		fmt.Println(f)
	}
	// Output:
	// notebook.ipynb:1:33: huggingface-token (Hugging Face access token): hf_Z[REDACTED]
}

// Resolve a secret reference from a pipeline config, and keep it out of
// the logs.
func ExampleResolver() {
	os.Setenv("EXAMPLE_DB_PASSWORD", "correct-horse-battery")
	red := secrets.NewRedactor()
	res := &secrets.Resolver{Redactor: red}
	pw, err := res.Resolve(context.Background(), "env:EXAMPLE_DB_PASSWORD")
	if err != nil {
		log.Fatal(err)
	}
	defer pw.Destroy()
	logger := slog.New(red.Handler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})))
	logger.Info("connecting", "password", pw, "dsn", "postgres://app:correct-horse-battery@db/prod")
	fmt.Println(len(pw.Bytes()))
	// Output:
	// level=INFO msg=connecting password=[REDACTED] dsn=postgres://app:[REDACTED]@db/prod
	// 21
}
