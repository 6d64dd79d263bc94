package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/testenv"
)

// runCLI runs mlsec with args and returns its exit code and stderr.
func runCLI(t *testing.T, args ...string) (int, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &env{stdout: &out, stderr: &errOut})
	return code, errOut.String()
}

// signVerifyCLI signs a model with `mlsec sign --key ref` and verifies it
// with `mlsec verify --key ref`, then checks a changed model fails.
func signVerifyCLI(t *testing.T, ref string) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	require.NoError(t, os.MkdirAll(model, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(model, "weights.bin"), bytes.Repeat([]byte{7}, 1<<20), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"layers": 2}`), 0o644))
	sig := filepath.Join(dir, "model.sig")

	code, stderr := runCLI(t, "sign", "--key", ref, "--signature", sig, model)
	require.Equal(t, exitOK, code, stderr)
	code, stderr = runCLI(t, "verify", "--key", ref, "--signature", sig, model)
	require.Equal(t, exitOK, code, stderr)

	require.NoError(t, os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"layers": 3}`), 0o644))
	code, _ = runCLI(t, "verify", "--key", ref, "--signature", sig, model)
	require.Equal(t, exitFailed, code)
}

// mlsec sign/verify --key awskms://... against local-kms, which signs
// with MessageType=DIGEST as sigstore's provider asks.
func TestSignVerifyAWSKMSKey(t *testing.T) {
	c := testenv.AWSKMS(t, testenv.LocalKMSEndpoint)
	signVerifyCLI(t, testenv.CreateAWSKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify))
}
