package validation_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/validation"
)

var ctx = context.Background()

// open reads a testdata dataset; CSV and JSON Lines are parsed into the
// Parquet file's schema, so all formats carry the same columns.
func open(t testing.TB, name string) *datafile.Reader {
	t.Helper()
	var opts datafile.Options
	if ext := filepath.Ext(name); ext == ".csv" || ext == ".jsonl" {
		base := strings.TrimSuffix(name, ext) + ".parquet"
		s, err := datafile.ReadSchema(ctx, filepath.Join("testdata", base), datafile.Options{})
		require.NoError(t, err)
		opts.Schema = s
	}
	r, err := datafile.Open(ctx, filepath.Join("testdata", name), opts)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

func run(t testing.TB, suite, data string, opts validation.Options) *validation.Result {
	t.Helper()
	s, err := validation.LoadSuite(filepath.Join("testdata", suite))
	require.NoError(t, err)
	res, err := validation.Validate(ctx, s, open(t, data), opts)
	require.NoError(t, err)
	return res
}

func failedIDs(res *validation.Result) []string {
	var out []string
	for _, c := range res.Checks {
		if c.Status != validation.CheckPassed {
			out = append(out, c.Name())
		}
	}
	sort.Strings(out)
	return out
}

// TestGatePoisonedDataset is the acceptance test: the gate passes the
// clean loans data and rejects the poisoned copy naming each signal, in
// every file format.
func TestGatePoisonedDataset(t *testing.T) {
	for _, ext := range []string{".parquet", ".arrow", ".csv", ".jsonl"} {
		t.Run(ext, func(t *testing.T) {
			clean := run(t, "loans_gate.yaml", "loans_clean"+ext, validation.Options{})
			require.Equal(t, validation.StatusPassed, clean.Status, "%v", failedIDs(clean))
			require.True(t, clean.Success)
			require.Equal(t, int64(2000), clean.Rows)
			require.Equal(t, 17, clean.Statistics.Passed)

			bad := run(t, "loans_gate.yaml", "loans_poisoned"+ext, validation.Options{})
			require.Equal(t, validation.StatusFailed, bad.Status)
			require.False(t, bad.Success)
			require.Equal(t, []string{
				"age.range",              // out-of-range values
				"id.unique",              // injected copies
				"income.range",           // out-of-range values
				"pii.note",               // email, card, IBAN in free text
				"poison.duplicates",      // injected duplicates
				"poison.income_outliers", // z-score outliers
				"poison.income_shift",    // statistics shift vs the baseline file
				"poison.label_conflicts", // flipped labels on copied features
				"poison.label_shift",     // label proportions vs the pinned baseline
				"schema.columns",         // the added column
				"secrets.note",           // a password in free text
			}, failedIDs(bad))
			byID := map[string]validation.CheckResult{}
			for _, c := range bad.Checks {
				byID[c.Name()] = c
			}
			require.Contains(t, byID["schema.columns"].Message, "unexpected columns: trigger")
			require.Equal(t, int64(25), byID["age.range"].UnexpectedCount)
			require.Contains(t, byID["poison.label_conflicts"].Message, "carry different labels")
			require.Equal(t, int64(3), byID["pii.note"].UnexpectedCount)
			require.Empty(t, byID["pii.note"].UnexpectedSample, "PII is never sampled")
			require.Equal(t, []int64{7, 8, 9}, byID["pii.note"].UnexpectedIndices)
		})
	}
}

// TestEveryCheckType runs each registered check type on real data once
// with arguments that pass and once with arguments that fail.
func TestEveryCheckType(t *testing.T) {
	pass := run(t, "all_checks_pass.json", "loans_clean.parquet", validation.Options{})
	require.Equal(t, validation.StatusPassed, pass.Status, "%v", failedIDs(pass))
	fail := run(t, "all_checks_fail.json", "loans_clean.parquet", validation.Options{})
	// PII and credential detectors find nothing in the clean data; their
	// failing case is the poisoned dataset (TestGatePoisonedDataset).
	needPoison := map[string]bool{"expect_column_values_to_not_contain_pii": true, "expect_column_values_to_not_contain_credentials": true}
	covered := map[string]bool{}
	for _, c := range fail.Checks {
		covered[c.Type] = true
		if needPoison[c.Type] {
			continue
		}
		require.Equal(t, validation.CheckFailed, c.Status, "%s should fail: %+v", c.Type, c)
		require.NotEmpty(t, c.Message, c.Type)
	}
	for _, ct := range validation.CheckTypes() {
		require.True(t, covered[ct.Name], "check type %s has no test case", ct.Name)
	}
	require.GreaterOrEqual(t, len(validation.CheckTypes()), 35)
}

// TestGoldenStatistics compares aggregates with pandas (testdata/golden_stats.py).
func TestGoldenStatistics(t *testing.T) {
	b, err := os.ReadFile("testdata/golden_stats.json")
	require.NoError(t, err)
	var golden map[string]map[string]float64
	require.NoError(t, json.Unmarshal(b, &golden))
	for col, stats := range golden {
		var checks []validation.Check
		names := []string{}
		for stat := range stats {
			names = append(names, stat)
		}
		sort.Strings(names)
		for _, stat := range names {
			typ := map[string]string{"mean": "expect_column_mean_to_be_between", "std": "expect_column_stdev_to_be_between",
				"min": "expect_column_min_to_be_between", "max": "expect_column_max_to_be_between", "sum": "expect_column_sum_to_be_between",
				"median": "expect_column_median_to_be_between", "null_fraction": "expect_column_null_fraction_to_be_between",
				"nunique": "expect_column_unique_value_count_to_be_between"}[stat]
			if typ == "" {
				continue
			}
			checks = append(checks, validation.Check{ID: stat, Type: typ, Kwargs: map[string]any{"column": col, "min_value": -1e300}})
		}
		s := suiteOf(t, checks)
		res, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
		require.NoError(t, err)
		for _, c := range res.Checks {
			got, ok := c.Observed.(float64)
			require.True(t, ok, "%s %s: %v %s", col, c.ID, c.Observed, c.Error)
			want := stats[c.ID]
			require.InDelta(t, want, got, 1e-9*math.Max(1, math.Abs(want)), "%s %s", col, c.ID)
		}
	}
}

func suiteOf(t testing.TB, checks []validation.Check) *validation.Suite {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": "test", "checks": checks})
	require.NoError(t, err)
	s, err := validation.ParseSuite("test", b)
	require.NoError(t, err)
	return s
}

// TestBadSuites reads testdata/suites/fail_*: each names the error it
// must produce in its first line ("# want: ...").
func TestBadSuites(t *testing.T) {
	files, _ := filepath.Glob("testdata/suites/fail_*")
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			first, _, _ := strings.Cut(string(b), "\n")
			want := strings.TrimPrefix(first, "# want: ")
			_, err = validation.LoadSuite(f)
			var se *validation.SuiteError
			require.ErrorAs(t, err, &se)
			require.Contains(t, err.Error(), fmt.Sprintf("validation: suite %q: ", f))
			require.Contains(t, err.Error(), want)
		})
	}
}

