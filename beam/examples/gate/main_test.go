package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/validation"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	ptest.MainWithDefault(m, "prism")
}

const testdata = "../../../validation/testdata"

// The gate profiles clean data, then checks poisoned data against that
// profile; its validation verdicts are those of validation.Validate.
func TestGateProfilesThenReportsDrift(t *testing.T) {
	ctx := context.Background()
	suite := filepath.Join(testdata, "loans_gate.yaml")
	out := t.TempDir()

	require.NoError(t, run(ctx, config{Input: filepath.Join(testdata, "loans_clean.parquet"), Suite: suite, Out: out}))
	requireVerdict(t, filepath.Join(out, "validation.json"), suite, filepath.Join(testdata, "loans_clean.parquet"))
	ref, err := drift.ReadProfileFile(filepath.Join(out, "profile.json"))
	require.NoError(t, err)
	require.EqualValues(t, 2000, ref.Rows())

	// The same data against its own profile: no drift, same digest.
	out2 := t.TempDir()
	require.NoError(t, run(ctx, config{Input: filepath.Join(testdata, "loans_clean.parquet"), Suite: suite,
		Reference: filepath.Join(out, "profile.json"), Out: out2}))
	b, err := os.ReadFile(filepath.Join(out2, "drift.json"))
	require.NoError(t, err)
	var rep drift.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Equal(t, ref.Digest(), rep.Reference.Digest)
	require.Equal(t, ref.Digest(), rep.Current.Digest)
	require.False(t, rep.Dataset.Drifted)
	require.Zero(t, rep.Dataset.DriftedColumns)

	// Poisoned data has an added column: the comparison refuses it,
	// naming the column, and the job fails.
	err = run(ctx, config{Input: filepath.Join(testdata, "loans_poisoned.parquet"), Suite: suite,
		Reference: filepath.Join(out, "profile.json"), Out: t.TempDir()})
	require.ErrorContains(t, err, `column "trigger"`)
}

func requireVerdict(t *testing.T, resultPath, suitePath, data string) {
	t.Helper()
	b, err := os.ReadFile(resultPath)
	require.NoError(t, err)
	var got validation.Result
	require.NoError(t, json.Unmarshal(b, &got))
	suite, err := validation.LoadSuite(suitePath)
	require.NoError(t, err)
	r, err := datafile.Open(context.Background(), data, datafile.Options{})
	require.NoError(t, err)
	defer r.Release()
	want, err := validation.Validate(context.Background(), suite, r, validation.Options{})
	require.NoError(t, err)
	require.Equal(t, want.Success, got.Success)
	require.Equal(t, want.Rows, got.Rows)
	require.Equal(t, want.Statistics, got.Statistics)
	for i := range want.Checks {
		require.Equal(t, want.Checks[i].Status, got.Checks[i].Status, want.Checks[i].Name())
		require.Equal(t, want.Checks[i].UnexpectedCount, got.Checks[i].UnexpectedCount, want.Checks[i].Name())
	}
}

func TestGateRequiresFlags(t *testing.T) {
	require.Error(t, run(context.Background(), config{}))
}
