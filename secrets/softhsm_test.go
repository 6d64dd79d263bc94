//go:build cgo

package secrets_test

import (
	"crypto/elliptic"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/testenv"
)

// A SoftHSM2 token for the whole test process: the PKCS#11 module reads
// SOFTHSM2_CONF once, when the process first initialises it.
var (
	hsmOnce   sync.Once
	hsmDir    string
	hsmModule string
	hsmErr    error
	hsmCtx    *crypto11.Context
	hsmLabels sync.Map
)

const (
	hsmToken = "mlsec-test"
	hsmPIN   = "4321-test-pin"
)

// softHSM returns the module path and a crypto11 context logged in to a
// fresh token initialised in a temporary directory.
func softHSM(t *testing.T) (module string, c *crypto11.Context) {
	t.Helper()
	module = testenv.Getenv(t, "MLSEC_TEST_PKCS11_MODULE", "SoftHSM2 PKCS#11 module")
	util := testenv.LookPath(t, "softhsm2-util")
	hsmOnce.Do(func() {
		hsmModule = module
		hsmDir, hsmErr = os.MkdirTemp("", "mlsec-softhsm-")
		if hsmErr != nil {
			return
		}
		conf := filepath.Join(hsmDir, "softhsm2.conf")
		tokens := filepath.Join(hsmDir, "tokens")
		if hsmErr = os.Mkdir(tokens, 0o700); hsmErr != nil {
			return
		}
		hsmErr = os.WriteFile(conf, []byte(fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)), 0o600)
		if hsmErr != nil {
			return
		}
		os.Setenv("SOFTHSM2_CONF", conf)
		out, err := exec.Command(util, "--init-token", "--free", "--label", hsmToken, "--so-pin", "5678", "--pin", hsmPIN).CombinedOutput()
		if err != nil {
			hsmErr = fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
			return
		}
		hsmCtx, hsmErr = crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: hsmToken, Pin: hsmPIN})
	})
	require.NoError(t, hsmErr)
	return hsmModule, hsmCtx
}

// hsmURI returns a pkcs11: URI for the object label in the test token;
// the PIN travels in a pin-source file as a deployment would.
func hsmURI(t *testing.T, label string) string {
	module, _ := softHSM(t)
	pinFile := filepath.Join(hsmDir, "pin")
	require.NoError(t, os.WriteFile(pinFile, []byte(hsmPIN+"\n"), 0o600))
	return fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-source=%s", hsmToken, label, module, pinFile)
}

// hsmAESKey creates an AES-256 key labelled label in the test token.
func hsmAESKey(t *testing.T, label string) string {
	_, c := softHSM(t)
	if _, loaded := hsmLabels.LoadOrStore(label, true); !loaded {
		_, err := c.GenerateSecretKeyWithLabel([]byte(label), []byte(label), 256, crypto11.CipherAES)
		require.NoError(t, err)
	}
	return hsmURI(t, label)
}

// hsmECKey creates an EC key pair labelled label in the test token.
func hsmECKey(t *testing.T, label string, curve elliptic.Curve) string {
	_, c := softHSM(t)
	if _, loaded := hsmLabels.LoadOrStore(label, true); !loaded {
		_, err := c.GenerateECDSAKeyPairWithLabel([]byte(label), []byte(label), curve)
		require.NoError(t, err)
	}
	return hsmURI(t, label)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if hsmDir != "" {
		os.RemoveAll(hsmDir)
	}
	os.Exit(code)
}
