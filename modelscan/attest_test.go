package modelscan_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/modelscan"
)

func TestStatement(t *testing.T) {
	paths := []string{"testdata/good_torch_state_dict.pt", "testdata/fail_torch_os_system.pt"}
	var results []*modelscan.Result
	for _, p := range paths {
		res, err := modelscan.ScanFile(context.Background(), p, modelscan.Options{})
		require.NoError(t, err)
		results = append(results, res)
	}
	subj, err := modelscan.FileSubjects(paths...)
	require.NoError(t, err)
	st := modelscan.NewStatement(results, subj, modelscan.Options{})
	b, err := json.Marshal(st)
	require.NoError(t, err)

	var m struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate struct {
			Result        string `json:"result"`
			Configuration []struct {
				Name   string            `json:"name"`
				Digest map[string]string `json:"digest"`
			} `json:"configuration"`
			PassedTests []string `json:"passedTests"`
			WarnedTests []string `json:"warnedTests"`
			FailedTests []string `json:"failedTests"`
		} `json:"predicate"`
	}
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, "https://in-toto.io/Statement/v1", m.Type)
	require.Equal(t, "https://in-toto.io/attestation/test-result/v0.1", m.PredicateType)
	require.Len(t, m.Subject, 2)
	for i, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		require.Equal(t, p, m.Subject[i].Name)
		require.Equal(t, hex.EncodeToString(sum[:]), m.Subject[i].Digest["sha256"])
	}
	require.Equal(t, "FAILED", m.Predicate.Result)
	require.Equal(t, []string{paths[0]}, m.Predicate.PassedTests)
	require.NotNil(t, m.Predicate.WarnedTests)
	require.Len(t, m.Predicate.FailedTests, 1)
	require.Contains(t, m.Predicate.FailedTests[0], "os.system")
	require.Equal(t, modelscan.PolicyName, m.Predicate.Configuration[0].Name)
	require.Equal(t, modelscan.PolicyDigest(modelscan.Options{}), m.Predicate.Configuration[0].Digest["sha256"])

	st = modelscan.NewStatement(results[:1], subj[:1], modelscan.Options{})
	require.Equal(t, "PASSED", st.Predicate.Result)
}

func TestPolicyDigest(t *testing.T) {
	base := modelscan.PolicyDigest(modelscan.Options{})
	require.Len(t, base, 64)
	own := modelscan.Options{Allow: []modelscan.Global{{Module: "mypkg", Name: "Config"}}}
	require.NotEqual(t, base, modelscan.PolicyDigest(own))
	// An entry already on the default list changes nothing; nor do explicit defaults.
	require.Equal(t, base, modelscan.PolicyDigest(modelscan.Options{Allow: []modelscan.Global{{Module: "collections", Name: "OrderedDict"}}}))
	require.Equal(t, base, modelscan.PolicyDigest(modelscan.Options{MaxStack: 1 << 20}))
	require.NotEqual(t, base, modelscan.PolicyDigest(modelscan.Options{MaxStack: 10}))
	// Module and name boundaries are part of the digest.
	require.NotEqual(t,
		modelscan.PolicyDigest(modelscan.Options{Allow: []modelscan.Global{{Module: "a.b", Name: "c"}}}),
		modelscan.PolicyDigest(modelscan.Options{Allow: []modelscan.Global{{Module: "a", Name: "b.c"}}}))
}

// A scan's verdict as an in-toto statement; sign its JSON with a DSSE
// signer to show it at the gate.
func ExampleNewStatement() {
	path := "testdata/fail_joblib_array_then_payload.joblib"
	res, err := modelscan.ScanFile(context.Background(), path, modelscan.Options{})
	if err != nil {
		panic(err)
	}
	subj, err := modelscan.FileSubjects(path)
	if err != nil {
		panic(err)
	}
	st := modelscan.NewStatement([]*modelscan.Result{res}, subj, modelscan.Options{})
	fmt.Println(st.PredicateType)
	fmt.Println(st.Predicate.Result)
	fmt.Println(st.Predicate.FailedTests[0])
	// Output:
	// https://in-toto.io/attestation/test-result/v0.1
	// FAILED
	// testdata/fail_joblib_array_then_payload.joblib@268: critical dangerous-global os.system: imports a callable that can run code
}