func TestSuiteDigestSameForYAMLAndJSON(t *testing.T) {
	a, err := validation.LoadSuite("testdata/suites/good_json_form.json")
	require.NoError(t, err)
	b, err := validation.LoadSuite("testdata/suites/good_json_form.yaml")
	require.NoError(t, err)
	require.Equal(t, a.Digest(), b.Digest())
	require.True(t, strings.HasPrefix(a.Digest(), "sha256:"))
}

func TestPinnedDigests(t *testing.T) {
	s, err := validation.LoadSuite("testdata/loans_gate.yaml")
	require.NoError(t, err)
	_, err = validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{SuiteDigest: "sha256:" + strings.Repeat("0", 64)})
	var de *validation.DigestError
	require.ErrorAs(t, err, &de)
	res, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{SuiteDigest: s.Digest()})
	require.NoError(t, err)
	require.True(t, res.Success)

	// A suite pinning the schema rejects the same data with an added column.
	clean := open(t, "loans_clean.parquet")
	pinned := suiteOf(t, []validation.Check{{Type: "expect_table_row_count_to_be_between", Kwargs: map[string]any{"min_value": 1}}})
	pinned.SchemaDigest = validation.SchemaDigest(clean.Schema())
	res, err = validation.Validate(ctx, pinned, clean, validation.Options{})
	require.NoError(t, err)
	require.True(t, res.Success)
	res, err = validation.Validate(ctx, pinned, open(t, "loans_poisoned.parquet"), validation.Options{})
	require.NoError(t, err)
	require.False(t, res.Success)
	require.Equal(t, []string{"schema_digest"}, failedIDs(res))

	// A tampered baseline file is refused by its pinned digest.
	dir := t.TempDir()
	b, _ := os.ReadFile("testdata/loans_gate.yaml")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gate.yaml"), b, 0o644))
	base, _ := os.ReadFile("testdata/loans_baseline.json")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "loans_baseline.json"), bytes.Replace(base, []byte(`"rows": 2000`), []byte(`"rows": 2001`), 1), 0o644))
	s, err = validation.LoadSuite(filepath.Join(dir, "gate.yaml"))
	require.NoError(t, err)
	res, err = validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.NoError(t, err)
	require.False(t, res.Success)
	require.Equal(t, []string{"poison.income_shift"}, failedIDs(res))
	require.Contains(t, res.Checks[13].Error, "has digest sha256:")
}

