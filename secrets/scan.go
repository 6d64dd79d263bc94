package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// A Finding is one credential found by [Scan]. It never holds the
// credential itself: Match is redacted and Fingerprint is a digest.
type Finding struct {
	Path        string `json:"path"`
	Line        int    `json:"line"`   // 1-based
	Column      int    `json:"column"` // 1-based, in bytes
	Rule        string `json:"rule"`
	Description string `json:"description"`
	// Match shows at most the first four characters of the secret.
	Match string `json:"match"`
	// Fingerprint is the first 16 hex digits of SHA-256(secret), to track
	// one leaked credential across files without revealing it.
	Fingerprint string `json:"fingerprint"`
	// Field is the column name in a Parquet or Arrow file, where Line is
	// the row and Column the column index (both 1-based).
	Field string `json:"field,omitempty"`
}

func (f Finding) String() string {
	if f.Field != "" {
		return fmt.Sprintf("%s: row %d, column %q: %s (%s): %s", f.Path, f.Line, f.Field, f.Rule, f.Description, f.Match)
	}
	return fmt.Sprintf("%s:%d:%d: %s (%s): %s", f.Path, f.Line, f.Column, f.Rule, f.Description, f.Match)
}

// Allowlist suppresses findings that are known not to be leaks.
type Allowlist struct {
	// Paths are path.Match patterns on the slash-separated path of a file
	// or on its base name (e.g. "testdata/*", "*.lock").
	Paths []string
	// Regexes are matched against the secret of a finding.
	Regexes []*regexp.Regexp
	// Stopwords suppress a finding whose secret contains one of them
	// (case-insensitive), in addition to the built-in placeholder words.
	Stopwords []string
}

// AllowComment on a line suppresses findings on that line.
const AllowComment = "mlsec:allow"

// ScanOptions configure [Scan]. The zero value uses [DefaultRules], every
// CPU and no allowlist.
type ScanOptions struct {
	Rules     []Rule
	Allowlist Allowlist
	// Workers is the number of files scanned at once (default GOMAXPROCS).
	Workers int
	// Progress, when set, is called after each file with its size.
	Progress func(path string, size int64)
}

// Scan looks for credentials in every regular file of fsys, in parallel
// over files, streaming each file in bounded memory. Findings are sorted
// by path and line. Files that cannot be read are reported in the
// returned error (naming each file) along with the findings in the rest.
func Scan(ctx context.Context, fsys fs.FS, opts *ScanOptions) ([]Finding, error) {
	return scanFS(ctx, fsys, ".", "", "", opts)
}

// ScanPath scans a file or a directory tree on disk (see [Scan]); finding
// paths start with p.
func ScanPath(ctx context.Context, p string, opts *ScanOptions) ([]Finding, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("secrets: scan: %w", err)
	}
	if !fi.IsDir() {
		dir, base := filepath.Split(p)
		if dir == "" {
			dir = "."
		}
		return scanFS(ctx, os.DirFS(dir), base, filepath.ToSlash(dir), dir, opts)
	}
	return scanFS(ctx, os.DirFS(p), ".", filepath.ToSlash(p), p, opts)
}

// ScanReader scans one stream, reporting findings under name.
func ScanReader(ctx context.Context, name string, r io.Reader, opts *ScanOptions) ([]Finding, error) {
	s := newScanner(opts)
	return s.scanStream(ctx, name, r)
}

