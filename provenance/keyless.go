package provenance

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/mlsec-dev/mlsec/internal/sigstorekeyless"
)

// This file holds keyless verification: a DSSE envelope in a Sigstore
// bundle signed by a short-lived Fulcio certificate, verified offline with
// sigstore-go against the caller's trusted root, and the certificate's
// identity matched against the identities a policy trusts.

// TrustedIdentity is a keyless signer a policy trusts: the OpenID Connect
// issuer and the certificate's subject alternative name, each exact
// (Issuer, SAN) or a regular expression that must match the whole value
// (IssuerRegexp, SANRegexp; mlsec anchors it). The GitHub workflow claims
// Fulcio records in its certificate extensions narrow it further, each
// compared exactly when set: SourceRepository (the repository URL),
// SourceRef ("refs/heads/main", "refs/tags/v1"), SourceDigest (the commit),
// BuildSignerURI and BuildSignerDigest (the workflow that signed, which for
// a reusable workflow is the reusable one), RunnerEnvironment
// ("github-hosted") and BuildTrigger ("push", "release", ...).
//
// For GitHub Actions the issuer is https://token.actions.githubusercontent.com
// and the SAN is the signing workflow's URL with its ref, for example
// https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1.
type TrustedIdentity = sigstorekeyless.Rule

// SignerIdentity is what a verified Fulcio certificate says about the
// signer: the fields of TrustedIdentity, as values.
type SignerIdentity = sigstorekeyless.Identity

// Rule names for keyless verification.
const (
	// RuleIdentity is reported within rule RuleBuilder's reasons, and on
	// its own when a keyless signer matches no trusted identity.
	RuleIdentity = "identities"
)

// ErrUntrustedIdentity is wrapped by a Violation for a keyless signer whose
// certificate identity the policy does not trust.
var ErrUntrustedIdentity = errors.New("untrusted identity")

// loadTrustedRoot parses a trusted_root.json, nil for none.
func loadTrustedRoot(data []byte) (root.TrustedMaterial, error) {
	if len(data) == 0 {
		return nil, nil
	}
	tr, err := sigstorekeyless.ParseTrustedRoot(data)
	if err != nil {
		return nil, &FormatError{Input: "trusted root", Err: ErrMalformed, Reason: err.Error()}
	}
	return tr, nil
}

// checkKeylessSignature is rule RuleSignature for a keyless bundle: the
// certificate chains to a Fulcio CA of the trusted root, was valid when a
// transparency log or timestamp authority of the root saw the signature,
// and the envelope signature verifies. env is the envelope mlsec read from
// the bundle; its payload must be the one sigstore-go verified.
func checkKeylessSignature(env *dsse.Envelope, bundle []byte, tr root.TrustedMaterial) (*SignerIdentity, []byte, *Violation) {
	if tr == nil {
		return nil, nil, &Violation{Rule: RuleSignature, Reason: "a keyless bundle is verified against a Sigstore trusted root: none given", Err: ErrSignature}
	}
	res, err := sigstorekeyless.VerifyDSSE(bundle, tr)
	if err != nil {
		return nil, nil, &Violation{Rule: RuleSignature, Reason: err.Error(), Err: fmt.Errorf("%w: %w", ErrSignature, err)}
	}
	body, derr := env.DecodeB64Payload()
	if res.PayloadType != env.PayloadType || derr != nil || !bytes.Equal(res.Payload, body) {
		return nil, nil, &Violation{Rule: RuleSignature, Reason: "the bundle's envelope reads differently as protobuf JSON", Err: ErrSignature}
	}
	id := res.Identity
	return &id, res.Payload, nil
}
