package validation

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

// Severity says what a failed check does to the verdict.
type Severity string

const (
	SeverityError Severity = "error" // a failure fails the suite (the default)
	SeverityWarn  Severity = "warn"  // a failure only warns
)

// Suite is a declarative list of checks, read from YAML or JSON or built
// in Go. Its format is described by the JSON Schema SuiteJSONSchema,
// against which every suite is validated before use ([Suite.Validate]),
// however it was made.
type Suite struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// SchemaDigest pins the data's Arrow schema (see SchemaDigest): data
	// with any other schema fails the suite.
	SchemaDigest string `json:"schema_digest,omitempty"`
	// FailClosed refuses the places where Great Expectations passes
	// vacuously (a between check with neither bound, a null value_set,
	// type_list or column_list): a gate that says fail_closed: true
	// cannot be loosened into a check that never fails. Checks on a
	// column without non-null values fail either way.
	FailClosed bool           `json:"fail_closed,omitempty"`
	Checks     []Check        `json:"checks"`
	Meta       map[string]any `json:"meta,omitempty"`

	source string // the file or name it was parsed from
	dir    string // its directory, for relative baseline files
	digest string
	// checked is the JSON form of the suite as parsing checked it.
	checked []byte
}

// Check is one check of a suite: a check type (GX-compatible names where
// Great Expectations has one) and its arguments.
type Check struct {
	Type     string         `json:"type"`
	ID       string         `json:"id,omitempty"`
	Severity Severity       `json:"severity,omitempty"`
	Kwargs   map[string]any `json:"kwargs"`
	Meta     map[string]any `json:"meta,omitempty"`
}

// SuiteError is a suite that cannot be used: malformed, not valid
// against the suite JSON Schema, or with a check that cannot be compiled.
type SuiteError struct {
	Suite string // file or name
	Check int    // index in checks, or -1 for the suite as a whole
	Type  string // the check's type, when known
	Field string // e.g. "kwargs.min_value"
	Msg   string
}

func (e *SuiteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "validation: suite %q", e.Suite)
	if e.Check >= 0 {
		fmt.Fprintf(&b, ": check %d", e.Check)
		if e.Type != "" {
			fmt.Fprintf(&b, " (%s)", e.Type)
		}
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// DigestError is a pinned digest that does not match.
type DigestError struct {
	What      string
	Got, Want string
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("validation: %s has digest %s, pinned %s", e.What, e.Got, e.Want)
}

// LoadSuite reads and validates a suite file (YAML or JSON).
func LoadSuite(path string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("validation: %w", err)
	}
	s, err := ParseSuite(path, b)
	if err != nil {
		return nil, err
	}
	s.dir = filepath.Dir(path)
	return s, nil
}

// maxSuiteBytes bounds a suite document.
const maxSuiteBytes = 16 << 20

// ParseSuite parses a suite in YAML or JSON (JSON is YAML) and validates
// it against the suite JSON Schema; name is used in errors.
func ParseSuite(name string, data []byte) (*Suite, error) {
	serr := func(check int, typ, field, msg string) error {
		return &SuiteError{Suite: name, Check: check, Type: typ, Field: field, Msg: msg}
	}
	if len(data) > maxSuiteBytes {
		return nil, serr(-1, "", "", fmt.Sprintf("larger than %d bytes", maxSuiteBytes))
	}
	// Strict: a key given twice is refused, or the second "checks:"
	// would silently replace the first one a reviewer read.
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		// One line: the YAML decoder lists its errors on lines of their own.
		return nil, serr(-1, "", "", "not valid YAML or JSON: "+strings.Join(strings.Fields(err.Error()), " "))
	}
	return parseSuiteJSON(name, js)
}

