package gate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/provenance"
)

// RegoQuery is what a gate Rego policy defines: a set (or array) of
// violations, each a string or an object {"rule", "message", "evidence"}.
// The policy is allowed only when the set is defined and empty.
const RegoQuery = "data.mlsec.gate.deny"

// CosignQuery is the contract of `cosign verify-attestation --policy`: a
// boolean allow, evaluated once per attestation with the in-toto statement
// as input.
const CosignQuery = "data.signature.allow"

// refusedBuiltins reach outside the evaluation: the network, the
// environment of the process (opa.runtime holds environment variables,
// where secrets live), or the wall clock's nondeterminism is fine but
// trace output is not wanted. A policy that calls one does not compile.
var refusedBuiltins = []string{
	"http.send", "net.lookup_ip_addr", "opa.runtime", "trace", "print",
	"rego.parse_module", "providers.aws.sign_req",
}

// RegoOptions configure NewRegoPolicy.
type RegoOptions struct {
	// Digest pins the policy: when set, a source whose SHA-256 differs is
	// refused.
	Digest provenance.DigestSet
	// Keys, when set, require the source to carry Signature, an approval
	// (SignPolicy) signed by one of them; see VerifyPolicy.
	Keys      []signature.Verifier
	Signature *dsse.Envelope
	// Cosign evaluates the policy as cosign does: CosignQuery over each
	// verified attestation (of PredicateType, when set), in Rego v0 as
	// cosign parses it. Every attestation must be allowed, and there must
	// be at least one.
	Cosign        bool
	PredicateType string
}

// RegoPolicy is a compiled, sandboxed Rego policy, prepared once and safe
// to reuse concurrently for any number of decisions.
type RegoPolicy struct {
	name  string
	ref   PolicyRef
	opts  RegoOptions
	query rego.PreparedEvalQuery
}

// NewRegoPolicy compiles a Rego module. name names it in errors and is its
// URI in the VSA. It fails when the source does not match the pinned
// digest, is not approved by a trusted key when keys are given (a
// *PolicyError), does not compile, or calls a refused built-in (http.send,
// opa.runtime, net.lookup_ip_addr...).
func NewRegoPolicy(ctx context.Context, name string, src []byte, opts RegoOptions) (*RegoPolicy, error) {
	if err := VerifyPolicy(ctx, name, src, PolicyTrust{Digest: opts.Digest, Keys: opts.Keys, Signature: opts.Signature}); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src)
	digest := hex.EncodeToString(sum[:])
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool {
		return slices.Contains(refusedBuiltins, b.Name)
	})
	caps.AllowNet = []string{} // and no host for any built-in that asks
	query, version := RegoQuery, ast.RegoV1
	if opts.Cosign {
		query, version = CosignQuery, ast.RegoV0
	}
	r := rego.New(
		rego.Query(query),
		rego.Module(name, string(src)),
		rego.Capabilities(caps),
		rego.SetRegoVersion(version),
		rego.StrictBuiltinErrors(true),
		rego.EnablePrintStatements(false),
	)
	pq, err := r.PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("gate: policy %s: %w", name, err)
	}
	return &RegoPolicy{name: name, opts: opts, query: pq,
		ref: PolicyRef{URI: name, Digest: provenance.DigestSet{"sha256": digest}}}, nil
}

// Ref names the policy and its source digest.
func (p *RegoPolicy) Ref() PolicyRef { return p.ref }

// Decide evaluates the policy over the evidence document (or, in cosign
// mode, over each verified attestation). Anything but a clear answer (an
// evaluation error, an undefined or ill-typed result) is a denial under
// RulePolicy: the gate fails closed.
func (p *RegoPolicy) Decide(ctx context.Context, ev *Evidence) *Decision {
	if p.opts.Cosign {
		return newDecision(ev, p.ref, p.decideCosign(ctx, ev))
	}
	input, err := toInput(ev)
	if err != nil {
		return newDecision(ev, p.ref, []Violation{{Rule: RulePolicy, Message: err.Error()}})
	}
	rs, err := p.query.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return newDecision(ev, p.ref, []Violation{{Rule: RulePolicy, Message: fmt.Sprintf("policy %s failed: %v", p.name, err)}})
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return newDecision(ev, p.ref, []Violation{{Rule: RulePolicy,
			Message: fmt.Sprintf("policy %s: %s is undefined", p.name, RegoQuery)}})
	}
	vs, err := violationsOf(rs[0].Expressions[0].Value)
	if err != nil {
		return newDecision(ev, p.ref, []Violation{{Rule: RulePolicy, Message: fmt.Sprintf("policy %s: %v", p.name, err)}})
	}
	return newDecision(ev, p.ref, vs)
}

func (p *RegoPolicy) decideCosign(ctx context.Context, ev *Evidence) []Violation {
	var vs []Violation
	n := 0
	for _, st := range ev.verified {
		if p.opts.PredicateType != "" && st.predicateType != p.opts.PredicateType {
			continue
		}
		n++
		input, err := ast.ValueFromReader(bytes.NewReader(st.payload))
		if err != nil {
			vs = append(vs, Violation{Rule: RulePolicy, Message: "statement: " + err.Error(), Evidence: st.source})
			continue
		}
		rs, err := p.query.Eval(ctx, rego.EvalParsedInput(input))
		switch {
		case err != nil:
			vs = append(vs, Violation{Rule: RulePolicy, Message: fmt.Sprintf("policy %s failed: %v", p.name, err), Evidence: st.source})
		case len(rs) != 1 || len(rs[0].Expressions) != 1:
			vs = append(vs, Violation{Rule: RulePolicy, Message: fmt.Sprintf("policy %s: %s is undefined", p.name, CosignQuery), Evidence: st.source})
		case rs[0].Expressions[0].Value != true:
			vs = append(vs, Violation{Rule: "signature.allow", Message: fmt.Sprintf("policy %s does not allow the attestation", p.name), Evidence: st.source})
		}
	}
	if n == 0 {
		what := "verified attestation"
		if p.opts.PredicateType != "" {
			what += " of type " + p.opts.PredicateType
		}
		vs = append(vs, Violation{Rule: RulePolicy, Message: "no " + what + " to evaluate the policy over"})
	}
	return vs
}

// toInput converts the document to Rego's value through its JSON form, so
// that policies see exactly the published schema.
func toInput(ev *Evidence) (ast.Value, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	return ast.ValueFromReader(bytes.NewReader(b))
}

func violationsOf(v any) ([]Violation, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	default:
		return nil, fmt.Errorf("%s is %T, not a set of violations", RegoQuery, v)
	}
	var vs []Violation
	for _, it := range items {
		switch x := it.(type) {
		case string:
			vs = append(vs, Violation{Rule: "rego", Message: x})
		case map[string]any:
			rule, _ := x["rule"].(string)
			msg, _ := x["message"].(string)
			evd, _ := x["evidence"].(string)
			if rule == "" {
				rule = "rego"
			}
			if msg == "" {
				msg = fmt.Sprint(x)
			}
			vs = append(vs, Violation{Rule: rule, Message: msg, Evidence: evd})
		default:
			vs = append(vs, Violation{Rule: "rego", Message: fmt.Sprint(x)})
		}
	}
	slices.SortFunc(vs, func(a, b Violation) int { return strings.Compare(a.String(), b.String()) })
	return vs, nil
}
