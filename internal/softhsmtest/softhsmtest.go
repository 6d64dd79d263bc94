//go:build cgo

// Package softhsmtest gives tests a SoftHSM2 token initialised in a
// temporary directory, with keys created through PKCS#11, so code that
// uses keys in an HSM is tested against a real PKCS#11 module.
package softhsmtest

import (
	"crypto/elliptic"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/mlsec-dev/mlsec/internal/testenv"
)

// Token is the test token.
type Token struct {
	Module string // PKCS#11 module path
	Label  string // token label
	PIN    string // user PIN
	Dir    string // holds softhsm2.conf, tokens/ and the PIN file
	Ctx    *crypto11.Context
}

// The module reads SOFTHSM2_CONF once, when the process first loads it, so
// there is one token per test process.
var (
	once sync.Once
	tok  *Token
	err  error
	made sync.Map
)

// Get returns the process's test token, creating it on first use, or
// skips t (fails under MLSEC_REQUIRE_INTEGRATION=1) when SoftHSM2 is not
// installed.
func Get(t testing.TB) *Token {
	t.Helper()
	module := testenv.Getenv(t, "MLSEC_TEST_PKCS11_MODULE", "SoftHSM2 PKCS#11 module")
	util := testenv.LookPath(t, "softhsm2-util")
	once.Do(func() { tok, err = setup(module, util) })
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func setup(module, util string) (*Token, error) {
	dir, err := os.MkdirTemp("", "mlsec-softhsm-")
	if err != nil {
		return nil, err
	}
	tk := &Token{Module: module, Label: "mlsec-test", PIN: "4321-test-pin", Dir: dir}
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	cfg := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "pin"), []byte(tk.PIN+"\n"), 0o600); err != nil {
		return nil, err
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command(util, "--init-token", "--free", "--label", tk.Label, "--so-pin", "5678", "--pin", tk.PIN).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
	}
	tk.Ctx, err = crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: tk.Label, Pin: tk.PIN})
	if err != nil {
		return nil, fmt.Errorf("open SoftHSM2 token: %w", err)
	}
	return tk, nil
}

// Cleanup removes the token directory; call it from TestMain after the
// tests ran.
func Cleanup() {
	if tok != nil {
		os.RemoveAll(tok.Dir)
	}
}

// URI returns an RFC 7512 URI for the object label, with the PIN in a
// pin-source file as a deployment would keep it.
func (tk *Token) URI(label string) string {
	return fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-source=%s", tk.Label, label, tk.Module, filepath.Join(tk.Dir, "pin"))
}

// AESKey creates (once) an AES-256 key labelled label and returns its URI.
func (tk *Token) AESKey(t testing.TB, label string) string {
	t.Helper()
	if _, loaded := made.LoadOrStore(label, true); !loaded {
		if _, err := tk.Ctx.GenerateSecretKeyWithLabel([]byte(label), []byte(label), 256, crypto11.CipherAES); err != nil {
			t.Fatalf("generate AES key %s: %v", label, err)
		}
	}
	return tk.URI(label)
}

// ECKey creates (once) an EC key pair labelled label and returns its URI.
func (tk *Token) ECKey(t testing.TB, label string, curve elliptic.Curve) string {
	t.Helper()
	if _, loaded := made.LoadOrStore(label, true); !loaded {
		if _, err := tk.Ctx.GenerateECDSAKeyPairWithLabel([]byte(label), []byte(label), curve); err != nil {
			t.Fatalf("generate EC key %s: %v", label, err)
		}
	}
	return tk.URI(label)
}
