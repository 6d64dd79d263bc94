package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/mlsec-dev/mlsec/secrets"
)

// softHSMModule is where Debian's softhsm2 package puts the module.
const softHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// hsmConf is the SoftHSM2 configuration this process uses. A PKCS#11
// module reads its configuration once, when first initialised, so a
// second run in the same process (tests) keeps the first run's token
// directory and adds its key there.
var (
	hsmMu   sync.Mutex
	hsmConf string
)

// hsmKey initialises a SoftHSM2 token under dir, generates an ECDSA P-256
// key pair inside it (the private key never leaves the token) and loads
// it through the secrets package by its RFC 7512 pkcs11: URI.
func hsmKey(ctx context.Context, dir string) (*pipelineKey, error) {
	module := os.Getenv("MLSEC_TEST_PKCS11_MODULE")
	if module == "" {
		module = softHSMModule
	}
	if _, err := os.Stat(module); err != nil {
		return nil, fmt.Errorf("no PKCS#11 module at %s (install softhsm2)", module)
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		return nil, errors.New("softhsm2-util not found (install softhsm2)")
	}
	tool, err := exec.LookPath("pkcs11-tool")
	if err != nil {
		return nil, errors.New("pkcs11-tool not found to generate the key inside the token (install opensc)")
	}

	hsmMu.Lock()
	defer hsmMu.Unlock()
	hsmDir := filepath.Join(dir, "softhsm")
	if err := os.MkdirAll(filepath.Join(hsmDir, "tokens"), 0o700); err != nil {
		return nil, err
	}
	if hsmConf == "" {
		hsmConf = filepath.Join(hsmDir, "softhsm2.conf")
		conf := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
			filepath.Join(hsmDir, "tokens"))
		if err := os.WriteFile(hsmConf, []byte(conf), 0o600); err != nil {
			return nil, err
		}
		// The module in this process and the tools below find the token
		// directory through this variable.
		os.Setenv("SOFTHSM2_CONF", hsmConf)
	}

	// A fresh token per run, with random PINs. The user PIN goes to a
	// pin-source file (0600), as a deployment would hand it over. The two
	// set-up tools take PINs only as arguments; that is acceptable for a
	// throwaway token, not for a real HSM's PIN.
	token := "mlsec-demo-" + randomHex(4)
	pin, soPIN := randomHex(8), randomHex(8)
	pinFile := filepath.Join(hsmDir, token+".pin")
	if err := os.WriteFile(pinFile, []byte(pin), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, util, "--init-token", "--free", "--label", token,
		"--so-pin", soPIN, "--pin", pin).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
	}
	if out, err := exec.CommandContext(ctx, tool, "--module", module, "--token-label", token, "--login", "--pin", pin,
		"--keypairgen", "--key-type", "EC:prime256v1", "--label", "pipeline", "--id", "01").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pkcs11-tool --keypairgen: %v: %s", err, out)
	}
	uri := fmt.Sprintf("pkcs11:token=%s;object=pipeline?module-path=%s&pin-source=%s", token, module, pinFile)
	sv, err := secrets.LoadSignerVerifier(ctx, uri)
	if err != nil {
		return nil, err
	}
	return newPipelineKey(ctx, sv, dir, fmt.Sprintf("ECDSA P-256 key generated inside SoftHSM2 token %q (PKCS#11 %s)", token, module))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
