package validation

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// refTree is an allowed directory and, beside it, an outside directory
// whose schema holds values that must never reach an error message.
type refTree struct{ allowed, outside string }

func newRefTree(t testing.TB) refTree {
	t.Helper()
	base := t.TempDir()
	rt := refTree{allowed: filepath.Join(base, "a", "b", "allowed"), outside: filepath.Join(base, "outside")}
	require.NoError(t, os.MkdirAll(rt.allowed, 0o755))
	require.NoError(t, os.MkdirAll(rt.outside, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rt.outside, "schema.json"),
		[]byte(`{"definitions": {"x": {"enum": ["OUTSIDE-SECRET"]}}, "enum": ["OUTSIDE-SECRET"]}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(rt.allowed, "item.json"),
		[]byte(`{"type": "object", "required": ["id"]}`), 0o644))
	return rt
}

func (rt refTree) write(t testing.TB, name, doc string) string {
	t.Helper()
	p := filepath.Join(rt.allowed, name)
	require.NoError(t, os.WriteFile(p, []byte(doc), 0o644))
	return p
}

// watchOpens records every file a schema reference opens.
func watchOpens(t testing.TB) *[]string {
	var opened []string
	gateOpenHook = func(p string) { opened = append(opened, p) }
	t.Cleanup(func() { gateOpenHook = nil })
	return &opened
}

// The ways around the closed-$ref rule: none opens a file outside the
// allowed directory, standalone or inline. Where the schema needs the
// outside document it is refused with a *RefError naming why; where an
// $id only renames the document itself, its local $refs resolve within it
// (and fail here, since it lacks the definition) without loading anything.
func TestJSONSchemaIDEscapes(t *testing.T) {
	rt := newRefTree(t)
	outsideURL := fileURL(filepath.Join(rt.outside, "schema.json"))
	for _, tc := range []struct {
		name, doc, reason string
	}{
		{"absolute file $id with a fragment and a local $ref",
			`{"$id": "` + outsideURL + `#a", "$ref": "#/definitions/x", "definitions": {"x": {"type": "string"}}}`,
			"outside the allowed directory"},
		{"absolute file $id without a fragment",
			`{"$id": "` + outsideURL + `", "properties": {"p": {"$ref": "#/definitions/x"}}}`,
			""},
		{"relative $id climbing out",
			`{"$id": "../../../outside/", "$ref": "schema.json"}`,
			"outside the allowed directory"},
		{"relative $id climbing out, local $ref",
			`{"$id": "../../../outside/schema.json", "$ref": "#/definitions/x"}`,
			""},
		{"$id in a subschema",
			`{"properties": {"p": {"$id": "` + outsideURL + `", "$ref": "#/definitions/x"}}}`,
			""},
		{"$id in a subschema, $ref to a sibling",
			`{"properties": {"p": {"$id": "` + outsideURL + `", "$ref": "other.json"}}}`,
			"outside the allowed directory"},
		{"draft-4 id",
			`{"$schema": "http://json-schema.org/draft-04/schema#", "id": "` + outsideURL + `#a", "$ref": "#/definitions/x"}`,
			"outside the allowed directory"},
		{"device as $id",
			`{"$id": "file:///dev/zero#a", "$ref": "#/definitions/x"}`,
			"outside the allowed directory"},
		{"remote $id base",
			`{"$id": "https://example.com/s/", "$ref": "item.json"}`,
			"remote references are not fetched"},
		{"file URL with a host",
			`{"$ref": "file://evil.example.com/schema.json"}`,
			"references with a host are not fetched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opened := watchOpens(t)
			p := rt.write(t, "root.json", tc.doc)
			_, err := CompileJSONSchema(p, JSONSchemaOptions{AllowDir: rt.allowed})
			require.Error(t, err)
			var re *RefError
			if tc.reason != "" {
				require.True(t, errors.As(err, &re), "want *RefError, got %v", err)
				require.Contains(t, err.Error(), tc.reason)
			}
			require.NotContains(t, err.Error(), "OUTSIDE-SECRET")
			for _, o := range *opened {
				require.True(t, strings.HasPrefix(o, rt.allowed+string(filepath.Separator)), "opened %s", o)
			}

			// The same schema inline in a suite loads nothing at all.
			var doc any
			require.NoError(t, json.Unmarshal([]byte(tc.doc), &doc))
			_, err = compileInline(doc)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "OUTSIDE-SECRET")
			require.Empty(t, *opened)
		})
	}
}

// A device, even inside the allowed directory, is never read: only
// regular files of bounded size are.
func TestJSONSchemaBoundedReads(t *testing.T) {
	_, err := CompileJSONSchema(os.DevNull, JSONSchemaOptions{})
	require.ErrorContains(t, err, "not a regular file")
	_, err = CompileJSONSchema("/dev/zero", JSONSchemaOptions{})
	require.ErrorContains(t, err, "not a regular file")

	p := filepath.Join(t.TempDir(), "root.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"$id": "file:///dev/zero#a", "$ref": "#/definitions/x"}`), 0o644))
	_, err = CompileJSONSchema(p, JSONSchemaOptions{AllowDir: "/dev"})
	require.ErrorContains(t, err, "not a regular file")

	rt := newRefTree(t)
	big := `{"enum": [` + strings.Repeat(`"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",`, MaxSchemaBytes/34+1) + `"x"]}`
	rt.write(t, "big.json", big)
	_, err = CompileJSONSchema(rt.write(t, "root.json", `{"$ref": "big.json"}`), JSONSchemaOptions{AllowDir: rt.allowed})
	require.ErrorContains(t, err, fmt.Sprintf("larger than %d bytes", MaxSchemaBytes))

	// A chain of documents longer than MaxSchemaDocuments.
	for i := range MaxSchemaDocuments + 1 {
		rt.write(t, fmt.Sprintf("d%d.json", i), fmt.Sprintf(`{"$ref": "d%d.json"}`, i+1))
	}
	rt.write(t, fmt.Sprintf("d%d.json", MaxSchemaDocuments+1), `{}`)
	_, err = CompileJSONSchema(filepath.Join(rt.allowed, "d0.json"), JSONSchemaOptions{AllowDir: rt.allowed})
	require.ErrorContains(t, err, "more than")

	_, err = CompileJSONSchema(rt.write(t, "dup.json", `{"type": "object", "type": "string"}`), JSONSchemaOptions{})
	require.ErrorContains(t, err, `duplicate JSON key: key "type"`)
}

