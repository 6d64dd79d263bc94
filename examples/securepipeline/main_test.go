package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

// TestDemo runs the whole pipeline as `make demo` does and checks what it
// claims: exit 0, the clean model deployed, and every attack caught by the
// gate check that is meant to catch it.
func TestDemo(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-out", out, "-rows", "8000"}, &stdout, &stderr)
	t.Log(stdout.String())
	require.Equal(t, 0, code, "exit status; stderr: %s", stderr.String())
	require.Contains(t, stdout.String(), "output folder: "+out)

	var steps []StepResult
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &steps))
	byName := map[string]StepResult{}
	for _, s := range steps {
		byName[s.Name] = s
	}

	// With SoftHSM2 available (make test sets the variable), the key must
	// live in a token; elsewhere the demo falls back to a key file.
	key := byName["pipeline key"]
	require.Equal(t, Pass, key.Verdict)
	if os.Getenv("MLSEC_TEST_PKCS11_MODULE") != "" && cgoEnabled {
		require.Contains(t, key.Detail, "inside SoftHSM2 token", key.Detail)
	}

	train := byName["train loan-default"]
	require.Equal(t, Pass, train.Verdict)
	require.FileExists(t, filepath.Join(out, "model", "loan-default", "model.json"))
	require.FileExists(t, filepath.Join(out, "model", "loan-default", "config.json"))
	m, err := loadModel(filepath.Join(out, "model", "loan-default"))
	require.NoError(t, err)
	require.Len(t, m.Weights, len(featureNames()))

	// Every step passed.
	for _, s := range steps {
		require.True(t, s.Verdict.ok(), "%s: %s %s", s.Name, s.Verdict, s.Detail)
	}

	// Each attack must be caught by its own check, for its reason.
	want := map[string]struct {
		check   string
		reasons []string
	}{
		"attack: tampered model":          {"signature", []string{"1 changed (model.json)"}},
		"attack: poisoned training batch": {"validation", []string{"FAILED", "poison.duplicates", "poison.label_conflicts", "poison.label_shift"}},
		"attack: drifted serving batch":   {"drift", []string{"credit_score", "income"}},
		"attack: unapproved dataset":      {"provenance", []string{"attestations/training-loan-default-unapproved-dataset.intoto.json: dependencies.required[0]", "not an approved version"}},
		"attack: planted credential":      {"scan", []string{"config.json", "aws-access-key-id", "aws-secret-access-key"}},
		"attack: malicious checkpoint":    {"scan", []string{"checkpoint.pt!archive/data.pkl", "posix.system"}},
	}
	for name, w := range want {
		s, ok := byName[name]
		require.True(t, ok, "step %q missing", name)
		require.Equal(t, Caught, s.Verdict, "%s: %s", name, s.Detail)
		require.Equal(t, w.check, s.Check, "%s caught by the wrong check: %s", name, s.Detail)
		require.True(t, strings.HasPrefix(s.Detail, w.check+": "), s.Detail)
		for _, r := range w.reasons {
			require.Contains(t, s.Detail, r, name)
		}
	}

	// The clean model passed every gate check and is in the serving folder
	// with its signature, which still verifies there, and the gate's VSA,
	// which names the model's digest and every attestation it rested on.
	decided := byName["deploy gate"]
	require.Equal(t, Pass, decided.Verdict, decided.Detail)
	require.Contains(t, decided.Detail, "all 5 checks passed")
	require.Contains(t, decided.Detail, "VSA signed -> attestations/vsa-loan-default.intoto.json")
	published := byName["publish to the registry"]
	require.Equal(t, Pass, published.Verdict, published.Detail)
	deploy := byName["deploy from the registry"]
	require.Equal(t, Deployed, deploy.Verdict, deploy.Detail)
	require.Contains(t, stdout.String(), "with its signed VSA attestations/vsa-loan-default.intoto.json")
	serving := filepath.Join(out, "serving", "loan-default")
	require.FileExists(t, filepath.Join(serving, "model.json"))
	sig, err := os.ReadFile(serving + ".sig")
	require.NoError(t, err)
	pub, err := os.ReadFile(filepath.Join(out, "policy", "pipeline.pub"))
	require.NoError(t, err)
	pk, err := cryptoutils.UnmarshalPEMToPublicKey(pub)
	require.NoError(t, err)
	v, err := signature.LoadVerifier(pk, crypto.SHA256)
	require.NoError(t, err)
	res, err := signing.Verify(context.Background(), serving, sig, signing.VerifyOptions{Key: v})
	require.NoError(t, err)
	vsaBytes, err := os.ReadFile(filepath.Join(out, "attestations", "vsa-loan-default.intoto.json"))
	require.NoError(t, err)
	env, err := gate.ParseVSA(vsaBytes)
	require.NoError(t, err)
	var vsa gate.VSAStatement
	require.NoError(t, json.Unmarshal([]byte(mustPayload(t, env.Payload)), &vsa))
	root := res.Manifest.RootDigest()
	require.Equal(t, root.Hex(), vsa.Subject[0].Digest[root.Algorithm])
	require.Equal(t, gate.VSAPassed, vsa.Predicate.VerificationResult)
	require.Equal(t, gateID, vsa.Predicate.Verifier.ID)
	require.Len(t, vsa.Predicate.InputAttestations, 3, "training, dataset build and validation result")
	// The pipeline key, which built the model, cannot stand in for the
	// gate's.
	_, err = gate.VerifyVSA(context.Background(), env, gate.VerifyVSAOptions{Keys: []signature.Verifier{v},
		Subject: provenance.DigestSet{root.Algorithm: root.Hex()}})
	var vsaErr *gate.VSAError
	require.ErrorAs(t, err, &vsaErr)
	for _, f := range []string{"reports/drift-today.html", "reports/drift-drifted-batch.html",
		"attestations/dataset-loans-v1.intoto.json", "attestations/validation-loans-v1.intoto.json",
		"attestations/training-loan-default.intoto.json", "profiles/reference-loans-v1.json", "model/loan-default.sig",
		"reports/lineage.txt", "reports/lineage.dot", "reports/validation-loans-v1.json",
		"reports/evidence-today.json", "reports/evidence-malicious-checkpoint.json", "keys/gate.pub"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	bom := byName["bill of materials"]
	require.Equal(t, Pass, bom.Verdict, bom.Detail)
	require.Contains(t, bom.Detail, "1 dataset(s), 1 training run(s)")
	for _, f := range []string{"reports/loan-default.cdx.json", "reports/loan-default.spdx.json"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	lin := byName["lineage of the deployed model"]
	require.Equal(t, Pass, lin.Verdict, lin.Detail)
	require.Contains(t, strings.Join(lin.Notes, "\n"), "loans dirHash:")

	// Nothing was deployed but the clean model.
	entries, err := os.ReadDir(filepath.Join(out, "serving"))
	require.NoError(t, err)
	require.Len(t, entries, 2, "serving holds loan-default and its signature only")

	// The planted credentials never reach the output.
	for name, secret := range fakeCredentials(42) {
		if name == "FEATURE_DB_URL" { // the password between "scorer:" and "@"
			secret = secret[strings.Index(secret, "scorer:")+7 : strings.Index(secret, "@")]
		}
		require.NotContains(t, stdout.String(), secret)
		require.NotContains(t, string(b), secret)
	}
}

// mustPayload decodes a DSSE payload.
func mustPayload(t *testing.T, payload string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(payload)
	require.NoError(t, err)
	return string(b)
}

func TestBadUsage(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), nil, 0o644))
	var stdout, stderr bytes.Buffer
	require.Equal(t, 2, run(context.Background(), []string{"-out", dir}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "not empty")
	require.Equal(t, 2, run(context.Background(), []string{"extra"}, &stdout, &stderr))
}

