package provenance_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

// The JSON on disk uses the standard's field names exactly.
func TestStatementFieldNames(t *testing.T) {
	st := trainingStatement(t)
	b, err := st.Marshal()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.ElementsMatch(t, []string{"_type", "subject", "predicateType", "predicate"}, keys(m))
	require.Equal(t, "https://in-toto.io/Statement/v1", m["_type"])
	require.Equal(t, "https://slsa.dev/provenance/v1", m["predicateType"])
	pred := m["predicate"].(map[string]any)
	require.ElementsMatch(t, []string{"buildDefinition", "runDetails"}, keys(pred))
	bd := pred["buildDefinition"].(map[string]any)
	require.ElementsMatch(t, []string{"buildType", "externalParameters", "resolvedDependencies"}, keys(bd))
	rd := pred["runDetails"].(map[string]any)
	require.ElementsMatch(t, []string{"builder", "metadata"}, keys(rd))
	md := rd["metadata"].(map[string]any)
	require.ElementsMatch(t, []string{"invocationId", "startedOn", "finishedOn"}, keys(md))
	require.Equal(t, "2026-11-01T12:00:00Z", md["finishedOn"])
	dep := bd["resolvedDependencies"].([]any)[1].(map[string]any)
	require.ElementsMatch(t, []string{"name", "uri", "digest"}, keys(dep))
	// Round trip.
	back, err := provenance.ParseStatement(b)
	require.NoError(t, err)
	b2, err := back.Marshal()
	require.NoError(t, err)
	require.JSONEq(t, string(b), string(b2))
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// testdata/statement: good_* parse, fail_* are rejected with a FormatError
// wrapping the sentinel named after "fail_" up to the next "_" ... or any.
func TestParseStatementVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/statement/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	want := map[string]error{
		"dupkey":    provenance.ErrDuplicateKey,
		"v01":       provenance.ErrStatementType,
		"notype":    provenance.ErrStatementType,
		"predicate": provenance.ErrPredicateType,
		"deep":      provenance.ErrTooLarge,
		"trailing":  provenance.ErrMalformed,
		"nodigest":  provenance.ErrMalformed,
		"nobuilder": provenance.ErrMalformed,
		"badhex":    provenance.ErrMalformed,
		"notjson":   provenance.ErrMalformed,
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			st, err := provenance.ParseStatement(data)
			if strings.HasPrefix(name, "good_") {
				require.NoError(t, err)
				require.NotEmpty(t, st.Subject)
				return
			}
			require.Error(t, err)
			var fe *provenance.FormatError
			require.True(t, errors.As(err, &fe), "want *FormatError, got %T", err)
			kind := strings.SplitN(strings.TrimPrefix(name, "fail_"), "_", 2)[0]
			sentinel, ok := want[kind]
			require.True(t, ok, "vector %s: no expected error for kind %q", name, kind)
			require.ErrorIs(t, err, sentinel)
		})
	}
}

func TestParseStatementHostile(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	_, err := provenance.ParseStatement([]byte(deep))
	require.ErrorIs(t, err, provenance.ErrTooLarge)

	huge := make([]byte, provenance.MaxDocumentSize+1)
	_, err = provenance.ParseStatement(huge)
	require.ErrorIs(t, err, provenance.ErrTooLarge)
}

func TestParseDigest(t *testing.T) {
	d, err := provenance.ParseDigest("sha256:" + strings.ToUpper(hexA))
	require.NoError(t, err)
	require.Equal(t, provenance.DigestSet{"sha256": hexA}, d)
	for _, bad := range []string{"", "sha256", "sha256:", ":ab", "sha256:abc", "sha256:" + strings.Repeat("g", 64)} {
		_, err := provenance.ParseDigest(bad)
		require.Error(t, err, bad)
	}
}

func TestBuildTypeSchemas(t *testing.T) {
	for _, bt := range provenance.BuildTypes() {
		raw, ok := provenance.BuildTypeSchema(bt)
		require.True(t, ok, bt)
		var s map[string]any
		require.NoError(t, json.Unmarshal(raw, &s))
		require.Equal(t, bt+"/schema.json", s["$id"])
	}
	_, ok := provenance.BuildTypeSchema("https://example.com/other")
	require.False(t, ok)

	cases := []struct {
		bt     string
		params map[string]any
		ok     bool
	}{
		{provenance.BuildTypeTraining, map[string]any{"seed": 7, "hyperparameters": map[string]any{"lr": 0.1, "opt": "adam"}}, true},
		{provenance.BuildTypeTraining, map[string]any{"seed": "7"}, true},
		{provenance.BuildTypeTraining, map[string]any{"seed": "seven"}, false},
		{provenance.BuildTypeTraining, map[string]any{"unknown": "x"}, false},
		{provenance.BuildTypeTraining, map[string]any{"acme_queue": "gpu"}, true}, // SLSA extension field
		{provenance.BuildTypeTraining, map[string]any{"hyperparameters": map[string]any{"nested": map[string]any{}}}, false},
		{provenance.BuildTypeFineTune, map[string]any{"model": "m"}, false}, // baseModel required
		{provenance.BuildTypeFineTune, map[string]any{"baseModel": "hf://bert"}, true},
		{provenance.BuildTypeDataset, map[string]any{"sources": []any{"s3://raw/"}, "dataset": "reviews"}, true},
		{provenance.BuildTypeEvaluation, map[string]any{"metrics": "acc"}, false},
		{"https://example.com/other", map[string]any{"anything": 1}, true},
	}
	for i, c := range cases {
		err := provenance.ValidateExternalParameters(c.bt, c.params)
		if c.ok {
			require.NoError(t, err, "case %d", i)
		} else {
			require.Error(t, err, "case %d", i)
		}
	}
}
