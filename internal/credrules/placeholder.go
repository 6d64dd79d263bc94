package credrules

import (
	"bytes"
	"strings"
)

// Values of the generic rules (a password assigned to a name, the password
// of a database URL) are judged by what they look like, so they need the
// filters that gitleaks' generic rule and detect-secrets' keyword plugin
// apply: a placeholder, a template, a reference to where the secret really
// lives, or the key's own name is not a leaked secret. Provider-format
// rules (ghp_…, AKIA…, PEM blocks) skip these filters: a token in the
// provider's format is reported wherever it stands.

// stopValues are whole values that are words, not secrets, compared after
// [normWord] (password, pa$$word1 and passw0rd are all "pasword").
var stopValues = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"password", "passwd", "pass", "pwd", "passphrase", "secret", "secretkey",
		"token", "apikey", "changeme", "changeit", "example", "sample", "test",
		"testing", "dummy", "fake", "placeholder", "redacted", "masked", "hidden",
		"none", "null", "nil", "undefined", "empty", "default", "admin", "root",
		"user", "username", "letmein", "qwerty", "welcome", "foobar", "foo", "bar",
		"mypassword", "yourpassword", "mysecret", "yoursecret", "notsecret",
		"supersecret", "topsecret", "abc", "abcdef", "value", "string", "key",
	} {
		m[normWord(w)] = true
	}
	return m
}()

// stopParts are words that, anywhere in a value split at separators and
// case changes, mark a documentation value: my-super-secure-passphrase-1,
// my_secret-1zAyu6, dummy_value.
var stopParts = map[string]bool{
	"password": true, "passwd": true, "passphrase": true, "secret": true,
	"changeme": true, "example": true, "sample": true, "dummy": true,
	"placeholder": true, "redacted": true, "fake": true, "masked": true,
	"replace": true, "insert": true, "your": true,
}

// referencePrefixes start a value that names where a secret is kept
// rather than holding it: an ARN, a vault or secret-manager path, an
// environment variable.
var referencePrefixes = []string{
	"arn:", "vault:", "env:", "secret|", "secretsmanager", "ssm:", "ssm|",
	"gcp_secret|", "azure_keyvault", "projects/", "@microsoft.keyvault(",
	"op://", "keyring:", "file:", "$env:", "process.env.", "os.environ",
	"os.getenv", "getenv(", "env(", "env.", "secrets.", "vars.",
}

// normWord drops the digits and marks that end w (password123!), lower-
// cases it, reads the usual letter-for-symbol swaps back ($→s, @→a, 0→o,
// 1→i, 3→e, 4→a, 5→s), drops what is left that is not a letter and
// collapses repeated letters, so that variations of a word compare equal
// to it.
func normWord(w string) string {
	w = strings.TrimRight(w, "0123456789!?.#*_-")
	var b strings.Builder
	var last byte
	for i := 0; i < len(w); i++ {
		c := lowerTable[w[i]]
		switch c {
		case '$', '5':
			c = 's'
		case '@', '4':
			c = 'a'
		case '0':
			c = 'o'
		case '1', '!':
			c = 'i'
		case '3':
			c = 'e'
		}
		if c < 'a' || c > 'z' || c == last {
			continue
		}
		b.WriteByte(c)
		last = c
	}
	return b.String()
}

// valueParts splits v at non-letters and at lower-to-upper case changes,
// lower-cased: "my_secret-1zAyu6" gives my, secret, z, ayu.
func valueParts(v []byte) []string {
	var parts []string
	start := -1
	for i := 0; i <= len(v); i++ {
		letter := i < len(v) && (v[i]|0x20 >= 'a' && v[i]|0x20 <= 'z')
		boundary := !letter || (i > 0 && start >= 0 && v[i] >= 'A' && v[i] <= 'Z' && v[i-1] >= 'a' && v[i-1] <= 'z')
		if boundary && start >= 0 {
			parts = append(parts, strings.ToLower(string(v[start:i])))
			start = -1
		}
		if letter && start < 0 {
			start = i
		}
	}
	return parts
}

// IsPlaceholderValue reports whether v, the value of a generic rule
// assigned to name (nil when there is none, as in a database URL), is a
// placeholder or a reference rather than a secret.
func IsPlaceholderValue(name, v []byte) bool {
	if len(v) == 0 {
		return true
	}
	l := bytes.ToLower(v)
	// Templates and placeholders: ${X}, {{ x }}, {x}, %(x)s, %s, <x>, $X,
	// runs of x, * or #, an ellipsis.
	if bytes.ContainsAny(l, "{}<>") || bytes.Contains(l, []byte("%(")) || bytes.Contains(l, []byte("%s")) ||
		l[0] == '$' || bytes.Contains(l, []byte("xxxx")) || bytes.Contains(l, []byte("***")) ||
		bytes.Contains(l, []byte("###")) || bytes.Contains(l, []byte("...")) {
		return true
	}
	s := string(l)
	for _, p := range referencePrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	if isPlaceholder(s) {
		return true
	}
	n := normWord(s)
	if stopValues[n] {
		return true
	}
	if len(name) > 0 {
		// A value that repeats its key's name (password: password,
		// API_TOKEN=api_token) or its last component (db.password).
		nn := normWord(string(name))
		if n == nn || strings.HasSuffix(nn, n) && len(n) >= 4 {
			return true
		}
	}
	for _, p := range valueParts(v) {
		if stopParts[p] || stopParts[normWord(p)] {
			return true
		}
	}
	return isAttributePath(v)
}

// isAttributePath reports whether v is a dotted path of identifiers
// (config.access_token, self.settings.api_key, os.environ): code reading
// the secret from somewhere, not the secret.
func isAttributePath(v []byte) bool {
	parts := bytes.Split(v, []byte{'.'})
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || !(p[0] == '_' || p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z') {
			return false
		}
		for _, c := range p {
			if !(c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z') {
				return false
			}
		}
		// A component of a random token (the dotted JWT-like value
		// abc.V1.Xyz…) is long and mixes digits in: not a name.
		if len(p) > 40 {
			return false
		}
	}
	return true
}

// inReference reports whether the name starting at buf[lo] stands inside a
// reference token such as an ARN (arn:aws:secretsmanager:…:secret:name),
// where "secret" is a resource type, not a key.
func inReference(buf []byte, lo int) bool {
	if lo == 0 || buf[lo-1] != ':' && buf[lo-1] != '/' {
		return false
	}
	i := lo
	for i > 0 && i > lo-256 && buf[i-1] != ' ' && buf[i-1] != '\t' && buf[i-1] != '\n' && buf[i-1] != '"' && buf[i-1] != '\'' {
		i--
	}
	tok := bytes.ToLower(buf[i:lo])
	return bytes.Contains(tok, []byte("arn:")) || bytes.Contains(tok, []byte("vault:"))
}
