package credrules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Redacted replaces a secret wherever mlsec shows text that held one.
const Redacted = "[REDACTED]"

// AllowComment on a line suppresses the findings on that line.
const AllowComment = "mlsec:allow"

// MaxWindow bounds how far around a keyword a rule's pattern is matched,
// so one huge line or a binary file without newlines stays fast. A
// streaming scan keeps this many bytes of overlap between chunks.
const MaxWindow = 2048

// Allowlist suppresses matches that are known not to be leaks, in addition
// to the built-in placeholder words (example, changeme, ${…}, …) and the
// [AllowComment] on a line.
type Allowlist struct {
	// Regexes are matched against the secret of a match.
	Regexes []*regexp.Regexp
	// Stopwords suppress a match whose secret contains one of them
	// (case-insensitive).
	Stopwords []string
}

// A Match is one credential in a buffer: the byte range of its secret and
// the rule that recognised it.
type Match struct {
	Start, End int
	Rule       *Rule
	// Secret, for a match inside decoded text ([Set.FindDecoded]), is the
	// decoded secret; Start and End then cover the encoded run. Nil for a
	// plain match, whose secret is the buffer's bytes Start..End.
	Secret []byte
	// Encoding is the chain of encodings the secret was found under,
	// outermost first ("base64", "base64/hex"); empty for a plain match.
	Encoding string
}

// A Set is a compiled rule set with its allowlist. It is safe for
// concurrent use.
type Set struct {
	rules []Rule
	allow Allowlist
	stop  []string
	// anchored[i] is rules[i].Regex anchored at its start, for Prefix
	// rules: a keyword hit costs one short match attempt.
	anchored []*regexp.Regexp
	generic  []bool
	// pairs is a bitset over the first two lower-cased bytes of every
	// keyword; pairAt indexes byPair, the keywords starting with a pair.
	pairs  [1 << 16 / 64]uint64
	pairAt [1 << 16]uint16 // index+1 into byPair
	// triples is a bitset over a hash of the first three bytes of every
	// keyword; shortPairs marks pairs that are a whole 2-byte keyword.
	triples    [1 << 16 / 64]uint64
	shortPairs [1 << 16 / 64]uint64
	byPair     [][]keyword
}

type keyword struct {
	lit  []byte // lower case
	rule int
}

var lowerTable = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

var defaultSet = func() *Set {
	s, err := New(nil, Allowlist{})
	if err != nil {
		panic(err) // the built-in rules are fixed; a test covers them
	}
	return s
}()

// DefaultSet is the built-in rules with no allowlist beyond the built-in
// placeholder words.
func DefaultSet() *Set { return defaultSet }

// New compiles rules (the built-in rules when nil) with an allowlist. A
// rule without an ID, a pattern or a keyword of at least two bytes is an
// error: a rule without a keyword would never run.
func New(rules []Rule, allow Allowlist) (*Set, error) {
	s := &Set{rules: rules, allow: allow}
	if rules == nil {
		s.rules = defaultRules
	}
	for _, w := range allow.Stopwords {
		if w != "" {
			s.stop = append(s.stop, strings.ToLower(w))
		}
	}
	for ri, r := range s.rules {
		if r.ID == "" {
			return nil, fmt.Errorf("credential rule %d: no ID", ri+1)
		}
		if r.Regex == nil {
			return nil, fmt.Errorf("credential rule %q: no regular expression", r.ID)
		}
		if r.SecretGroup < 0 || r.SecretGroup > r.Regex.NumSubexp() {
			return nil, fmt.Errorf("credential rule %q: secret group %d: the pattern has %d groups", r.ID, r.SecretGroup, r.Regex.NumSubexp())
		}
		var anchored *regexp.Regexp
		if r.Prefix {
			var err error
			if anchored, err = regexp.Compile(`^(?:` + r.Regex.String() + `)`); err != nil {
				return nil, fmt.Errorf("credential rule %q: %w", r.ID, err)
			}
		}
		s.anchored = append(s.anchored, anchored)
		s.generic = append(s.generic, r.ID == GenericRule)
		n := 0
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			if len(k) < 2 {
				continue
			}
			n++
			p := uint16(k[0])<<8 | uint16(k[1])
			s.pairs[p/64] |= 1 << (p % 64)
			if len(k) == 2 {
				s.shortPairs[p/64] |= 1 << (p % 64)
			} else {
				t := triple(p, k[2])
				s.triples[t/64] |= 1 << (t % 64)
			}
			if s.pairAt[p] == 0 {
				s.byPair = append(s.byPair, nil)
				s.pairAt[p] = uint16(len(s.byPair))
			}
			at := s.pairAt[p] - 1
			s.byPair[at] = append(s.byPair[at], keyword{lit: []byte(k), rule: ri})
		}
		if n == 0 {
			return nil, fmt.Errorf("credential rule %q: no keyword of two bytes or more", r.ID)
		}
	}
	return s, nil
}