// References that stay inside the schema or the allowed directory still
// work, with and without an $id.
func TestJSONSchemaLocalRefsStillWork(t *testing.T) {
	rt := newRefTree(t)
	for _, doc := range []string{
		`{"$ref": "#/definitions/x", "definitions": {"x": {"type": "object", "required": ["id"]}}}`,
		`{"$id": "https://example.com/s.json", "$ref": "#/definitions/x", "definitions": {"x": {"type": "object", "required": ["id"]}}}`,
		`{"$ref": "item.json"}`,
		`{"$id": "sub/../", "$ref": "item.json"}`,
	} {
		js, err := CompileJSONSchema(rt.write(t, "root.json", doc), JSONSchemaOptions{AllowDir: rt.allowed})
		require.NoError(t, err, doc)
		errs, err := js.validate([]byte(`{"name": 1}`))
		require.NoError(t, err)
		require.Len(t, errs, 1, doc)
		errs, err = js.validate([]byte(`{"id": 1}`))
		require.NoError(t, err)
		require.Empty(t, errs, doc)
	}
	var doc any
	require.NoError(t, json.Unmarshal([]byte(`{"$ref": "#/definitions/x", "definitions": {"x": {"type": "integer"}}}`), &doc))
	js, err := compileInline(doc)
	require.NoError(t, err)
	errs, err := js.validate([]byte(`"x"`))
	require.NoError(t, err)
	require.Len(t, errs, 1)
}

// FuzzJSONSchemaRefs compiles arbitrary schemas with an allowed directory
// beside a directory of secrets: no file outside the allowed directory is
// ever opened, and compiling never panics.
func FuzzJSONSchemaRefs(f *testing.F) {
	for _, s := range []string{
		`{"$id": "file:///tmp/outside/schema.json#a", "$ref": "#/definitions/x"}`,
		`{"$id": "../../outside/", "$ref": "schema.json"}`,
		`{"$id": "file:///dev/zero#a", "$ref": "#/definitions/x"}`,
		`{"id": "file:///etc/", "$ref": "passwd"}`,
		`{"$ref": "item.json"}`,
		`{"$ref": "file:///etc/passwd"}`,
		`{"$ref": "%2e%2e/%2e%2e/%2e%2e/outside/schema.json"}`,
		`{"$ref": "https://example.com/x.json"}`,
		`{"properties": {"a": {"$id": "../../../outside/schema.json", "$ref": "#"}}}`,
	} {
		f.Add(s)
	}
	rt := newRefTree(f)
	f.Fuzz(func(t *testing.T, doc string) {
		p := filepath.Join(rt.allowed, "root.json")
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		var opened []string
		gateOpenHook = func(p string) { opened = append(opened, p) }
		defer func() { gateOpenHook = nil }()
		_, err := CompileJSONSchema(p, JSONSchemaOptions{AllowDir: rt.allowed})
		if err != nil && strings.Contains(err.Error(), "OUTSIDE-SECRET") {
			t.Fatalf("an outside file's content reached the error: %v", err)
		}
		for _, o := range opened {
			if !strings.HasPrefix(o, rt.allowed+string(filepath.Separator)) {
				t.Fatalf("opened %s outside the allowed directory", o)
			}
		}
	})
}
