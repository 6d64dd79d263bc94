package provenance_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

func TestRecorder(t *testing.T) {
	ctx := context.Background()
	dir := writeTree(t, map[string]string{"cfg.yaml": "lr: 0.1\n", "data/a.csv": "x\n1\n", "out/model.bin": "weights", "metrics.json": `{"acc":0.9}`})
	start := fixedTime
	now := start
	r := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeFineTune, provenance.RecorderOptions{Clock: func() time.Time { return now }})
	r.SetInvocationID("job-1")
	r.SetBuilderVersion("mlsec", "v0.1.0")
	r.SetParameter("baseModel", "hf://example/bert-base")
	r.SetParameter("hyperparameters.lr", 0.1)
	r.SetParameter("hyperparameters.epochs", 3)
	r.SetInternalParameter("accelerator", "cpu")
	require.NoError(t, r.SetConfigFile(ctx, filepath.Join(dir, "cfg.yaml")))
	data, err := r.AddInputPath(ctx, "data", filepath.Join(dir, "data"))
	require.NoError(t, err)
	require.Len(t, data.Digest["dirHash"], 64)
	require.NoError(t, r.AddInputOMS("bert-base", strings.ToUpper(hexA)))
	require.Error(t, r.AddInputOMS("bad", "xyz"))
	model, err := r.AddOutputPath(ctx, "model.bin", filepath.Join(dir, "out", "model.bin"))
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("weights"))
	require.Equal(t, hex.EncodeToString(sum[:]), model.Digest["sha256"])
	_, err = r.AddByproductPath(ctx, "metrics.json", filepath.Join(dir, "metrics.json"))
	require.NoError(t, err)
	_, err = r.AddInputPath(ctx, "missing", filepath.Join(dir, "nope"))
	require.ErrorContains(t, err, "nope")
	now = start.Add(90 * time.Minute)
	st, err := r.Finish()
	require.NoError(t, err)
	_, err = r.Finish()
	require.Error(t, err)

	require.Equal(t, start, *st.Predicate.RunDetails.Metadata.StartedOn)
	require.Equal(t, now, *st.Predicate.RunDetails.Metadata.FinishedOn)
	ep := st.Predicate.BuildDefinition.ExternalParameters
	require.Equal(t, map[string]any{"lr": 0.1, "epochs": 3}, ep["hyperparameters"])
	cfg := ep["config"].(map[string]any)
	require.Len(t, cfg["digest"].(map[string]any)["sha256"], 64)
	require.Equal(t, "oms-root", st.Predicate.BuildDefinition.ResolvedDependencies[1].Annotations["mlsec_digestKind"])
	require.Equal(t, hexA, st.Predicate.BuildDefinition.ResolvedDependencies[1].Digest["sha256"])
	require.Len(t, st.Predicate.RunDetails.Byproducts, 1)
	require.Equal(t, "v0.1.0", st.Predicate.RunDetails.Builder.Version["mlsec"])
}

// Nothing from the environment is recorded unless named.
func TestRecorderEnvOnlyWhenNamed(t *testing.T) {
	t.Setenv("MLSEC_TEST_SECRET_TOKEN", "s3cr3t-value-should-not-leak")
	t.Setenv("MLSEC_TEST_CUDA_VERSION", "12.4")
	r := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, clockAt(fixedTime))
	r.AddOutput(provenance.ResourceDescriptor{Name: "m", Digest: provenance.DigestSet{"sha256": hexB}})
	st, err := r.Finish()
	require.NoError(t, err)
	b, err := st.Marshal()
	require.NoError(t, err)
	require.NotContains(t, string(b), "s3cr3t")
	require.NotContains(t, string(b), "12.4")

	r = provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, clockAt(fixedTime))
	r.RecordEnv("MLSEC_TEST_CUDA_VERSION", "MLSEC_TEST_UNSET_VARIABLE")
	r.AddOutput(provenance.ResourceDescriptor{Name: "m", Digest: provenance.DigestSet{"sha256": hexB}})
	st, err = r.Finish()
	require.NoError(t, err)
	b, err = json.Marshal(st.Predicate.BuildDefinition.InternalParameters)
	require.NoError(t, err)
	require.JSONEq(t, `{"env":{"MLSEC_TEST_CUDA_VERSION":"12.4"}}`, string(b))
}

func TestRecorderRejectsBadParameters(t *testing.T) {
	r := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, clockAt(fixedTime))
	r.SetParameter("learningRate", 0.1) // not in the training schema
	r.AddOutput(provenance.ResourceDescriptor{Name: "m", Digest: provenance.DigestSet{"sha256": hexB}})
	_, err := r.Finish()
	require.ErrorContains(t, err, "learningRate")

	r = provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, clockAt(fixedTime))
	_, err = r.Finish()
	require.ErrorContains(t, err, "no subject")
}

// TestRecorderProgress checks that the Add*Path methods report the bytes
// hashed of each path, ending at its size, for a file and a directory.
func TestRecorderProgress(t *testing.T) {
	ctx := context.Background()
	dir := writeTree(t, map[string]string{"data/a.csv": "x\n1\n", "data/b.csv": "x\n22\n", "model.bin": "weights!"})
	var calls [][2]int64
	rec := provenance.NewRecorder("https://ci.example.com/b", provenance.BuildTypeTraining, provenance.RecorderOptions{Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }})

	_, err := rec.AddInputPath(ctx, "data", filepath.Join(dir, "data"))
	require.NoError(t, err)
	require.NotEmpty(t, calls)
	require.Equal(t, [2]int64{9, 9}, calls[len(calls)-1], "the directory's 4+5 bytes")

	calls = nil
	_, err = rec.AddOutputPath(ctx, "model.bin", filepath.Join(dir, "model.bin"))
	require.NoError(t, err)
	require.Equal(t, [2]int64{8, 8}, calls[len(calls)-1])
	for _, c := range calls {
		require.LessOrEqual(t, c[0], c[1])
	}
}