func triple(p uint16, c byte) uint16 {
	return uint16((uint32(p)<<8 | uint32(c)) * 2654435761 >> 16)
}

// Rules returns the rules of s (not a copy: do not modify).
func (s *Set) Rules() []Rule { return s.rules }

// Detect returns the ID of the rule of the first credential in text (the
// leftmost; on a tie, the least rule ID), or "" when there is none.
//
// Detect also looks inside encoded runs, [DefaultDecodeDepth] deep (see
// [Set.FindDecoded]), as a scan does.
func (s *Set) Detect(text string) string {
	ms := s.FindDecoded([]byte(text), DefaultDecodeDepth)
	if len(ms) == 0 {
		return ""
	}
	return ms[0].Rule.ID
}

// Find returns the allowed credentials in buf, ordered by position and
// then rule ID. A credential that a specific rule and the generic rule
// both match is reported once, under the specific rule.
func (s *Set) Find(buf []byte) []Match {
	type winKey struct{ rule, lo int }
	var (
		out  []Match
		done map[winKey]bool
	)
	n := len(buf)
	if n < 2 {
		return nil
	}
	lt := &lowerTable
	c0 := lt[buf[0]]
	for i := 0; i+1 < n; i++ {
		c1 := lt[buf[i+1]]
		p := uint16(c0)<<8 | uint16(c1)
		c0 = c1
		if s.pairs[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		// Most pair hits are ordinary text ("re", "to"); the third byte
		// rules them out without touching the keyword list.
		if s.shortPairs[p>>6]&(1<<(p&63)) == 0 {
			if i+2 >= n {
				continue
			}
			t := triple(p, lt[buf[i+2]])
			if s.triples[t>>6]&(1<<(t&63)) == 0 {
				continue
			}
		}
		for _, kw := range s.byPair[s.pairAt[p]-1] {
			if !hasPrefixFold(buf[i:], kw.lit) {
				continue
			}
			ri := kw.rule
			r := &s.rules[ri]
			// Patterns never span lines: the window ends at the line's
			// end, at most MaxWindow bytes on.
			hi := min(n, i+MaxWindow)
			if j := bytes.IndexByte(buf[i:hi], '\n'); j >= 0 {
				hi = i + j
			}
			switch {
			case s.generic[ri]:
				// The name holding the secret word is the run of name
				// bytes around the keyword, whatever precedes it.
				end := i + len(kw.lit)
				if !looksAssigned(buf[end:hi]) {
					continue
				}
				lo := i
				for lo > max(0, i-128) && isIdent(buf[lo-1]) {
					lo--
				}
				if inReference(buf, lo) {
					continue
				}
				if st, en, pw, ok := matchAssignment(buf, lo, end, min(hi, i+512)); ok && s.acceptAssigned(buf, st, en, ri, pw) && !IsPlaceholderValue(assignedName(buf, lo, end), buf[st:en]) {
					out = append(out, Match{Start: st, End: en, Rule: r})
				}
			case r.Prefix:
				m := s.anchored[ri].FindSubmatchIndex(buf[i:hi])
				out = s.appendMatch(out, buf, i, m, ri)
			default:
				lo := max(0, i-MaxWindow)
				if j := bytes.LastIndexByte(buf[lo:i], '\n'); j >= 0 {
					lo += j + 1
				}
				if r.Lead > 0 {
					lo = max(lo, i-r.Lead)
				}
				k := winKey{ri, lo}
				if done == nil {
					done = map[winKey]bool{}
				}
				if done[k] {
					continue
				}
				done[k] = true
				for _, m := range r.Regex.FindAllSubmatchIndex(buf[lo:hi], -1) {
					out = s.appendMatch(out, buf, lo, m, ri)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, func(a, b Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if c := strings.Compare(a.Rule.ID, b.Rule.ID); c != 0 {
			return c
		}
		return a.End - b.End
	})
	// Windows of nearby keywords overlap: drop repeats.
	out = slices.CompactFunc(out, func(a, b Match) bool { return a.Start == b.Start && a.End == b.End && a.Rule == b.Rule })
	return dropGenericOverlaps(out)
}

// appendMatch adds the secret group of submatch m (offsets from base) when
// the rule's entropy floor and the allowlists let it through.
func (s *Set) appendMatch(out []Match, buf []byte, base int, m []int, ri int) []Match {
	g := s.rules[ri].SecretGroup
	if m == nil || 2*g+1 >= len(m) || m[2*g] < 0 {
		return out
	}
	st, en := base+m[2*g], base+m[2*g+1]
	if st < en && s.accept(buf, st, en, ri) {
		out = append(out, Match{Start: st, End: en, Rule: &s.rules[ri]})
	}
	return out
}

// dropGenericOverlaps removes generic-rule matches that a specific rule
// also matched, so one credential gives one finding, under its real name.
func dropGenericOverlaps(ms []Match) []Match {
	hasGeneric := false
	for _, m := range ms {
		if m.Rule.ID == GenericRule {
			hasGeneric = true
			break
		}
	}
	if !hasGeneric {
		return ms
	}
	out := ms[:0:0]
	for _, m := range ms {
		if m.Rule.ID == GenericRule && slices.ContainsFunc(ms, func(o Match) bool {
			return o.Rule.ID != GenericRule && o.Start < m.End && m.Start < o.End
		}) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Password assignments (password = …, pwd: …) hold a secret whatever it
// looks like, so their value needs only this length and entropy (and a
// letter and a digit); other secret-like names (token, api_key, secret)
// often hold identifiers, so their value must look random: the rule's
// MinEntropy and at least 16 bytes.
const (
	minPasswordLen     = 8
	minPasswordEntropy = 2.5
	minAssignedLen     = 16
	maxAssignedLen     = 128
)

// acceptAssigned applies the generic rule's bars to the value buf[st:en]
// of an assignment, then the allowlists.
func (s *Set) acceptAssigned(buf []byte, st, en, ri int, password bool) bool {
	v := buf[st:en]
	minLen, minH := minAssignedLen, s.rules[ri].MinEntropy
	if password {
		minLen, minH = minPasswordLen, minPasswordEntropy
	}
	if len(v) < minLen || len(v) > maxAssignedLen || !bytes.ContainsAny(v, "0123456789") || !hasLetter(v) || Entropy(v) < minH {
		return false
	}
	return s.allowedAt(buf, st, en, ri)
}

// accept applies a rule's entropy floor and the allowlists to the
// candidate secret buf[st:en].
func (s *Set) accept(buf []byte, st, en, ri int) bool {
	r := &s.rules[ri]
	if s.generic[ri] {
		// A custom pattern under the generic rule's ID.
		return s.acceptAssigned(buf, st, en, ri, false)
	}
	if r.MinEntropy > 0 && Entropy(buf[st:en]) < r.MinEntropy {
		return false
	}
	if r.ValueFilter && IsPlaceholderValue(nil, buf[st:en]) {
		return false
	}
	return s.allowedAt(buf, st, en, ri)
}

// assignedName is the name of an assignment whose secret word ends at
// kwEnd and whose name starts at lo.
func assignedName(buf []byte, lo, kwEnd int) []byte {
	j := kwEnd
	for j < len(buf) && isIdent(buf[j]) {
		j++
	}
	return buf[lo:j]
}

// allowedAt applies the placeholder words, the allowlist and the allow
// comment to the secret buf[st:en].
func (s *Set) allowedAt(buf []byte, st, en, ri int) bool {
	r := &s.rules[ri]
	str := string(buf[st:en])
	if r.ID != "private-key" && isPlaceholder(str) || s.allowed(str) {
		return false
	}
	return s.allowedLine(buf, st, en)
}

// allowedLine reports whether the line of buf[st:en] lacks an allow
// comment. The comment counts on the secret's line, within MaxWindow of
// it (a file without newlines is one line).
func (s *Set) allowedLine(buf []byte, st, en int) bool {
	lo := max(0, st-MaxWindow)
	if j := bytes.LastIndexByte(buf[lo:st], '\n'); j >= 0 {
		lo += j + 1
	}
	hi := min(len(buf), en+MaxWindow)
	if j := bytes.IndexByte(buf[en:hi], '\n'); j >= 0 {
		hi = en + j
	}
	line := buf[lo:hi]
	return !bytes.Contains(line, []byte(AllowComment)) && !bytes.Contains(line, []byte("gitleaks:allow"))
}

func (s *Set) allowed(secret string) bool {
	for _, re := range s.allow.Regexes {
		if re.MatchString(secret) {
			return true
		}
	}
	if len(s.stop) == 0 {
		return false
	}
	l := strings.ToLower(secret)
	for _, w := range s.stop {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// secretWords mark a name as holding a secret (generic rule).
var secretWords = []string{"secret", "token", "passwd", "password", "pwd", "credential", "api_key", "apikey", "api-key", "auth_key", "authkey", "access_key", "accesskey", "private_key", "privatekey"}

// passwordWords mark a name as holding a password.
var passwordWords = []string{"passwd", "password", "pwd"}

// matchAssignment is the generic rule's matcher, by hand for speed: a
// name holding a secret word, an assignment (=, :, :=, =>), and a value;
// it returns the value's range and whether the name is a password's. The
// rule's Regex says the same.
func matchAssignment(buf []byte, lo, kwEnd, hi int) (st, en int, password, ok bool) {
	j := kwEnd
	for j < hi && isIdent(buf[j]) {
		j++
	}
	name := strings.ToLower(string(buf[lo:j]))
	found := false
	for _, w := range secretWords {
		if strings.Contains(name, w) {
			found = true
			break
		}
	}
	if !found {
		return 0, 0, false, false
	}
	for _, w := range passwordWords {
		if strings.Contains(name, w) {
			password = true
			break
		}
	}
	k := j
	for k < hi && (buf[k] == '"' || buf[k] == '\'' || buf[k] == '\\' || buf[k] == ' ' || buf[k] == '\t') {
		k++
	}
	if k >= hi || (buf[k] != '=' && buf[k] != ':') {
		return 0, 0, false, false
	}
	k++
	if k < hi && (buf[k] == '=' || buf[k] == '>') {
		k++
	}
	for k < hi && (buf[k] == '"' || buf[k] == '\'' || buf[k] == '\\' || buf[k] == ' ' || buf[k] == '\t') {
		k++
	}
	st = k
	for k < hi && isValueChar(buf[k]) {
		k++
	}
	if k < hi && !strings.ContainsRune("\"'\\ \t\r,;}]", rune(buf[k])) {
		return 0, 0, false, false
	}
	return st, k, password, k > st
}

func isIdent(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

func isValueChar(c byte) bool {
	return isIdent(c) || strings.IndexByte("+/~=!@#$%^&*", c) >= 0
}

func hasLetter(b []byte) bool {
	for _, c := range b {
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			return true
		}
	}
	return false
}

// looksAssigned reports whether b (what follows a keyword) continues a
// name and then assigns to it (name = value, "name": value), a cheap test
// that spares the generic rule's matcher most prose.
func looksAssigned(b []byte) bool {
	i := 0
	for i < len(b) && isIdent(b[i]) {
		i++
	}
	for i < len(b) && (b[i] == '"' || b[i] == '\'' || b[i] == '\\' || b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i < len(b) && (b[i] == '=' || b[i] == ':')
}

func hasPrefixFold(b, lowerLit []byte) bool {
	if len(b) < len(lowerLit) {
		return false
	}
	for i, c := range lowerLit {
		if lowerTable[b[i]] != c {
			return false
		}
	}
	return true
}

// Redact shows a secret as a short prefix, which names the kind of token
// (e.g. "ghp_"), followed by [Redacted]: at most four bytes and never more
// than a quarter of the secret.
func Redact(secret []byte) string {
	keep := min(4, len(secret)/4)
	return string(secret[:keep]) + Redacted
}

// Fingerprint is the first 16 hex digits of SHA-256(secret): it tracks one
// leaked credential across files without revealing it.
func Fingerprint(secret []byte) string {
	sum := sha256.Sum256(secret)
	return hex.EncodeToString(sum[:8])
}
