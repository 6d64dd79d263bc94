package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/internal/keyfile"
	"github.com/mlsec-dev/mlsec/secrets"
	"github.com/sigstore/sigstore/pkg/signature"
)

// keyPasswordEnv names the variable holding the password of an encrypted
// PEM private key. A password is never taken from a flag, where it would
// show in process listings and shell history.
const keyPasswordEnv = "MLSEC_KEY_PASSWORD"

// loadSigner turns the value of a --key flag into a signer. It is the one
// place the CLI does so; every command that signs calls it. ref is either a
// key URI naming a key that stays in a KMS or HSM (awskms://...,
// pkcs11:...; see secrets.LoadSignerVerifier) or a path to a PEM private
// key (PKCS #8, SEC 1, PKCS #1, encrypted PKCS #8, legacy encrypted PEM,
// or a sigstore/cosign encrypted key), whose password, if any, is read
// from $MLSEC_KEY_PASSWORD.
func loadSigner(ctx context.Context, ref string) (signature.SignerVerifier, error) {
	if secrets.IsKeyURI(ref) {
		return secrets.LoadSignerVerifier(ctx, ref)
	}
	if err := checkKeyRef(ref); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	k, err := keyfile.ParsePrivateKey(data, func() ([]byte, error) {
		pw, ok := os.LookupEnv(keyPasswordEnv)
		if !ok {
			return nil, fmt.Errorf("the key is encrypted: set %s", keyPasswordEnv)
		}
		return []byte(pw), nil
	})
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	sv, err := dssesig.FromCryptoSigner(k)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	return sv, nil
}

// loadVerifier turns the value of a --key flag on a verifying command into
// a verifier. ref is a KMS/HSM key URI (the public key is fetched from the
// KMS or token and checked locally) or a path to a PEM public key (or a
// certificate, whose key is used).
func loadVerifier(ctx context.Context, ref string) (signature.Verifier, error) {
	if secrets.IsKeyURI(ref) {
		return secrets.LoadSignerVerifier(ctx, ref)
	}
	if err := checkKeyRef(ref); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	pub, err := keyfile.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	h, err := dssesig.DefaultHash(pub)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	v, err := signature.LoadVerifier(pub, h)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	return v, nil
}

func checkKeyRef(ref string) error {
	if ref == "" {
		return usageError("--key is empty")
	}
	if strings.Contains(ref, "://") || strings.HasPrefix(ref, "pkcs11:") {
		return usageError("key %s: unsupported key URI (want awskms://..., pkcs11:... or a PEM file)", ref)
	}
	return nil
}
