package secrets

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// PKCS11URI is a parsed RFC 7512 PKCS#11 URI naming a key in a token, e.g.
//
//	pkcs11:token=ml-signing;object=model-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/secrets/pin
//
// The PIN is never printed: String redacts it.
type PKCS11URI struct {
	Token  string // token label
	Serial string // token serial number
	SlotID *int   // slot-id
	Object string // object label (CKA_LABEL)
	ID     []byte // object id (CKA_ID)
	Type   string // public, private, cert, secret-key or data
	// ModulePath is the PKCS#11 module to load; when empty,
	// $MLSEC_PKCS11_MODULE.
	ModulePath string
	// PINSource is a file holding the user PIN (pin-source).
	PINSource string
	pinValue  string
	raw       string
}

// Environment variables consulted for PKCS#11 keys when the URI leaves
// the module or PIN out.
const (
	EnvPKCS11Module = "MLSEC_PKCS11_MODULE"
	EnvPKCS11PIN    = "MLSEC_PKCS11_PIN"
)

// ParsePKCS11URI parses an RFC 7512 PKCS#11 URI. Attributes this package
// does not use are accepted and ignored, as the RFC asks; duplicate path
// attributes, bad percent-encoding and URIs that name no token are errors.
func ParsePKCS11URI(s string) (*PKCS11URI, error) {
	fail := func(format string, a ...any) (*PKCS11URI, error) {
		return nil, fmt.Errorf("secrets: PKCS#11 URI %q: %s", redactURI(s), fmt.Sprintf(format, a...))
	}
	if !strings.HasPrefix(s, SchemePKCS11) {
		// Not quoted: it may be anything, a PIN included.
		return nil, fmt.Errorf("secrets: not a PKCS#11 URI (want %s...)", SchemePKCS11)
	}
	rest := s[len(SchemePKCS11):]
	path, query, _ := strings.Cut(rest, "?")
	u := &PKCS11URI{raw: s}
	seen := map[string]bool{}
	if path != "" {
		for _, attr := range strings.Split(path, ";") {
			k, v, ok := strings.Cut(attr, "=")
			if !ok || k == "" {
				return fail("path attribute %q is not name=value", truncate(attr))
			}
			if strings.Contains(attr, "&") {
				// A query attribute (a PIN, say) written without its '?':
				// say so without printing it.
				return fail("path attribute %q holds '&': query attributes (module-path, pin-source, pin-value) follow '?'", k)
			}
			if strings.EqualFold(k, "pin-value") || strings.EqualFold(k, "pin-source") || strings.EqualFold(k, "module-path") {
				return fail("%s is a query attribute: put it after '?'", strings.ToLower(k))
			}
			if seen[k] {
				return fail("path attribute %q given twice", k)
			}
			seen[k] = true
			val, err := pctDecode(v)
			if err != nil {
				return fail("attribute %q: %v", k, err)
			}
			switch k {
			case "token":
				u.Token = val
			case "serial":
				u.Serial = val
			case "object":
				u.Object = val
			case "id":
				u.ID = []byte(val)
			case "type":
				switch val {
				case "public", "private", "cert", "secret-key", "data":
				default:
					return fail("unknown object type %q", truncate(val))
				}
				u.Type = val
			case "slot-id":
				n, err := strconv.Atoi(val)
				if err != nil || n < 0 {
					return fail("slot-id %q is not a number", truncate(val))
				}
				u.SlotID = &n
			}
		}
	}
	if query != "" {
		for _, attr := range strings.Split(query, "&") {
			k, v, ok := strings.Cut(attr, "=")
			if !ok || k == "" {
				return fail("query attribute is not name=value")
			}
			val, err := pctDecode(v)
			if err != nil {
				return fail("query attribute %q: bad percent-encoding", k)
			}
			switch k {
			case "module-path":
				u.ModulePath = val
			case "pin-source":
				u.PINSource = strings.TrimPrefix(val, "file:")
			case "pin-value":
				u.pinValue = val
			}
		}
	}
	if u.Token == "" && u.Serial == "" && u.SlotID == nil {
		return fail("names no token (want token=, serial= or slot-id=)")
	}
	if u.Object == "" && len(u.ID) == 0 {
		return fail("names no key (want object= or id=)")
	}
	return u, nil
}

// String returns the URI without its query, which may carry the PIN.
func (u PKCS11URI) String() string { return redactURI(u.raw) }

// GoString is String, so %#v does not print the PIN field.
func (u PKCS11URI) GoString() string { return "secrets.PKCS11URI(" + u.String() + ")" }

// module returns the module path to load.
func (u *PKCS11URI) module() (string, error) {
	if u.ModulePath != "" {
		return u.ModulePath, nil
	}
	if m := os.Getenv(EnvPKCS11Module); m != "" {
		return m, nil
	}
	return "", fmt.Errorf("secrets: %s: no PKCS#11 module (set module-path= in the URI or $%s)", u, EnvPKCS11Module)
}

// pin returns the user PIN from pin-value, pin-source or $MLSEC_PKCS11_PIN.
func (u *PKCS11URI) pin() (string, error) {
	switch {
	case u.pinValue != "":
		return u.pinValue, nil
	case u.PINSource != "":
		b, err := os.ReadFile(u.PINSource)
		if err != nil {
			// The file's name stays out of the message: a URI that is
			// malformed enough can carry a PIN inside it.
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("secrets: %s: pin-source file: %w", u, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case os.Getenv(EnvPKCS11PIN) != "":
		return os.Getenv(EnvPKCS11PIN), nil
	}
	return "", fmt.Errorf("secrets: %s: no PIN (set pin-source= in the URI or $%s)", u, EnvPKCS11PIN)
}

// pctDecode undoes RFC 3986 percent-encoding (a '+' stays a '+').
func pctDecode(s string) (string, error) {
	v, err := url.PathUnescape(s)
	if err != nil {
		return "", errors.New("bad percent-encoding")
	}
	return v, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
