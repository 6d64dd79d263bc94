// Command kmssign signs a model with a key that never leaves a KMS or an
// HSM, and verifies it with nothing but the public key.
//
// The key is named by URI and loaded through the secrets package:
//
//	pkcs11:token=T;object=L?module-path=M&pin-source=F   a key pair in a PKCS#11 token (SoftHSM2, a real HSM)
//	awskms:///KEY-ID or awskms:///alias/NAME             an asymmetric AWS KMS key (or a local KMS server)
//
// The signature is an OpenSSF Model Signing (OMS) v1.0 bundle, so the
// reference model_signing tool and `mlsec verify` check it too.
//
// Usage:
//
//	go run ./examples/kmssign -key URI [-model DIR] [-out DIR]
//
// Without -model it signs a small sample model it writes itself. It exits
// 0 when the model was signed, verified, and a tampered copy was rejected;
// 1 when any of that failed; 2 on bad usage.
package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/mlsec-dev/mlsec/secrets"
	"github.com/mlsec-dev/mlsec/signing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kmssign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyURI := fs.String("key", "", "signing key URI: pkcs11:... or awskms://... (required)")
	model := fs.String("model", "", "model directory or file to sign (default: a sample model written to -out)")
	out := fs.String("out", "", "output folder for the signature and public key (default: a fresh temporary folder)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || !secrets.IsKeyURI(*keyURI) || strings.HasPrefix(*keyURI, "insecure-") {
		fmt.Fprintln(stderr, "kmssign: -key must be a KMS or HSM key URI (pkcs11:... or awskms://...)")
		return 2
	}
	if *out == "" {
		dir, err := os.MkdirTemp("", "mlsec-kmssign-")
		if err != nil {
			fmt.Fprintln(stderr, "kmssign:", err)
			return 2
		}
		*out = dir
	}
	if err := signAndVerify(ctx, stdout, *keyURI, *model, *out); err != nil {
		fmt.Fprintln(stderr, "kmssign:", err)
		return 1
	}
	return 0
}

func signAndVerify(ctx context.Context, w io.Writer, keyURI, model, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if model == "" {
		model = filepath.Join(out, "model")
		if err := writeSampleModel(model); err != nil {
			return err
		}
	}

	// 1. Load the signer. Only a handle to the key is in this process: the
	// KMS or HSM computes every signature.
	sv, err := secrets.LoadSignerVerifier(ctx, keyURI)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "key:       %s\n", displayURI(keyURI))

	// 2. Publish the public key: it is all a verifier needs.
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	pubPath := filepath.Join(out, "model.pub")
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "public:    %s\n", pubPath)

	// 3. Sign. The signature lives next to the model, so it is not one of
	// the signed files.
	sig, err := signing.Sign(ctx, model, sv, signing.SignOptions{})
	if err != nil {
		return err
	}
	sigPath := filepath.Join(out, "model.sig")
	if err := os.WriteFile(sigPath, sig, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "signed:    %s -> %s\n", model, sigPath)

	// 4. Verify with the public key only, as a deploy gate would.
	verifier, err := loadVerifier(pubPath)
	if err != nil {
		return err
	}
	res, err := signing.Verify(ctx, model, sig, signing.VerifyOptions{Key: verifier})
	if err != nil {
		return fmt.Errorf("verify %s: %w", model, err)
	}
	fmt.Fprintf(w, "verified:  %d files, root digest %s\n", len(res.Manifest.Resources), res.Manifest.RootDigest())
	for _, r := range res.Manifest.Resources {
		fmt.Fprintf(w, "           %x  %s\n", r.Digest[:8], r.Name)
	}

	// 5. A tampered copy must fail, naming the file.
	tampered := filepath.Join(out, "tampered")
	if err := os.CopyFS(tampered, os.DirFS(model)); err != nil {
		return err
	}
	victim, err := largestFile(tampered)
	if err != nil {
		return err
	}
	if err := flipByte(victim); err != nil {
		return err
	}
	_, err = signing.Verify(ctx, tampered, sig, signing.VerifyOptions{Key: verifier})
	var mismatch *signing.MismatchError
	if !errors.As(err, &mismatch) {
		return fmt.Errorf("a tampered copy was not rejected as a mismatch (err = %v)", err)
	}
	fmt.Fprintf(w, "tampered:  one byte of %s flipped -> rejected: changed %s\n", filepath.Base(victim), strings.Join(mismatch.Changed, ", "))
	return nil
}

// displayURI drops the URI's query (module path, PIN source): nothing
// secret should be there, but nothing needs printing either.
func displayURI(uri string) string {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		return uri[:i]
	}
	return uri
}

func loadVerifier(path string) (signature.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return signature.LoadVerifier(pub, crypto.SHA256)
}

// writeSampleModel writes a small model directory: a config, a tokenizer
// and two weight shards of deterministic bytes.
func writeSampleModel(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	shard := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return b
	}
	files := map[string][]byte{
		"config.json":                      []byte(`{"architecture": "mlp", "hidden": [64, 32], "dtype": "float32"}` + "\n"),
		"tokenizer.json":                   []byte(`{"vocab": ["<pad>", "<unk>", "loan", "income"]}` + "\n"),
		"model-00001-of-00002.safetensors": shard(3 << 20),
		"model-00002-of-00002.safetensors": shard(1 << 20),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func largestFile(root string) (string, error) {
	var best string
	var size int64 = -1
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > size {
			best, size = path, fi.Size()
		}
		return nil
	})
	if best == "" && err == nil {
		err = fmt.Errorf("%s: no file", root)
	}
	return best, err
}

func flipByte(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return os.WriteFile(path, []byte{1}, 0o644)
	}
	b[len(b)/2] ^= 0xff
	return os.WriteFile(path, b, 0o644)
}
