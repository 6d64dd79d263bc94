package validation_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/validation"
)

// TestPinnedStatementBytes pins the exact JSON of a test-result statement,
// so that a change of codec cannot change what other tools read.
// Regenerate with MLSEC_UPDATE_PINNED=1 only for a deliberate format change.
func TestPinnedStatementBytes(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "orders.csv")
	require.NoError(t, os.WriteFile(data, []byte("id,amount\n1,2.5\n"), 0o644))
	subj, err := validation.FileSubjects(data)
	require.NoError(t, err)
	subj = append(subj, validation.ResourceDescriptor{Name: "table", URI: "s3://bucket/orders/", Digest: map[string]string{"dirHash": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}})
	res := &validation.Result{
		Suite:       "orders.yaml",
		SuiteDigest: "sha256:4d8a6b1c8f3e7a2b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b",
		Status:      validation.StatusFailed,
		Checks: []validation.CheckResult{
			{Index: 0, Type: "expect_column_to_exist", Status: validation.CheckPassed},
			{Index: 1, ID: "amount-positive", Type: "expect_column_values_to_be_between", Status: validation.CheckWarned},
			{Index: 2, Type: "expect_table_row_count_to_be_between", Status: validation.CheckFailed},
		},
	}
	got, err := json.Marshal(res.Statement(subj))
	require.NoError(t, err)
	empty, err := json.Marshal((&validation.Result{Suite: "s.yaml", SuiteDigest: "sha256:00", Status: validation.StatusPassed}).Statement(nil))
	require.NoError(t, err)
	got = append(append(append(got, '\n'), empty...), '\n')

	p := filepath.Join("testdata", "pinned", "statement.json")
	if os.Getenv("MLSEC_UPDATE_PINNED") == "1" {
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, got, 0o644))
		return
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}
