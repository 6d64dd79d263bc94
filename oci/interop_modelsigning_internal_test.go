package oci

import (
	"context"
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/keyfile"
	"github.com/mlsec-dev/mlsec/signing"
)

// The vectors in testdata/interop_modelsigning (see its README) were made
// with the OMS reference Go tool: it signed the image manifest of a model
// mlsec pushed, and verified the signature mlsec made in the registry.
// Here mlsec verifies both against that manifest and against the model on
// disk, and refuses both against each altered manifest, as the reference
// tool does.
func TestInteropModelSigning(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join("testdata", "interop_modelsigning")
	pub, err := os.ReadFile(filepath.Join(dir, "pub.pem"))
	require.NoError(t, err)
	pk, err := keyfile.ParsePublicKey(pub)
	require.NoError(t, err)
	key, err := signature.LoadVerifier(pk, crypto.SHA256)
	require.NoError(t, err)
	opts := signing.VerifyOptions{Key: key}

	manifest := func(t *testing.T, name string) *signing.Manifest {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		m, err := parseModel(b, ocispec.Descriptor{Digest: digest.FromBytes(b)}, "127.0.0.1/ix/model")
		require.NoError(t, err)
		sm, err := m.SigningManifest()
		require.NoError(t, err)
		return sm
	}
	sigs, err := filepath.Glob(filepath.Join(dir, "good_*.sig"))
	require.NoError(t, err)
	require.Len(t, sigs, 2)
	fails, err := filepath.Glob(filepath.Join(dir, "fail_manifest_*.json"))
	require.NoError(t, err)
	require.Len(t, fails, 3)

	for _, sig := range sigs {
		bundle, err := os.ReadFile(sig)
		require.NoError(t, err)
		t.Run(filepath.Base(sig), func(t *testing.T) {
			_, err := signing.VerifyManifest(ctx, manifest(t, "manifest.json"), bundle, opts)
			require.NoError(t, err, "against the registry manifest")
			_, err = signing.Verify(ctx, filepath.Join(dir, "model"), bundle, opts)
			require.NoError(t, err, "against the model on disk")

			for _, f := range fails {
				_, err := signing.VerifyManifest(ctx, manifest(t, filepath.Base(f)), bundle, opts)
				var mm *signing.MismatchError
				require.ErrorAs(t, err, &mm, "%s", f)
			}

			tampered := t.TempDir()
			require.NoError(t, os.CopyFS(tampered, os.DirFS(filepath.Join(dir, "model"))))
			require.NoError(t, os.WriteFile(filepath.Join(tampered, "model.bin"), []byte(strings.Repeat("x", 19)), 0o644))
			_, err = signing.Verify(ctx, tampered, bundle, opts)
			var mm *signing.MismatchError
			require.ErrorAs(t, err, &mm, "a changed file on disk")
		})
	}
}
