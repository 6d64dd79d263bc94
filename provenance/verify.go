package provenance

import (
	"cmp"
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// Errors a Violation wraps, one per kind of rule, for errors.Is.
var (
	ErrUntrustedBuilder     = errors.New("untrusted builder")
	ErrBuildType            = errors.New("build type not allowed")
	ErrSubjectMismatch      = errors.New("subject mismatch")
	ErrDigestAlgorithm      = errors.New("digest algorithm not accepted")
	ErrStale                = errors.New("statement too old")
	ErrDependency           = errors.New("dependency rule violated")
	ErrExternalParameters   = errors.New("externalParameters rule violated")
	errNoTimestampForMaxAge = errors.New("no timestamp to check maxAge against")
)

// Rule names, as Violation.Rule reports them.
const (
	RulePayloadType        = "payloadType"
	RuleSignature          = "signature"
	RuleStatement          = "statement"
	RuleBuilder            = "builders"
	RuleBuildType          = "buildTypes"
	RuleSubject            = "subject"
	RuleDigestAlgorithms   = "digestAlgorithms"
	RuleMaxAge             = "maxAge"
	RuleDependencies       = "dependencies"
	RuleExternalParameters = "externalParameters"
)

// Violation is one rule a statement broke.
type Violation struct {
	// Rule names the rule: one of the Rule constants, with a selector
	// where the policy has several (e.g. "dependencies.required[0]",
	// "externalParameters.seed").
	Rule   string
	Reason string
	Err    error // one of the sentinel errors
}

func (v *Violation) Error() string { return v.Rule + ": " + v.Reason }
func (v *Violation) Unwrap() error { return v.Err }

// VerificationError lists every violated rule. errors.As finds each
// *Violation and errors.Is each sentinel through it.
type VerificationError struct {
	Input      string
	Violations []*Violation
}

func (e *VerificationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "provenance: %s: %d rule(s) violated", e.Input, len(e.Violations))
	for _, v := range e.Violations {
		b.WriteString("\n  ")
		b.WriteString(v.Error())
	}
	return b.String()
}

func (e *VerificationError) Unwrap() []error {
	errs := make([]error, len(e.Violations))
	for i, v := range e.Violations {
		errs[i] = v
	}
	return errs
}

// Verified is a statement that passed verification. Payload holds the
// exact bytes whose signature was verified; decode a predicate of your own
// type from them (json.Unmarshal), never from the envelope again.
type Verified struct {
	// Statement is the parse of Payload when it is SLSA provenance, nil
	// for other predicate types.
	Statement *Statement
	// PredicateType and Subject are the statement's, for any predicate type.
	PredicateType string
	Subject       []ResourceDescriptor
	Payload       []byte
	// Builder is the matched trusted builder id (pattern) and KeyIDs the
	// ids of the keys that signed for it.
	Builder string
	KeyIDs  []string
	// Identity is the signer of a keyless bundle, as its verified Fulcio
	// certificate names it (issuer, SAN, repository, ref, workflow), when
	// it matched an identity the policy trusts; nil for key signatures.
	Identity *SignerIdentity

	// signer is the policy entry the statement was accepted under, what
	// a quorum counts distinct signers by.
	signer trustedSigner
}

// VerifyOptions are the inputs of a verification beyond the policy.
type VerifyOptions struct {
	// Input names the envelope in errors (a file name).
	Input string
	// PredicateType is the predicate type the statement must have:
	// PredicateSLSAProvenance when empty. Statements of another type (an
	// in-toto test result, say) are checked by the rules that apply to any
	// statement; their predicate is the caller's to read from
	// Verified.Payload.
	PredicateType string
	// Subjects are digests of the artifacts at hand: each must match a
	// subject of the statement.
	Subjects []DigestSet
	// Now is the time maxAge is measured against (default time.Now()).
	Now time.Time
	// TrustedRoot is a Sigstore trusted_root.json: the Fulcio CAs,
	// transparency logs, CT logs and timestamp authorities keyless bundles
	// are verified against, offline. A keyless bundle fails rule
	// RuleSignature without it. For the public-good instance, fetch it
	// with a TUF client (`cosign trusted-root create`, sigstore-go's tuf
	// package) and keep it with the deployment.
	TrustedRoot []byte
}

// maxClockSkew tolerates statements stamped slightly in the future.
const maxClockSkew = 5 * time.Minute

