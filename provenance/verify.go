package provenance

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
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
// exact bytes whose signature was verified, Statement their parse.
type Verified struct {
	Statement *Statement
	Payload   []byte
	// Builder is the matched trusted builder id (pattern) and Keys the
	// ids of the keys that signed for it.
	Builder string
	KeyIDs  []string
}

// VerifyOptions are the inputs of a verification beyond the policy.
type VerifyOptions struct {
	// Input names the envelope in errors (a file name).
	Input string
	// Subjects are digests of the artifacts at hand: each must match a
	// subject of the statement.
	Subjects []DigestSet
	// Now is the time maxAge is measured against (default time.Now()).
	Now time.Time
}

// maxClockSkew tolerates statements stamped slightly in the future.
const maxClockSkew = 5 * time.Minute

// Verify checks a DSSE envelope against p: payloadType first, then the
// signatures with the policy's keys, then, on the verified bytes only, the
// statement's form and every rule. It fails closed and returns a
// *VerificationError listing every violated rule.
func Verify(ctx context.Context, env *dsse.Envelope, p *Policy, opts VerifyOptions) (*Verified, error) {
	input := opts.Input
	if input == "" {
		input = "envelope"
	}
	fail := func(vs ...*Violation) error { return &VerificationError{Input: input, Violations: vs} }
	if p == nil || len(p.Builders) == 0 {
		return nil, fail(&Violation{Rule: RuleBuilder, Reason: "the policy trusts no builder", Err: ErrUntrustedBuilder})
	}
	if env == nil {
		return nil, fail(&Violation{Rule: RuleSignature, Reason: "no envelope", Err: ErrSignature})
	}
	if env.PayloadType != PayloadType {
		return nil, fail(&Violation{Rule: RulePayloadType, Reason: fmt.Sprintf("%q, want %q", env.PayloadType, PayloadType), Err: ErrPayloadType})
	}

	// Every distinct key the policy trusts, each once: dsse counts a key
	// once toward a threshold only if it is listed once.
	var verifiers []dsse.Verifier
	var pubs []crypto.PublicKey
	for _, b := range p.Builders {
		for _, v := range b.Verifiers {
			if indexKey(pubs, v.Public()) < 0 {
				verifiers = append(verifiers, v)
				pubs = append(pubs, v.Public())
			}
		}
	}
	if len(verifiers) == 0 {
		return nil, fail(&Violation{Rule: RuleBuilder, Reason: "the policy lists no key", Err: ErrUntrustedBuilder})
	}
	ev, err := dsse.NewMultiEnvelopeVerifier(1, verifiers...)
	if err != nil {
		return nil, fmt.Errorf("provenance: %s: %w", input, err)
	}
	// keyid is an unauthenticated hint (DSSE): drop it, so that a signer
	// naming its key differently cannot make a trusted key be skipped.
	stripped := &dsse.Envelope{PayloadType: env.PayloadType, Payload: env.Payload}
	for _, s := range env.Signatures {
		stripped.Signatures = append(stripped.Signatures, dsse.Signature{Sig: s.Sig})
	}
	accepted, body, err := ev.VerifyAndDecode(ctx, stripped)
	if err != nil || len(accepted) == 0 {
		reason := "no signature by a key the policy trusts"
		if len(env.Signatures) == 0 {
			reason = "the envelope is not signed"
		}
		return nil, fail(&Violation{Rule: RuleSignature, Reason: reason, Err: ErrSignature})
	}
	st, err := ParseStatement(body)
	if err != nil {
		var fe *FormatError
		reason := err.Error()
		if errors.As(err, &fe) {
			reason = fe.Reason
			if fe.Err != nil {
				reason = fe.Err.Error() + ": " + fe.Reason
			}
		}
		return nil, fail(&Violation{Rule: RuleStatement, Reason: reason, Err: err})
	}

	var vs []*Violation
	add := func(rule string, sentinel error, format string, a ...any) {
		vs = append(vs, &Violation{Rule: rule, Reason: fmt.Sprintf(format, a...), Err: sentinel})
	}
	res := &Verified{Statement: st, Payload: body}

	// Roots of trust: the statement's builder must be one the policy
	// trusts, signed by at least threshold of that builder's keys.
	builderID := st.Predicate.RunDetails.Builder.ID
	var acceptedPub []crypto.PublicKey
	for _, a := range accepted {
		acceptedPub = append(acceptedPub, a.Public)
	}
	var matched, satisfied bool
	var shortfall []string
	for _, b := range p.Builders {
		if !b.matches(builderID) {
			continue
		}
		matched = true
		need := max(b.Threshold, 1)
		var ids []string
		seen := 0
		for _, v := range b.Verifiers {
			if i := indexKey(acceptedPub, v.Public()); i >= 0 {
				seen++
				id, _ := dssesig.KeyID(v.Public())
				ids = append(ids, id)
			}
		}
		if seen >= need {
			satisfied = true
			res.Builder, res.KeyIDs = b.ID, ids
			break
		}
		shortfall = append(shortfall, fmt.Sprintf("%d of %d required keys of %q signed", seen, need, b.ID))
	}
	switch {
	case !matched:
		add(RuleBuilder, ErrUntrustedBuilder, "builder.id %q is not a trusted builder", builderID)
	case !satisfied:
		add(RuleBuilder, ErrUntrustedBuilder, "builder.id %q: %s", builderID, strings.Join(shortfall, "; "))
	}

	bt := st.Predicate.BuildDefinition.BuildType
	if len(p.BuildTypes) > 0 && !contains(p.BuildTypes, bt) {
		add(RuleBuildType, ErrBuildType, "buildType %q is not allowed", bt)
	}

	algs := p.DigestAlgorithms
	if len(algs) == 0 {
		algs = DefaultDigestAlgorithms
	}
	for i, s := range st.Subject {
		if !hasAlg(s.Digest, algs) {
			add(RuleDigestAlgorithms, ErrDigestAlgorithm, "subject %d (%q) has no digest in an accepted algorithm (%s)", i, s.Name, strings.Join(algs, ", "))
		}
	}
	for i, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		if len(d.Digest) > 0 && !hasAlg(d.Digest, algs) {
			add(RuleDigestAlgorithms, ErrDigestAlgorithm, "resolvedDependencies %d (%s) has no digest in an accepted algorithm (%s)", i, depName(d), strings.Join(algs, ", "))
		}
	}
	for _, want := range opts.Subjects {
		found := false
		for _, s := range st.Subject {
			if s.Digest.Matches(want, algs) {
				found = true
				break
			}
		}
		if !found {
			add(RuleSubject, ErrSubjectMismatch, "no subject has digest %s", want)
		}
	}

	if p.MaxAge > 0 {
		now := opts.Now
		if now.IsZero() {
			now = time.Now()
		}
		var ts *time.Time
		if md := st.Predicate.RunDetails.Metadata; md != nil {
			ts = md.FinishedOn
			if ts == nil {
				ts = md.StartedOn
			}
		}
		switch {
		case ts == nil:
			add(RuleMaxAge, ErrStale, "%v", errNoTimestampForMaxAge)
		case now.Sub(*ts) > time.Duration(p.MaxAge):
			add(RuleMaxAge, ErrStale, "finished %s, %s ago, more than maxAge %s", ts.UTC().Format(time.RFC3339), now.Sub(*ts).Round(time.Second), time.Duration(p.MaxAge))
		case ts.Sub(now) > maxClockSkew:
			add(RuleMaxAge, ErrStale, "timestamp %s is in the future", ts.UTC().Format(time.RFC3339))
		}
	}

	deps := st.Predicate.BuildDefinition.ResolvedDependencies
	for i, r := range p.Dependencies.Required {
		rule := fmt.Sprintf("%s.required[%d]", RuleDependencies, i)
		n := 0
		for _, d := range deps {
			if !r.selects(d) {
				continue
			}
			n++
			if why := r.check(d, algs); why != "" {
				add(rule, ErrDependency, "%s: %s", depName(d), why)
			}
		}
		if n == 0 {
			add(rule, ErrDependency, "no resolved dependency matches %s", r)
		}
	}
	if len(p.Dependencies.Allowed) > 0 {
		for _, d := range deps {
			ok := false
			var whys []string
			for _, r := range p.Dependencies.Allowed {
				if !r.selects(d) {
					continue
				}
				why := r.check(d, algs)
				if why == "" {
					ok = true
					break
				}
				whys = append(whys, why)
			}
			if !ok {
				reason := "matches no allowed rule"
				if len(whys) > 0 {
					reason = strings.Join(whys, "; ")
				}
				add(RuleDependencies+".allowed", ErrDependency, "%s: %s", depName(d), reason)
			}
		}
	}

	params := st.Predicate.BuildDefinition.ExternalParameters
	if err := ValidateExternalParameters(bt, params); err != nil {
		add(RuleExternalParameters+".schema", ErrExternalParameters, "%s", schemaReason(err))
	}
	for _, k := range sortedKeys(p.ExternalParameters) {
		r := p.ExternalParameters[k]
		rule := RuleExternalParameters + "." + k
		v, ok := lookupParam(params, k)
		switch {
		case !ok:
			add(rule, ErrExternalParameters, "missing")
		case r.Exact != nil && !jsonEqual(v, r.Exact):
			add(rule, ErrExternalParameters, "is %s, want %s", jsonString(v), jsonString(r.Exact))
		case len(r.OneOf) > 0 && !slicesContainsJSON(r.OneOf, v):
			add(rule, ErrExternalParameters, "is %s, want one of %s", jsonString(v), jsonString(r.OneOf))
		}
	}
	if p.RejectUnknownParameters {
		for _, k := range sortedKeys(params) {
			if !policyNames(p.ExternalParameters, k) {
				add(RuleExternalParameters+"."+k, ErrExternalParameters, "not named by the policy")
			}
		}
	}

	if len(vs) > 0 {
		return nil, fail(vs...)
	}
	return res, nil
}

