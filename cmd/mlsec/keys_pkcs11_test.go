//go:build cgo

package main

import (
	"crypto/elliptic"
	"testing"

	"github.com/mlsec-dev/mlsec/internal/softhsmtest"
)

// mlsec sign/verify --key pkcs11:... with an EC key in a SoftHSM2 token.
func TestSignVerifyPKCS11Key(t *testing.T) {
	tk := softhsmtest.Get(t)
	signVerifyCLI(t, tk.ECKey(t, "cli-model-key", elliptic.P256()))
}
