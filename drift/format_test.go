package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xeipuuv/gojsonschema"
)

var updateReport = flag.Bool("update-report", false, "rewrite testdata/format/good_report_v1_loans.json from the current Compare")

// schemaCheck validates doc against one of the package's published JSON
// Schemas (profile.schema.json, report.schema.json).
func schemaCheck(t *testing.T, schemaFile string, doc []byte) {
	t.Helper()
	raw := map[string][]byte{"profile.schema.json": ProfileSchema(), "report.schema.json": ReportSchema()}[schemaFile]
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(raw))
	require.NoError(t, err)
	res, err := s.Validate(gojsonschema.NewBytesLoader(doc))
	require.NoError(t, err)
	var msgs []string
	for _, e := range res.Errors() {
		msgs = append(msgs, e.String())
	}
	require.True(t, res.Valid(), "%s: %s", schemaFile, strings.Join(msgs, "; "))
}

func vectors(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "format", pattern))
	require.NoError(t, err)
	require.NotEmpty(t, files, pattern)
	return files
}

// Profiles written by an earlier build in format v1 keep parsing, are
// written back byte for byte, and match the published schema.
func TestProfileFormatV1Vectors(t *testing.T) {
	for _, f := range vectors(t, "good_profile_v1_*.json") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			schemaCheck(t, "profile.schema.json", raw)
			p, err := ReadProfileFile(f)
			require.NoError(t, err)
			out := filepath.Join(t.TempDir(), "p.json")
			require.NoError(t, p.WriteFile(out))
			again, err := os.ReadFile(out)
			require.NoError(t, err)
			require.Equal(t, string(raw), string(again), "format v1 must be written unchanged")
		})
	}
}

// Each fail_profile_* vector is refused with a *ProfileError naming the
// file.
func TestProfileFormatRefused(t *testing.T) {
	for _, f := range vectors(t, "fail_profile_*.json") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := ReadProfileFile(f)
			var pe *ProfileError
			require.True(t, errors.As(err, &pe), "want *ProfileError, got %v", err)
			require.Contains(t, err.Error(), f)
		})
	}
}

// Comparing the two fixed profiles gives the committed report: a change
// in a statistic, a default or the report's shape shows up here.
func TestReportFormatV1Vector(t *testing.T) {
	ref, err := ReadProfileFile(filepath.Join("testdata", "format", "good_profile_v1_loans_clean.json"))
	require.NoError(t, err)
	cur, err := ReadProfileFile(filepath.Join("testdata", "format", "good_profile_v1_loans_poisoned.json"))
	require.NoError(t, err)
	rep, err := Compare(ref, cur, CompareOptions{})
	require.NoError(t, err)
	var got bytes.Buffer
	require.NoError(t, rep.WriteJSON(&got))
	schemaCheck(t, "report.schema.json", got.Bytes())
	golden := filepath.Join("testdata", "format", "good_report_v1_loans.json")
	if *updateReport {
		require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.JSONEq(t, string(want), got.String())
	require.True(t, rep.Dataset.DriftedColumns > 0, "the poisoned loans drift in some column")
}

// Profiles and reports of every shape Compare produces match the schemas:
// exact and sketch mode, p-value tests with a correction, skipped columns.
func TestFormatsMatchSchemas(t *testing.T) {
	x, k, c := makeTable(11, 3000, 0)
	y, k2, c2 := makeTable(12, 2500, 0.3)
	for _, opts := range []ProfileOptions{{}, {SketchK: 64, TopK: 2}, {Exact: true}} {
		ref := profileOf(t, opts, x, k, c, 700)
		cur := profileOf(t, opts, y, k2, c2, 500)
		pj, err := json.Marshal(ref)
		require.NoError(t, err)
		schemaCheck(t, "profile.schema.json", pj)
		for _, co := range []CompareOptions{
			{},
			{Test: TestKS, Correction: CorrectionBH},
			{Test: TestChiSquare, Correction: CorrectionBonferroni, Ignore: []string{"x"}},
		} {
			if opts.Exact && co.Test == "" {
				co.Columns = map[string]ColumnTest{"x": {Test: TestAndersonDarling}}
			}
			rep, err := Compare(ref, cur, co)
			require.NoError(t, err)
			var b bytes.Buffer
			require.NoError(t, rep.WriteJSON(&b))
			schemaCheck(t, "report.schema.json", b.Bytes())
		}
	}
}

// The schema itself refuses the vectors whose fault is one of shape.
func TestProfileSchemaRefusesShape(t *testing.T) {
	raw, err := os.ReadFile("profile.schema.json")
	require.NoError(t, err)
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(raw))
	require.NoError(t, err)
	for _, name := range []string{"unknown_field", "version_2", "wrong_format", "sketch_k_huge", "numeric_with_frequencies"} {
		doc, err := os.ReadFile(filepath.Join("testdata", "format", "fail_profile_"+name+".json"))
		require.NoError(t, err)
		res, err := s.Validate(gojsonschema.NewBytesLoader(doc))
		require.NoError(t, err)
		require.False(t, res.Valid(), name)
	}
}
