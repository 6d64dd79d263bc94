package provenance

import (
	"cmp"
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
)

// The steps of Verify, one function per rule, each returning the
// violations of its rule. The first three stop verification when they
// fail: nothing in a payload whose signature did not verify can be trusted.
// The others see only verified bytes and all run, so that every violated
// rule is reported.

// checkPayloadType is rule RulePayloadType: the envelope carries an in-toto
// statement.
func checkPayloadType(env *dsse.Envelope) *Violation {
	if env.PayloadType != PayloadType {
		return &Violation{Rule: RulePayloadType, Reason: fmt.Sprintf("%q, want %q", env.PayloadType, PayloadType), Err: ErrPayloadType}
	}
	return nil
}

// checkSignature is rule RuleSignature: at least one signature verifies
// with a key the policy trusts. It returns the keys that signed and the
// verified payload; err is for a failure of the verifier itself.
func checkSignature(ctx context.Context, env *dsse.Envelope, cp *compiledPolicy) (signers []crypto.PublicKey, body []byte, v *Violation, err error) {
	// Each signature may cost a verification per trusted key: an envelope
	// built in Go (not read by ParseEnvelope) meets the same cap here.
	if n := len(env.Signatures); n > MaxSignatures {
		return nil, nil, &Violation{Rule: RuleSignature, Reason: fmt.Sprintf("%d signatures, limit %d", n, MaxSignatures), Err: ErrSignature}, nil
	}
	// Every distinct key the policy trusts, each once: dsse counts a key
	// once toward a threshold only if it is listed once.
	var verifiers []dsse.Verifier
	var pubs []crypto.PublicKey
	for _, r := range cp.roots {
		for _, k := range r.keys {
			if indexKey(pubs, k.public) < 0 {
				verifiers = append(verifiers, k.verifier)
				pubs = append(pubs, k.public)
			}
		}
	}
	if len(verifiers) == 0 {
		return nil, nil, &Violation{Rule: RuleSignature, Reason: "the policy trusts no key, and the envelope is not a keyless Sigstore bundle", Err: ErrSignature}, nil
	}
	ev, err := dsse.NewMultiEnvelopeVerifier(1, verifiers...)
	if err != nil {
		return nil, nil, nil, err
	}
	// keyid is an unauthenticated hint (DSSE): drop it, so that a signer
	// naming its key differently cannot make a trusted key be skipped.
	stripped := &dsse.Envelope{PayloadType: env.PayloadType, Payload: env.Payload}
	for _, s := range env.Signatures {
		stripped.Signatures = append(stripped.Signatures, dsse.Signature{Sig: s.Sig})
	}
	accepted, body, verr := ev.VerifyAndDecode(ctx, stripped)
	if verr != nil || len(accepted) == 0 {
		reason := "no signature by a key the policy trusts"
		if len(env.Signatures) == 0 {
			reason = "the envelope is not signed"
		}
		return nil, nil, &Violation{Rule: RuleSignature, Reason: reason, Err: ErrSignature}, nil
	}
	for _, a := range accepted {
		signers = append(signers, a.Public)
	}
	return signers, body, nil, nil
}

// verifiedStatement is what the rule steps see of a statement whose
// signature verified.
type verifiedStatement struct {
	predicateType string
	subject       []ResourceDescriptor
	// slsa is the SLSA provenance statement; nil for other predicate types.
	slsa *Statement
}