func TestGenerateLoansDeterministic(t *testing.T) {
	a := generateLoans(1, 500, 1, normalPopulation)
	b := generateLoans(1, 500, 1, normalPopulation)
	c := generateLoans(2, 500, 1, normalPopulation)
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
	for _, l := range a {
		require.True(t, l.Age >= 21 && l.Age <= 75, "age %d", l.Age)
		require.True(t, l.CreditScore >= 300 && l.CreditScore <= 850, "credit score %d", l.CreditScore)
		require.True(t, l.Term == 36 || l.Term == 60)
		require.True(t, l.Default == 0 || l.Default == 1)
		require.LessOrEqual(t, l.EmploymentYears, l.Age-18)
	}
}

func TestPoisonAddsFlippedDuplicates(t *testing.T) {
	clean := generateLoans(1, 1000, 1, normalPopulation)
	bad := poison(clean, 3, 0.05)
	require.Len(t, bad, 1000+2*50)
	require.Equal(t, clean, bad[:1000])
	for i := 1000; i < len(bad); i += 2 {
		require.Equal(t, bad[i], bad[i+1], "appended rows come in exact duplicate pairs")
		var orig Loan
		for _, l := range clean {
			if l.ID == bad[i].ID {
				orig = l
			}
		}
		require.Equal(t, 1-orig.Default, bad[i].Default, "label flipped")
	}
}

