package signing

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/hashing"
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
		quoted := make([]string, 0, show)
		for _, n := range names[:min(len(names), show)] {
			quoted = append(quoted, hashing.QuoteName(n))
		}
		s := strings.Join(quoted, ", ")
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

// Why a model cannot be hashed: the class of an [UnhashableError], tested
// with errors.Is. A signature covers regular files only, under names that
// can be recorded safely; anything else in a model is refused rather than
// skipped, so that nothing in a model escapes its signature unnoticed.
var (
	// ErrSymlink: a symbolic link, and Options.AllowSymlinks is not set
	// (or the signature was made without it).
	ErrSymlink = hashing.ErrSymlink
	// ErrSymlinkEscapes: an allowed link resolves outside the model.
	ErrSymlinkEscapes = hashing.ErrSymlinkEscapes
	// ErrSymlinkLoop: an allowed link cannot be resolved (a cycle).
	ErrSymlinkLoop = hashing.ErrSymlinkLoop
	// ErrNotRegular: a socket, device, named pipe or other special file.
	ErrNotRegular = hashing.ErrNotRegular
	// ErrBadName: a name that is not clean, relative, valid UTF-8 (it
	// holds a backslash, for instance).
	ErrBadName = hashing.ErrBadName
)

// UnhashableError reports an entry of a model that a signature cannot
// cover (see [ErrSymlink] and its siblings for the classes). [HashModel],
// [Sign] and [Verify] return it; a model path that is itself neither a
// file nor a directory is another error (bad input, not a bad model).
type UnhashableError struct {
	// Model is the model path as given.
	Model string
	// Name is the entry's slash-separated path inside the model.
	Name string
	// Err is, or wraps, one of the class sentinels.
	Err error
}

func (e *UnhashableError) Error() string {
	return fmt.Sprintf("signing: model %s: %s: %v", hashing.QuoteName(e.Model), hashing.QuoteName(e.Name), e.Err)
}
func (e *UnhashableError) Unwrap() error { return e.Err }

// modelErr wraps an error met while walking or hashing the model at
// modelPath, turning an entry that cannot be hashed into an
// *UnhashableError.
func modelErr(modelPath string, err error) error {
	var ee *hashing.EntryError
	if errors.As(err, &ee) {
		return &UnhashableError{Model: modelPath, Name: ee.Name, Err: ee.Err}
	}
	return fmt.Errorf("signing: model %s: %w", hashing.QuoteName(modelPath), err)
}
