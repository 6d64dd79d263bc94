package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A drift report as an in-toto statement: about the current data file by
// its SHA-256, of the drift predicate type, and a predicate that is the
// report in the published report schema, read back to the same verdict.
func TestReportStatement(t *testing.T) {
	rep := sampleReport(t)
	data := filepath.Join(t.TempDir(), "current.csv")
	content := []byte("amount,age\n1,2\n")
	require.NoError(t, os.WriteFile(data, content, 0o644))
	subj, err := FileSubjects(data)
	require.NoError(t, err)
	st := rep.Statement(subj...)
	b, err := json.Marshal(st)
	require.NoError(t, err)

	var m struct {
		Type          string           `json:"_type"`
		PredicateType string           `json:"predicateType"`
		Subject       []map[string]any `json:"subject"`
		Predicate     json.RawMessage  `json:"predicate"`
	}
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, "https://in-toto.io/Statement/v1", m.Type)
	require.Equal(t, "https://mlsec-dev.github.io/mlsec/drift/report/v1", m.PredicateType)
	sum := sha256.Sum256(content)
	require.Equal(t, map[string]any{"sha256": hex.EncodeToString(sum[:])}, m.Subject[0]["digest"])
	schemaCheck(t, "report.schema.json", m.Predicate)

	var back Report
	require.NoError(t, json.Unmarshal(m.Predicate, &back))
	require.Equal(t, rep.Dataset, back.Dataset)
	require.Len(t, back.Columns, len(rep.Columns))

	_, err = FileSubjects(filepath.Join(t.TempDir(), "missing.csv"))
	require.ErrorContains(t, err, "missing.csv")
}