func TestFailClosed(t *testing.T) {
	// A missing column errors the check and fails the suite.
	s := suiteOf(t, []validation.Check{
		{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"column": "nope"}},
		{Type: "expect_table_row_count_to_be_between", Kwargs: map[string]any{"min_value": 1}},
	})
	res, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.NoError(t, err)
	require.False(t, res.Success)
	require.Equal(t, validation.CheckError, res.Checks[0].Status)
	require.Equal(t, `column "nope" not found in the data`, res.Checks[0].Error)
	require.Equal(t, "1 checks could not be evaluated", res.Reason)

	// Nothing evaluable: fail.
	s = suiteOf(t, []validation.Check{{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"column": "nope"}}})
	res, err = validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.NoError(t, err)
	require.False(t, res.Success)
	require.Equal(t, "no check could be evaluated", res.Reason)

	// A check whose column type does not fit it is a misconfigured
	// suite, refused naming the check, the argument and the reason.
	s = suiteOf(t, []validation.Check{{Type: "expect_column_values_to_match_regex", Kwargs: map[string]any{"column": "age", "regex": "x"}}})
	_, err = validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	var se *validation.SuiteError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 0, se.Check)
	require.Equal(t, "kwargs.column", se.Field)
	require.Contains(t, err.Error(), `check 0 (expect_column_values_to_match_regex): kwargs.column: column "age" has type`)
	require.Contains(t, err.Error(), "not a string type")

	// No rows: fail.
	p := filepath.Join(t.TempDir(), "empty.csv")
	require.NoError(t, os.WriteFile(p, []byte("age\n"), 0o644))
	r, err := datafile.Open(ctx, p, datafile.Options{})
	require.NoError(t, err)
	defer r.Close()
	s = suiteOf(t, []validation.Check{{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"column": "age"}}})
	res, err = validation.Validate(ctx, s, r, validation.Options{})
	require.NoError(t, err)
	require.False(t, res.Success)
	require.Equal(t, "the dataset has no rows", res.Reason)
}

func TestSamplesRedactedByDefault(t *testing.T) {
	s := suiteOf(t, []validation.Check{{Type: "expect_column_values_to_be_in_set", Kwargs: map[string]any{"column": "region", "value_set": []any{"north"}}}})
	res, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.NoError(t, err)
	c := res.Checks[0]
	require.Len(t, c.UnexpectedSample, 20)
	require.Len(t, c.UnexpectedIndices, 20)
	for _, v := range c.UnexpectedSample {
		require.Regexp(t, `^sha256:[0-9a-f]{16}$`, v)
	}
	res, err = validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{RawSamples: true})
	require.NoError(t, err)
	raw := res.Checks[0]
	require.Equal(t, c.UnexpectedIndices, raw.UnexpectedIndices)
	for _, v := range raw.UnexpectedSample {
		require.Contains(t, []string{"south", "east", "west"}, v)
	}
	require.Equal(t, int64(2000), raw.ElementCount)
	require.InDelta(t, 100*float64(raw.UnexpectedCount)/2000, raw.UnexpectedPercent, 1e-12)
}

