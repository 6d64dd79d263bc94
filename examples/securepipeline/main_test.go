package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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

	// Each attack must be caught by its own check; "N/A" is allowed only
	// while the package behind that check is absent from the build.
	wantCheck := map[string]string{
		"attack: tampered model":          "signature",
		"attack: poisoned training batch": "validation",
		"attack: drifted serving batch":   "drift",
		"attack: unapproved dataset":      "provenance",
		"attack: planted credential":      "secrets",
	}
	for name, check := range wantCheck {
		s, ok := byName[name]
		require.True(t, ok, "step %q missing", name)
		if s.Verdict == Unavailable {
			continue
		}
		require.Equal(t, Caught, s.Verdict, "%s: %s", name, s.Detail)
		require.Equal(t, check, s.Check, "%s caught by the wrong check: %s", name, s.Detail)
	}
	if gate := byName["deploy gate"]; gate.Verdict != Unavailable {
		require.Equal(t, Deployed, gate.Verdict, gate.Detail)
		require.FileExists(t, filepath.Join(out, "serving", "loan-default", "model.json"))
		require.FileExists(t, filepath.Join(out, "reports", "drift-today.html"))
	} else {
		require.NoDirExists(t, filepath.Join(out, "serving"))
	}
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
