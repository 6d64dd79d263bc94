package provenance

import (
	"bytes"
	"context"
	"crypto"
	_ "embed"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"

	"github.com/mlsec-dev/mlsec/internal/docread"
	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/internal/keyfile"
	"github.com/mlsec-dev/mlsec/internal/sigstorekeyless"
)

// Policy says what a statement must satisfy to be accepted. It is data:
// build it in Go or load it from YAML or JSON with [ParsePolicy] or
// [LoadPolicy]. Both go through one step, [Policy.Validate], which checks
// the rules of [PolicySchema] and loads the keys; [Verify] runs it on every
// call, so a policy built in Go behaves exactly as the same policy parsed.
//
// Builders, DigestAlgorithms and MaxAge apply to statements of any
// predicate type; BuildTypes, Dependencies and ExternalParameters describe
// SLSA provenance, and a statement of another type fails them.
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

// TrustedBuilder trusts Keys and Verifiers to sign SLSA provenance whose
// builder.id is ID. A statement of another predicate type (a test result)
// names no builder: it is accepted when Threshold keys of any one entry
// signed it, so give such statements a policy of their own.
type TrustedBuilder struct {
	// ID is the builder.id; a trailing "*" matches any id with that prefix.
	ID string `json:"id"`
	// Keys are PEM public keys. A policy built in Go may list them too:
	// Verify loads them (key files relative to the working directory);
	// ParsePolicy loads them once and returns them as Verifiers.
	Keys []PublicKey `json:"keys,omitempty"`
	// Verifiers are keys given in code: sigstore verifiers, such as those
	// secrets.LoadVerifier returns for a key file, a KMS or an HSM key.
	Verifiers []signature.Verifier `json:"-"`
	// Identities are keyless signers trusted for this builder: a Sigstore
	// bundle signed by a Fulcio certificate whose identity matches one of
	// them counts as one signer (see [VerifyBundle]).
	Identities []TrustedIdentity `json:"identities,omitempty"`
	// Threshold is how many distinct signers must sign (default 1): keys
	// and a keyless identity count alike; a key listed twice counts once,
	// and a certificate once however many identities it matches.
	Threshold int `json:"threshold,omitempty"`
}

// PublicKey is a PEM public key (ECDSA P-256/P-384, Ed25519 or RSA), inline
// or in a file relative to the policy: exactly one of File and PEM.
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
// read relative to its directory. The file must be a regular file of at
// most 1 MiB.
func LoadPolicy(path string) (*Policy, error) {
	data, err := docread.ReadFile(context.Background(), path, docread.ConfigLimit)
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
// PolicySchema and loads its keys; key files are read relative to dir. The
// policy returned holds the loaded keys as Verifiers and no Keys.
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
	// The same step a policy built in Go goes through in Verify.
	cp, err := compilePolicy(&p, dir, input)
	if err != nil {
		return nil, err
	}
	// Keep the loaded keys, so that verifying never reads a key file again.
	for i := range p.Builders {
		p.Builders[i].Keys = nil
		p.Builders[i].Verifiers = cp.roots[i].verifiers()
	}
	return &p, nil
}

// Validate checks p the way ParsePolicy checks a policy document (the
// rules of PolicySchema) and loads every key it names, key files relative
// to the working directory. Verify runs the same step on every call, so a
// policy built in Go that fails Validate verifies nothing; call Validate
// where the policy is built to report the mistake there.
func (p *Policy) Validate() error {
	_, err := compilePolicy(p, "", "policy")
	return err
}

// compiledPolicy is a policy checked and with its keys loaded: what the
// rule steps of Verify apply.
type compiledPolicy struct {
	*Policy
	roots []trustRoot
	// algs are the accepted digest algorithms (the defaults when the
	// policy names none).
	algs []string
}