// TestMergeableStates splits the data into partitions, computes their
// states separately (through JSON and gob, as a distributed engine
// would), merges them in different orders and tree shapes, and checks the
// finalised result equals the single-pass one.
func TestMergeableStates(t *testing.T) {
	s, err := validation.LoadSuite("testdata/all_checks_pass.json")
	require.NoError(t, err)
	r, err := datafile.Open(ctx, "testdata/loans_clean.parquet", datafile.Options{BatchSize: 300})
	require.NoError(t, err)
	defer r.Close()
	plan, err := validation.NewPlan(s, r.Schema(), validation.Options{})
	require.NoError(t, err)
	var parts []*validation.State
	var offset int64
	for r.Next() {
		st := plan.NewState(offset)
		require.NoError(t, plan.Update(st, r.Record()))
		offset += r.Record().NumRows()
		parts = append(parts, roundTrip(t, st))
	}
	require.NoError(t, r.Err())
	require.Len(t, parts, 7)

	single, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.NoError(t, err)
	want := normalize(t, single)

	mergeAll := func(order []int) *validation.State {
		acc := plan.NewState(0)
		for _, i := range order {
			require.NoError(t, acc.Merge(roundTrip(t, parts[i])))
		}
		return acc
	}
	forward := []int{0, 1, 2, 3, 4, 5, 6}
	backward := []int{6, 5, 4, 3, 2, 1, 0}
	shuffled := []int{3, 0, 6, 2, 5, 1, 4}
	for _, order := range [][]int{forward, backward, shuffled} {
		require.Equal(t, want, normalize(t, plan.Finalize(mergeAll(order))), "order %v", order)
	}
	// Associativity: (a+b)+(c+d...) as a tree.
	left, right := plan.NewState(0), plan.NewState(0)
	for i := range parts {
		if i < 3 {
			require.NoError(t, left.Merge(parts[i]))
		} else {
			require.NoError(t, right.Merge(parts[i]))
		}
	}
	require.NoError(t, right.Merge(left))
	require.Equal(t, want, normalize(t, plan.Finalize(right)))

	// States of another suite do not merge.
	other, err := validation.NewPlan(suiteOf(t, []validation.Check{{Type: "expect_table_row_count_to_equal", Kwargs: map[string]any{"value": 1}}}), r.Schema(), validation.Options{})
	require.NoError(t, err)
	require.Error(t, other.NewState(0).Merge(parts[0]))
}

func roundTrip(t testing.TB, st *validation.State) *validation.State {
	b, err := json.Marshal(st)
	require.NoError(t, err)
	var js validation.State
	require.NoError(t, json.Unmarshal(b, &js))
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(&js))
	var out validation.State
	require.NoError(t, gob.NewDecoder(&buf).Decode(&out))
	return &out
}

// normalize renders a result as JSON with floats to 9 significant digits
// (merging moments in another order changes the last bits) and without
// timestamps.
func normalize(t testing.TB, r *validation.Result) string {
	cp := *r
	b, err := json.Marshal(cp)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	m := v.(map[string]any)
	delete(m, "started_at")
	delete(m, "ended_at")
	var round func(any) any
	round = func(x any) any {
		switch y := x.(type) {
		case float64:
			if math.Abs(y) < 1e-9 {
				y = 0
			}
			return fmt.Sprintf("%.9g", y)
		case map[string]any:
			for k, e := range y {
				y[k] = round(e)
			}
		case []any:
			for i, e := range y {
				y[i] = round(e)
			}
		}
		return x
	}
	out, err := json.MarshalIndent(round(m), "", " ")
	require.NoError(t, err)
	return string(out)
}

func TestInTotoStatement(t *testing.T) {
	res := run(t, "loans_gate.yaml", "loans_poisoned.parquet", validation.Options{})
	subj, err := validation.FileSubjects("testdata/loans_poisoned.parquet")
	require.NoError(t, err)
	st := res.Statement(subj)
	b, err := json.Marshal(st)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, "https://in-toto.io/Statement/v1", m["_type"])
	require.Equal(t, "https://in-toto.io/attestation/test-result/v0.1", m["predicateType"])
	pred := m["predicate"].(map[string]any)
	require.Equal(t, "FAILED", pred["result"])
	require.Len(t, pred["failedTests"], 11)
	require.Len(t, pred["passedTests"], 6)
	require.Equal(t, []any{}, pred["warnedTests"])
	cfg := pred["configuration"].([]any)[0].(map[string]any)
	require.Equal(t, strings.TrimPrefix(res.SuiteDigest, "sha256:"), cfg["digest"].(map[string]any)["sha256"])
	sub := m["subject"].([]any)[0].(map[string]any)
	require.Equal(t, "loans_poisoned.parquet", sub["name"])
	require.Len(t, sub["digest"].(map[string]any)["sha256"], 64)
}