// checkStatement is rule RuleStatement: the verified payload is an in-toto
// Statement v1 of predicateType (SLSA provenance when empty), with
// subjects that have well-formed digests.
func checkStatement(body []byte, predicateType string) (*verifiedStatement, *Violation) {
	if predicateType == "" || predicateType == PredicateSLSAProvenance {
		st, err := ParseStatement(body)
		if err != nil {
			return nil, statementViolation(err)
		}
		return &verifiedStatement{predicateType: st.PredicateType, subject: st.Subject, slsa: st}, nil
	}
	const input = "statement"
	if err := checkJSON(input, body); err != nil {
		return nil, statementViolation(err)
	}
	var head struct {
		Type          string               `json:"_type"`
		Subject       []ResourceDescriptor `json:"subject"`
		PredicateType string               `json:"predicateType"`
	}
	if err := unmarshal(input, body, &head); err != nil {
		return nil, statementViolation(err)
	}
	bad := func(sentinel error, format string, a ...any) (*verifiedStatement, *Violation) {
		return nil, statementViolation(&FormatError{Input: input, Err: sentinel, Reason: fmt.Sprintf(format, a...)})
	}
	switch {
	// Statement v0.1 has the same subject and predicateType; the in-toto
	// spec asks consumers to accept it (SLSA v0.2 provenance, npm's
	// before 2023, is carried in it).
	case head.Type != StatementType && head.Type != statementTypeV01:
		return bad(ErrStatementType, "_type %q, want %q", head.Type, StatementType)
	case head.PredicateType != predicateType:
		return bad(ErrPredicateType, "predicateType %q, want %q", head.PredicateType, predicateType)
	case len(head.Subject) == 0:
		return bad(ErrMalformed, "no subject")
	}
	for i, s := range head.Subject {
		if len(s.Digest) == 0 {
			return bad(ErrMalformed, "subject %d (%q) has no digest", i, s.Name)
		}
		if err := s.Digest.validate(); err != nil {
			return bad(ErrMalformed, "subject %d (%q): %v", i, s.Name, err)
		}
	}
	return &verifiedStatement{predicateType: head.PredicateType, subject: head.Subject}, nil
}

const statementTypeV01 = "https://in-toto.io/Statement/v0.1"

func statementViolation(err error) *Violation {
	var fe *FormatError
	reason := err.Error()
	if errors.As(err, &fe) {
		reason = fe.Reason
		if fe.Err != nil {
			reason = fe.Err.Error() + ": " + fe.Reason
		}
	}
	return &Violation{Rule: RuleStatement, Reason: reason, Err: err}
}

// ruleInput is what the rule steps after the signature see: the policy,
// the verified statement, the keys that signed it and the caller's inputs.
type ruleInput struct {
	policy  *compiledPolicy
	st      *verifiedStatement
	signers []crypto.PublicKey
	// identity is the verified certificate identity of a keyless signer.
	identity *SignerIdentity
	subjects []DigestSet
	now      time.Time
	// partial accepts a statement signed by at least one trusted signer
	// of a builder entry, whatever its threshold: [Attestations.VerifyQuorum]
	// counts the threshold across attestations instead.
	partial bool
}

// violations collects a rule's violations.
type violations []*Violation

func (vs *violations) add(rule string, sentinel error, format string, a ...any) {
	*vs = append(*vs, &Violation{Rule: rule, Reason: fmt.Sprintf(format, a...), Err: sentinel})
}

// statementRules are the rules after builders, in the order Verify reports
// their violations.
var statementRules = []func(*ruleInput) []*Violation{
	checkBuildType,
	checkDigestAlgorithms,
	checkSubject,
	checkMaxAge,
	checkDependencies,
	checkExternalParameters,
}

// trustedSigner is the policy entry a statement was accepted under.
type trustedSigner struct {
	builder  string
	keyIDs   []string
	identity *SignerIdentity
	// root is the index of the builder entry in the policy and idRule the
	// index of the identity entry the certificate matched (-1: none), what
	// a quorum counts distinct signers by.
	root, idRule int
}

