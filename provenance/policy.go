package provenance

import (
	"bytes"
	"context"
	"crypto"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/internal/keyfile"
)

// Policy says what a provenance statement must satisfy to be accepted. It
// is data: build it in Go or load it from YAML or JSON with ParsePolicy,
// which validates it against PolicySchema.
type Policy struct {
	Version int `json:"version,omitempty"`
	// Builders are the roots of trust: which keys may sign for which
	// builder id. Verify fails closed when there are none, so a policy file
	// may leave them to the caller (e.g. keys given on the command line).
	Builders []TrustedBuilder `json:"builders"`
	// BuildTypes lists the allowed buildType URIs; any when empty.
	BuildTypes []string `json:"buildTypes,omitempty"`
	// DigestAlgorithms are the digest algorithms accepted for subjects and
	// dependencies; DefaultDigestAlgorithms when empty.
	DigestAlgorithms []string `json:"digestAlgorithms,omitempty"`
	// MaxAge bounds the age of a statement; no bound when zero.
	MaxAge Duration `json:"maxAge,omitempty"`
	// Dependencies constrain resolvedDependencies.
	Dependencies DependencyPolicy `json:"dependencies,omitzero"`
	// ExternalParameters holds an expectation per parameter name; a
	// dotted name ("hyperparameters.lr") reaches into nested objects.
	ExternalParameters map[string]ParamRule `json:"externalParameters,omitempty"`
	// RejectUnknownParameters rejects parameters not named above.
	RejectUnknownParameters bool `json:"rejectUnknownParameters,omitempty"`
}

// DefaultDigestAlgorithms are accepted when a policy names none.
var DefaultDigestAlgorithms = []string{"sha256", "sha384", "sha512", "dirHash", "gitCommit"}

// TrustedBuilder trusts Keys to sign statements whose builder.id is ID.
type TrustedBuilder struct {
	// ID is the builder.id; a trailing "*" matches any id with that prefix.
	ID   string      `json:"id"`
	Keys []PublicKey `json:"keys,omitempty"`
	// Verifiers are further keys given in code, e.g. KMS-backed verifiers.
	Verifiers []dsse.Verifier `json:"-"`
	// Threshold is how many distinct keys must sign (default 1).
	Threshold int `json:"threshold,omitempty"`
}

// PublicKey is a PEM public key (ECDSA P-256/P-384, Ed25519 or RSA), inline
// or in a file relative to the policy.
type PublicKey struct {
	File string `json:"file,omitempty"`
	PEM  string `json:"pem,omitempty"`
}

// DependencyPolicy constrains a statement's resolvedDependencies.
type DependencyPolicy struct {
	// Required rules must each select at least one dependency, and every
	// dependency they select must satisfy them.
	Required []DependencyRule `json:"required,omitempty"`
	// Allowed, when non-empty, must select and be satisfied by every
	// dependency: anything else is rejected.
	Allowed []DependencyRule `json:"allowed,omitempty"`
}

// DependencyRule selects dependencies by name and/or URI pattern and states
// what their digests must be.
type DependencyRule struct {
	Name string `json:"name,omitempty"`
	// URI is a path.Match pattern; a trailing "*" also matches across "/".
	URI string `json:"uri,omitempty"`
	// Digests are the approved versions: a selected dependency must match
	// one of them.
	Digests []DigestSet `json:"digests,omitempty"`
	// PinnedBy requires a digest of this algorithm (e.g. "sha256").
	PinnedBy string `json:"pinnedBy,omitempty"`
}

