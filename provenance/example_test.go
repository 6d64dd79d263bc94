package provenance_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/provenance"
)

// exampleKey returns a fixed Ed25519 key as a sigstore signer (the type
// secrets.LoadSigner returns for a key file, a KMS or an HSM key, and that
// signing.Sign takes too) and its PEM public key.
func exampleKey(seed byte) (signer signature.SignerVerifier, publicPEM string) {
	priv := ed25519.NewKeyFromSeed(append(make([]byte, 31), seed))
	sv, err := signature.LoadED25519SignerVerifier(priv)
	if err != nil {
		log.Fatal(err)
	}
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		log.Fatal(err)
	}
	return sv, string(pemBytes)
}

// exampleFiles writes a small dataset and model into a new directory.
func exampleFiles() string {
	dir, err := os.MkdirTemp("", "provenance-example")
	if err != nil {
		log.Fatal(err)
	}
	for name, content := range map[string]string{
		"data/train.csv": "text,label\ngreat,1\nawful,0\n",
		"data/test.csv":  "text,label\nfine,1\n",
		"model.bin":      "weights",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	return dir
}

var exampleTime = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// A training step records its dataset, parameters and model.
func ExampleRecorder() {
	ctx := context.Background()
	dir := exampleFiles()
	defer os.RemoveAll(dir)

	rec := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, provenance.RecorderOptions{Clock: func() time.Time { return exampleTime }})
	rec.SetInvocationID("train-run-1")
	rec.SetParameter("entrypoint", "train.py")
	rec.SetParameter("seed", 42)
	rec.SetParameter("hyperparameters.lr", 0.01)
	if _, err := rec.AddInputPath(ctx, "reviews", filepath.Join(dir, "data")); err != nil {
		log.Fatal(err)
	}
	if _, err := rec.AddOutputPath(ctx, "model.bin", filepath.Join(dir, "model.bin")); err != nil {
		log.Fatal(err)
	}
	st, err := rec.Finish()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Subject[0].Name, st.Subject[0].Digest)
	fmt.Println(st.Predicate.BuildDefinition.ResolvedDependencies[0].Name, st.Predicate.BuildDefinition.ResolvedDependencies[0].Digest)
	// Output:
	// model.bin sha256:9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c
	// reviews dirHash:cac516bf0ff426fa71029c1650a777f57ccf490e46c92627064354aebf892339
}

// Sign a statement and write it as a DSSE envelope.
func ExampleSign() {
	ctx := context.Background()
	signer, _ := exampleKey(1)
	st := exampleStatement()
	env, err := provenance.Sign(ctx, st, signer)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(env.PayloadType, len(env.Signatures))
	// Output: application/vnd.in-toto+json 1
}

func exampleStatement() *provenance.Statement {
	rec := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, provenance.RecorderOptions{Clock: func() time.Time { return exampleTime }})
	rec.SetParameter("seed", 42)
	rec.AddInput(provenance.ResourceDescriptor{Name: "reviews", Digest: provenance.DigestSet{"dirHash": "1f2d7a5e8e6d5a0b27be6ab5d55a2dfc43b4dc9e6dc5d2e1f3ac0a6a8c1ea64e"}})
	rec.AddOutput(provenance.ResourceDescriptor{Name: "model.bin", Digest: provenance.DigestSet{"sha256": "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c"}})
	st, err := rec.Finish()
	if err != nil {
		log.Fatal(err)
	}
	return st
}

// Verify an envelope against a policy: here the training dataset is not
// an approved version, and the statement is too old; both are reported.
func ExampleVerify() {
	ctx := context.Background()
	signer, publicPEM := exampleKey(1)
	env, err := provenance.Sign(ctx, exampleStatement(), signer)
	if err != nil {
		log.Fatal(err)
	}
	policy, err := provenance.ParsePolicy(fmt.Appendf(nil, `
builders:
  - id: https://ci.example.com/trainer
    keys: [{pem: %q}]
buildTypes: [https://mlsec-dev.github.io/mlsec/buildtypes/training/v1]
maxAge: 24h
dependencies:
  required:
    - name: reviews
      digests: [{dirHash: 0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f}]
`, publicPEM), ".")
	if err != nil {
		log.Fatal(err)
	}
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{Now: exampleTime.Add(48 * time.Hour)})
	var ve *provenance.VerificationError
	if errors.As(err, &ve) {
		for _, v := range ve.Violations {
			fmt.Println(v.Rule)
		}
	}
	fmt.Println(errors.Is(err, provenance.ErrStale))
	// Output:
	// maxAge
	// dependencies.required[0]
	// true
}

// Trace a model back through the runs that produced it.
func ExampleTrace() {
	data := provenance.ResourceDescriptor{Name: "reviews", Digest: provenance.DigestSet{"dirHash": "1f2d7a5e8e6d5a0b27be6ab5d55a2dfc43b4dc9e6dc5d2e1f3ac0a6a8c1ea64e"}}
	raw := provenance.ResourceDescriptor{Name: "raw.csv", Digest: provenance.DigestSet{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
	dsRec := provenance.NewRecorder("https://ci.example.com/datasets", provenance.BuildTypeDataset, provenance.RecorderOptions{Clock: func() time.Time { return exampleTime }})
	dsRec.AddInput(raw)
	dsRec.AddOutput(data)
	ds, err := dsRec.Finish()
	if err != nil {
		log.Fatal(err)
	}
	train := exampleStatement()
	l := provenance.Trace([]*provenance.Statement{train, ds}, provenance.DigestSet{"sha256": "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c"})
	if err := l.WriteText(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// model.bin sha256:9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c [attested]
	// └── produced by https://mlsec-dev.github.io/mlsec/buildtypes/training/v1, builder https://ci.example.com/trainer, finished 2026-11-01T12:00:00Z
	//     └── reviews dirHash:1f2d7a5e8e6d5a0b27be6ab5d55a2dfc43b4dc9e6dc5d2e1f3ac0a6a8c1ea64e [attested]
	//         └── produced by https://mlsec-dev.github.io/mlsec/buildtypes/dataset/v1, builder https://ci.example.com/datasets, finished 2026-11-01T12:00:00Z
	//             └── raw.csv sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 [source]
	// 0 gap(s), 0 break(s)
}

// Version a dataset directory and compare two versions.
func ExampleBuildManifest() {
	ctx := context.Background()
	dir := exampleFiles()
	defer os.RemoveAll(dir)
	v1, err := provenance.BuildManifest(ctx, filepath.Join(dir, "data"), provenance.ManifestOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v1.Root)
	if err := os.WriteFile(filepath.Join(dir, "data", "test.csv"), []byte("text,label\nfine,0\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	v2, err := provenance.BuildManifest(ctx, filepath.Join(dir, "data"), provenance.ManifestOptions{})
	if err != nil {
		log.Fatal(err)
	}
	d := provenance.DiffManifests(v1, v2)
	fmt.Println(len(d.Changed), d.Changed[0].Path)
	// Output:
	// dirHash:cac516bf0ff426fa71029c1650a777f57ccf490e46c92627064354aebf892339
	// 1 test.csv
}