// checkBuilders is rule RuleBuilder, the roots of trust: the statement's
// builder must be one the policy trusts, signed by at least threshold of
// that builder's keys. A statement of another predicate type names no
// builder: any entry whose threshold of keys signed accepts it.
func checkBuilders(in *ruleInput) (trustedSigner, []*Violation) {
	var builderID string
	if in.st.slsa != nil {
		builderID = in.st.slsa.Predicate.RunDetails.Builder.ID
	}
	var matched bool
	var shortfall []string
	for ri, r := range in.policy.roots {
		if in.st.slsa != nil && !r.matches(builderID) {
			continue
		}
		matched = true
		need := max(r.Threshold, 1)
		if in.partial {
			need = 1
		}
		var ids []string
		for _, k := range r.keys {
			if indexKey(in.signers, k.public) >= 0 {
				ids = append(ids, KeyID(k.public))
			}
		}
		// A certificate is one signer, however many identities it matches.
		var who *SignerIdentity
		var mismatch string
		idRule := -1
		if in.identity != nil {
			for j, m := range r.identities {
				if why := m.Mismatch(*in.identity); why != "" {
					mismatch = cmp.Or(mismatch, why)
					continue
				}
				who, idRule = in.identity, j
				break
			}
		}
		n := len(ids)
		if who != nil {
			n++
		}
		if n >= need {
			return trustedSigner{builder: r.ID, keyIDs: ids, identity: who, root: ri, idRule: idRule}, nil
		}
		switch {
		case in.identity != nil && len(r.identities) == 0:
			shortfall = append(shortfall, fmt.Sprintf("%q trusts no keyless identity (certificate: issuer %q, san %q)", r.ID, in.identity.Issuer, in.identity.SAN))
		case in.identity != nil && who == nil:
			shortfall = append(shortfall, fmt.Sprintf("%s: certificate identity not trusted for %q: %s", RuleIdentity, r.ID, mismatch))
		case len(r.identities) == 0:
			shortfall = append(shortfall, fmt.Sprintf("%d of %d required keys of %q signed", n, need, r.ID))
		default:
			shortfall = append(shortfall, fmt.Sprintf("%d of %d required signers (keys and identities) of %q signed", n, need, r.ID))
		}
	}
	var vs violations
	switch {
	case !matched:
		vs.add(RuleBuilder, ErrUntrustedBuilder, "builder.id %q is not a trusted builder", builderID)
	case in.st.slsa == nil:
		vs.add(RuleBuilder, ErrUntrustedBuilder, "%s", strings.Join(shortfall, "; "))
	default:
		vs.add(RuleBuilder, ErrUntrustedBuilder, "builder.id %q: %s", builderID, strings.Join(shortfall, "; "))
	}
	return trustedSigner{}, vs
}

// notSLSA reports a rule that describes SLSA provenance, set in a policy
// applied to a statement of another predicate type: fail closed.
func notSLSA(in *ruleInput, rule string, sentinel error) []*Violation {
	var vs violations
	vs.add(rule, sentinel, "the rule applies to SLSA provenance; the statement is %q", in.st.predicateType)
	return vs
}

// checkBuildType is rule RuleBuildType: the buildType is one the policy
// allows.
func checkBuildType(in *ruleInput) []*Violation {
	p := in.policy
	if len(p.BuildTypes) == 0 {
		return nil
	}
	if in.st.slsa == nil {
		return notSLSA(in, RuleBuildType, ErrBuildType)
	}
	var vs violations
	if bt := in.st.slsa.Predicate.BuildDefinition.BuildType; !contains(p.BuildTypes, bt) {
		vs.add(RuleBuildType, ErrBuildType, "buildType %q is not allowed", bt)
	}
	return vs
}

// checkDigestAlgorithms is rule RuleDigestAlgorithms: every subject, and
// every dependency with a digest, has one in an accepted algorithm.
func checkDigestAlgorithms(in *ruleInput) []*Violation {
	algs := in.policy.algs
	var vs violations
	for i, s := range in.st.subject {
		if !hasAlg(s.Digest, algs) {
			vs.add(RuleDigestAlgorithms, ErrDigestAlgorithm, "subject %d (%q) has no digest in an accepted algorithm (%s)", i, s.Name, strings.Join(algs, ", "))
		}
	}
	if in.st.slsa == nil {
		return vs
	}
	for i, d := range in.st.slsa.Predicate.BuildDefinition.ResolvedDependencies {
		if len(d.Digest) > 0 && !hasAlg(d.Digest, algs) {
			vs.add(RuleDigestAlgorithms, ErrDigestAlgorithm, "resolvedDependencies %d (%s) has no digest in an accepted algorithm (%s)", i, depName(d), strings.Join(algs, ", "))
		}
	}
	return vs
}

// checkSubject is rule RuleSubject: each artifact the caller holds is a
// subject of the statement, by a digest in an accepted algorithm.
func checkSubject(in *ruleInput) []*Violation {
	var vs violations
	for _, want := range in.subjects {
		found := false
		for _, s := range in.st.subject {
			if s.Digest.Matches(want, in.policy.algs) {
				found = true
				break
			}
		}
		if !found {
			vs.add(RuleSubject, ErrSubjectMismatch, "no subject has digest %s", want)
		}
	}
	return vs
}

