package secrets

import (
	"regexp"

	"github.com/mlsec-dev/mlsec/internal/credrules"
)

// A Rule recognises one kind of credential. The built-in rules
// ([DefaultRules]) are the ones validation's credential check uses, so the
// scanner and that check judge every string alike.
type Rule struct {
	ID          string
	Description string
	// Keywords are lower-case literals, one of which occurs in every
	// match; the pattern runs only near a keyword, which keeps scanning
	// fast. A rule needs at least one keyword of two bytes or more.
	Keywords []string
	Regex    *regexp.Regexp
	// SecretGroup is the submatch holding the secret (0: the whole match).
	SecretGroup int
	// MinEntropy is the least Shannon entropy, in bits per character, of
	// the secret; lower values are placeholders or prose.
	MinEntropy float64
	// Prefix says that every match starts with one of Keywords: the
	// pattern is tried anchored where a keyword starts, so nothing before
	// the keyword (a binary byte, the length byte of a pickled string)
	// changes whether a credential is found.
	Prefix bool
	// Lead, for a rule that is not a Prefix rule, is the most bytes of a
	// match that can come before its keyword; 0 means anywhere on the
	// keyword's line (at most 2 KiB back).
	Lead int
	// ValueFilter drops secrets that are placeholders, templates,
	// references (an ARN, a vault: path, an environment variable, an
	// attribute path) or stopwords, as the generic rules do; leave it off
	// for a provider format, which is a secret wherever it stands.
	ValueFilter bool
}

// DefaultRules returns the built-in credential rules.
func DefaultRules() []Rule {
	d := credrules.Default()
	out := make([]Rule, len(d))
	for i, r := range d {
		out[i] = Rule(r)
	}
	return out
}