// parseSuiteJSON is the one path every suite takes, parsed or built in
// Go: the JSON form is checked against the suite schema and each check's
// kwargs against its type, then decoded into the form the checks read
// (numbers float64, lists []any, objects map[string]any).
func parseSuiteJSON(name string, js []byte) (*Suite, error) {
	serr := func(check int, typ, field, msg string) error {
		return &SuiteError{Suite: name, Check: check, Type: typ, Field: field, Msg: msg}
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, serr(-1, "", "", "not valid YAML or JSON: "+err.Error())
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, serr(-1, "", "", "a suite is a mapping with name and checks")
	}
	res, err := suiteSchema().Validate(gojsonschema.NewGoLoader(doc))
	if err != nil {
		return nil, serr(-1, "", "", err.Error())
	}
	if !res.Valid() {
		return nil, schemaErrorFor(name, doc, "", res.Errors())
	}
	prefix, kerrs, err := validateKwargs(doc)
	if err != nil {
		return nil, serr(-1, "", "", err.Error())
	}
	if len(kerrs) > 0 {
		return nil, schemaErrorFor(name, doc, prefix, kerrs)
	}
	canon, err := json.Marshal(doc) // object keys sorted, numbers as written
	if err != nil {
		return nil, serr(-1, "", "", err.Error())
	}
	var s Suite
	if err := json.Unmarshal(canon, &s); err != nil {
		return nil, serr(-1, "", "", err.Error())
	}
	sum := sha256.Sum256(canon)
	s.digest = "sha256:" + hex.EncodeToString(sum[:])
	s.source = name
	for i := range s.Checks {
		if s.Checks[i].Severity == "" {
			s.Checks[i].Severity = SeverityError
		}
		if s.Checks[i].Kwargs == nil {
			s.Checks[i].Kwargs = map[string]any{}
		}
	}
	// Remember the checked form: normalized skips the schemas for a suite
	// still equal to it.
	s.checked, _ = json.Marshal(&s)
	return &s, nil
}

var checkPath = regexp.MustCompile(`^checks\.(\d+)(?:\.(.*))?$`)

// schemaErrorFor turns the most specific JSON Schema error into a
// SuiteError naming the check and field.
func schemaErrorFor(name string, doc any, prefix string, errs []gojsonschema.ResultError) error {
	var best gojsonschema.ResultError
	// An unknown field explains a "required" error next to it (a typo).
	for _, e := range errs {
		if e.Type() == "additional_property_not_allowed" {
			best = e
			break
		}
	}
	for _, e := range errs {
		if best != nil {
			break
		}
		switch e.Type() {
		case "condition_then", "condition_else", "number_all_of", "number_any_of", "number_one_of":
			continue // wrappers; the specific error is also listed
		}
		best = e
		break
	}
	if best == nil {
		best = errs[0]
	}
	field, msg := best.Field(), best.Description()
	msg = strings.TrimPrefix(msg, field+" ")
	if prefix != "" {
		if field == "(root)" {
			field = prefix
		} else {
			field = prefix + "." + field
		}
	}
	if best.Type() == "required" {
		if p, ok := best.Details()["property"].(string); ok {
			if field == "(root)" {
				field = ""
			}
			field = strings.TrimPrefix(field+"."+p, ".")
			msg = "is required"
		}
	}
	if best.Type() == "additional_property_not_allowed" {
		if p, ok := best.Details()["property"].(string); ok {
			field = strings.TrimPrefix(strings.TrimPrefix(field, "(root)")+"."+p, ".")
			msg = "unknown field"
		}
	}
	m := checkPath.FindStringSubmatch(field)
	if m == nil {
		if field == "(root)" {
			field = ""
		}
		return &SuiteError{Suite: name, Check: -1, Field: field, Msg: msg}
	}
	idx, _ := strconv.Atoi(m[1])
	typ := ""
	if root, ok := doc.(map[string]any); ok {
		if checks, ok := root["checks"].([]any); ok && idx < len(checks) {
			if c, ok := checks[idx].(map[string]any); ok {
				typ, _ = c["type"].(string)
			}
		}
	}
	if m[2] == "type" && best.Type() == "enum" {
		msg = fmt.Sprintf("unknown check type %q%s", typ, suggest(typ))
		typ = ""
	}
	return &SuiteError{Suite: name, Check: idx, Type: typ, Field: m[2], Msg: msg}
}

