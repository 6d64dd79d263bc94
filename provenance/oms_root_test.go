package provenance_test

import (
	"strings"
	"testing"

	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/stretchr/testify/require"
)

// An OMS root digest is recorded under the algorithm it names
// ("sha256:hex", as signing prints it); bare hex is sha256.
func TestOMSRootDigestForms(t *testing.T) {
	r := provenance.NewRecorder("https://ci.example.com/trainer", "https://example.com/buildtypes/custom/v1", provenance.RecorderOptions{})
	hex := strings.Repeat("ab", 32)
	require.NoError(t, r.AddOutputOMS("a", "sha256:"+hex))
	require.NoError(t, r.AddOutputOMS("b", hex))
	require.ErrorContains(t, r.AddOutputOMS("c", "blake9:"+hex), `unknown algorithm "blake9"`)
	require.Error(t, r.AddOutputOMS("d", "sha256:"+hex[:10]))
	require.NoError(t, r.AddOutputOMS("e", "blake2b:"+strings.Repeat("cd", 64)))
	require.Error(t, r.AddOutputOMS("f", "blake2b:"+hex))
	st, err := r.Finish()
	require.NoError(t, err)
	require.Len(t, st.Subject, 3)
	for _, s := range st.Subject[:2] {
		require.Equal(t, provenance.DigestSet{"sha256": hex}, s.Digest)
	}
	require.Equal(t, provenance.DigestSet{"blake2b": strings.Repeat("cd", 64)}, st.Subject[2].Digest)
}
