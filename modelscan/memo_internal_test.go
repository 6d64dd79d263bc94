package modelscan

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The memo agrees with a plain map on random puts and gets: dense keys,
// holes, far (sparse) keys the bitmap later grows past, values kept and
// rewritten as unknown.
func TestMemoTableMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var m memoTable
	want := map[uint64]value{}
	next := uint64(0)
	for op := 0; op < 200000; op++ {
		var k uint64
		switch r.IntN(10) {
		case 0:
			k = next + uint64(r.IntN(3*maxGap)) // a hole or a far key
		case 1:
			k = uint64(r.IntN(int(next + 1))) // a rewrite
		default:
			k = next
			next++
		}
		v := value{}
		if r.IntN(3) == 0 {
			v = value{k: kInt, i: int64(op)}
		}
		m.put(k, v)
		want[k] = v
		g := uint64(r.IntN(int(next + 2*maxGap)))
		got, ok := m.get(g)
		w, wok := want[g]
		require.Equal(t, wok, ok, "key %d present", g)
		require.Equal(t, w, got, "key %d", g)
	}
	require.Equal(t, len(want), m.n)
	m.reset()
	_, ok := m.get(0)
	require.False(t, ok)
}
