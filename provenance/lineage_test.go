package provenance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

func step(t *testing.T, bt string, at time.Time, in []provenance.ResourceDescriptor, out ...provenance.ResourceDescriptor) *provenance.Statement {
	t.Helper()
	r := provenance.NewRecorder("https://ci.example.com/b", bt, clockAt(at))
	for _, d := range in {
		r.AddInput(d)
	}
	for _, d := range out {
		r.AddOutput(d)
	}
	st, err := r.Finish()
	require.NoError(t, err)
	return st
}

func rd(name, alg, hex string) provenance.ResourceDescriptor {
	return provenance.ResourceDescriptor{Name: name, Digest: provenance.DigestSet{alg: hex}}
}

func TestTraceGapsAndBreaks(t *testing.T) {
	const hexD = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	const hexE = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	// An evaluation consumed model B, which was trained on dataset "d" at
	// version E, but the only attested "d" is version D: a break. The
	// base model has no attestation at all: a gap.
	train := step(t, provenance.BuildTypeTraining, fixedTime, []provenance.ResourceDescriptor{rd("d", "dirHash", hexE), rd("base", "sha256", hexC)}, rd("model", "sha256", hexB))
	ds := step(t, provenance.BuildTypeDataset, fixedTime, []provenance.ResourceDescriptor{rd("raw.csv", "sha256", hexA)}, rd("d", "dirHash", hexD))
	l := provenance.Trace([]*provenance.Statement{train, ds}, provenance.DigestSet{"sha256": hexB})
	require.Equal(t, provenance.StatusAttested, l.Root.Status)
	require.Len(t, l.Breaks, 1)
	require.Equal(t, "d", l.Breaks[0].Artifact.Name)
	require.Contains(t, l.Breaks[0].Note, "another digest")
	require.Len(t, l.Gaps, 1)
	require.Equal(t, "base", l.Gaps[0].Artifact.Name)

	b, err := json.Marshal(l)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, "attested", back["root"].(map[string]any)["status"])
	require.Len(t, back["breaks"], 1)

	// An unknown artifact is a lone gap.
	l = provenance.Trace([]*provenance.Statement{train, ds}, provenance.DigestSet{"sha256": hexA})
	require.Equal(t, provenance.StatusGap, l.Root.Status)
	require.Nil(t, l.Root.Run)
}

func TestTraceCycleAndRerun(t *testing.T) {
	// Two statements claiming each other's output as input must not loop.
	a := step(t, provenance.BuildTypeTraining, fixedTime, []provenance.ResourceDescriptor{rd("y", "sha256", hexB)}, rd("x", "sha256", hexA))
	b := step(t, provenance.BuildTypeTraining, fixedTime, []provenance.ResourceDescriptor{rd("x", "sha256", hexA)}, rd("y", "sha256", hexB))
	l := provenance.Trace([]*provenance.Statement{a, b}, provenance.DigestSet{"sha256": hexA})
	require.Len(t, l.Breaks, 1)
	require.Contains(t, l.Breaks[0].Note, "cycle")
	var sb strings.Builder
	require.NoError(t, l.WriteText(&sb))
	require.Contains(t, sb.String(), "[break] (cycle")

	// When two runs produced the same bytes, the most recent one is shown.
	old := step(t, provenance.BuildTypeTraining, fixedTime, nil, rd("m", "sha256", hexC))
	newer := step(t, provenance.BuildTypeEvaluation, fixedTime.Add(time.Hour), nil, rd("m", "sha256", hexC))
	l = provenance.Trace([]*provenance.Statement{old, newer}, provenance.DigestSet{"sha256": hexC})
	require.Equal(t, provenance.BuildTypeEvaluation, l.Root.Run.BuildType)
}
