package pipeline

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/mlbom"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/secrets"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/mlsec-dev/mlsec/validation"
)

// TestFiveJobs runs a small pipeline with exported mlsec packages only, as
// a service outside the repository would: one key (an encrypted PEM file)
// signs the model and the provenance; the training data is validated and the
// serving data compared with it for drift; a model directory is encrypted
// and scanned for credentials.
func TestFiveJobs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// The pipeline key, an encrypted PKCS#8 file, loaded through secrets
	// with a password callback.
	password := []byte("correct horse battery staple")
	keyPath := writeEncryptedKey(t, dir, password)
	keyOpts := secrets.KeyOptions{Password: func() ([]byte, error) { return password, nil }}
	signer, err := secrets.LoadSigner(ctx, keyPath, keyOpts)
	require.NoError(t, err)
	_, err = secrets.LoadSigner(ctx, keyPath, secrets.KeyOptions{Password: func() ([]byte, error) { return []byte("wrong"), nil }})
	require.ErrorIs(t, err, secrets.ErrKeyPassword)

	// Data: a training file and a serving batch whose income has shifted.
	train := filepath.Join(dir, "train.csv")
	serving := filepath.Join(dir, "serving.csv")
	writeLoans(t, train, 4000, 0, 1)
	writeLoans(t, serving, 4000, 25000, 2)

	// Job 1: validate the training data.
	suite, err := validation.ParseSuite("gate.yaml", []byte(`
name: loans-gate
checks:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: income}
  - type: expect_column_values_to_be_between
    kwargs: {column: age, min_value: 18, max_value: 100}
  - type: expect_column_values_to_be_in_set
    kwargs: {column: purpose, value_set: [car, home, study]}
`))
	require.NoError(t, err)
	rr, err := datafile.Open(ctx, train, datafile.Options{})
	require.NoError(t, err)
	res, err := validation.Validate(ctx, suite, rr, validation.Options{})
	rr.Release()
	require.NoError(t, err)
	require.True(t, res.Success, "the clean training data passes the gate")

	// A batch with an out-of-range age fails the same gate.
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("age,income,purpose\n17,50000,car\n40,60000,home\n"), 0o644))
	rr, err = datafile.Open(ctx, bad, datafile.Options{})
	require.NoError(t, err)
	res, err = validation.Validate(ctx, suite, rr, validation.Options{})
	rr.Release()
	require.NoError(t, err)
	require.False(t, res.Success)

	// Job 2: profile the training data, compare the serving batch.
	rr, err = datafile.Open(ctx, train, datafile.Options{})
	require.NoError(t, err)
	ref, err := drift.ProfileReader(ctx, rr, drift.ProfileOptions{})
	rr.Release()
	require.NoError(t, err)
	require.EqualValues(t, 4000, ref.Rows())
	rr, err = datafile.Open(ctx, serving, datafile.Options{})
	require.NoError(t, err)
	report, err := drift.CompareReader(ctx, ref, rr, drift.CompareOptions{})
	rr.Release()
	require.NoError(t, err)
	drifted := map[string]bool{}
	for _, c := range report.Columns {
		drifted[c.Column] = c.Drifted
	}
	require.True(t, drifted["income"], "the shifted column drifts")
	require.False(t, drifted["age"], "the unchanged column does not")

	// Job 3: train (a stand-in model file) and sign the model directory.
	model := filepath.Join(dir, "model")
	require.NoError(t, os.MkdirAll(model, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(model, "weights.bin"), []byte("weights of a model trained on train.csv"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"lr": 0.1}`), 0o644))
	bundle, err := signing.Sign(ctx, model, signer, signing.SignOptions{})
	require.NoError(t, err)
	// The verifying side holds only the public key; a private key file is
	// refused where a verifier is loaded.
	_, err = secrets.LoadVerifier(ctx, keyPath, secrets.KeyOptions{})
	require.Error(t, err)
	pub, err := signer.PublicKey()
	require.NoError(t, err)
	pubPath := filepath.Join(dir, "pipeline.pub")
	require.NoError(t, os.WriteFile(pubPath, []byte(pemPublic(t, pub.(*ecdsa.PublicKey))), 0o644))
	verifier, err := secrets.LoadVerifier(ctx, pubPath, secrets.KeyOptions{})
	require.NoError(t, err)
	verified, err := signing.Verify(ctx, model, bundle, signing.VerifyOptions{Key: verifier})
	require.NoError(t, err)

	// Job 4: record the training run and sign it with the same key.
	rec := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, provenance.RecorderOptions{})
	rec.SetParameter("entrypoint", "train.py")
	rec.SetParameter("datasets", []string{"train.csv"})
	_, err = rec.AddInputPath(ctx, "train.csv", train)
	require.NoError(t, err)
	_, err = rec.AddOutputPath(ctx, "weights.bin", filepath.Join(model, "weights.bin"))
	require.NoError(t, err)
	require.NoError(t, rec.AddOutputOMS("model", verified.Manifest.RootDigest().String()))
	st, err := rec.Finish()
	require.NoError(t, err)
	env, err := provenance.Sign(ctx, st, signer)
	require.NoError(t, err)
	envJSON, err := provenance.MarshalEnvelope(env)
	require.NoError(t, err)
	attDir := filepath.Join(dir, "attestations")
	require.NoError(t, os.MkdirAll(attDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(attDir, "train.intoto.json"), envJSON, 0o644))

	policy := &provenance.Policy{Builders: []provenance.TrustedBuilder{{
		ID:        "https://ci.example.com/trainer",
		Verifiers: []signature.Verifier{verifier},
	}}}
	atts, err := provenance.ReadAttestations(attDir)
	require.NoError(t, err)
	results, err := atts.Verify(ctx, policy, provenance.VerifyOptions{})
	require.NoError(t, err)
	require.Len(t, results.Verified(), 1)
	require.Empty(t, results.Failed())

	// A policy trusting another key rejects the same statement.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherPEM := pemPublic(t, &other.PublicKey)
	strange := &provenance.Policy{Builders: []provenance.TrustedBuilder{{
		ID: "https://ci.example.com/trainer", Keys: []provenance.PublicKey{{PEM: otherPEM}},
	}}}
	results, err = atts.Verify(ctx, strange, provenance.VerifyOptions{})
	require.NoError(t, err)
	require.Len(t, results.Failed(), 1)

	// Job 4b: the deploy gate over everything known about the model, and
	// an ML bill of materials from what it verified.
	evidence, err := gate.Collect(ctx, gate.Sources{Attestations: atts, Model: model, ModelSignature: bundle},
		gate.Trust{Provenance: policy, Model: signing.VerifyOptions{Key: verifier}})
	require.NoError(t, err)
	decision := gate.DataPolicy{AllowGaps: true}.Decide(ctx, evidence)
	require.True(t, decision.Allowed, "%v", decision.Violations)
	ev, err := mlbom.FromGate(evidence)
	require.NoError(t, err)
	bom, err := mlbom.Derive(ev)
	require.NoError(t, err)
	require.Len(t, bom.Datasets, 1)
	require.Equal(t, "train.csv", bom.Datasets[0].Name)
	cdx, err := bom.CycloneDX()
	require.NoError(t, err)
	require.Contains(t, string(cdx), `"type": "machine-learning-model"`)

	// Job 5: encrypt the model for transport, scan it for credentials.
	kekURI, err := secrets.GenerateInsecureKeyFile(filepath.Join(dir, "kek.json"))
	require.NoError(t, err)
	kek, err := secrets.OpenKEK(ctx, kekURI, secrets.KEKOptions{})
	require.NoError(t, err)
	aad := []byte("model=loans;v=1")
	require.NoError(t, secrets.EncryptFile(ctx, filepath.Join(model, "weights.bin"), filepath.Join(dir, "weights.bin.enc"), kek, aad))
	require.NoError(t, secrets.DecryptFile(ctx, filepath.Join(dir, "weights.bin.enc"), filepath.Join(dir, "weights.out"), aad, kek))
	got, err := os.ReadFile(filepath.Join(dir, "weights.out"))
	require.NoError(t, err)
	require.Equal(t, "weights of a model trained on train.csv", string(got))
	err = secrets.DecryptFile(ctx, filepath.Join(dir, "weights.bin.enc"), filepath.Join(dir, "weights.bad"), []byte("model=other"), kek)
	var integrity *secrets.IntegrityError
	require.True(t, errors.As(err, &integrity), "wrong associated data: %v", err)

	findings, err := secrets.ScanPath(ctx, model, secrets.ScanOptions{})
	require.NoError(t, err)
	require.Empty(t, findings, "the clean model holds no credential")
	planted := "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY\naws_access_key_id = AKIA" + "QX3ZJ7WEUN2PTR6B\n"
	require.NoError(t, os.WriteFile(filepath.Join(model, "notes.txt"), []byte(planted), 0o644))
	findings, err = secrets.ScanPath(ctx, model, secrets.ScanOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, findings)
	for _, f := range findings {
		require.NotContains(t, fmt.Sprint(f), "QX3ZJ7WEUN2PTR6B", "findings are redacted")
	}
	// The model changed: its signature no longer verifies.
	_, err = signing.Verify(ctx, model, bundle, signing.VerifyOptions{Key: verifier})
	var mismatch *signing.MismatchError
	require.True(t, errors.As(err, &mismatch), "%v", err)
	require.Contains(t, mismatch.Extra, "notes.txt")
}

func writeEncryptedKey(t *testing.T, dir string, password []byte) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	//lint:ignore SA1019 legacy PEM encryption is one of the formats users bring
	block, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", der, password, x509.PEMCipherAES256) //nolint:staticcheck
	require.NoError(t, err)
	path := filepath.Join(dir, "pipeline.key")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	return path
}

func pemPublic(t *testing.T, pub *ecdsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// writeLoans writes n loan applications; shift moves the income
// distribution, seed fixes the rows.
func writeLoans(t *testing.T, path string, n int, shift float64, seed uint64) {
	t.Helper()
	rng := mrand.New(mrand.NewPCG(seed, 7))
	purposes := []string{"car", "home", "study"}
	var b strings.Builder
	b.WriteString("age,income,purpose\n")
	for i := 0; i < n; i++ {
		age := 18 + rng.IntN(60)
		income := math.Round(50000 + shift + 12000*rng.NormFloat64())
		fmt.Fprintf(&b, "%d,%.0f,%s\n", age, income, purposes[rng.IntN(len(purposes))])
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}
