package provenance_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/provenance"
)

// TestPinnedBytes pins the exact bytes of every document provenance
// writes (statement, DSSE envelope, JSON Lines, Sigstore bundle) for a
// fixed statement and an Ed25519 key (deterministic signatures), so that a
// change of codec cannot change what other tools read. Regenerate with
// MLSEC_UPDATE_PINNED=1 only for a deliberate format change.
func TestPinnedBytes(t *testing.T) {
	ctx := context.Background()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	sv, err := signature.LoadDefaultSignerVerifier(priv)
	require.NoError(t, err)
	signer, err := dssesig.New(ctx, sv)
	require.NoError(t, err)

	st := trainingStatement(t)
	stmt, err := st.Marshal()
	require.NoError(t, err)
	env, err := provenance.SignDSSE(ctx, stmt, signer)
	require.NoError(t, err)
	envJSON, err := provenance.MarshalEnvelope(env)
	require.NoError(t, err)
	var jsonl bytes.Buffer
	require.NoError(t, provenance.WriteJSONL(&jsonl, env, env))
	bundle, err := provenance.MarshalBundle(env, "")
	require.NoError(t, err)
	bundleHint, err := provenance.MarshalBundle(env, "builder-key")
	require.NoError(t, err)
	unsigned, err := provenance.Unsigned(st)
	require.NoError(t, err)
	unsignedJSON, err := provenance.MarshalEnvelope(unsigned)
	require.NoError(t, err)

	for name, got := range map[string][]byte{
		"statement.json":            stmt,
		"envelope.json":             envJSON,
		"envelopes.intoto.jsonl":    jsonl.Bytes(),
		"bundle.sigstore.json":      bundle,
		"bundle_hint.sigstore.json": bundleHint,
		"unsigned.json":             unsignedJSON,
	} {
		p := filepath.Join("testdata", "pinned", name)
		if os.Getenv("MLSEC_UPDATE_PINNED") == "1" {
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, got, 0o644))
			continue
		}
		want, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), name)

		// And what is written reads back as the same envelopes.
		if name != "statement.json" {
			envs, err := provenance.ReadEnvelopes(name, got)
			require.NoError(t, err, name)
			for _, e := range envs {
				require.Equal(t, env.Payload, e.Payload)
			}
		}
	}
}