// scanFS scans fsys from root; prefix is prepended to reported paths and
// osRoot, when fsys is a directory on disk, lets Parquet and Arrow files
// be decoded (elsewhere their raw bytes are scanned).
func scanFS(ctx context.Context, fsys fs.FS, root, prefix, osRoot string, opts *ScanOptions) ([]Finding, error) {
	s := newScanner(opts)
	workers := runtime.GOMAXPROCS(0)
	if opts != nil && opts.Workers > 0 {
		workers = opts.Workers
	}
	display := func(p string) string {
		if prefix == "" {
			return p
		}
		if p == "." {
			return strings.TrimSuffix(prefix, "/")
		}
		return path.Join(prefix, p)
	}
	paths := make(chan string)
	var (
		mu       sync.Mutex
		findings []Finding
		errs     []error
	)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				if osRoot != "" && isColumnar(p) {
					fs, err := s.scanColumnar(ctx, filepath.Join(osRoot, filepath.FromSlash(p)), display(p))
					mu.Lock()
					findings = append(findings, fs...)
					if err != nil {
						errs = append(errs, err)
					}
					mu.Unlock()
					continue
				}
				f, err := fsys.Open(p)
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("secrets: scan %s: %w", display(p), err))
					mu.Unlock()
					continue
				}
				fs, err := s.scanStream(ctx, display(p), f)
				f.Close()
				mu.Lock()
				findings = append(findings, fs...)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if opts != nil && opts.Progress != nil {
					if fi, err := fs2stat(fsys, p); err == nil {
						opts.Progress(display(p), fi)
					}
				}
			}
		}()
	}
	walkErr := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			mu.Lock()
			errs = append(errs, fmt.Errorf("secrets: scan %s: %w", display(p), err))
			mu.Unlock()
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || s.pathAllowed(display(p)) {
			return nil
		}
		select {
		case paths <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	})
	close(paths)
	wg.Wait()
	if walkErr != nil {
		return nil, fmt.Errorf("secrets: scan %s: %w", display(root), walkErr)
	}
	sort.Slice(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Rule < b.Rule
	})
	return findings, errors.Join(errs...)
}

