package secrets_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

// testCtx bounds a test that could hang (a read that never ends); the
// bound is far above any run, even with -race on a loaded machine.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// devKEK returns a fresh insecure local KEK and its URI.
func devKEK(t testing.TB) (secrets.KEK, string) {
	t.Helper()
	uri, err := secrets.GenerateInsecureKeyFile(filepath.Join(t.TempDir(), "kek.json"))
	require.NoError(t, err)
	k, err := secrets.OpenKEK(context.Background(), uri, secrets.KEKOptions{})
	require.NoError(t, err)
	return k, uri
}
