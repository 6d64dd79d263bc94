package signing

import (
	"fmt"
	"strings"
)

// Rule names the requirement of the signature format that a bundle broke.
type Rule string

// The rules a bundle is checked against, in the order they are checked.
const (
	RuleMalformed            Rule = "malformed bundle"
	RuleMediaType            Rule = "bundle media type"
	RuleVerificationMaterial Rule = "verification material"
	RuleKeyHint              Rule = "public key hint"   // the bundle names another key
	RuleCertificate          Rule = "certificate chain" // untrusted, wrong CA, bad usage
	RuleSignature            Rule = "signature"         // wrong key, or envelope tampered with
	RulePayloadType          Rule = "payload type"
	RuleStatement            Rule = "in-toto statement"
	RulePredicateType        Rule = "predicate type"
	RuleSubject              Rule = "subject"
	RuleSerialization        Rule = "serialization"
	RuleResources            Rule = "resources"
	RuleRootDigest           Rule = "root digest" // subject digest does not match resources
)

// BundleError reports a signature bundle that fails a rule of the OMS
// format or whose signature does not verify. Test with errors.As and
// branch on Rule.
type BundleError struct {
	Rule Rule
	Err  error
}

func (e *BundleError) Error() string { return fmt.Sprintf("signing: %s: %v", e.Rule, e.Err) }
func (e *BundleError) Unwrap() error { return e.Err }

func bundleErr(r Rule, format string, a ...any) error {
	return &BundleError{Rule: r, Err: fmt.Errorf(format, a...)}
}

// MismatchError reports a model on disk that differs from the manifest
// the signature covers. Names are resource names: file paths, or
// "path:start:end" for shards.
type MismatchError struct {
	Changed []string // present in both, different digest
	Missing []string // signed but absent on disk
	Extra   []string // on disk but not signed
}

func (e *MismatchError) Error() string {
	var parts []string
	add := func(what string, names []string) {
		if len(names) == 0 {
			return
		}
		const show = 5
		s := strings.Join(names[:min(len(names), show)], ", ")
		if len(names) > show {
			s += fmt.Sprintf(" and %d more", len(names)-show)
		}
		parts = append(parts, fmt.Sprintf("%d %s (%s)", len(names), what, s))
	}
	add("changed", e.Changed)
	add("missing", e.Missing)
	add("unsigned", e.Extra)
	return "signing: model does not match its signature: " + strings.Join(parts, "; ")
}
