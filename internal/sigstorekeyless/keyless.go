// Package sigstorekeyless verifies keyless Sigstore bundles offline: a
// signature by a short-lived Fulcio certificate, checked with sigstore-go
// against a trusted root the caller supplies, and the certificate's
// identity matched against identity rules. signing and provenance both
// verify keyless bundles through it.
package sigstorekeyless

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Identity is what a Fulcio certificate says about its signer: the OpenID
// Connect issuer and subject alternative name, and for CI signers the
// workflow claims Fulcio copies from the token into its extensions.
type Identity struct {
	Issuer            string `json:"issuer"`
	SAN               string `json:"san"`
	SourceRepository  string `json:"sourceRepository,omitempty"`
	SourceRef         string `json:"sourceRepositoryRef,omitempty"`
	SourceDigest      string `json:"sourceRepositoryDigest,omitempty"`
	BuildSignerURI    string `json:"buildSignerURI,omitempty"`
	BuildSignerDigest string `json:"buildSignerDigest,omitempty"`
	RunnerEnvironment string `json:"runnerEnvironment,omitempty"`
	BuildTrigger      string `json:"buildTrigger,omitempty"`
}

func identityOf(s *certificate.Summary) Identity {
	return Identity{
		Issuer:            s.Issuer,
		SAN:               s.SubjectAlternativeName,
		SourceRepository:  s.SourceRepositoryURI,
		SourceRef:         s.SourceRepositoryRef,
		SourceDigest:      s.SourceRepositoryDigest,
		BuildSignerURI:    s.BuildSignerURI,
		BuildSignerDigest: s.BuildSignerDigest,
		RunnerEnvironment: s.RunnerEnvironment,
		BuildTrigger:      s.BuildTrigger,
	}
}

// Result is a bundle that verified: the DSSE payload sigstore-go checked
// the signature over, and the signer's identity.
type Result struct {
	Payload     []byte
	PayloadType string
	Identity    Identity
}

// ErrVerification wraps every reason a bundle fails: chain, timestamps,
// transparency log, signature.
var ErrVerification = errors.New("sigstore verification failed")

// ParseTrustedRoot parses a trusted_root.json (protobuf-specs TrustedRoot).
func ParseTrustedRoot(data []byte) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	return tr, nil
}

// VerifyDSSE verifies a keyless bundle holding a DSSE envelope: the
// certificate chains to a Fulcio CA of tr, the signature was made while the
// certificate was valid at a time a transparency log (its inclusion proof
// or signed entry timestamp) or a timestamp authority of tr recorded, the
// certificate carries an SCT from a CT log of tr, and the envelope
// signature verifies. Which identities to trust is the caller's to decide,
// with Rule.Match on Result.Identity. A bundle signed by a public key is
// refused: it has no identity to match.
func VerifyDSSE(bundleJSON []byte, tr root.TrustedMaterial) (*Result, error) {
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return nil, fmt.Errorf("%w: not a Sigstore bundle: %v", ErrVerification, err)
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, fmt.Errorf("%w: the bundle holds no DSSE envelope", ErrVerification)
	}
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVerification, err)
	}
	if vc.Certificate() == nil {
		return nil, fmt.Errorf("%w: no signing certificate: the bundle is signed by a public key, not keyless", ErrVerification)
	}
	v, err := verify.NewVerifier(tr, verifierOptions(tr)...)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	// The artifact is the statement's subject, which the caller matches
	// against the verified payload; identities are matched by the caller
	// too, so that one verification serves several identity rules.
	res, err := v.Verify(&b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVerification, err)
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		return nil, fmt.Errorf("%w: no certificate was verified", ErrVerification)
	}
	return &Result{Payload: env.GetPayload(), PayloadType: env.GetPayloadType(), Identity: identityOf(res.Signature.Certificate)}, nil
}

