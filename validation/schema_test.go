package validation

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
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