func fs2stat(fsys fs.FS, p string) (int64, error) {
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// scanner holds the compiled keyword index of a rule set.
type scanner struct {
	rules []Rule
	allow Allowlist
	// pairs is a bitset over the first two lower-cased bytes of every
	// keyword; byPair lists the keywords starting with each pair.
	pairs  [1 << 16 / 64]uint64
	pairAt [1 << 16]uint8 // index+1 into byPair
	// triples is a bitset over a hash of the first three bytes of every
	// keyword; shortPairs marks pairs that are a whole 2-byte keyword.
	triples    [1 << 16 / 64]uint64
	shortPairs [1 << 16 / 64]uint64
	byPair     [][]keyword
	stop       []string
	// anchored[i] is rules[i].Regex anchored at the start of a token
	// (allowing a lazy prefix within it), so a keyword hit costs one
	// short match attempt instead of a search of the line.
	anchored []*regexp.Regexp
	// whole[i] is rules[i].Regex as group 1, for line-wide matching.
	whole []*regexp.Regexp
}

// tokenDelim ends a token when scanning back from a keyword.
var tokenDelim = func() (t [256]bool) {
	for _, c := range " \t\r\n\"'`()[]{}<>,;=:/@?&#" {
		t[c] = true
	}
	return t
}()

type keyword struct {
	lit  []byte // lower case
	rule int
	// line: the keyword spans words, so match the rule over the whole
	// line rather than from the start of the keyword's token.
	line bool
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

func newScanner(opts *ScanOptions) *scanner {
	s := &scanner{}
	s.rules = defaultRules
	if opts != nil {
		if opts.Rules != nil {
			s.rules = opts.Rules
		}
		s.allow = opts.Allowlist
		for _, w := range opts.Allowlist.Stopwords {
			s.stop = append(s.stop, strings.ToLower(w))
		}
	}
	for ri, r := range s.rules {
		src := r.Regex.String()
		prefix := "^[^\\s\"'`()\\[\\]{}<>,;]*?"
		if r.atToken {
			prefix = "^"
		}
		s.anchored = append(s.anchored, regexp.MustCompile(prefix+"("+src+")"))
		s.whole = append(s.whole, regexp.MustCompile("("+src+")"))
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			if len(k) < 2 {
				continue
			}
			p := uint16(k[0])<<8 | uint16(k[1])
			s.pairs[p/64] |= 1 << (p % 64)
			if len(k) == 2 {
				s.shortPairs[p/64] |= 1 << (p % 64)
			} else {
				t := triple(p, k[2])
				s.triples[t/64] |= 1 << (t % 64)
			}
			if s.pairAt[p] == 0 {
				if len(s.byPair) == 255 {
					panic("secrets: too many keyword prefixes")
				}
				s.byPair = append(s.byPair, nil)
				s.pairAt[p] = uint8(len(s.byPair))
			}
			at := s.pairAt[p] - 1
			s.byPair[at] = append(s.byPair[at], keyword{lit: []byte(k), rule: ri, line: strings.ContainsAny(k, " \t")})
		}
	}
	return s
}

func triple(p uint16, c byte) uint16 {
	return uint16((uint32(p)<<8 | uint32(c)) * 2654435761 >> 16)
}

func (s *scanner) pathAllowed(p string) bool {
	base := path.Base(p)
	for _, pat := range s.allow.Paths {
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
		if ok, _ := path.Match(pat, base); ok {
			return true
		}
		if strings.HasSuffix(pat, "/*") || strings.HasSuffix(pat, "/**") {
			dir := strings.TrimSuffix(strings.TrimSuffix(pat, "*"), "*")
			if strings.HasPrefix(p, dir) || strings.Contains(p, "/"+dir) {
				return true
			}
		}
	}
	return false
}

// span is one match in a buffer: the secret's byte range and its rule.
type span struct {
	start, end int
	rule       int
}

const (
	scanChunk = 1 << 20
	// maxWindow bounds how far around a keyword a rule's pattern is
	// matched, so a file with one huge line stays fast.
	maxWindow = 2048
)

// findSpans returns the allowed matches of every rule in buf.
func (s *scanner) findSpans(buf []byte) []span {
	var out []span
	type winKey struct{ rule, start int }
	var done map[winKey]bool
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
			// The window runs from the start of the keyword's token (or
			// line) to the end of its line, at most maxWindow bytes away.
			lo, hi := i, min(n, i+maxWindow)
			if j := bytes.IndexByte(buf[i:hi], '\n'); j >= 0 {
				hi = i + j
			}
			floor := max(0, i-maxWindow)
			re := s.anchored[kw.rule]
			if kw.line || !s.rules[kw.rule].atToken {
				lo = floor
				if j := bytes.LastIndexByte(buf[floor:i], '\n'); j >= 0 {
					lo = floor + j + 1
				}
				re = s.whole[kw.rule]
			} else {
				for lo > floor && !tokenDelim[buf[lo-1]] {
					lo--
				}
			}
			if s.rules[kw.rule].ID == genericRule && !looksAssigned(buf[i+len(kw.lit):hi]) {
				continue
			}
			if !kw.line {
				hi = min(hi, i+512)
			}
			k := winKey{kw.rule, lo}
			if done == nil {
				done = map[winKey]bool{}
			}
			if done[k] {
				continue
			}
			done[k] = true
			if s.rules[kw.rule].ID == genericRule && s.rules[kw.rule].atToken {
				if st, en, ok := matchAssignment(buf, lo, i+len(kw.lit), hi); ok && s.accept(buf, st, en, kw.rule) {
					out = append(out, span{st, en, kw.rule})
				}
				continue
			}
			out = s.matchRule(out, buf, lo, hi, kw.rule, re)
		}
	}
	return s.dropGenericOverlaps(out)
}

// dropGenericOverlaps removes generic-rule spans that a specific rule
// also matched, so one credential gives one finding, under its real name.
func (s *scanner) dropGenericOverlaps(spans []span) []span {
	hasGeneric := false
	for _, sp := range spans {
		if s.rules[sp.rule].ID == genericRule {
			hasGeneric = true
			break
		}
	}
	if !hasGeneric {
		return spans
	}
	out := spans[:0:0]
	for _, sp := range spans {
		if s.rules[sp.rule].ID == genericRule {
			overlap := false
			for _, o := range spans {
				if s.rules[o.rule].ID != genericRule && o.start < sp.end && sp.start < o.end {
					overlap = true
					break
				}
			}
			if overlap {
				continue
			}
		}
		out = append(out, sp)
	}
	return out
}