// Rule is an identity a caller trusts. Issuer and SAN are exact values or,
// in IssuerRegexp and SANRegexp, regular expressions matched against the
// whole value (mlsec anchors them). The other fields, when set, must equal
// the certificate's claim exactly. A rule needs an issuer and a SAN.
type Rule struct {
	Issuer            string `json:"issuer,omitempty"`
	IssuerRegexp      string `json:"issuerRegexp,omitempty"`
	SAN               string `json:"san,omitempty"`
	SANRegexp         string `json:"sanRegexp,omitempty"`
	SourceRepository  string `json:"sourceRepository,omitempty"`
	SourceRef         string `json:"sourceRepositoryRef,omitempty"`
	SourceDigest      string `json:"sourceRepositoryDigest,omitempty"`
	BuildSignerURI    string `json:"buildSignerURI,omitempty"`
	BuildSignerDigest string `json:"buildSignerDigest,omitempty"`
	RunnerEnvironment string `json:"runnerEnvironment,omitempty"`
	BuildTrigger      string `json:"buildTrigger,omitempty"`
}

// Matcher is a compiled Rule.
type Matcher struct {
	rule        Rule
	issuer, san *regexp.Regexp
}

// Compile checks r and compiles its regular expressions, anchored.
func (r Rule) Compile() (*Matcher, error) {
	m := &Matcher{rule: r}
	var err error
	if m.issuer, err = exactOrRegexp("issuer", r.Issuer, r.IssuerRegexp); err != nil {
		return nil, err
	}
	if m.san, err = exactOrRegexp("san", r.SAN, r.SANRegexp); err != nil {
		return nil, err
	}
	return m, nil
}

func exactOrRegexp(name, exact, re string) (*regexp.Regexp, error) {
	switch {
	case (exact == "") == (re == ""):
		return nil, fmt.Errorf("want exactly one of %s and %sRegexp", name, name)
	case exact != "":
		return regexp.MustCompile("^" + regexp.QuoteMeta(exact) + "$"), nil
	}
	// Anchored by us: an unanchored pattern for a repository would accept
	// any repository whose name contains it.
	c, err := regexp.Compile("^(?:" + re + ")$")
	if err != nil {
		return nil, fmt.Errorf("%sRegexp %q: %w", name, re, err)
	}
	return c, nil
}

// Mismatch returns "" when id satisfies m, else the first claim that
// differs, named, with both values.
func (m *Matcher) Mismatch(id Identity) string {
	if !m.issuer.MatchString(id.Issuer) {
		return fmt.Sprintf("issuer %q does not match %s", id.Issuer, m.describe(m.rule.Issuer, m.rule.IssuerRegexp))
	}
	if !m.san.MatchString(id.SAN) {
		return fmt.Sprintf("san %q does not match %s", id.SAN, m.describe(m.rule.SAN, m.rule.SANRegexp))
	}
	for _, c := range []struct{ name, want, got string }{
		{"sourceRepository", m.rule.SourceRepository, id.SourceRepository},
		{"sourceRepositoryRef", m.rule.SourceRef, id.SourceRef},
		{"sourceRepositoryDigest", m.rule.SourceDigest, id.SourceDigest},
		{"buildSignerURI", m.rule.BuildSignerURI, id.BuildSignerURI},
		{"buildSignerDigest", m.rule.BuildSignerDigest, id.BuildSignerDigest},
		{"runnerEnvironment", m.rule.RunnerEnvironment, id.RunnerEnvironment},
		{"buildTrigger", m.rule.BuildTrigger, id.BuildTrigger},
	} {
		if c.want != "" && c.got != c.want {
			return fmt.Sprintf("%s %q, want %q", c.name, c.got, c.want)
		}
	}
	return ""
}

func (m *Matcher) describe(exact, re string) string {
	if exact != "" {
		return fmt.Sprintf("%q", exact)
	}
	return "regexp " + strings.TrimSpace(re)
}

// Rule returns the rule m was compiled from.
func (m *Matcher) Rule() Rule { return m.rule }

// verifierOptions are the proofs a bundle must carry, by what the trusted
// root's instance provides. The public-good instance logs every signature
// in Rekor and its Fulcio certificates carry SCTs: both are required. An
// instance without a transparency log (GitHub's, which signs the
// attestations of private repositories) proves when it signed with an
// RFC 3161 timestamp of a timestamp authority in the root instead, and
// one without CT logs issues no SCTs. A root with neither a log nor a
// timestamp authority verifies nothing.
func verifierOptions(tr root.TrustedMaterial) []verify.VerifierOption {
	var opts []verify.VerifierOption
	if len(tr.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	if len(tr.RekorLogs()) > 0 {
		return append(opts, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	}
	return append(opts, verify.WithSignedTimestamps(1))
}
