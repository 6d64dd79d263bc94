package validation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/xeipuuv/gojsonreference"
	"github.com/xeipuuv/gojsonschema"
)

// JSONSchema is a compiled JSON Schema (drafts 4, 6 and 7, via
// gojsonschema) for validating JSON documents and JSON Lines files.
//
// Reference resolution is closed: gojsonschema never reads a file or the
// network itself. Every document it asks for, whatever $id bases and
// $refs led to it, goes through one loader that refuses any URL but a
// file:// path inside JSONSchemaOptions.AllowDir (remote references are
// never fetched; with no AllowDir, no file is), opens it under an os.Root
// on that directory, and reads at most MaxSchemaBytes of a regular file
// (MaxSchemaDocuments documents in all). A schema pinned by digest thus
// cannot take its meaning from a file outside the allowed directory.
type JSONSchema struct {
	name   string
	schema *gojsonschema.Schema
}

// Bounds on what compiling one JSON Schema reads.
const (
	// MaxSchemaBytes bounds each schema document.
	MaxSchemaBytes = 8 << 20
	// MaxSchemaDocuments bounds the documents one schema may load
	// through its references, itself included.
	MaxSchemaDocuments = 256
)

// JSONSchemaOptions control schema compilation.
type JSONSchemaOptions struct {
	// AllowDir is the directory local file $refs may point into. Empty
	// allows no file references (only refs within the schema, "#/...").
	AllowDir string
}

// RefError is returned for a $ref the policy refuses.
type RefError struct {
	Schema string // the schema file (or "inline")
	Ref    string // the reference as resolved against its base URI
	Reason string
}

func (e *RefError) Error() string {
	return fmt.Sprintf("validation: schema %s: $ref %q refused: %s", e.Schema, e.Ref, e.Reason)
}

// CompileJSONSchema reads and compiles the JSON Schema at path.
func CompileJSONSchema(path string, o JSONSchemaOptions) (*JSONSchema, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("validation: schema %s: %w", path, err)
	}
	g := &refGate{schema: path, rootURL: fileURL(abs)}
	if o.AllowDir != "" {
		if g.allowDirAsGiven, err = filepath.Abs(o.AllowDir); err != nil {
			return nil, fmt.Errorf("validation: allowed schema directory %s: %w", o.AllowDir, err)
		}
		if g.allowDir, err = realDir(o.AllowDir); err != nil {
			return nil, fmt.Errorf("validation: allowed schema directory %s: %w", o.AllowDir, err)
		}
		if g.allow, err = os.OpenRoot(g.allowDir); err != nil {
			return nil, fmt.Errorf("validation: allowed schema directory %s: %w", o.AllowDir, err)
		}
		defer g.allow.Close()
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("validation: schema %s: %w", path, err)
	}
	g.rootDoc, err = g.read(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("validation: schema %s: %w", path, err)
	}
	s, err := gojsonschema.NewSchemaLoader().Compile(&gatedLoader{gate: g, source: g.rootURL})
	if err != nil {
		var re *RefError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, fmt.Errorf("validation: schema %s: %w", path, err)
	}
	return &JSONSchema{name: path, schema: s}, nil
}

