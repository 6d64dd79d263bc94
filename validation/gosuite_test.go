package validation_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mlsec-dev/mlsec/validation"
	"github.com/stretchr/testify/require"
)

// A suite built in Go, with Go's natural types in its kwargs, and the same
// suite parsed from YAML give identical results: both go through one
// validation path (Suite.Validate, which NewPlan calls).
func TestGoBuiltSuiteBehavesAsParsed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		yaml  string
		check validation.Check
	}{
		{"int bounds", `{column: age, min_value: 18, max_value: 100}`,
			validation.Check{Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "age", "min_value": 18, "max_value": 100}}},
		{"int64 and float bounds", `{column: income, min_value: 0, max_value: 250000.5}`,
			validation.Check{Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "income", "min_value": int64(0), "max_value": 250000.5}}},
		{"open bound", `{column: age, min_value: null, max_value: 30}`,
			validation.Check{Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "age", "min_value": nil, "max_value": uint8(30)}}},
		{"[]string value set", `{column: region, value_set: [north, south, east, west]}`,
			validation.Check{Type: "expect_column_values_to_be_in_set", Kwargs: map[string]any{"column": "region", "value_set": []string{"north", "south", "east", "west"}}}},
		{"[]int value set", `{column: label, value_set: [0, 1]}`,
			validation.Check{Type: "expect_column_values_to_be_in_set", Kwargs: map[string]any{"column": "label", "value_set": []int{0, 1}}}},
		{"failing []string set", `{column: region, value_set: [north]}`,
			validation.Check{Type: "expect_column_values_to_be_in_set", Kwargs: map[string]any{"column": "region", "value_set": []string{"north"}}}},
		{"[]string columns", `{column_list: [id, age, income, score, region, note, signup, payload, label]}`,
			validation.Check{Type: "expect_table_columns_to_match_ordered_list", Kwargs: map[string]any{"column_list": []string{"id", "age", "income", "score", "region", "note", "signup", "payload", "label"}}}},
		{"mostly as float32", `{column: score, mostly: 0.5}`,
			validation.Check{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"column": "score", "mostly": float32(0.5)}}},
		{"map baseline", `{column: label, baseline: {"0": 0.348, "1": 0.652}, tolerance: 0.05}`,
			validation.Check{Type: "expect_column_proportions_to_match_baseline", Kwargs: map[string]any{"column": "label", "baseline": map[string]float64{"0": 0.348, "1": 0.652}, "tolerance": 0.05}}},
		{"row count int", `{value: 3}`,
			validation.Check{Type: "expect_table_row_count_to_equal", Kwargs: map[string]any{"value": 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parsed, err := validation.ParseSuite("parsed", []byte("name: s\nchecks:\n  - type: "+tc.check.Type+"\n    kwargs: "+tc.yaml+"\n"))
			require.NoError(t, err)
			built := &validation.Suite{Name: "s", Checks: []validation.Check{tc.check}}
			require.NoError(t, built.Validate())

			want, err := validation.Validate(ctx, parsed, open(t, "loans_clean.parquet"), validation.Options{})
			require.NoError(t, err)
			got, err := validation.Validate(ctx, built, open(t, "loans_clean.parquet"), validation.Options{})
			require.NoError(t, err)
			require.Empty(t, want.Checks[0].Error, "the parsed suite must evaluate")
			require.Equal(t, resultJSON(t, want), resultJSON(t, got))
		})
	}
}

// Mistakes in a suite built in Go are reported by Validate (and NewPlan)
// as a *SuiteError naming the check and field, the same error the parsed
// suite gets, before any data is read.
func TestGoBuiltSuiteErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		s    validation.Suite
	}{
		{"typo in the type", `{name: s, checks: [{type: expect_column_values_to_be_betwen, kwargs: {column: age}}]}`,
			validation.Suite{Name: "s", Checks: []validation.Check{{Type: "expect_column_values_to_be_betwen", Kwargs: map[string]any{"column": "age"}}}}},
		{"typo in a kwarg", `{name: s, checks: [{type: expect_column_values_to_not_be_null, kwargs: {colum: age}}]}`,
			validation.Suite{Name: "s", Checks: []validation.Check{{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"colum": "age"}}}}},
		{"wrong kwarg type", `{name: s, checks: [{type: expect_column_values_to_be_between, kwargs: {column: age, min_value: true}}]}`,
			validation.Suite{Name: "s", Checks: []validation.Check{{Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "age", "min_value": true}}}}},
		{"bad severity", `{name: s, checks: [{type: expect_column_values_to_not_be_null, severity: fatal, kwargs: {column: age}}]}`,
			validation.Suite{Name: "s", Checks: []validation.Check{{Type: "expect_column_values_to_not_be_null", Severity: "fatal", Kwargs: map[string]any{"column": "age"}}}}},
		{"no checks", `{name: s, checks: []}`, validation.Suite{Name: "s", Checks: []validation.Check{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, perr := validation.ParseSuite("s", []byte(tc.yaml))
			var pe, ge *validation.SuiteError
			require.ErrorAs(t, perr, &pe)
			gerr := tc.s.Validate()
			require.ErrorAs(t, gerr, &ge)
			require.Equal(t, pe.Error(), ge.Error())
			_, err := validation.NewPlan(&tc.s, open(t, "loans_clean.parquet").Schema(), validation.Options{})
			require.Equal(t, gerr.Error(), err.Error())
		})
	}
	// Values JSON cannot carry are refused, not turned into something else.
	s := validation.Suite{Name: "s", Checks: []validation.Check{{Type: "expect_column_values_to_be_between",
		Kwargs: map[string]any{"column": "age", "min_value": func() {}}}}}
	require.ErrorContains(t, s.Validate(), "cannot be written as JSON")
}

// resultJSON is a result without its timing, for comparison.
func resultJSON(t *testing.T, r *validation.Result) string {
	t.Helper()
	c := *r
	c.StartedAt, c.EndedAt = time.Time{}, time.Time{}
	b, err := json.Marshal(&c)
	require.NoError(t, err)
	return string(b)
}

// A parsed suite changed in Go afterwards is checked again, not taken as
// already valid.
func TestParsedSuiteChangedInGo(t *testing.T) {
	s, err := validation.ParseSuite("s", []byte("name: s\nchecks:\n  - type: expect_column_values_to_be_between\n    kwargs: {column: age, min_value: 18, max_value: 100}\n"))
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	want, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.NoError(t, err)

	s.Checks[0].Kwargs["max_value"] = 100 // an int now, where parsing gave float64
	got, err := validation.Validate(ctx, s, open(t, "loans_clean.parquet"), validation.Options{})
	require.NoError(t, err)
	require.Equal(t, resultJSON(t, want), resultJSON(t, got))

	s.Checks[0].Kwargs["max_valeu"] = 100
	require.ErrorContains(t, s.Validate(), "kwargs.max_valeu: unknown field")
	_, err = validation.NewPlan(s, open(t, "loans_clean.parquet").Schema(), validation.Options{})
	var se *validation.SuiteError
	require.ErrorAs(t, err, &se)
}
