package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/tink-crypto/tink-go/v2/tink"
)

// A KEK is a key-encryption key held outside the process (a KMS key, an
// HSM key) that wraps and unwraps data keys. It is Tink's
// [tink.AEADWithContext], so any Tink KMS client can stand in, plus the
// URI that names it.
type KEK interface {
	tink.AEADWithContext
	// URI names the key. It never contains a PIN or other credential.
	URI() string
}

// Key URI schemes understood by [OpenKEK] and [LoadSignerVerifier].
const (
	// SchemeAWSKMS names an AWS KMS key, as sigstore does:
	// awskms://[ENDPOINT]/{KEY-ID | alias/NAME | arn:aws:kms:...}.
	SchemeAWSKMS = "awskms://"
	// SchemePKCS11 names a key in a PKCS#11 token (RFC 7512):
	// pkcs11:token=T;object=L?module-path=/usr/lib/...so&pin-source=FILE.
	SchemePKCS11 = "pkcs11:"
	// SchemeInsecureKeyFile names a Tink AEAD keyset stored in cleartext
	// in a local file: for development and tests only, never production,
	// because the key sits on disk next to the data it protects.
	SchemeInsecureKeyFile = "insecure-keyfile:"
)

// KEKOptions configures [OpenKEK]. The zero value is the default.
type KEKOptions struct {
	// Logger receives the package's warnings (an insecure development KEK
	// in use); nil means slog.Default. Pass a logger over
	// slog.DiscardHandler to silence them.
	Logger *slog.Logger
}

// OpenKEK returns the key-encryption key named by uri. Supported schemes:
// awskms:// (AWS KMS), pkcs11: (an AES key in an HSM; needs cgo) and
// insecure-keyfile: (development only). There is no default: a URI with
// no known scheme is an error.
//
// AWS credentials, region and endpoint come from the AWS SDK's usual
// environment and files (AWS_REGION, AWS_ENDPOINT_URL_KMS, ...).
func OpenKEK(ctx context.Context, uri string, opts KEKOptions) (KEK, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	switch {
	case strings.HasPrefix(uri, SchemeAWSKMS):
		return openAWSKEK(ctx, uri)
	case strings.HasPrefix(uri, SchemePKCS11):
		pu, err := ParsePKCS11URI(uri)
		if err != nil {
			return nil, err
		}
		return openPKCS11KEK(ctx, pu)
	case strings.HasPrefix(uri, SchemeInsecureKeyFile):
		return openInsecureKEK(strings.TrimPrefix(uri, SchemeInsecureKeyFile), logger)
	}
	return nil, fmt.Errorf("secrets: KEK %q: %w", redactURI(uri), ErrUnsupportedScheme)
}

// OpenKEKs opens every URI in uris, in order, with the default options.
func OpenKEKs(ctx context.Context, uris ...string) ([]KEK, error) {
	keks := make([]KEK, 0, len(uris))
	for _, u := range uris {
		k, err := OpenKEK(ctx, u, KEKOptions{})
		if err != nil {
			return nil, err
		}
		keks = append(keks, k)
	}
	return keks, nil
}

// ErrUnsupportedScheme is returned for a key URI whose scheme is unknown.
var ErrUnsupportedScheme = errors.New("unsupported key URI scheme")

// redactURI returns uri without anything that could be a credential: the
// query of a pkcs11: URI (pin-value) and any userinfo.
func redactURI(uri string) string {
	if strings.HasPrefix(uri, SchemePKCS11) {
		return redactPKCS11(uri)
	}
	// Not a PKCS#11 URI, but written like one: print nothing from the PIN on.
	if i := pinAttr.FindStringIndex(uri); i != nil {
		return uri[:i[0]] + Redacted
	}
	if i := strings.Index(uri, "://"); i >= 0 {
		rest := uri[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			return uri[:i+3] + "[REDACTED]@" + rest[at+1:]
		}
	}
	if len(uri) > 200 {
		return uri[:200] + "..."
	}
	return uri
}

// pinAttr finds a pin-value attribute, percent-encoded or not.
var pinAttr = regexp.MustCompile(`(?i)pin(-|%2d)value`)

// redactPKCS11 prints a PKCS#11 URI (RFC 7512) without its PIN: the query
// part, where pin-value and pin-source belong, is dropped whole, and in the
// path part every attribute named pin-value (percent-encoded or not,
// separated by ';' or by a stray '&') loses its value. Parsing the URI
// rather than searching for "?" means a PIN in the wrong place is never
// printed either.
func redactPKCS11(uri string) string {
	path, query, hasQuery := strings.Cut(uri[len(SchemePKCS11):], "?")
	var b strings.Builder
	b.WriteString(SchemePKCS11)
	for i, attr := range strings.Split(path, ";") {
		if i > 0 {
			b.WriteByte(';')
		}
		for j, part := range strings.Split(attr, "&") {
			if j > 0 {
				b.WriteByte('&')
			}
			name, _, hasValue := strings.Cut(part, "=")
			if decoded, err := pctDecode(name); err == nil {
				name = decoded
			}
			if strings.EqualFold(strings.TrimSpace(name), "pin-value") || !hasValue && strings.Contains(strings.ToLower(part), "pin") {
				b.WriteString("pin-value=" + Redacted)
				continue
			}
			b.WriteString(part)
		}
	}
	if hasQuery && query != "" {
		b.WriteString("?" + Redacted)
	}
	out := b.String()
	if len(out) > 200 {
		out = out[:200] + "..."
	}
	return out
}

// checkCtx returns ctx's error, wrapped to name the key.
func checkCtx(ctx context.Context, uri string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("secrets: KEK %s: %w", uri, err)
	}
	return nil
}
