package mlsec_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The layering rules of DESIGN: internal/ -> independent packages ->
// composition -> cmd, examples, beam. These tests read the import lines of
// every Go file in the repository (both modules), so a rule is broken the
// moment a file breaks it, whoever builds what.

const modulePath = "github.com/mlsec-dev/mlsec"

// independent lists the packages that must never import one another: each
// is importable on its own.
var independent = []string{"datafile", "drift", "modelscan", "provenance", "secrets", "signing", "validation"}

// composition lists the packages one layer up: they may import the
// independent packages (and one another), and only the CLI, examples, the
// Beam module and the integration tests may import them.
var composition = []string{"gate", "mlbom", "oci"}

// testHelpers are the internal packages a test (never an Example) may use to
// find or start a real component, or to write hostile fixture files.
var testHelpers = map[string]bool{
	modulePath + "/internal/testenv":          true,
	modulePath + "/internal/softhsmtest":      true,
	modulePath + "/internal/dataread/hostile": true,
}

// cliMechanics are the internal packages the CLI may use: writing a file
// atomically is no capability of mlsec's (an outside tool does it with the
// standard library or its own helper), so it is not exported for the CLI's
// sake.
var cliMechanics = map[string]bool{
	modulePath + "/internal/atomicfile": true,
}

type goFile struct {
	path     string // slash-separated, relative to the repository root
	imports  []string
	test     bool
	examples bool // declares an Example function
	doc      string
}

func repoFiles(t *testing.T) []goFile {
	t.Helper()
	var files []goFile
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		require.NoError(t, err, path)
		gf := goFile{path: filepath.ToSlash(path), test: strings.HasSuffix(path, "_test.go")}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err, path)
			gf.imports = append(gf.imports, p)
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Example") {
				gf.examples = true
			}
		}
		if f.Doc != nil {
			gf.doc = f.Doc.Text()
		}
		files = append(files, gf)
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func isInternal(imp string) bool {
	return strings.HasPrefix(imp, modulePath+"/") && strings.Contains(imp+"/", "/internal/")
}

// topDir is the first path element of a file or of an mlsec import path.
func topDir(p string) string {
	p = strings.TrimPrefix(p, modulePath+"/")
	top, _, _ := strings.Cut(p, "/")
	return top
}

// TestExamplesUseExportedPackagesOnly checks the library-first rule: what an
// example, an Example function, a doc snippet, the CLI or the Beam module
// does, a module outside this repository can do, so none of them imports
// internal/ (test files may use the test-environment helpers).
func TestExamplesUseExportedPackagesOnly(t *testing.T) {
	for _, f := range repoFiles(t) {
		inInternal := strings.Contains("/"+f.path, "/internal/")
		ordinaryUser := strings.HasPrefix(f.path, "examples/") || strings.HasPrefix(f.path, "beam/") ||
			strings.HasPrefix(f.path, "cmd/") || f.examples && !inInternal
		for _, imp := range f.imports {
			if !isInternal(imp) || !ordinaryUser {
				continue
			}
			if f.test && !f.examples && testHelpers[imp] {
				continue
			}
			if strings.HasPrefix(f.path, "cmd/") && cliMechanics[imp] {
				continue
			}
			t.Errorf("%s imports %s: examples, Example functions, the CLI and the Beam module use exported packages only", f.path, imp)
		}
		if strings.HasSuffix(f.path, "doc.go") && strings.Contains(f.doc, modulePath+"/internal") {
			t.Errorf("%s: its package documentation shows an internal/ import", f.path)
		}
	}
}

// TestIndependentPackagesImportNoSibling checks that signing, provenance,
// validation, drift, secrets and datafile stay importable on their own, and
// that internal/ points at none of them. Test files are exempt: an
// integration test may compose packages without making one depend on another.
func TestIndependentPackagesImportNoSibling(t *testing.T) {
	indep, comp := map[string]bool{}, map[string]bool{}
	for _, p := range independent {
		indep[p] = true
	}
	for _, p := range composition {
		comp[p] = true
	}
	for _, f := range repoFiles(t) {
		from := topDir(f.path)
		if f.test || !indep[from] && from != "internal" {
			continue
		}
		for _, imp := range f.imports {
			if !strings.HasPrefix(imp, modulePath+"/") || strings.HasPrefix(imp, modulePath+"/beam") {
				continue
			}
			to := topDir(imp)
			switch {
			case from == "internal" && to != "internal":
				t.Errorf("%s imports %s: internal/ is the bottom layer", f.path, imp)
			case indep[from] && indep[to] && to != from:
				t.Errorf("%s imports %s: independent packages never import a sibling", f.path, imp)
			case comp[to]:
				t.Errorf("%s imports %s: composition packages are above the independent ones", f.path, imp)
			}
		}
	}
}

// TestCompositionLayer checks that the composition packages point down
// only, and that no independent or internal package reaches up to them.
func TestCompositionLayer(t *testing.T) {
	comp := map[string]bool{}
	for _, p := range composition {
		comp[p] = true
	}
	for _, f := range repoFiles(t) {
		from := topDir(f.path)
		for _, imp := range f.imports {
			if !strings.HasPrefix(imp, modulePath+"/") || !comp[topDir(imp)] {
				continue
			}
			switch {
			case from == topDir(imp):
			case from == "cmd" || from == "examples" || from == "beam" || from == "integration":
			case comp[from]: // one composition package builds on another (mlbom on gate); Go refuses cycles
			default:
				t.Errorf("%s imports %s: only the CLI, examples and the Beam module sit above the composition layer", f.path, imp)
			}
		}
		if comp[from] && !f.test {
			for _, imp := range f.imports {
				if strings.HasPrefix(imp, modulePath+"/") && !isInternal(imp) && !comp[topDir(imp)] &&
					!slices.Contains(independent, topDir(imp)) {
					t.Errorf("%s imports %s: a composition package imports only independent and internal packages", f.path, imp)
				}
			}
		}
	}
	for _, p := range composition {
		_, err := os.Stat(filepath.Join(p, "doc.go"))
		require.NoError(t, err, "composition package %s has no doc.go", p)
	}
}

func TestIndependentPackagesExist(t *testing.T) {
	for _, p := range independent {
		_, err := os.Stat(filepath.Join(p, "doc.go"))
		require.NoError(t, err, "independent package %s has no doc.go", p)
	}
}
