package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/secrets"
)

// keyPasswordEnv names the variable holding the password of an encrypted
// PEM private key. A password is never taken from a flag, where it would
// show in process listings and shell history.
const keyPasswordEnv = "MLSEC_KEY_PASSWORD"

// keyOptions supplies $MLSEC_KEY_PASSWORD to secrets' key loader.
var keyOptions = secrets.KeyOptions{Password: func() ([]byte, error) {
	pw, ok := os.LookupEnv(keyPasswordEnv)
	if !ok {
		return nil, fmt.Errorf("the key is encrypted: set %s", keyPasswordEnv)
	}
	return []byte(pw), nil
}}

// loadSigner turns the value of a --key flag into a signer (see
// secrets.LoadSigner for the references it takes).
func loadSigner(ctx context.Context, ref string) (signature.SignerVerifier, error) {
	if err := checkKeyRef(ref); err != nil {
		return nil, err
	}
	sv, err := secrets.LoadSigner(ctx, ref, keyOptions)
	return sv, keyError(err)
}

// loadVerifier turns the value of a --key flag on a verifying command into
// a verifier (see secrets.LoadVerifier).
func loadVerifier(ctx context.Context, ref string) (signature.Verifier, error) {
	if err := checkKeyRef(ref); err != nil {
		return nil, err
	}
	v, err := secrets.LoadVerifier(ctx, ref, secrets.KeyOptions{})
	return v, keyError(err)
}

// keyError drops the package prefix, so the one-line message reads
// "key PATH: ..." as the CLI has always printed it; the cause stays
// inspectable with errors.Is and errors.As.
func keyError(err error) error {
	if err == nil {
		return nil
	}
	return &prefixless{err}
}

type prefixless struct{ err error }

func (e *prefixless) Error() string { return strings.TrimPrefix(e.err.Error(), "secrets: ") }
func (e *prefixless) Unwrap() error { return e.err }

func checkKeyRef(ref string) error {
	if ref == "" {
		return usageError("--key is empty")
	}
	if !secrets.IsKeyURI(ref) && (strings.Contains(ref, "://") || strings.HasPrefix(ref, "pkcs11:")) {
		return usageError("key %s: unsupported key URI (want awskms://..., pkcs11:... or a PEM file)", ref)
	}
	return nil
}
