package validation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/xeipuuv/gojsonschema"
)

// JSONSchema is a compiled JSON Schema (drafts 4, 6 and 7, via
// gojsonschema) for validating JSON documents and JSON Lines files.
//
// Reference resolution is closed by default: a $ref to a URL (http, https
// or any other scheme) is refused before anything is fetched, because a
// schema must not make a quality gate reach out to the network; a $ref to
// a local file is allowed only inside JSONSchemaOptions.AllowDir.
type JSONSchema struct {
	name   string
	schema *gojsonschema.Schema
}

// JSONSchemaOptions control schema compilation.
type JSONSchemaOptions struct {
	// AllowDir is the directory local file $refs may point into. Empty
	// allows no file references (only refs within the schema, "#/...").
	AllowDir string
}

// RefError is returned for a $ref the policy refuses.
type RefError struct {
	Schema string // the schema file (or "inline")
	Ref    string
	Reason string
}

func (e *RefError) Error() string {
	return fmt.Sprintf("validation: schema %s: $ref %q refused: %s", e.Schema, e.Ref, e.Reason)
}

// CompileJSONSchema reads and compiles the JSON Schema at path.
func CompileJSONSchema(path string, opts *JSONSchemaOptions) (*JSONSchema, error) {
	var o JSONSchemaOptions
	if opts != nil {
		o = *opts
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("validation: schema %s: %w", path, err)
	}
	allow := ""
	if o.AllowDir != "" {
		if allow, err = realDir(o.AllowDir); err != nil {
			return nil, fmt.Errorf("validation: allowed schema directory %s: %w", o.AllowDir, err)
		}
	}
	if err := checkRefs(path, abs, allow, map[string]bool{}); err != nil {
		return nil, err
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewReferenceLoader((&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()))
	if err != nil {
		return nil, fmt.Errorf("validation: schema %s: %w", path, err)
	}
	return &JSONSchema{name: path, schema: s}, nil
}

// compileInline compiles a schema given inside a suite; it may only refer
// to itself.
func compileInline(doc any) (*JSONSchema, error) {
	if err := walkRefs(doc, func(ref string) error {
		if !strings.HasPrefix(ref, "#") {
			return &RefError{Schema: "inline", Ref: ref, Reason: "an inline schema may only refer within itself"}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewGoLoader(doc))
	if err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	return &JSONSchema{name: "inline", schema: s}, nil
}

func realDir(d string) (string, error) {
	a, err := filepath.Abs(d)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(a)
}

// checkRefs walks the schema file at abs and every local file it refers
// to, refusing remote refs and files outside allow.
func checkRefs(name, abs string, allow string, seen map[string]bool) error {
	if seen[abs] {
		return nil
	}
	seen[abs] = true
	b, err := os.ReadFile(abs)
	if err != nil {
		return fmt.Errorf("validation: schema %s: %w", name, err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("validation: schema %s: not JSON: %w", name, err)
	}
	return walkRefs(doc, func(ref string) error {
		u, err := url.Parse(ref)
		if err != nil {
			return &RefError{Schema: name, Ref: ref, Reason: "not a URI reference"}
		}
		if u.Scheme != "" && u.Scheme != "file" {
			return &RefError{Schema: name, Ref: ref, Reason: "remote references are not fetched"}
		}
		if u.Host != "" {
			return &RefError{Schema: name, Ref: ref, Reason: "references with a host are not fetched"}
		}
		if u.Path == "" { // "#/definitions/x"
			return nil
		}
		if allow == "" {
			return &RefError{Schema: name, Ref: ref, Reason: "file references need an allowed directory"}
		}
		target := u.Path
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), filepath.FromSlash(target))
		}
		real, err := filepath.EvalSymlinks(target)
		if err != nil {
			return &RefError{Schema: name, Ref: ref, Reason: "file not found"}
		}
		if rel, err := filepath.Rel(allow, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return &RefError{Schema: name, Ref: ref, Reason: "outside the allowed directory"}
		}
		return checkRefs(ref, real, allow, seen)
	})
}

// walkRefs calls fn for every $ref in a schema document; an absolute
// $id/id is refused since relative refs would resolve against it.
func walkRefs(doc any, fn func(string) error) error {
	switch v := doc.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok {
				switch k {
				case "$ref":
					if err := fn(s); err != nil {
						return err
					}
				case "$id", "id":
					if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Scheme != "file" {
						// Only a base URI; refs resolved against it are
						// checked through fn as written, but a remote base
						// would turn relative refs remote.
						if err := fn(s); err != nil {
							return err
						}
					}
				}
			}
			if err := walkRefs(x, fn); err != nil {
				return err
			}
		}
	case []any:
		for _, x := range v {
			if err := walkRefs(x, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// JSONError is one violation in a JSON document.
type JSONError struct {
	Line    int64  `json:"line,omitempty"` // JSON Lines only
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e JSONError) String() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
	}
	return e.Field + ": " + e.Message
}

// validate checks one document and returns its violations.
func (s *JSONSchema) validate(doc []byte) ([]JSONError, error) {
	res, err := s.schema.Validate(gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return nil, err
	}
	var out []JSONError
	for _, e := range res.Errors() {
		out = append(out, JSONError{Field: e.Field(), Message: e.Description()})
	}
	return out, nil
}

// JSONReport is the outcome of validating one file.
type JSONReport struct {
	File      string      `json:"file"`
	Documents int64       `json:"documents"`
	Invalid   int64       `json:"invalid"`
	Errors    []JSONError `json:"errors,omitempty"` // the first ones
}

// Valid reports whether every document was valid.
func (r *JSONReport) Valid() bool { return r.Invalid == 0 }

const maxJSONErrors = 100

// ValidateFile validates a JSON document, or each line of a JSON Lines
// file (.jsonl, .ndjson), against the schema. Unreadable or malformed
// input is an error; schema violations are in the report.
func (s *JSONSchema) ValidateFile(ctx context.Context, path string) (*JSONReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("validation: %w", err)
	}
	defer f.Close()
	rep := &JSONReport{File: path}
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".jsonl" && ext != ".ndjson" {
		b, err := io.ReadAll(io.LimitReader(f, 1<<30))
		if err != nil {
			return nil, fmt.Errorf("validation: %s: %w", path, err)
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("validation: %s: not valid JSON", path)
		}
		errs, err := s.validate(b)
		if err != nil {
			return nil, fmt.Errorf("validation: %s: %w", path, err)
		}
		rep.Documents = 1
		if len(errs) > 0 {
			rep.Invalid, rep.Errors = 1, errs[:min(len(errs), maxJSONErrors)]
		}
		return rep, nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 64<<20)
	var line int64
	for sc.Scan() {
		line++
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("validation: %s: line %d: not valid JSON", path, line)
		}
		errs, err := s.validate(b)
		if err != nil {
			return nil, fmt.Errorf("validation: %s: line %d: %w", path, line, err)
		}
		rep.Documents++
		if len(errs) > 0 {
			rep.Invalid++
			for _, e := range errs {
				if len(rep.Errors) < maxJSONErrors {
					e.Line = line
					rep.Errors = append(rep.Errors, e)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("validation: %s: line %d: %w", path, line+1, err)
	}
	return rep, nil
}

func init() {
	register(&checkType{
		name: "expect_column_values_to_match_json_schema", kind: KindRow,
		summary: "string values are JSON documents valid against an inline JSON Schema (refs only within it)",
		params:  rowParams(p("json_schema", true, tObject)),
		build: func(c *compiler, k kwargs) (evaluator, error) {
			i, _, err := c.stringColumn(k.str("column"))
			if err != nil {
				return nil, err
			}
			js, err := compileInline(k["json_schema"])
			if err != nil {
				return nil, err
			}
			return &rowEval{col: i, mostly: mostlyOf(k), what: "values not valid against the JSON Schema",
				scan: func(arr arrow.Array, bad func(int)) int64 {
					return scanStrings(arr, func(v string) bool {
						if !json.Valid([]byte(v)) {
							return false
						}
						errs, err := js.validate([]byte(v))
						return err == nil && len(errs) == 0
					}, bad)
				}}, nil
		},
	})
}