// compileInline compiles a schema given inside a suite; it may only refer
// to itself.
func compileInline(doc any) (*JSONSchema, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	g := &refGate{schema: "inline", inline: true}
	if g.rootDoc, err = g.decode(b); err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	s, err := gojsonschema.NewSchemaLoader().Compile(&gatedLoader{gate: g})
	if err != nil {
		var re *RefError
		if errors.As(err, &re) {
			return nil, re
		}
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

// inside reports whether path lies strictly below dir (both absolute and
// clean).
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func fileURL(abs string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// refGate is the only way a schema's documents are read: the root schema,
// and every document gojsonschema asks for while it resolves references.
type refGate struct {
	schema   string // for errors: the schema file, or "inline"
	inline   bool   // a schema inside a suite: nothing may be loaded
	allowDir string // the allowed directory, resolved; "" for none
	// allowDirAsGiven is the allowed directory made absolute but with its
	// links unresolved: a schema below it names files by that path.
	allowDirAsGiven string
	allow           *os.Root // opened on allowDir
	rootURL         string   // file:// URL of the root schema file
	rootDoc         any
	docs            int
}

// load returns the document at source (a URL without its fragment).
func (g *refGate) load(source string) (any, error) {
	refuse := func(reason string) error { return &RefError{Schema: g.schema, Ref: source, Reason: reason} }
	u, err := url.Parse(source)
	if err != nil {
		return nil, refuse("not a URI reference")
	}
	u.Fragment, u.RawFragment = "", ""
	if !g.inline && u.String() == g.rootURL {
		return g.rootDoc, nil
	}
	switch {
	case g.inline:
		return nil, refuse("an inline schema may only refer within itself")
	case u.Scheme != "file":
		return nil, refuse("remote references are not fetched")
	case u.Host != "" && u.Host != "localhost":
		return nil, refuse("references with a host are not fetched")
	case u.RawQuery != "" || u.Opaque != "":
		return nil, refuse("not a plain file URL")
	case g.allow == nil:
		return nil, refuse("file references need an allowed directory")
	}
	target := filepath.Clean(filepath.FromSlash(u.Path))
	if !filepath.IsAbs(target) {
		return nil, refuse("not an absolute file URL")
	}
	// Check the path as written first, so that whether a file outside
	// exists is never revealed, then the path with links resolved.
	if !inside(g.allowDir, target) && !inside(g.allowDirAsGiven, target) {
		return nil, refuse("outside the allowed directory")
	}
	real, err := filepath.EvalSymlinks(target)
	if err != nil {
		return nil, refuse("file not found")
	}
	if !inside(g.allowDir, real) {
		return nil, refuse("outside the allowed directory")
	}
	rel, _ := filepath.Rel(g.allowDir, real)
	if gateOpenHook != nil {
		gateOpenHook(real)
	}
	// Open under the allowed directory's os.Root: a link swapped in
	// after the check above still cannot lead outside it.
	f, err := g.allow.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, refuse("cannot be opened inside the allowed directory: " + err.Error())
	}
	defer f.Close()
	doc, err := g.read(f)
	if err != nil {
		return nil, refuse(err.Error())
	}
	return doc, nil
}

// read reads one schema document from f: a regular file of at most
// MaxSchemaBytes, strict JSON.
func (g *refGate) read(f *os.File) (any, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSchemaBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSchemaBytes {
		return nil, fmt.Errorf("larger than %d bytes", MaxSchemaBytes)
	}
	return g.decode(b)
}

func (g *refGate) decode(b []byte) (any, error) {
	if g.docs++; g.docs > MaxSchemaDocuments {
		return nil, fmt.Errorf("loads more than %d documents", MaxSchemaDocuments)
	}
	doc, err := decodeJSONStrict(b)
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return doc, nil
}

// gateOpenHook, set by tests, sees every file a schema reference opens.
var gateOpenHook func(path string)

// gatedLoader is the gojsonschema.JSONLoader of every document: its
// LoaderFactory hands gojsonschema more gated loaders, never its own
// file or HTTP loader.
type gatedLoader struct {
	gate   *refGate
	source string // "" for the inline root
}

func (l *gatedLoader) JsonSource() any { return l.source }

func (l *gatedLoader) LoadJSON() (any, error) {
	if l.source == "" {
		return l.gate.rootDoc, nil
	}
	return l.gate.load(l.source)
}

func (l *gatedLoader) JsonReference() (gojsonreference.JsonReference, error) {
	if l.source == "" {
		return gojsonreference.NewJsonReference("#")
	}
	return gojsonreference.NewJsonReference(l.source)
}

func (l *gatedLoader) LoaderFactory() gojsonschema.JSONLoaderFactory { return gateFactory{l.gate} }

type gateFactory struct{ gate *refGate }

func (f gateFactory) New(source string) gojsonschema.JSONLoader {
	return &gatedLoader{gate: f.gate, source: source}
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
