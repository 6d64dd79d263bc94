package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/testenv"
)

// TestPipeline builds mlsec, runs the example's scenarios and checks that
// each step exited as the contract says, and that what was deployed is
// the signed model.
func TestPipeline(t *testing.T) {
	testenv.LookPath(t, "python3")
	testenv.LookPath(t, "sh")
	bin := filepath.Join(t.TempDir(), "mlsec")
	b, err := exec.Command("go", "build", "-o", bin, "github.com/mlsec-dev/mlsec/cmd/mlsec").CombinedOutput()
	require.NoError(t, err, "%s", b)

	work := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-out", work, "-mlsec", bin}, &stdout, &stderr)
	t.Log(stdout.String())
	require.Equal(t, 0, code, stderr.String())

	got := regexp.MustCompile(`(?m)^\d\. .* exit (\d) = .* as expected$`).FindAllStringSubmatch(stdout.String(), -1)
	require.Len(t, got, 5)
	for i, want := range []string{"0", "0", "1", "2", "1"} {
		require.Equal(t, want, got[i][1], "scenario %d", i+1)
	}
	require.Contains(t, stdout.String(), "BLOCKED by signature")
	require.Contains(t, stdout.String(), "github-pat")
	require.NotRegexp(t, `ghp_[0-9A-Za-z]{36}`, stdout.String(), "the leaked token is redacted")

	// The deployed copy is the model as signed, before the tampering.
	out, err := exec.Command(bin, "verify", "--key", filepath.Join(work, "keys", "signing.pub"),
		"--signature", filepath.Join(work, "serving.sig"), filepath.Join(work, "serving")).CombinedOutput()
	require.NoError(t, err, "%s", out)
}

func TestBadUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 2, run(context.Background(), []string{"extra"}, &stdout, &stderr))
}
