package signing

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"

	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/mlsec-dev/mlsec/internal/sigstorekeyless"
)

// Sigstore verifies keyless bundles — signed with a short-lived Fulcio
// certificate for an OpenID Connect identity and logged in Rekor — fully
// offline, against a trusted root the caller supplies.
type Sigstore struct {
	// TrustedRoot is a Sigstore trusted_root.json (protobuf-specs
	// TrustedRoot): the Fulcio CAs, Rekor and CT log keys, and timestamp
	// authorities to trust. For the public-good instance, fetch it with a
	// TUF client (e.g. `cosign trusted-root create` or sigstore-go's tuf
	// package) and keep it with your deployment.
	TrustedRoot []byte
	// Identity is the signer's exact certificate identity (an email
	// address or a URI such as a CI workflow).
	Identity string
	// Issuer is the exact OpenID Connect issuer URL that vouched for it.
	Issuer string
}

// RuleSigstore reports a keyless bundle that fails Sigstore verification:
// certificate chain to Fulcio, signer identity, transparency log entry or
// timestamps, or the envelope signature.
const RuleSigstore Rule = "sigstore verification"

// verifyKeyless checks a keyless bundle with sigstore-go (through the
// verifier provenance shares) and returns the signing certificate. payload
// is the envelope payload mlsec decoded; it must be the one sigstore-go
// verified.
func verifyKeyless(bundleJSON, payload []byte, s *Sigstore) (*x509.Certificate, error) {
	if s.Identity == "" || s.Issuer == "" {
		return nil, errors.New("signing: keyless verification needs the signer's identity and issuer")
	}
	tr, err := sigstorekeyless.ParseTrustedRoot(s.TrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return nil, bundleErr(RuleVerificationMaterial, "not a Sigstore bundle: %v", err)
	}
	env := b.GetDsseEnvelope()
	if env == nil || !bytes.Equal(env.GetPayload(), payload) {
		return nil, bundleErr(RuleMalformed, "the envelope reads differently as protobuf JSON")
	}
	m, err := sigstorekeyless.Rule{Issuer: s.Issuer, SAN: s.Identity}.Compile()
	if err != nil {
		return nil, fmt.Errorf("signing: identity: %w", err)
	}
	// The artifact is the model, which Verify re-hashes itself.
	res, err := sigstorekeyless.VerifyDSSE(bundleJSON, tr)
	if err != nil {
		return nil, bundleErr(RuleSigstore, "%v", err)
	}
	if why := m.Mismatch(res.Identity); why != "" {
		return nil, bundleErr(RuleSigstore, "certificate identity: %s", why)
	}
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, bundleErr(RuleVerificationMaterial, "%v", err)
	}
	return vc.Certificate(), nil
}
