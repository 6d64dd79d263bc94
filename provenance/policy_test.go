package provenance_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

func TestParsePolicyVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/policy/*")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			p, err := provenance.LoadPolicy(f)
			if strings.HasPrefix(name, "good_") {
				require.NoError(t, err)
				for _, b := range p.Builders {
					require.NotEmpty(t, b.Verifiers)
				}
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), "policy")
		})
	}
}

func TestPolicyFields(t *testing.T) {
	p, err := provenance.LoadPolicy("testdata/policy/good_full.yaml")
	require.NoError(t, err)
	require.Equal(t, provenance.Duration(720*time.Hour), p.MaxAge)
	require.Len(t, p.Builders, 2)
	require.Equal(t, "https://ci.example.com/datasets/*", p.Builders[1].ID)
	require.Equal(t, []string{"sha256", "dirHash", "gitCommit"}, p.DigestAlgorithms)
	require.Equal(t, "train-data", p.Dependencies.Required[0].Name)
	require.Equal(t, "sha256", p.Dependencies.Allowed[1].PinnedBy)
	require.Equal(t, "train.py", p.ExternalParameters["entrypoint"].Exact)
	require.Len(t, p.ExternalParameters["seed"].OneOf, 2)
	require.True(t, p.ExternalParameters["hyperparameters"].Any)
	require.True(t, p.RejectUnknownParameters)

	// The same policy in JSON parses to the same thing.
	js := `{"builders":[{"id":"a","keys":[{"file":"k.pem"}]}],"maxAge":"1h"}`
	dir := t.TempDir()
	newKey(t, "rsa").writePub(t, dir, "k.pem")
	p2, err := provenance.ParsePolicy([]byte(js), dir)
	require.NoError(t, err)
	require.Equal(t, provenance.Duration(time.Hour), p2.MaxAge)
	require.Len(t, p2.Builders[0].Verifiers, 1)
}

// A policy without builders loads but verifies nothing: fail closed.
func TestPolicyWithoutBuildersFailsClosed(t *testing.T) {
	p, err := provenance.LoadPolicy("testdata/policy/good_expectations_only.yaml")
	require.NoError(t, err)
	k := newKey(t, "p256")
	env, err := provenance.Sign(context.Background(), trainingStatement(t), k.signer)
	require.NoError(t, err)
	_, err = provenance.Verify(context.Background(), env, p, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleBuilder, provenance.ErrUntrustedBuilder)
}

func TestPolicySchemaPublished(t *testing.T) {
	committed, err := os.ReadFile("policy.schema.json")
	require.NoError(t, err)
	require.Equal(t, committed, provenance.PolicySchema())
}

// Hostile policies are refused quickly, with an error, not a crash.
func TestParsePolicyHostile(t *testing.T) {
	for name, doc := range map[string]string{
		"deep flow":  "builders: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"deep block": "builders: " + strings.Repeat("- ", 100000) + "x",
		"aliases":    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
		"huge":       strings.Repeat(" ", provenance.MaxDocumentSize+1),
	} {
		_, err := provenance.ParsePolicy([]byte(doc), t.TempDir())
		require.Error(t, err, name)
		require.ErrorContains(t, err, "policy", name)
	}
}
