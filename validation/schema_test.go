package validation

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

// TestSuiteSchemaUpToDate keeps the committed suite.schema.json equal to
// the schema generated from the check catalogue
// (MLSEC_UPDATE_SCHEMA=1 go test -run TestSuiteSchemaUpToDate rewrites it).
func TestSuiteSchemaUpToDate(t *testing.T) {
	want, err := generateSuiteSchema()
	require.NoError(t, err)
	if os.Getenv("MLSEC_UPDATE_SCHEMA") == "1" {
		require.NoError(t, os.WriteFile("suite.schema.json", want, 0o644))
	}
	require.Equal(t, string(want), string(suiteSchemaJSON), "suite.schema.json is stale; regenerate it")
	require.GreaterOrEqual(t, len(registry), 35)
}

// TestSplitSchemaAgreesWithPublished checks that validating with the
// envelope plus per-type kwargs schemas (what ParseSuite does) accepts and
// rejects the same suites as the published schema with its if/then rules.
func TestSplitSchemaAgreesWithPublished(t *testing.T) {
	full, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(suiteSchemaJSON))
	require.NoError(t, err)
	files, _ := filepath.Glob("testdata/suites/*")
	more, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, more...)
	files = append(files, "testdata/all_checks_pass.json", "testdata/all_checks_fail.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		js, err := yaml.YAMLToJSONStrict(b)
		if err != nil {
			// Not YAML at all, or a duplicate key: the parser refuses it
			// before any schema sees it.
			_, perr := ParseSuite(f, b)
			require.Error(t, perr, f)
			continue
		}
		res, err := full.Validate(gojsonschema.NewBytesLoader(js))
		require.NoError(t, err)
		_, perr := ParseSuite(f, b)
		require.Equal(t, res.Valid(), perr == nil, "%s: %v", f, perr)
	}
}