// TestAUC checks the rank-based AUC on cases worked out by hand.
func TestAUC(t *testing.T) {
	require.InDelta(t, 1.0, auc([]float64{0.1, 0.2, 0.8, 0.9}, []int64{0, 0, 1, 1}), 1e-12)
	require.InDelta(t, 0.0, auc([]float64{0.1, 0.2, 0.8, 0.9}, []int64{1, 1, 0, 0}), 1e-12)
	// One positive ranked above one of two negatives, tied with none: 0.5.
	require.InDelta(t, 0.5, auc([]float64{0.1, 0.5, 0.9}, []int64{0, 1, 0}), 1e-12)
	// Ties between a positive and a negative count half: (0.5+1+1+1)/4.
	require.InDelta(t, 0.875, auc([]float64{0.5, 0.5, 0.1, 0.9}, []int64{1, 0, 0, 1}), 1e-12)
}

func TestParquetRoundTrip(t *testing.T) {
	loans := generateLoans(9, 2500, 1, normalPopulation)
	files, err := writeParquet(t.TempDir(), loans, 1000)
	require.NoError(t, err)
	require.Len(t, files, 3)
	back, err := readLoans(context.Background(), files)
	require.NoError(t, err)
	require.Equal(t, loans, back)
}

func TestCSVHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.csv")
	require.NoError(t, writeCSV(path, generateLoans(1, 3, 1, normalPopulation), true))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 4)
	require.Equal(t, strings.Join(columns, ","), lines[0])
}

// TestAttackVerdict: an attack counts as caught only when the check meant
// to catch it failed.
func TestAttackVerdict(t *testing.T) {
	pass := func(n string) checkResult { return checkResult{n, Pass, "ok"} }
	fail := func(n string) checkResult { return checkResult{n, Fail, "bad " + n} }
	for _, tc := range []struct {
		name   string
		checks []checkResult
		want   Verdict
		detail string
	}{
		{"all pass", []checkResult{pass(checkSignature), pass(checkDrift)}, Missed, "the gate let it through"},
		{"right check", []checkResult{fail(checkSignature), pass(checkDrift)}, Caught, "signature: bad signature"},
		{"right and other", []checkResult{fail(checkSignature), fail(checkDrift)}, Caught, "signature: bad signature"},
		{"other check only", []checkResult{pass(checkSignature), fail(checkDrift)}, Missed, "refused, but the signature check passed it: drift: bad drift"},
		{"check missing", []checkResult{fail(checkDrift)}, Missed, "the signature check did not run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, detail := attackVerdict(decision{checks: tc.checks}, checkSignature)
			require.Equal(t, tc.want, v)
			require.Equal(t, tc.detail, detail)
		})
	}
	require.False(t, decision{}.allowed(), "a gate that ran no check allows nothing")
}
