//go:build cgo

package secrets_test

import (
	"crypto/elliptic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

func TestSignModelWithPKCS11Key(t *testing.T) {
	for _, c := range []struct {
		label string
		curve elliptic.Curve
	}{{"model-p256", elliptic.P256()}, {"model-p384", elliptic.P384()}} {
		t.Run(c.label, func(t *testing.T) {
			sv, err := secrets.LoadSignerVerifier(testCtx(t), hsmECKey(t, c.label, c.curve))
			require.NoError(t, err)
			signAndVerifyModel(t, sv)
		})
	}
}
