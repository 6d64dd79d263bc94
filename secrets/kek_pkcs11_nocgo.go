//go:build !cgo

package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore/pkg/signature"
)

var errNoCgo = errors.New("PKCS#11 needs a build with cgo (CGO_ENABLED=1)")

func openPKCS11KEK(ctx context.Context, u *PKCS11URI) (KEK, error) {
	return nil, fmt.Errorf("secrets: KEK %s: %w", u, errNoCgo)
}

func loadPKCS11Signer(ctx context.Context, u *PKCS11URI) (signature.SignerVerifier, error) {
	return nil, fmt.Errorf("secrets: signer %s: %w", u, errNoCgo)
}
