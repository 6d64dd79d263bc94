package provenance_test

import (
	"os"
	"testing"

	prov "github.com/in-toto/attestation/go/predicates/provenance/v1"
	ita "github.com/in-toto/attestation/go/v1"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mlsec-dev/mlsec/provenance"
)

// The statements mlsec writes are read by the in-toto attestation
// reference Go types (protojson, which rejects unknown field names) and
// pass their validators; what those types write, mlsec reads.
func TestReferenceTypesReadMlsecStatements(t *testing.T) {
	st := trainingStatement(t)
	st.Predicate.RunDetails.Byproducts = []provenance.ResourceDescriptor{{Name: "metrics.json", Digest: provenance.DigestSet{"sha256": hexA}, MediaType: "application/json"}}
	st.Predicate.BuildDefinition.InternalParameters = map[string]any{"accelerator": "cpu"}
	st.Predicate.RunDetails.Builder.Version = map[string]string{"mlsec": "v0.1.0"}
	b, err := st.Marshal()
	require.NoError(t, err)

	var ref ita.Statement
	require.NoError(t, protojson.Unmarshal(b, &ref))
	require.NoError(t, ref.Validate())
	require.Equal(t, ita.StatementTypeUri, ref.GetType())
	require.Equal(t, "model.safetensors", ref.GetSubject()[0].GetName())
	require.Equal(t, hexB, ref.GetSubject()[0].GetDigest()["sha256"])

	predJSON, err := protojson.Marshal(ref.GetPredicate())
	require.NoError(t, err)
	var p prov.Provenance
	require.NoError(t, protojson.Unmarshal(predJSON, &p))
	require.NoError(t, p.Validate())
	require.Equal(t, provenance.BuildTypeTraining, p.GetBuildDefinition().GetBuildType())
	require.Equal(t, "https://ci.example.com/trainer", p.GetRunDetails().GetBuilder().GetId())
	require.Equal(t, "run-42", p.GetRunDetails().GetMetadata().GetInvocationId())
	require.Equal(t, fixedTime, p.GetRunDetails().GetMetadata().GetFinishedOn().AsTime())
	require.Equal(t, "dirHash", firstKey(p.GetBuildDefinition().GetResolvedDependencies()[0].GetDigest()))
	require.Equal(t, "metrics.json", p.GetRunDetails().GetByproducts()[0].GetName())
	require.Equal(t, "v0.1.0", p.GetRunDetails().GetBuilder().GetVersion()["mlsec"])

	// The other way: protojson output of the reference types parses.
	back, err := protojson.Marshal(&ref)
	require.NoError(t, err)
	got, err := provenance.ParseStatement(back)
	require.NoError(t, err)
	require.Equal(t, st.Subject, got.Subject)
	require.Equal(t, st.Predicate.RunDetails.Builder.ID, got.Predicate.RunDetails.Builder.ID)
	require.Equal(t, *st.Predicate.RunDetails.Metadata.FinishedOn, *got.Predicate.RunDetails.Metadata.FinishedOn)
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// The good_ statement vectors are valid for the reference types too, and
// the reference validator rejects what mlsec rejects for a missing
// subject digest or builder id.
func TestReferenceTypesAgreeOnVectors(t *testing.T) {
	for name, wantOK := range map[string]bool{
		"good_training.json":               true,
		"good_minimal.json":                true,
		"good_unknown_fields_ignored.json": true,
		"fail_nodigest.json":               false,
		"fail_nobuilder.json":              false,
	} {
		data := readFile(t, "testdata/statement/"+name)
		var ref ita.Statement
		require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(data, &ref), name)
		err := ref.Validate()
		if err == nil {
			predJSON, merr := protojson.Marshal(ref.GetPredicate())
			require.NoError(t, merr)
			var p prov.Provenance
			require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(predJSON, &p), name)
			err = p.Validate()
		}
		if wantOK {
			require.NoError(t, err, name)
		} else {
			require.Error(t, err, name)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
