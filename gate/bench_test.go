package gate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
)

// storeWith returns the world's attestations plus n signed test results
// about the dataset, in memory.
func storeWith(b testing.TB, w *world, n int) provenance.Attestations {
	atts, err := provenance.ReadAttestations(w.store)
	require.NoError(b, err)
	body, err := json.Marshal(w.testResult(w.dataset, "PASSED"))
	require.NoError(b, err)
	for i := range n {
		env, err := provenance.SignPayload(context.Background(), body, w.key)
		require.NoError(b, err)
		atts = append(atts, provenance.Attestation{Source: fmt.Sprintf("extra-%d", i), Envelope: env})
	}
	return atts
}

// BenchmarkCollectDecide is one whole decision over a model whose
// dataset has n test results: every envelope verified (in parallel), the
// document built, the prepared Rego policy evaluated. cache=cold verifies
// every signature; cache=warm decides again with a VerifyCache that holds
// the outcomes of an earlier decision over the same store.
func BenchmarkCollectDecide(b *testing.B) {
	ctx := context.Background()
	pol, err := gate.NewRegoPolicy(ctx, "p.rego", []byte(regoRequireAll), gate.RegoOptions{})
	require.NoError(b, err)
	for _, n := range []int{100, 1000, 10000} {
		for _, warm := range []bool{false, true} {
			name := fmt.Sprintf("attestations=%d/cache=cold", n)
			if warm {
				name = fmt.Sprintf("attestations=%d/cache=warm", n)
			}
			b.Run(name, func(b *testing.B) {
				w := newWorld(b)
				src := w.sources(b)
				src.Attestations = storeWith(b, w, n)
				trust := w.trust(b)
				if warm {
					trust.Cache = gate.NewVerifyCache(0)
					_, err := gate.Collect(ctx, src, trust)
					require.NoError(b, err)
				}
				b.ResetTimer()
				cpu0 := cpuTime()
				for b.Loop() {
					ev, err := gate.Collect(ctx, src, trust)
					if err != nil {
						b.Fatal(err)
					}
					if d := pol.Decide(ctx, ev); !d.Allowed {
						b.Fatal(d.Violations)
					}
				}
				if cpu := cpuTime() - cpu0; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}

// BenchmarkDecideRego is the policy alone over a collected document with
// n validation items: the prepared query reused.
func BenchmarkDecideRego(b *testing.B) {
	ctx := context.Background()
	pol, err := gate.NewRegoPolicy(ctx, "p.rego", []byte(regoRequireAll), gate.RegoOptions{})
	require.NoError(b, err)
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			w := newWorld(b)
			src := w.sources(b)
			src.Attestations = storeWith(b, w, n)
			ev, err := gate.Collect(ctx, src, w.trust(b))
			require.NoError(b, err)
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				if d := pol.Decide(ctx, ev); !d.Allowed {
					b.Fatal(d.Violations)
				}
			}
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