func (s *scanner) matchRule(out []span, buf []byte, lo, hi, ri int, re *regexp.Regexp) []span {
	r := &s.rules[ri]
	// Group 1 of re is the rule's whole match, so the rule's group g is
	// group g+1.
	g := r.SecretGroup + 1
	for _, m := range re.FindAllSubmatchIndex(buf[lo:hi], -1) {
		if 2*g+1 >= len(m) || m[2*g] < 0 {
			continue
		}
		st, en := lo+m[2*g], lo+m[2*g+1]
		if s.accept(buf, st, en, ri) {
			out = append(out, span{st, en, ri})
		}
	}
	return out
}

// accept applies a rule's entropy floor and the allowlists to the
// candidate secret buf[st:en].
func (s *scanner) accept(buf []byte, st, en, ri int) bool {
	r := &s.rules[ri]
	secret := string(buf[st:en])
	if r.MinEntropy > 0 && shannonEntropy(secret) < r.MinEntropy {
		return false
	}
	// The generic rule's value is matched with + rather than {16,128}:
	// a counted repetition multiplies the regexp program and its cost.
	if r.ID == genericRule && (len(secret) < 16 || len(secret) > 128 || !strings.ContainsAny(secret, "0123456789") || strings.IndexFunc(secret, isLetter) < 0) {
		return false
	}
	if r.ID != "private-key" && isPlaceholder(secret) || s.allowed(secret) {
		return false
	}
	ls := bytes.LastIndexByte(buf[:st], '\n') + 1
	le := bytes.IndexByte(buf[en:], '\n')
	if le < 0 {
		le = len(buf)
	} else {
		le += en
	}
	if bytes.Contains(buf[ls:le], []byte(AllowComment)) || bytes.Contains(buf[ls:le], []byte("gitleaks:allow")) {
		return false
	}
	return true
}

// secretWords mark a name as holding a secret (generic rule).
var secretWords = []string{"secret", "token", "passwd", "password", "pwd", "credential", "api_key", "apikey", "api-key", "auth_key", "authkey", "access_key", "accesskey", "private_key", "privatekey"}

// matchAssignment is the generic rule's matcher, by hand for speed: a
// name holding a secret word, an assignment (=, :, :=, =>), and a value;
// it returns the value's range. The rule's Regex says the same.
func matchAssignment(buf []byte, lo, kwEnd, hi int) (int, int, bool) {
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
		return 0, 0, false
	}
	k := j
	for k < hi && (buf[k] == '"' || buf[k] == '\'' || buf[k] == '\\' || buf[k] == ' ' || buf[k] == '\t') {
		k++
	}
	if k >= hi || (buf[k] != '=' && buf[k] != ':') {
		return 0, 0, false
	}
	k++
	if k < hi && (buf[k] == '=' || buf[k] == '>') {
		k++
	}
	for k < hi && (buf[k] == '"' || buf[k] == '\'' || buf[k] == '\\' || buf[k] == ' ' || buf[k] == '\t') {
		k++
	}
	st := k
	for k < hi && isValueChar(buf[k]) {
		k++
	}
	if k < hi && !strings.ContainsRune("\"'\\ \t\r,;}]", rune(buf[k])) {
		return 0, 0, false
	}
	return st, k, k > st
}