func TestInfer(t *testing.T) {
	s, m, err := validation.Infer(ctx, open(t, "loans_clean.parquet"), validation.InferOptions{Name: "loans"})
	require.NoError(t, err)
	require.Equal(t, "loans", s.Name)
	require.Equal(t, int64(2000), m.Rows)
	require.InDelta(t, 47.396, *m.Columns["age"].Mean, 1e-9)
	res, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.NoError(t, err)
	require.Equal(t, validation.StatusPassed, res.Status, "%v", failedIDs(res))
	bad, err := validation.Validate(ctx, s, open(t, "loans_poisoned.parquet"), validation.Options{})
	require.NoError(t, err)
	require.False(t, bad.Success)
	types := map[string]bool{}
	for _, c := range bad.Checks {
		if c.Status == validation.CheckFailed {
			types[c.Type] = true
		}
	}
	for _, want := range []string{"expect_table_columns_to_match_ordered_list", "expect_table_duplicate_row_ratio_to_be_between",
		"expect_column_values_to_be_unique", "expect_column_values_to_be_between", "expect_table_schema_digest_to_equal"} {
		require.True(t, types[want], want)
	}
}

func TestPIIDetectors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"mail me at a.b@example.org", []string{"email"}},
		{"visa 4111-1111-1111-1111", []string{"credit_card"}},
		{"not a card 4111 1111 1111 1112", nil}, // Luhn fails
		{"GB82 WEST 1234 5698 7654 32", []string{"iban"}},
		{"GB82 WEST 1234 5698 7654 33", nil}, // mod-97 fails
		{"ssn 123-45-6789", []string{"us_ssn"}},
		{"ssn 666-45-6789", nil},
		{"call (415) 555-2671", []string{"phone"}},
		{"plain words", nil},
	} {
		require.Equal(t, tc.want, validation.DetectPII(tc.in), tc.in)
	}
	// The credential check uses the secrets scanner's rules and allowlist
	// (the shared table is in internal/credrules): rule IDs, and the AWS
	// documentation key is a placeholder. The key is put together at run
	// time so that the source holds no key-shaped string.
	require.Equal(t, "aws-access-key-id", validation.DetectCredential("key AKIA"+"Q3EGTWJZ"+"5XKPM7LR"))
	require.Equal(t, "", validation.DetectCredential("key AKIAIOSFODNN7EXAMPLE"))
	require.Equal(t, "private-key", validation.DetectCredential("-----BEGIN RSA PRIVATE KEY-----"))
	require.Equal(t, "", validation.DetectCredential("the password is long"))
	require.Equal(t, "generic-secret-assignment", validation.DetectCredential("password=hunter2hunter2"))
}

func TestJSONSchemaRefs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		return p
	}
	remote := write("remote.json", `{"$ref": "https://example.com/schema.json"}`)
	_, err := validation.CompileJSONSchema(remote, validation.JSONSchemaOptions{})
	var re *validation.RefError
	require.ErrorAs(t, err, &re)
	require.Contains(t, err.Error(), "remote references are not fetched")

	write("defs/item.json", `{"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}`)
	local := write("local.json", `{"$ref": "defs/item.json"}`)
	_, err = validation.CompileJSONSchema(local, validation.JSONSchemaOptions{})
	require.ErrorContains(t, err, "file references need an allowed directory")
	_, err = validation.CompileJSONSchema(local, validation.JSONSchemaOptions{AllowDir: filepath.Join(dir, "elsewhere")})
	require.Error(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	_, err = validation.CompileJSONSchema(local, validation.JSONSchemaOptions{AllowDir: filepath.Join(dir, "sub")})
	require.ErrorContains(t, err, "outside the allowed directory")
	js, err := validation.CompileJSONSchema(local, validation.JSONSchemaOptions{AllowDir: dir})
	require.NoError(t, err)

	data := write("rows.jsonl", "{\"id\": 1}\n{\"id\": \"x\"}\n\n{\"name\": 3}\n")
	rep, err := js.ValidateFile(ctx, data)
	require.NoError(t, err)
	require.Equal(t, int64(3), rep.Documents)
	require.Equal(t, int64(2), rep.Invalid)
	require.Equal(t, int64(2), rep.Errors[0].Line)
	require.Equal(t, "id", rep.Errors[0].Field)
	require.Equal(t, int64(4), rep.Errors[1].Line)

	bad := write("bad.jsonl", "{\"id\": 1}\n{\"id\": \n")
	_, err = js.ValidateFile(ctx, bad)
	require.ErrorContains(t, err, "bad.jsonl: line 2: not valid JSON")

	// An inline schema in a suite may not refer outside itself.
	_, err = validation.Validate(ctx, suiteOf(t, []validation.Check{{Type: "expect_column_values_to_match_json_schema",
		Kwargs: map[string]any{"column": "payload", "json_schema": map[string]any{"$ref": "http://example.com/x.json"}}}}), open(t, "loans_clean.parquet"), validation.Options{})
	var se *validation.SuiteError
	require.ErrorAs(t, err, &se) // a misconfigured check: the suite is refused
}