// compilePolicy is the one step every policy goes through before use,
// parsed or built in Go: the checks PolicySchema states, then the keys.
func compilePolicy(p *Policy, dir, input string) (*compiledPolicy, error) {
	if probs := policyProblems(p); len(probs) > 0 {
		return nil, &FormatError{Input: input, Err: ErrMalformed, Reason: strings.Join(probs, "; ")}
	}
	cp := &compiledPolicy{Policy: p, algs: p.DigestAlgorithms}
	if len(cp.algs) == 0 {
		cp.algs = DefaultDigestAlgorithms
	}
	for i := range p.Builders {
		b := &p.Builders[i]
		where := fmt.Sprintf("builders[%d]", i)
		keys, err := loadKeys(b, dir, where)
		if err != nil {
			return nil, fmt.Errorf("provenance: %s: %w", input, err)
		}
		var ids []*sigstorekeyless.Matcher
		for j, r := range b.Identities {
			m, err := r.Compile()
			if err != nil {
				return nil, &FormatError{Input: input, Err: ErrMalformed, Reason: fmt.Sprintf("%s.identities[%d]: %v", where, j, err)}
			}
			ids = append(ids, m)
		}
		signers := len(keys)
		if len(ids) > 0 {
			signers++
		}
		if need := max(b.Threshold, 1); need > signers {
			return nil, &FormatError{Input: input, Err: ErrMalformed,
				Reason: fmt.Sprintf("%s (%q): threshold %d but %d distinct key(s) and %d identity rule(s)", where, b.ID, need, len(keys), len(ids))}
		}
		cp.roots = append(cp.roots, trustRoot{TrustedBuilder: *b, keys: keys, identities: ids})
	}
	return cp, nil
}

// policyProblems lists what PolicySchema would reject in p, for a policy
// that did not come from a document. Each names the field.
func policyProblems(p *Policy) []string {
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	if p.Version != 0 && p.Version != 1 {
		bad("version %d: want 1", p.Version)
	}
	for i, b := range p.Builders {
		where := fmt.Sprintf("builders[%d]", i)
		if b.ID == "" {
			bad("%s: no id", where)
		}
		if len(b.Keys)+len(b.Verifiers)+len(b.Identities) == 0 {
			bad("%s (%q): no key or identity", where, b.ID)
		}
		if b.Threshold < 0 {
			bad("%s (%q): threshold %d: want 1 or more", where, b.ID, b.Threshold)
		}
		for j, k := range b.Keys {
			if (k.File == "") == (k.PEM == "") {
				bad("%s.keys[%d]: want exactly one of file and pem", where, j)
			}
		}
	}
	for i, bt := range p.BuildTypes {
		if bt == "" {
			bad("buildTypes[%d]: empty", i)
		}
	}
	for i, a := range p.DigestAlgorithms {
		if a == "" {
			bad("digestAlgorithms[%d]: empty", i)
		}
	}
	if p.MaxAge < 0 {
		bad("maxAge %s: negative", time.Duration(p.MaxAge))
	}
	for _, list := range []struct {
		name  string
		rules []DependencyRule
	}{{"dependencies.required", p.Dependencies.Required}, {"dependencies.allowed", p.Dependencies.Allowed}} {
		for i, r := range list.rules {
			where := fmt.Sprintf("%s[%d]", list.name, i)
			if r.Name == "" && r.URI == "" {
				bad("%s: selects nothing: give name or uri", where)
			}
			if r.URI != "" {
				if _, err := path.Match(r.URI, ""); err != nil {
					bad("%s: uri %q: %v", where, r.URI, err)
				}
			}
			for j, d := range r.Digests {
				if len(d) == 0 {
					bad("%s.digests[%d]: empty", where, j)
				}
				for alg, v := range d {
					if alg == "" || v == "" || !isHex(v) {
						bad("%s.digests[%d]: %s:%q is not a hex digest", where, j, alg, v)
					}
				}
			}
		}
	}
	for _, k := range sortedKeys(p.ExternalParameters) {
		r := p.ExternalParameters[k]
		n := 0
		for _, set := range []bool{r.Exact != nil, len(r.OneOf) > 0, r.Any} {
			if set {
				n++
			}
		}
		if n != 1 {
			bad("externalParameters.%s: want exactly one of exact, oneOf and any", k)
		}
	}
	return probs
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// VerifierFromPEM returns a verifier for a PEM public key or
// certificate (ECDSA P-256/P-384, Ed25519 or RSA PKCS#1 v1.5), with the hash
// conventionally paired with the key: SHA-256 for P-256 and RSA, SHA-384
// for P-384, pure Ed25519.
func VerifierFromPEM(pem []byte) (signature.Verifier, error) {
	pub, err := keyfile.ParsePublicKey(pem)
	if err != nil {
		return nil, err
	}
	return VerifierFromPublicKey(pub)
}

// VerifierFromPublicKey wraps a public key as a verifier, with the hash
// VerifierFromPEM pairs with it.
func VerifierFromPublicKey(pub crypto.PublicKey) (signature.Verifier, error) {
	h, err := dssesig.DefaultHash(pub)
	if err != nil {
		return nil, err
	}
	return signature.LoadVerifier(pub, h)
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
