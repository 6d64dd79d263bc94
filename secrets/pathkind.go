package secrets

import (
	"path"
	"strings"
)

// testDirs and docsDirs are directory names that hold tests and
// documentation in the usual project layouts (Python, Go, JavaScript,
// Java, documentation generators).
var (
	testDirs = map[string]bool{"test": true, "tests": true, "testing": true, "testdata": true, "__tests__": true,
		"spec": true, "specs": true, "fixtures": true, "fixture": true, "e2e": true, "integration_tests": true, "unit_tests": true}
	docsDirs = map[string]bool{"doc": true, "docs": true, "documentation": true, "example": true, "examples": true,
		"sample": true, "samples": true, "tutorial": true, "tutorials": true, "docusaurus": true, "versioned_docs": true, "guides": true}
	docsExts = map[string]bool{".md": true, ".mdx": true, ".rst": true, ".adoc": true}
)

// PathKind classifies a slash-separated path as "test" (a test file or a
// file under a tests directory), "docs" (documentation, examples, a
// README) or "" (anything else). Scans report findings in test and
// documentation files like any other, with this kind set, so that a
// caller can review them apart or drop them
// ([ScanOptions.ExcludeTestAndDocs]); a real credential is a leak
// wherever it is committed.
func PathKind(p string) string {
	p = strings.ToLower(p)
	dir, base := path.Split(p)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	if strings.HasPrefix(stem, "test_") || strings.HasSuffix(stem, "_test") || strings.HasSuffix(stem, ".test") ||
		strings.HasSuffix(stem, ".spec") || stem == "conftest" || stem == "test" || strings.HasSuffix(stem, "_tests") {
		return "test"
	}
	var docs bool
	for _, d := range strings.Split(strings.Trim(dir, "/"), "/") {
		if testDirs[d] {
			return "test"
		}
		docs = docs || docsDirs[d]
	}
	if docs || docsExts[ext] || strings.HasPrefix(stem, "readme") {
		return "docs"
	}
	return ""
}