// Verify checks a DSSE envelope against p: payloadType first, then the
// signatures with the policy's keys, then, on the verified bytes only, the
// statement's form and every rule. It fails closed and returns a
// [*VerificationError] listing every violated rule; an error of another
// type means p itself is wrong (see [Policy.Validate]).
//
// Each step is a function of its own in verify_rules.go, named after the
// rule it checks. To verify many envelopes, use [Attestations.Verify],
// which checks the policy and loads its keys once.
func Verify(ctx context.Context, env *dsse.Envelope, p *Policy, opts VerifyOptions) (*Verified, error) {
	cp, tr, err := prepareVerify(p, opts)
	if err != nil {
		return nil, err
	}
	return verifyCompiled(ctx, env, nil, cp, tr, opts, false)
}

// VerifyBundle verifies the attestation in a Sigstore bundle (v0.1, v0.2
// or v0.3). A bundle signed keyless is verified with sigstore-go against
// opts.TrustedRoot, offline, and its certificate's identity must match an
// identity the policy trusts for the statement's builder; a bundle naming
// a public key is verified as its envelope is by [Verify]. Every other rule
// is the same.
func VerifyBundle(ctx context.Context, bundle []byte, p *Policy, opts VerifyOptions) (*Verified, error) {
	cp, tr, err := prepareVerify(p, opts)
	if err != nil {
		return nil, err
	}
	env, _, keyless, err := parseBundle(bundle)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmp.Or(opts.Input, "bundle"), err)
	}
	if !keyless {
		bundle = nil
	}
	return verifyCompiled(ctx, env, bundle, cp, tr, opts, false)
}

// violated wraps violations of the envelope named input.
func violated(input string, vs ...*Violation) error {
	return &VerificationError{Input: cmp.Or(input, "envelope"), Violations: vs}
}

// verifyCompiled is Verify with the policy already compiled: the steps
// that stop at the first failure (nothing after them can be trusted), then
// every rule, each reporting its own violations. partial accepts one
// trusted signer of a builder entry whatever its threshold (see ruleInput).
func verifyCompiled(ctx context.Context, env *dsse.Envelope, bundle []byte, cp *compiledPolicy, tr root.TrustedMaterial, opts VerifyOptions, partial bool) (*Verified, error) {
	if len(cp.roots) == 0 {
		return nil, violated(opts.Input, &Violation{Rule: RuleBuilder, Reason: "the policy trusts no builder", Err: ErrUntrustedBuilder})
	}
	if env == nil {
		return nil, violated(opts.Input, &Violation{Rule: RuleSignature, Reason: "no envelope", Err: ErrSignature})
	}
	if v := checkPayloadType(env); v != nil {
		return nil, violated(opts.Input, v)
	}
	var (
		signers  []crypto.PublicKey
		body     []byte
		identity *SignerIdentity
		v        *Violation
		err      error
	)
	if bundle != nil {
		identity, body, v = checkKeylessSignature(env, bundle, tr)
	} else {
		signers, body, v, err = checkSignature(ctx, env, cp)
	}
	if err != nil {
		return nil, fmt.Errorf("provenance: %s: %w", cmp.Or(opts.Input, "envelope"), err)
	}
	if v != nil {
		return nil, violated(opts.Input, v)
	}
	st, v := checkStatement(body, opts.PredicateType)
	if v != nil {
		return nil, violated(opts.Input, v)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	in := &ruleInput{policy: cp, st: st, signers: signers, identity: identity, subjects: opts.Subjects, now: now, partial: partial}
	trusted, vs := checkBuilders(in)
	for _, rule := range statementRules {
		vs = append(vs, rule(in)...)
	}
	if len(vs) > 0 {
		return nil, violated(opts.Input, vs...)
	}
	return &Verified{Statement: st.slsa, PredicateType: st.predicateType, Subject: st.subject,
		Payload: body, Builder: trusted.builder, KeyIDs: trusted.keyIDs, Identity: trusted.identity, signer: trusted}, nil
}

// prepareVerify is what every verification entry point does first: check
// the policy and load its keys, and read the trusted root when one is
// given (nil p trusts nothing).
func prepareVerify(p *Policy, opts VerifyOptions) (*compiledPolicy, root.TrustedMaterial, error) {
	if p == nil {
		p = &Policy{}
	}
	cp, err := compilePolicy(p, "", "policy")
	if err != nil {
		return nil, nil, err
	}
	tr, err := loadTrustedRoot(opts.TrustedRoot)
	if err != nil {
		return nil, nil, err
	}
	return cp, tr, nil
}
