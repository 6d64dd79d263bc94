package credrules_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/credrules"
	"github.com/mlsec-dev/mlsec/secrets"
	"github.com/mlsec-dev/mlsec/validation"
)

// TestCredentialTableAgreement is the acceptance test of the one rule
// set: for every case of the table, the rule set itself, validation's
// credential check and the secrets scanner give the same answer, the
// expected one. Failures name the case, never its text.
func TestCredentialTableAgreement(t *testing.T) {
	ctx := context.Background()
	set := credrules.DefaultSet()
	cases := credCases()
	require.Greater(t, len(cases), 1000)
	for _, c := range cases {
		require.Equal(t, c.want, set.Detect(c.text), "credrules: %s", c.name)
		require.Equal(t, c.want, validation.DetectCredential(c.text), "validation: %s", c.name)
		findings, err := secrets.ScanReader(ctx, "case", strings.NewReader(c.text), secrets.ScanOptions{})
		require.NoError(t, err)
		got := ""
		if len(findings) > 0 {
			got = findings[0].Rule
		}
		require.Equal(t, c.want, got, "secrets: %s", c.name)
	}
}

// Every built-in rule has a sample in the table, and the secrets package's
// rules are the built-in ones.
func TestTableCoversEveryRule(t *testing.T) {
	have := map[string]bool{}
	for _, s := range samples(newGen(1)) {
		have[s.rule] = true
	}
	for _, r := range credrules.Default() {
		require.True(t, have[r.ID], "rule %s has no sample", r.ID)
	}
	ids := func(rs []string) []string { return rs }
	var a, b []string
	for _, r := range credrules.Default() {
		a = append(a, r.ID)
	}
	for _, r := range secrets.DefaultRules() {
		b = append(b, r.ID)
	}
	require.Equal(t, ids(a), ids(b))
	require.Equal(t, credrules.Redacted, secrets.Redacted)
}

// A Prefix rule's match starts with one of its keywords: the anchored
// matching relies on it.
func TestPrefixRulesStartWithAKeyword(t *testing.T) {
	byRule := map[string][]string{}
	for _, s := range samples(newGen(2)) {
		byRule[s.rule] = append(byRule[s.rule], s.text)
	}
	for _, r := range credrules.Default() {
		for _, text := range byRule[r.ID] {
			m := r.Regex.FindStringIndex(text)
			require.NotNil(t, m, r.ID)
			if !r.Prefix {
				continue
			}
			lc := strings.ToLower(text[m[0]:])
			ok := false
			for _, k := range r.Keywords {
				ok = ok || strings.HasPrefix(lc, k)
			}
			require.True(t, ok, "%s: a match does not start with a keyword", r.ID)
		}
	}
}

func TestAllowlist(t *testing.T) {
	g := newGen(3)
	tok := "ghp_" + g.s(alnum, 36)
	set, err := credrules.New(nil, credrules.Allowlist{Regexes: []*regexp.Regexp{regexp.MustCompile(`^ghp_`)}})
	require.NoError(t, err)
	require.Empty(t, set.Find([]byte("x "+tok)))
	set, err = credrules.New(nil, credrules.Allowlist{Stopwords: []string{tok[10:20]}})
	require.NoError(t, err)
	require.Empty(t, set.Find([]byte("x "+tok)))
	require.Equal(t, "github-pat", credrules.DefaultSet().Detect("x "+tok))
}

func TestNewRejectsBadRules(t *testing.T) {
	re := regexp.MustCompile(`(x+)`)
	for _, r := range []credrules.Rule{
		{Regex: re, Keywords: []string{"xx"}},
		{ID: "no-regex", Keywords: []string{"xx"}},
		{ID: "no-keyword", Regex: re},
		{ID: "short-keyword", Regex: re, Keywords: []string{"x"}},
		{ID: "bad-group", Regex: re, Keywords: []string{"xx"}, SecretGroup: 2},
	} {
		_, err := credrules.New([]credrules.Rule{r}, credrules.Allowlist{})
		require.Error(t, err, r.ID)
	}
}

func TestRedactAndFingerprint(t *testing.T) {
	require.Equal(t, "ghp_"+credrules.Redacted, credrules.Redact([]byte("ghp_0123456789abcdef")))
	require.Equal(t, "a"+credrules.Redacted, credrules.Redact([]byte("abcdefg")))
	require.Equal(t, credrules.Redacted, credrules.Redact([]byte("abc")))
	require.Len(t, credrules.Fingerprint([]byte("x")), 16)
	require.NotEqual(t, credrules.Fingerprint([]byte("x")), credrules.Fingerprint([]byte("y")))
}

// FuzzFind: any input, never a panic, every match lies inside the input,
// and a Prefix rule's match is found again when any byte is put before it
// (what precedes a token does not matter).
func FuzzFind(f *testing.F) {
	g := newGen(4)
	for _, s := range samples(g) {
		f.Add([]byte(s.text))
		f.Add([]byte("\x80\x04\x95\x30\x00\x00\x00\x8c\x14" + s.text + "\x94."))
		f.Add([]byte("X\x28\x00\x00\x00" + s.text + "q\x01"))
	}
	f.Add([]byte("\x00|.AKIA"))
	f.Add([]byte("password=" + strings.Repeat("a1", 100)))
	set := credrules.DefaultSet()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range set.Find(data) {
			if m.Start < 0 || m.End > len(data) || m.Start >= m.End {
				t.Fatalf("match %d..%d outside %d bytes", m.Start, m.End, len(data))
			}
			if !m.Rule.Prefix {
				continue
			}
			for _, b := range []byte{0, '|', 'A', 0xff} {
				again := append([]byte{b}, data...)
				found := false
				for _, m2 := range set.Find(again) {
					found = found || m2.Rule == m.Rule && m2.Start == m.Start+1 && m2.End == m.End+1
				}
				if !found {
					t.Fatalf("%s: a match is lost when %#x precedes the input", m.Rule.ID, b)
				}
			}
		}
	})
}