// lookupParam finds key in params; a key with dots that is not itself a
// parameter ("hyperparameters.lr") is looked up as a path into objects.
func lookupParam(params map[string]any, key string) (any, bool) {
	if v, ok := params[key]; ok {
		return v, true
	}
	var cur any = params
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// policyNames reports whether rules name the top-level parameter k, itself
// or through a dotted path below it.
func policyNames(rules map[string]ParamRule, k string) bool {
	for name := range rules {
		if name == k || strings.HasPrefix(name, k+".") {
			return true
		}
	}
	return false
}

func schemaReason(err error) string {
	var fe *FormatError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return err.Error()
}

// indexKey finds pub in keys by value.
func indexKey(keys []crypto.PublicKey, pub crypto.PublicKey) int {
	eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return -1
	}
	for i, k := range keys {
		if eq.Equal(k) {
			return i
		}
	}
	return -1
}

func hasAlg(d DigestSet, algs []string) bool {
	for a := range d {
		if contains(algs, a) {
			return true
		}
	}
	return false
}

func depName(d ResourceDescriptor) string {
	switch {
	case d.Name != "" && d.URI != "":
		return fmt.Sprintf("%q (%s)", d.Name, d.URI)
	case d.Name != "":
		return fmt.Sprintf("%q", d.Name)
	case d.URI != "":
		return d.URI
	}
	return d.Digest.String()
}

