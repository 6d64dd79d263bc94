package secrets

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/internal/docread"
	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/internal/keyfile"
)

// ErrKeyPassword reports an encrypted key file whose password is wrong, or
// that was given no password (KeyOptions.Password is nil or returned an
// empty one).
var ErrKeyPassword = keyfile.ErrPassword

// ErrNotKeyFile reports a key reference that names neither a key URI this
// package understands nor a readable regular file.
var ErrNotKeyFile = errors.New("not a key file or key URI")

// maxKeyFile bounds what LoadSigner and LoadVerifier read from a key file:
// a PEM key or certificate chain is a few kilobytes.
const maxKeyFile = 1 << 20

// KeyOptions configure [LoadSigner] and [LoadVerifier].
type KeyOptions struct {
	// Password returns the password of an encrypted PEM private key. It is
	// called only when the key is encrypted. Without it, an encrypted key
	// is refused with ErrKeyPassword.
	Password func() ([]byte, error)
}

// LoadSigner returns the signing key named by ref, as the sigstore
// signature.SignerVerifier that [github.com/mlsec-dev/mlsec/signing] and
// [github.com/mlsec-dev/mlsec/provenance] both take, so one key value signs
// a model and its provenance. ref is either
//
//   - a key URI whose private half never leaves its KMS or HSM
//     (awskms://..., pkcs11:...; see [LoadSignerVerifier]), or
//   - the path of a PEM private key: SEC 1, PKCS #1 and PKCS #8, encrypted
//     PKCS #8 (PBES2 with PBKDF2 or scrypt), legacy OpenSSL encryption
//     ("Proc-Type: 4,ENCRYPTED"), sigstore/cosign encrypted keys, and
//     `openssl ecparam -genkey` output with its leading EC PARAMETERS block.
//
// The hash follows the key: SHA-256 for P-256 and RSA, SHA-384 for P-384,
// SHA-512 for P-521, none for Ed25519. A wrong or missing password is
// ErrKeyPassword; the password never appears in an error.
func LoadSigner(ctx context.Context, ref string, opts KeyOptions) (signature.SignerVerifier, error) {
	if IsKeyURI(ref) {
		return LoadSignerVerifier(ctx, ref)
	}
	data, err := readKeyFile(ref)
	if err != nil {
		return nil, err
	}
	var password keyfile.PasswordFunc
	if opts.Password != nil {
		password = opts.Password
	}
	k, err := keyfile.ParsePrivateKey(data, password)
	if err != nil {
		return nil, fmt.Errorf("secrets: key %s: %w", ref, err)
	}
	sv, err := dssesig.FromCryptoSigner(k)
	if err != nil {
		return nil, fmt.Errorf("secrets: key %s: %w", ref, err)
	}
	return sv, nil
}

// LoadVerifier returns the verifying key named by ref: a key URI (the public
// key is fetched from the KMS or token and checked locally) or the path of a
// PEM public key or certificate (whose key is used). A private key file is
// refused, so that a verifying step never holds signing material. opts is
// accepted for symmetry with LoadSigner.
func LoadVerifier(ctx context.Context, ref string, opts KeyOptions) (signature.Verifier, error) {
	if IsKeyURI(ref) {
		return LoadSignerVerifier(ctx, ref)
	}
	data, err := readKeyFile(ref)
	if err != nil {
		return nil, err
	}
	pub, err := keyfile.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("secrets: key %s: %w", ref, err)
	}
	v, err := VerifierFromPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("secrets: key %s: %w", ref, err)
	}
	return v, nil
}

// VerifierFromPublicKey returns a sigstore verifier for pub with the hash
// that conventionally goes with it (see [LoadSigner]).
func VerifierFromPublicKey(pub crypto.PublicKey) (signature.Verifier, error) {
	h, err := dssesig.DefaultHash(pub)
	if err != nil {
		return nil, err
	}
	return signature.LoadVerifier(pub, h)
}

// readKeyFile reads a key file, refusing what is not a regular file (a FIFO
// would block, a device would never end) and anything past maxKeyFile.
func readKeyFile(path string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("secrets: empty key reference: %w", ErrNotKeyFile)
	}
	if strings.Contains(path, "://") || strings.HasPrefix(path, SchemePKCS11) {
		return nil, fmt.Errorf("secrets: key %s: %w", redactURI(path), ErrUnsupportedScheme)
	}
	// docread checks the mode before opening and opens without blocking,
	// so a FIFO swapped in after the check cannot hang the read either.
	data, err := docread.ReadFile(context.Background(), path, maxKeyFile)
	var notRegular *docread.NotRegularError
	var tooLarge *docread.TooLargeError
	switch {
	case errors.As(err, &notRegular):
		return nil, fmt.Errorf("secrets: key: %w: %w", notRegular, ErrNotKeyFile)
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("secrets: key %s: larger than %d bytes: %w", path, maxKeyFile, ErrNotKeyFile)
	case err != nil:
		return nil, fmt.Errorf("secrets: key %s: %w", path, err)
	}
	return data, nil
}
