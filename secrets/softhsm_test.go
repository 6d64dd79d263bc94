//go:build cgo

package secrets_test

import (
	"crypto/elliptic"
	"os"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/mlsec-dev/mlsec/internal/softhsmtest"
)

const hsmToken = "mlsec-test"

var hsmPIN string

func softHSM(t *testing.T) (module string, c *crypto11.Context) {
	tk := softhsmtest.Get(t)
	hsmPIN = tk.PIN
	return tk.Module, tk.Ctx
}

func hsmURI(t *testing.T, label string) string { return softhsmtest.Get(t).URI(label) }

func hsmAESKey(t *testing.T, label string) string { return softhsmtest.Get(t).AESKey(t, label) }

func hsmECKey(t *testing.T, label string, curve elliptic.Curve) string {
	return softhsmtest.Get(t).ECKey(t, label, curve)
}

func TestMain(m *testing.M) {
	code := m.Run()
	softhsmtest.Cleanup()
	os.Exit(code)
}