// checkMaxAge is rule RuleMaxAge: the run finished (or started) no longer
// than maxAge before now, and not in the future.
func checkMaxAge(in *ruleInput) []*Violation {
	maxAge := time.Duration(in.policy.MaxAge)
	if maxAge <= 0 {
		return nil
	}
	var ts *time.Time
	if in.st.slsa != nil {
		if md := in.st.slsa.Predicate.RunDetails.Metadata; md != nil {
			ts = md.FinishedOn
			if ts == nil {
				ts = md.StartedOn
			}
		}
	}
	var vs violations
	now := in.now
	switch {
	case ts == nil:
		vs.add(RuleMaxAge, ErrStale, "%v", errNoTimestampForMaxAge)
	case now.Sub(*ts) > maxAge:
		vs.add(RuleMaxAge, ErrStale, "finished %s, %s ago, more than maxAge %s", ts.UTC().Format(time.RFC3339), now.Sub(*ts).Round(time.Second), maxAge)
	case ts.Sub(now) > maxClockSkew:
		vs.add(RuleMaxAge, ErrStale, "timestamp %s is in the future", ts.UTC().Format(time.RFC3339))
	}
	return vs
}

// checkDependencies is rule RuleDependencies: each required rule selects a
// resolved dependency and every dependency it selects satisfies it; when
// the policy has allowed rules, every dependency satisfies one of them.
func checkDependencies(in *ruleInput) []*Violation {
	p := in.policy
	if len(p.Dependencies.Required) == 0 && len(p.Dependencies.Allowed) == 0 {
		return nil
	}
	if in.st.slsa == nil {
		return notSLSA(in, RuleDependencies, ErrDependency)
	}
	deps := in.st.slsa.Predicate.BuildDefinition.ResolvedDependencies
	var vs violations
	for i, r := range p.Dependencies.Required {
		rule := fmt.Sprintf("%s.required[%d]", RuleDependencies, i)
		n := 0
		for _, d := range deps {
			if !r.selects(d) {
				continue
			}
			n++
			if why := r.check(d, p.algs); why != "" {
				vs.add(rule, ErrDependency, "%s: %s", depName(d), why)
			}
		}
		if n == 0 {
			vs.add(rule, ErrDependency, "no resolved dependency matches %s", r)
		}
	}
	if len(p.Dependencies.Allowed) == 0 {
		return vs
	}
	for _, d := range deps {
		ok := false
		var whys []string
		for _, r := range p.Dependencies.Allowed {
			if !r.selects(d) {
				continue
			}
			why := r.check(d, p.algs)
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
			vs.add(RuleDependencies+".allowed", ErrDependency, "%s: %s", depName(d), reason)
		}
	}
	return vs
}

// checkExternalParameters is rule RuleExternalParameters: the parameters
// match the schema of an mlsec buildType, each expectation of the policy,
// and, with rejectUnknownParameters, name nothing the policy does not.
func checkExternalParameters(in *ruleInput) []*Violation {
	p := in.policy
	if in.st.slsa == nil {
		if len(p.ExternalParameters) > 0 {
			return notSLSA(in, RuleExternalParameters, ErrExternalParameters)
		}
		return nil
	}
	bd := in.st.slsa.Predicate.BuildDefinition
	params := bd.ExternalParameters
	var vs violations
	if err := ValidateExternalParameters(bd.BuildType, params); err != nil {
		vs.add(RuleExternalParameters+".schema", ErrExternalParameters, "%s", schemaReason(err))
	}
	for _, k := range sortedKeys(p.ExternalParameters) {
		r := p.ExternalParameters[k]
		rule := RuleExternalParameters + "." + k
		v, ok := lookupParam(params, k)
		switch {
		case !ok:
			vs.add(rule, ErrExternalParameters, "missing")
		case r.Exact != nil && !jsonEqual(v, r.Exact):
			vs.add(rule, ErrExternalParameters, "is %s, want %s", jsonString(v), jsonString(r.Exact))
		case len(r.OneOf) > 0 && !slicesContainsJSON(r.OneOf, v):
			vs.add(rule, ErrExternalParameters, "is %s, want one of %s", jsonString(v), jsonString(r.OneOf))
		}
	}
	if p.RejectUnknownParameters {
		for _, k := range sortedKeys(params) {
			if !policyNames(p.ExternalParameters, k) {
				vs.add(RuleExternalParameters+"."+k, ErrExternalParameters, "not named by the policy")
			}
		}
	}
	return vs
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
