package gate_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
)

// TestCollectParallelDeterministic: however many workers verify, the
// document is the same, in the same order, and the same as one worker's.
func TestCollectParallelDeterministic(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	src := w.sources(t)
	src.Attestations = storeWith(t, w, 200)
	// An envelope signed by an untrusted key in the middle: rejected, in
	// its place.
	body, err := json.Marshal(w.testResult(w.dataset, "PASSED"))
	require.NoError(t, err)
	env, err := provenance.SignPayload(ctx, body, w.other)
	require.NoError(t, err)
	src.Attestations = append(src.Attestations[:100:100], append(provenance.Attestations{{Source: "untrusted", Envelope: env}}, src.Attestations[100:]...)...)

	var docs [][]byte
	for _, workers := range []int{1, 2, 7} {
		trust := w.trust(t)
		trust.Workers = workers
		ev, err := gate.Collect(ctx, src, trust)
		require.NoError(t, err)
		require.Len(t, ev.Validation, 201)
		require.Len(t, ev.Rejected, 1)
		require.Equal(t, "untrusted", ev.Rejected[0].Source)
		require.Equal(t, []string{provenance.RuleSignature}, ev.Rejected[0].Rules)
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		docs = append(docs, b)
	}
	require.Equal(t, string(docs[0]), string(docs[1]))
	require.Equal(t, string(docs[0]), string(docs[2]))
}

func TestVerifyCache(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	src := w.sources(t)
	src.Attestations = storeWith(t, w, 50)
	cache := gate.NewVerifyCache(0)
	trust := w.trust(t)
	trust.Cache = cache

	cold, err := gate.Collect(ctx, src, trust)
	require.NoError(t, err)
	st := cache.Stats()
	// The test results (51) are cached; the provenance statements are
	// verified under policies with maxAge, which are never cached.
	require.Equal(t, 51, st.Entries)
	require.Equal(t, int64(0), st.Hits)

	warm, err := gate.Collect(ctx, src, trust)
	require.NoError(t, err)
	require.Equal(t, int64(51), cache.Stats().Hits, "the second decision verifies no test result again")
	cb, err := json.Marshal(cold)
	require.NoError(t, err)
	wb, err := json.Marshal(warm)
	require.NoError(t, err)
	require.JSONEq(t, string(cb), string(wb))

	t.Run("fail_other_key_misses", func(t *testing.T) {
		// The same envelopes under a policy that trusts another key: no
		// outcome of the first trust applies, and none verifies.
		before := cache.Stats()
		other := w.trust(t)
		other.Cache = cache
		other.Attestations = &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "https://ci.example.com/*", Verifiers: nil}}}
		other.Attestations.Builders[0].Verifiers = append(other.Attestations.Builders[0].Verifiers, w.other)
		ev, err := gate.Collect(ctx, src, other)
		require.NoError(t, err)
		require.Empty(t, ev.Validation)
		require.Len(t, ev.Rejected, 51)
		for _, r := range ev.Rejected {
			require.Contains(t, r.Rules, provenance.RuleSignature)
		}
		require.Equal(t, before.Hits, cache.Stats().Hits)

		// Warm under that trust: the rejections come from the cache and
		// still name their own attestation.
		again, err := gate.Collect(ctx, src, other)
		require.NoError(t, err)
		require.Equal(t, before.Hits+51, cache.Stats().Hits)
		require.Equal(t, ev.Rejected, again.Rejected)
	})

	t.Run("fail_other_subject_misses", func(t *testing.T) {
		// A test result verified for one dataset is not an outcome for
		// another: the subjects are part of the key.
		before := cache.Stats()
		_, err := gate.Collect(ctx, gate.Sources{Subject: w.dataset, Attestations: src.Attestations}, trust)
		require.NoError(t, err)
		require.Equal(t, before.Hits, cache.Stats().Hits)
	})
}

func TestVerifyCacheBound(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	src := w.sources(t)
	src.Attestations = storeWith(t, w, 30)
	cache := gate.NewVerifyCache(10)
	trust := w.trust(t)
	trust.Cache = cache
	for range 2 {
		ev, err := gate.Collect(ctx, src, trust)
		require.NoError(t, err)
		require.Len(t, ev.Validation, 31)
		require.Equal(t, 10, cache.Stats().Entries)
	}
}

func TestCollectCancelled(t *testing.T) {
	w := newWorld(t)
	src := w.sources(t)
	src.Attestations = storeWith(t, w, 100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := gate.Collect(ctx, src, w.trust(t))
	require.ErrorIs(t, err, context.Canceled)
}
