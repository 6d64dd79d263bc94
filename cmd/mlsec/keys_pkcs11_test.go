//go:build cgo

package main

import (
	"crypto/elliptic"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/softhsmtest"
)

// mlsec sign/verify --key pkcs11:... with an EC key in a SoftHSM2 token.
func TestSignVerifyPKCS11Key(t *testing.T) {
	tk := softhsmtest.Get(t)
	signVerifyCLI(t, tk.ECKey(t, "cli-model-key", elliptic.P256()))
}

// mlsec provenance record/verify --key pkcs11:... signs the provenance
// of a training run with the HSM key and verifies it.
func TestProvenancePKCS11Key(t *testing.T) {
	key := softhsmtest.Get(t).ECKey(t, "cli-provenance-key", elliptic.P256())
	dir := t.TempDir()
	model := filepath.Join(dir, "model.bin")
	require.NoError(t, os.WriteFile(model, []byte("weights"), 0o644))
	att := filepath.Join(dir, "training.json")
	code, stderr := runCLI(t, "provenance", "record", "--builder-id", "https://ci.example.com/trainer",
		"--build-type", "training", "--subject", model, "--param", "seed=42", "--key", key, "--out", att)
	require.Equal(t, exitOK, code, stderr)
	code, stderr = runCLI(t, "provenance", "verify", "--key", key, "--subject", model, att)
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, os.WriteFile(model, []byte("other weights"), 0o644))
	code, _ = runCLI(t, "provenance", "verify", "--key", key, "--subject", model, att)
	require.Equal(t, exitFailed, code)
}
