package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/mlsec-dev/mlsec/signing"
)

// checkRun runs the example with the key and checks its claims on disk:
// the signature verifies with the exported public key, and the public key
// is the KMS/HSM key's own.
func checkRun(t *testing.T, keyURI string) string {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-key", keyURI, "-out", out}, &stdout, &stderr)
	t.Log(stdout.String())
	require.Equal(t, 0, code, stderr.String())
	require.Contains(t, stdout.String(), "verified:  4 files")
	require.Contains(t, stdout.String(), "rejected: changed model-00001-of-00002.safetensors")
	require.NotContains(t, stdout.String(), "pin-source", "the key URI's query is not printed")

	sig, err := os.ReadFile(filepath.Join(out, "model.sig"))
	require.NoError(t, err)
	v, err := loadVerifier(filepath.Join(out, "model.pub"))
	require.NoError(t, err)
	_, err = signing.Verify(context.Background(), filepath.Join(out, "model"), sig, signing.VerifyOptions{Key: v})
	require.NoError(t, err)
	return out
}

func TestSoftHSM2(t *testing.T) {
	if !cgoEnabled {
		testenv.Missing(t, "cgo (PKCS#11 needs it)")
	}
	module := testenv.Getenv(t, "MLSEC_TEST_PKCS11_MODULE", "SoftHSM2 PKCS#11 module")
	util := testenv.LookPath(t, "softhsm2-util")
	tool := testenv.LookPath(t, "pkcs11-tool")

	// A token in a temporary directory, as the README does by hand. The
	// module reads SOFTHSM2_CONF when first loaded, once per process; only
	// this test loads it.
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "tokens"), 0o700))
	conf := filepath.Join(dir, "softhsm2.conf")
	require.NoError(t, os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600))
	t.Setenv("SOFTHSM2_CONF", conf)
	pinFile := filepath.Join(dir, "pin")
	require.NoError(t, os.WriteFile(pinFile, []byte("1234"), 0o600))
	for _, cmd := range [][]string{
		{util, "--init-token", "--free", "--label", "models", "--so-pin", "0000", "--pin", "1234"},
		{tool, "--module", module, "--token-label", "models", "--login", "--pin", "1234",
			"--keypairgen", "--key-type", "EC:prime256v1", "--label", "model-signing", "--id", "01"},
	} {
		b, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
		require.NoError(t, err, "%s: %s", filepath.Base(cmd[0]), b)
	}
	uri := fmt.Sprintf("pkcs11:token=models;object=model-signing?module-path=%s&pin-source=%s", module, pinFile)
	checkRun(t, uri)
}

func TestLocalKMS(t *testing.T) {
	c := testenv.AWSKMS(t, testenv.LocalKMSEndpoint)
	uri := testenv.CreateAWSKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	out := checkRun(t, uri)

	// The exported public key is the KMS key's.
	pk, err := c.GetPublicKey(context.Background(), &kms.GetPublicKeyInput{KeyId: aws.String(strings.TrimPrefix(uri, "awskms:///"))})
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(out, "model.pub"))
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	want, err := x509.ParsePKIXPublicKey(pk.PublicKey)
	require.NoError(t, err)
	got, err := x509.ParsePKIXPublicKey(blk.Bytes)
	require.NoError(t, err)
	require.True(t, want.(interface{ Equal(crypto.PublicKey) bool }).Equal(got), "model.pub is the KMS key")
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-key", "model.key"},
		{"-key", "insecure-keyfile:/tmp/k"},
		{"-key", "awskms:///alias/x", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 2, run(context.Background(), args, &stdout, &stderr), strings.Join(args, " "))
	}
}
