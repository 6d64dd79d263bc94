package validation

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite generated reference files")

// TestCheckReference keeps CHECKS.md, the catalogue of check types and
// their arguments, equal to the registry the engine runs.
func TestCheckReference(t *testing.T) {
	want := checkReference()
	if *update {
		require.NoError(t, os.WriteFile("CHECKS.md", []byte(want), 0o644))
	}
	got, err := os.ReadFile("CHECKS.md")
	require.NoError(t, err)
	require.Equal(t, want, string(got), "CHECKS.md is stale: go test ./validation -run TestCheckReference -update")
	for _, ct := range CheckTypes() {
		require.Contains(t, want, "### `"+ct.Name+"`")
		for _, p := range ct.Params {
			if p.Name == "row_condition" || p.Name == "condition_parser" {
				require.Contains(t, want, "`"+p.Name+"`", "said once for every row and aggregate check")
				continue
			}
			require.Contains(t, want, "| `"+p.Name+"` |", ct.Name)
		}
	}
}

func TestParamInfoMatchesSuiteSchema(t *testing.T) {
	byName := map[string]CheckTypeInfo{}
	for _, ct := range CheckTypes() {
		byName[ct.Name] = ct
	}
	between := byName["expect_column_values_to_be_between"]
	require.NotEmpty(t, between.Params)
	var col, mostly *ParamInfo
	for i, p := range between.Params {
		switch p.Name {
		case "column":
			col = &between.Params[i]
		case "mostly":
			mostly = &between.Params[i]
		}
	}
	require.NotNil(t, col)
	require.True(t, col.Required)
	require.Equal(t, "string (non-empty)", col.Type)
	require.NotNil(t, mostly)
	require.False(t, mostly.Required)
	require.Equal(t, "number in [0, 1]", mostly.Type)
	require.True(t, strings.HasPrefix(schemaSummary(map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "minItems": 1}), "array of string"))
}