func (r DependencyRule) String() string {
	var parts []string
	if r.Name != "" {
		parts = append(parts, fmt.Sprintf("name %q", r.Name))
	}
	if r.URI != "" {
		parts = append(parts, fmt.Sprintf("uri %q", r.URI))
	}
	return strings.Join(parts, ", ")
}

func (r DependencyRule) selects(d ResourceDescriptor) bool {
	if r.Name == "" && r.URI == "" {
		return false
	}
	if r.Name != "" && r.Name != d.Name {
		return false
	}
	if r.URI != "" && !uriMatch(r.URI, d.URI) {
		return false
	}
	return true
}

// check returns why d does not satisfy r, or "".
func (r DependencyRule) check(d ResourceDescriptor, algs []string) string {
	var whys []string
	if r.PinnedBy != "" && d.Digest[r.PinnedBy] == "" {
		whys = append(whys, fmt.Sprintf("not pinned by a %s digest", r.PinnedBy))
	}
	if len(r.Digests) > 0 {
		ok := false
		for _, want := range r.Digests {
			if d.Digest.Matches(lowerDigests(want), algs) {
				ok = true
				break
			}
		}
		if !ok {
			whys = append(whys, fmt.Sprintf("digest %s is not an approved version", d.Digest))
		}
	}
	return strings.Join(whys, "; ")
}

func lowerDigests(d DigestSet) DigestSet {
	out := DigestSet{}
	for k, v := range d {
		out[k] = strings.ToLower(v)
	}
	return out
}

func uriMatch(pattern, uri string) bool {
	if ok, err := path.Match(pattern, uri); err == nil && ok {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok && !strings.ContainsAny(prefix, "*?[") {
		return strings.HasPrefix(uri, prefix)
	}
	return false
}

// jsonEqual compares two values as JSON, so 42 (int) equals 42.0 (float64).
func jsonEqual(a, b any) bool {
	return reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func slicesContainsJSON(list []any, v any) bool {
	for _, x := range list {
		if jsonEqual(x, v) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}
