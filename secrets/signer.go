package secrets

import (
	"context"
	"crypto"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	// Registers the awskms:// provider with sigstore's KMS registry.
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
)

// LoadSignerVerifier returns a sigstore SignerVerifier for the signing key
// named by uri, whose private half never leaves its KMS or HSM:
//
//   - awskms://[ENDPOINT]/{KEY-ID | alias/NAME | arn:aws:kms:...} — an
//     asymmetric AWS KMS key through sigstore's AWS provider (ECDSA or
//     RSA). With an ENDPOINT the provider speaks HTTPS to it; for another
//     endpoint leave it out and set AWS_ENDPOINT_URL_KMS.
//   - pkcs11:token=T;object=L?module-path=M&pin-source=F — an EC or RSA key
//     pair in a PKCS#11 token (needs cgo). P-256 signs with SHA-256, P-384
//     with SHA-384.
//
// The result plugs into anything that takes a signature.SignerVerifier,
// such as mlsec's signing and provenance packages.
func LoadSignerVerifier(ctx context.Context, uri string) (signature.SignerVerifier, error) {
	switch {
	case strings.HasPrefix(uri, SchemeAWSKMS):
		if _, _, err := parseAWSKMSURI(uri); err != nil {
			return nil, err
		}
		sv, err := kms.Get(ctx, uri, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("secrets: signer %s: %w", redactURI(uri), err)
		}
		return sv, nil
	case strings.HasPrefix(uri, SchemePKCS11):
		u, err := ParsePKCS11URI(uri)
		if err != nil {
			return nil, err
		}
		return loadPKCS11Signer(ctx, u)
	}
	return nil, fmt.Errorf("secrets: signer %q: %w", redactURI(uri), ErrUnsupportedScheme)
}

// IsKeyURI reports whether ref names a key in a KMS or HSM (a URI that
// [LoadSignerVerifier] or [OpenKEK] understands) rather than a key file.
func IsKeyURI(ref string) bool {
	return strings.HasPrefix(ref, SchemeAWSKMS) || strings.HasPrefix(ref, SchemePKCS11)
}