func TestSchemaDigestIgnoresMetadata(t *testing.T) {
	a := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	b := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, &md)
	c := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: false}}, nil)
	require.Equal(t, validation.SchemaDigest(a), validation.SchemaDigest(b))
	require.NotEqual(t, validation.SchemaDigest(a), validation.SchemaDigest(c))
}

// TestParallelUpdate checks that spreading a record's checks over several
// cores gives exactly the single-core result, samples included, for a
// suite where every check fails and for the loans gate. The loans file is
// concatenated three times so the record is big enough to be split.
func TestParallelUpdate(t *testing.T) {
	for _, tc := range []struct{ suite, data string }{
		{"all_checks_fail.json", "loans_poisoned.parquet"},
		{"loans_gate.yaml", "loans_poisoned.parquet"},
	} {
		t.Run(tc.suite, func(t *testing.T) {
			s, err := validation.LoadSuite(filepath.Join("testdata", tc.suite))
			require.NoError(t, err)
			r, err := datafile.Open(ctx, filepath.Join("testdata", tc.data), datafile.Options{BatchSize: datafile.MaxBatchSize})
			require.NoError(t, err)
			defer r.Close()
			require.True(t, r.Next())
			one := r.Record()
			cols := make([]arrow.Array, one.NumCols())
			for i := range cols {
				parts := []arrow.Array{}
				for range 3 {
					parts = append(parts, one.Column(i))
				}
				cols[i], err = array.Concatenate(parts, memory.DefaultAllocator)
				require.NoError(t, err)
				defer cols[i].Release()
			}
			rec := array.NewRecord(one.Schema(), cols, 3*one.NumRows())
			defer rec.Release()
			require.GreaterOrEqual(t, rec.NumRows(), int64(4096))

			run := func(procs int) string {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				plan, err := validation.NewPlan(s, rec.Schema(), validation.Options{})
				require.NoError(t, err)
				st := plan.NewState(0)
				require.NoError(t, plan.Update(st, rec))
				return normalize(t, plan.Finalize(st))
			}
			require.Equal(t, run(1), run(4))
		})
	}
}

func TestFailClosedSuiteSetting(t *testing.T) {
	checks := []validation.Check{
		{Type: "expect_column_mean_to_be_between", Kwargs: map[string]any{"column": "age"}},
		{Type: "expect_column_values_to_be_in_set", Kwargs: map[string]any{"column": "age", "value_set": nil}},
	}
	for i := range checks {
		// GX's semantics by default: no bounds, no set, no constraint.
		s := &validation.Suite{Name: "gx", Checks: checks[i : i+1]}
		res, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
		require.NoError(t, err)
		require.True(t, res.Success, checks[i].Type)

		// fail_closed: the same check is refused, naming the argument.
		s.FailClosed = true
		_, err = validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
		var se *validation.SuiteError
		require.ErrorAs(t, err, &se, checks[i].Type)
		require.Equal(t, 0, se.Check)
		require.Contains(t, err.Error(), "the suite is fail_closed")
	}
	s, err := validation.ParseSuite("gate.yaml", []byte("name: g\nfail_closed: true\nchecks:\n- type: expect_table_row_count_to_be_between\n  kwargs: {}\n"))
	require.NoError(t, err)
	require.True(t, s.FailClosed)
	_, err = validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.ErrorContains(t, err, `validation: suite "gate.yaml": check 0 (expect_table_row_count_to_be_between): kwargs.min_value: a row count with neither bound would pass whatever the data`)
}