// ParamRule is an expectation on one externalParameters value: exactly one
// of Exact, OneOf or Any.
type ParamRule struct {
	Exact any   `json:"exact,omitempty"`
	OneOf []any `json:"oneOf,omitempty"`
	Any   bool  `json:"any,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("720h").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

//go:embed policy.schema.json
var policySchemaJSON []byte

// PolicySchema returns the JSON Schema that policy documents must satisfy.
func PolicySchema() []byte { return bytes.Clone(policySchemaJSON) }

var policySchema = sync.OnceValues(func() (*gojsonschema.Schema, error) {
	return gojsonschema.NewSchema(gojsonschema.NewBytesLoader(policySchemaJSON))
})

// LoadPolicy reads a policy file (YAML or JSON); key files it names are
// read relative to its directory.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("provenance: policy: %w", err)
	}
	p, err := parsePolicy(path, data, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ParsePolicy parses a policy in YAML or JSON, validates it against
// PolicySchema and loads its keys; key files are read relative to dir.
func ParsePolicy(data []byte, dir string) (*Policy, error) {
	return parsePolicy("policy", data, dir)
}

func parsePolicy(input string, data []byte, dir string) (*Policy, error) {
	if len(data) > MaxDocumentSize {
		return nil, &FormatError{Input: input, Err: ErrTooLarge, Reason: fmt.Sprintf("%d bytes", len(data))}
	}
	// sigs.k8s.io/yaml turns YAML (a superset of JSON) into JSON, so one
	// JSON Schema validates both; strict mode rejects duplicate keys.
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, &FormatError{Input: input, Err: ErrMalformed, Reason: err.Error()}
	}
	if err := checkJSON(input, js); err != nil {
		return nil, err
	}
	schema, err := policySchema()
	if err != nil {
		return nil, fmt.Errorf("provenance: policy schema: %w", err)
	}
	res, err := schema.Validate(gojsonschema.NewBytesLoader(js))
	if err != nil {
		return nil, &FormatError{Input: input, Err: ErrMalformed, Reason: err.Error()}
	}
	if !res.Valid() {
		var msgs []string
		for _, e := range res.Errors() {
			msgs = append(msgs, e.String())
		}
		return nil, &FormatError{Input: input, Err: ErrMalformed, Reason: "does not match the policy schema: " + strings.Join(msgs, "; ")}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, &FormatError{Input: input, Err: ErrMalformed, Reason: err.Error()}
	}
	for i := range p.Builders {
		b := &p.Builders[i]
		for j, k := range b.Keys {
			pem := []byte(k.PEM)
			name := fmt.Sprintf("builders[%d].keys[%d]", i, j)
			if k.File != "" {
				f := k.File
				if !filepath.IsAbs(f) {
					f = filepath.Join(dir, f)
				}
				if pem, err = os.ReadFile(f); err != nil {
					return nil, fmt.Errorf("provenance: %s: %s: %w", input, name, err)
				}
				name = k.File
			}
			v, err := VerifierFromPEM(pem)
			if err != nil {
				return nil, fmt.Errorf("provenance: %s: %s: %w", input, name, err)
			}
			b.Verifiers = append(b.Verifiers, v)
		}
		b.Keys = nil
	}
	return &p, nil
}

// VerifierFromPEM returns a DSSE verifier for a PEM public key or
// certificate (ECDSA P-256/P-384, Ed25519 or RSA PKCS#1 v1.5), with the hash
// conventionally paired with the key: SHA-256 for P-256 and RSA, SHA-384
// for P-384, pure Ed25519.
func VerifierFromPEM(pem []byte) (dsse.Verifier, error) {
	pub, err := keyfile.ParsePublicKey(pem)
	if err != nil {
		return nil, err
	}
	return VerifierFromPublicKey(pub)
}

// VerifierFromPublicKey wraps a public key as a DSSE verifier.
func VerifierFromPublicKey(pub crypto.PublicKey) (dsse.Verifier, error) {
	h, err := dssesig.DefaultHash(pub)
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadVerifier(pub, h)
	if err != nil {
		return nil, err
	}
	return dssesig.NewVerifier(context.Background(), sv)
}

// matches reports whether the builder id is covered by b.ID.
func (b *TrustedBuilder) matches(id string) bool {
	if prefix, ok := strings.CutSuffix(b.ID, "*"); ok {
		return strings.HasPrefix(id, prefix)
	}
	return b.ID == id
}

// RestrictToBuilder narrows p to statements whose builder.id is exactly id:
// entries that do not cover id are dropped, the others trust id alone.
func (p *Policy) RestrictToBuilder(id string) {
	var kept []TrustedBuilder
	for _, b := range p.Builders {
		if b.matches(id) {
			b.ID = id
			kept = append(kept, b)
		}
	}
	p.Builders = kept
}
