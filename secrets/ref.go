package secrets

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Redacted is what every printed or logged form of a [Secret] shows.
const Redacted = "[REDACTED]"

// A Secret holds a secret value in memory. Every way of printing it —
// String, GoString, fmt verbs, JSON, text, slog — shows [Redacted], so a
// Secret that ends up in a log line, an error or a panic does not leak.
// Call Bytes to use the value and Destroy when done.
type Secret struct {
	v *[]byte
}

// NewSecret wraps b (not copied) as a Secret.
func NewSecret(b []byte) Secret { return Secret{v: &b} }

// Bytes returns the secret value. Do not log or keep it.
func (s Secret) Bytes() []byte {
	if s.v == nil {
		return nil
	}
	return *s.v
}

// Destroy overwrites the value with zeros.
func (s Secret) Destroy() {
	if s.v != nil {
		clear(*s.v)
		*s.v = nil
	}
}

func (Secret) String() string               { return Redacted }
func (Secret) GoString() string             { return Redacted }
func (Secret) Format(f fmt.State, _ rune)   { f.Write([]byte(Redacted)) }
func (Secret) LogValue() slog.Value         { return slog.StringValue(Redacted) }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
func (Secret) Error() string                { return Redacted }
func (s *Secret) UnmarshalText(_ []byte) error {
	return fmt.Errorf("secrets: a Secret cannot be read from text; use a reference")
}

// Ref is a parsed secret reference: a name for a secret, safe to keep in a
// pipeline config, that [Resolver] turns into the value at run time.
//
//	env:NAME     the environment variable NAME
//	file:PATH    the contents of the file PATH (one trailing newline dropped)
//	enc:BASE64   an [EncryptValue] ciphertext, decrypted with the resolver's KEKs
type Ref struct {
	Kind string // "env", "file" or "enc"
	// Name is the variable name or file path; for enc, empty.
	Name string
	// Ciphertext is the decoded enc: payload.
	Ciphertext []byte
}

// ParseRef parses a secret reference. Its errors never quote s, which may
// be a secret pasted where a reference belongs.
func ParseRef(s string) (Ref, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Ref{}, fmt.Errorf("secrets: not a secret reference (want env:NAME, file:PATH or enc:BASE64)")
	}
	switch kind {
	case "env":
		if rest == "" || strings.ContainsAny(rest, "=\x00") {
			return Ref{}, fmt.Errorf("secrets: env: reference: bad variable name")
		}
		return Ref{Kind: kind, Name: rest}, nil
	case "file":
		if rest == "" || strings.ContainsRune(rest, 0) {
			return Ref{}, fmt.Errorf("secrets: file: reference: bad path")
		}
		return Ref{Kind: kind, Name: rest}, nil
	case "enc":
		ct, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			ct, err = base64.RawURLEncoding.DecodeString(rest)
		}
		if err != nil || len(ct) == 0 {
			return Ref{}, fmt.Errorf("secrets: enc: reference: payload is not base64")
		}
		return Ref{Kind: kind, Ciphertext: ct}, nil
	}
	return Ref{}, fmt.Errorf("secrets: not a secret reference: unknown kind (want env:, file: or enc:)")
}

// String returns the reference in its written form.
func (r Ref) String() string {
	if r.Kind == "enc" {
		return "enc:" + base64.StdEncoding.EncodeToString(r.Ciphertext)
	}
	return r.Kind + ":" + r.Name
}

// A Resolver resolves secret references.
type Resolver struct {
	// KEKs decrypt enc: references (the first that can is used).
	KEKs []KEK
	// AAD is the associated data enc: values were encrypted with.
	AAD []byte
	// Redactor, when set, learns every value resolved, so the logs it
	// filters never show them.
	Redactor *Redactor
	// LookupEnv replaces os.LookupEnv (for tests).
	LookupEnv func(string) (string, bool)
}

// Resolve returns the value ref names.
func (r *Resolver) Resolve(ctx context.Context, ref string) (Secret, error) {
	p, err := ParseRef(ref)
	if err != nil {
		return Secret{}, err
	}
	var v []byte
	switch p.Kind {
	case "env":
		lookup := os.LookupEnv
		if r.LookupEnv != nil {
			lookup = r.LookupEnv
		}
		s, ok := lookup(p.Name)
		if !ok {
			return Secret{}, fmt.Errorf("secrets: %s: environment variable not set", p)
		}
		v = []byte(s)
	case "file":
		b, err := os.ReadFile(p.Name)
		if err != nil {
			return Secret{}, fmt.Errorf("secrets: %s: %w", p, err)
		}
		if n := len(b); n > 0 && b[n-1] == '\n' {
			b = b[:n-1]
			if n := len(b); n > 0 && b[n-1] == '\r' {
				b = b[:n-1]
			}
		}
		v = b
	case "enc":
		b, err := DecryptValue(ctx, p.Ciphertext, r.AAD, r.KEKs...)
		if err != nil {
			return Secret{}, err
		}
		v = b
	}
	if r.Redactor != nil {
		r.Redactor.Add(string(v))
	}
	return NewSecret(v), nil
}