func isIdent(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

func isValueChar(c byte) bool {
	return isIdent(c) || strings.IndexByte("+/~=!@#$%^&*", c) >= 0
}

const genericRule = "generic-secret-assignment"

// looksAssigned reports whether b (what follows a keyword) continues a
// name and then assigns to it (name = value, "name": value), a cheap test
// that spares the generic rule's regular expression most prose.
func looksAssigned(b []byte) bool {
	i := 0
	for i < len(b) && (b[i] == '_' || b[i] == '-' || b[i] == '.' || b[i] >= '0' && b[i] <= '9' || b[i]|0x20 >= 'a' && b[i]|0x20 <= 'z') {
		i++
	}
	for i < len(b) && (b[i] == '"' || b[i] == '\'' || b[i] == '\\' || b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i < len(b) && (b[i] == '=' || b[i] == ':')
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func (s *scanner) allowed(secret string) bool {
	for _, re := range s.allow.Regexes {
		if re.MatchString(secret) {
			return true
		}
	}
	l := strings.ToLower(secret)
	for _, w := range s.stop {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
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

// scanStream scans r chunk by chunk, cutting chunks at line ends so that
// no line-bounded match is split; memory stays at about two chunks.
func (s *scanner) scanStream(ctx context.Context, name string, r io.Reader) ([]Finding, error) {
	var (
		findings []Finding
		buf      = make([]byte, 0, 2*scanChunk)
		base     int64 // file offset of buf[0]
		line     = 1   // line number at buf[0]
		lineOff  int64 // file offset where that line starts
		seen     = map[[2]int64]bool{}
		eof      bool
	)
	for !eof {
		if err := ctx.Err(); err != nil {
			return findings, fmt.Errorf("secrets: scan %s: %w", name, err)
		}
		// Fill up to scanChunk of new data.
		start := len(buf)
		buf = buf[:start+scanChunk]
		n, err := io.ReadFull(r, buf[start:])
		buf = buf[:start+n]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			eof = true
		} else if err != nil {
			return findings, fmt.Errorf("secrets: scan %s: %w", name, err)
		}
		cut := len(buf)
		if !eof {
			if j := bytes.LastIndexByte(buf, '\n'); j >= 0 {
				cut = j + 1
			} else if len(buf) > maxWindow {
				// One very long line: keep an overlap for matches that
				// straddle the cut; seen drops the repeats.
				cut = len(buf) - maxWindow
			}
		}
		spans := s.findSpans(buf[:min(len(buf), cut+maxWindow)])
		sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
		pos, ln := 0, line
		for _, sp := range spans {
			if sp.start >= cut {
				continue
			}
			key := [2]int64{base + int64(sp.start), int64(sp.rule)}
			if seen[key] {
				continue
			}
			seen[key] = true
			ln += bytes.Count(buf[pos:sp.start], []byte{'\n'})
			pos = sp.start
			col := int(base + int64(sp.start) - lineOff + 1)
			if j := bytes.LastIndexByte(buf[:sp.start], '\n'); j >= 0 {
				col = sp.start - j
			}
			findings = append(findings, makeFinding(name, ln, col, &s.rules[sp.rule], buf[sp.start:sp.end]))
		}
		line += bytes.Count(buf[:cut], []byte{'\n'})
		if j := bytes.LastIndexByte(buf[:cut], '\n'); j >= 0 {
			lineOff = base + int64(j) + 1
		}
		base += int64(cut)
		rest := copy(buf, buf[cut:])
		buf = buf[:rest]
		if len(seen) > 1<<16 {
			clear(seen)
		}
	}
	return findings, nil
}

func makeFinding(name string, line, col int, r *Rule, secret []byte) Finding {
	sum := sha256.Sum256(secret)
	return Finding{
		Path: name, Line: line, Column: col, Rule: r.ID, Description: r.Description,
		Match: redactMatch(secret), Fingerprint: hex.EncodeToString(sum[:8]),
	}
}

// redactMatch keeps a short prefix (which names the kind of token, e.g.
// "ghp_") and hides the rest.
func redactMatch(secret []byte) string {
	keep := min(4, len(secret)/4)
	return string(secret[:keep]) + Redacted
}