// suggest names the registered type closest to a misspelt one.
func suggest(typ string) string {
	best, bestD := "", 1<<30
	for n := range registry {
		if d := editDistance(typ, n); d < bestD {
			best, bestD = n, d
		}
	}
	if bestD <= 4 {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Validate checks the suite exactly as ParseSuite checks a parsed one:
// against the suite format (SuiteJSONSchema), and each check's kwargs
// against its type, so a typo or a wrong argument is a *SuiteError before
// any data is read. A Suite built in Go may give kwargs in Go's natural
// types (int, int64, float64, string, bool, []string, []int, []any,
// map[string]any, nil for an open bound): they are read as the same
// suite written in YAML would be, so the two behave the same. NewPlan
// (and so the package-level Validate) calls it; call it yourself to fail
// early. It does not change s.
func (s *Suite) Validate() error {
	_, err := s.normalized()
	return err
}

// normalized returns s as the checks read it: s put through its JSON form
// and parseSuiteJSON. Source, directory and digest stay those of s.
func (s *Suite) normalized() (*Suite, error) {
	name := s.source
	if name == "" {
		name = s.Name
	}
	c := *s
	c.Checks = make([]Check, len(s.Checks))
	for i, ch := range s.Checks {
		if ch.Kwargs == nil {
			ch.Kwargs = map[string]any{} // a check with no arguments
		}
		c.Checks[i] = ch
	}
	js, err := json.Marshal(&c)
	if err != nil {
		// NaN, an infinity, a channel or a func among the kwargs.
		return nil, &SuiteError{Suite: name, Check: -1, Msg: "cannot be written as JSON: " + err.Error()}
	}
	if s.checked != nil && bytes.Equal(js, s.checked) && decodedForm(c.Checks) {
		return &c, nil // parsed, and not changed since
	}
	if len(js) > maxSuiteBytes {
		return nil, &SuiteError{Suite: name, Check: -1, Msg: fmt.Sprintf("larger than %d bytes", maxSuiteBytes)}
	}
	n, err := parseSuiteJSON(name, js)
	if err != nil {
		return nil, err
	}
	n.source, n.dir, n.digest = s.source, s.dir, s.Digest()
	return n, nil
}

// decodedForm reports whether every kwarg holds only what decoding JSON
// gives (float64, string, bool, nil, []any, map[string]any): an int 100
// writes the same JSON as 100.0 but is not what the checks read.
func decodedForm(checks []Check) bool {
	var ok func(v any) bool
	ok = func(v any) bool {
		switch v := v.(type) {
		case nil, float64, string, bool:
			return true
		case []any:
			for _, x := range v {
				if !ok(x) {
					return false
				}
			}
			return true
		case map[string]any:
			for _, x := range v {
				if !ok(x) {
					return false
				}
			}
			return true
		}
		return false
	}
	for _, c := range checks {
		if !ok(map[string]any(c.Kwargs)) {
			return false
		}
	}
	return true
}

// Digest is the suite's SHA-256 digest ("sha256:<hex>") over its JSON
// form with object keys sorted and no insignificant whitespace, so YAML
// and JSON spellings of the same suite have the same digest. Pin it
// (Options.SuiteDigest, --suite-digest) so nobody can quietly loosen
// the gate.
func (s *Suite) Digest() string {
	if s.digest == "" {
		b, _ := json.Marshal(s)
		var doc any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		_ = dec.Decode(&doc)
		canon, _ := json.Marshal(doc)
		sum := sha256.Sum256(canon)
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	return s.digest
}

// Source is the file or name the suite was parsed from.
func (s *Suite) Source() string { return s.source }

// MarshalYAML renders the suite as YAML (keys sorted).
func (s *Suite) MarshalYAML() ([]byte, error) { return yaml.Marshal(s) }

// SchemaDigest is the canonical digest of an Arrow schema: SHA-256 over
// one line per field, "name\ttype\tnullable\n", with the type in Arrow's
// canonical text (e.g. "timestamp[us, tz=UTC]"); schema and field
// metadata are not part of it. Column order is.
func SchemaDigest(s *arrow.Schema) string {
	h := sha256.New()
	for _, f := range s.Fields() {
		fmt.Fprintf(h, "%s\t%s\t%t\n", f.Name, f.Type, f.Nullable)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

//go:embed suite.schema.json
var suiteSchemaJSON []byte

// SuiteJSONSchema returns the JSON Schema (draft 7) of the suite format,
// the same text as the committed file suite.schema.json.
func SuiteJSONSchema() []byte { return append([]byte(nil), suiteSchemaJSON...) }

var (
	suiteSchemaOnce sync.Once
	suiteSchemaC    *gojsonschema.Schema            // the suite without per-type kwargs rules
	kwargsSchemas   map[string]*gojsonschema.Schema // definitions/<type>
)

// loadSuiteSchema splits the published schema in two, for speed: the
// envelope (the schema without its per-type if/then rules) and each check
// type's kwargs definition. Validating a check's kwargs against its own
// definition is what the if/then rules say, without evaluating all of
// them for every check.
func loadSuiteSchema() {
	suiteSchemaOnce.Do(func() {
		var doc map[string]any
		if err := json.Unmarshal(suiteSchemaJSON, &doc); err != nil {
			panic("validation: the embedded suite schema is not JSON: " + err.Error())
		}
		defs := doc["definitions"].(map[string]any)
		kwargsSchemas = map[string]*gojsonschema.Schema{}
		for name, def := range defs {
			if name == "check" {
				continue
			}
			ks, err := gojsonschema.NewSchema(gojsonschema.NewGoLoader(def))
			if err != nil {
				panic("validation: the suite schema of " + name + " does not compile: " + err.Error())
			}
			kwargsSchemas[name] = ks
		}
		delete(defs["check"].(map[string]any), "allOf")
		s, err := gojsonschema.NewSchema(gojsonschema.NewGoLoader(doc))
		if err != nil {
			panic("validation: the embedded suite schema does not compile: " + err.Error())
		}
		suiteSchemaC = s
	})
}

func suiteSchema() *gojsonschema.Schema {
	loadSuiteSchema()
	return suiteSchemaC
}

// validateKwargs checks each check's kwargs against its type's schema
// and returns the violations of the first invalid one, with the JSON
// path prefix they have in the whole suite.
func validateKwargs(doc any) (string, []gojsonschema.ResultError, error) {
	loadSuiteSchema()
	checks, _ := doc.(map[string]any)["checks"].([]any)
	for i, c := range checks {
		cm, _ := c.(map[string]any)
		typ, _ := cm["type"].(string)
		ks := kwargsSchemas[typ]
		if ks == nil {
			continue // the envelope's enum already refused it
		}
		res, err := ks.Validate(gojsonschema.NewGoLoader(cm["kwargs"]))
		if err != nil {
			return "", nil, err
		}
		if !res.Valid() {
			return fmt.Sprintf("checks.%d.kwargs", i), res.Errors(), nil
		}
	}
	return "", nil, nil
}

// generateSuiteSchema builds the suite JSON Schema from the check
// catalogue; a test keeps suite.schema.json equal to it.
func generateSuiteSchema() ([]byte, error) {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	defs := map[string]any{}
	var allOf []any
	var enum []any
	for _, n := range names {
		ct := registry[n]
		props := map[string]any{}
		var req []any
		for _, p := range ct.params {
			props[p.name] = p.schema
			if p.required {
				req = append(req, p.name)
			}
		}
		def := map[string]any{"type": "object", "description": ct.summary, "properties": props, "additionalProperties": false}
		if len(req) > 0 {
			def["required"] = req
		}
		defs[n] = def
		enum = append(enum, n)
		allOf = append(allOf, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"type": map[string]any{"const": n}}},
			"then": map[string]any{"properties": map[string]any{"kwargs": map[string]any{"$ref": "#/definitions/" + n}}},
		})
	}
	defs["check"] = map[string]any{
		"type": "object", "required": []any{"type", "kwargs"}, "additionalProperties": false,
		"properties": map[string]any{
			"type":     map[string]any{"enum": enum},
			"id":       map[string]any{"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$"},
			"severity": map[string]any{"enum": []any{"error", "warn"}},
			"kwargs":   map[string]any{"type": "object"},
			"meta":     map[string]any{"type": "object"},
		},
		"allOf": allOf,
	}
	schema := map[string]any{
		"$schema":     "http://json-schema.org/draft-07/schema#",
		"title":       "mlsec validation suite",
		"description": "A declarative data validation suite for the mlsec validation package.",
		"type":        "object", "required": []any{"name", "checks"}, "additionalProperties": false,
		"properties": map[string]any{
			"name":          map[string]any{"type": "string", "minLength": 1},
			"description":   map[string]any{"type": "string"},
			"schema_digest": tSHA256,
			"fail_closed":   map[string]any{"type": "boolean", "description": "refuse checks that would pass vacuously (no bounds, null value_set/type_list/column_list)"},
			"meta":          map[string]any{"type": "object"},
			"checks":        map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"$ref": "#/definitions/check"}},
		},
		"definitions": defs,
	}
	b, err := json.MarshalIndent(schema, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
