package oci_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/signing"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
)

// distribution returns the address of the CNCF distribution 2.8 registry
// (Debian's docker-registry) that scripts/with-test-services starts on
// loopback. It has no referrers API, so evidence goes through the
// referrers tag schema.
func distribution(t *testing.T) string {
	t.Helper()
	return testenv.Getenv(t, "MLSEC_TEST_REGISTRY", "a CNCF distribution registry (Debian docker-registry)")
}

// uniqueRepo names a repository no other test run used, since the
// registry outlives a test.
func uniqueRepo(t *testing.T, host string) string {
	// t.TempDir's name repeats from run to run: a random part keeps a
	// registry that outlives one run from mixing two runs' referrers.
	var r [6]byte
	_, _ = rand.Read(r[:])
	return host + "/mlsec-test/" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())) + "-" + hex.EncodeToString(r[:])
}

func TestDistributionRegistry(t *testing.T) {
	ctx := context.Background()
	host := distribution(t)
	ref := uniqueRepo(t, host)
	dir := writeModel(t, modelFiles)
	sv := newKey(t)
	repo := open(t, ref, oci.Options{})
	m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1"})
	require.NoError(t, err)
	sr, err := repo.Sign(ctx, "v1", sv, signing.SignOptions{})
	require.NoError(t, err)

	// A new client finds the signature through the tag schema.
	fresh := open(t, ref, oci.Options{})
	res, err := fresh.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}})
	require.NoError(t, err)
	require.Equal(t, m.Descriptor.Digest, res.Model.Descriptor.Digest)
	require.Equal(t, sr.Referrer.Digest, res.Signature.Digest)
	idx, err := fresh.Resolve(ctx, "sha256-"+m.Descriptor.Digest.Encoded())
	require.NoError(t, err, "distribution 2.8 has no referrers API: the index is tagged by the subject's digest")
	require.Equal(t, ocispec.MediaTypeImageIndex, idx.MediaType)

	out := filepath.Join(t.TempDir(), "pulled")
	_, err = fresh.Pull(ctx, "v1", out)
	require.NoError(t, err)
	requireSameTree(t, modelFiles, out)
	_, err = signing.Verify(ctx, out, sr.Bundle, signing.VerifyOptions{Key: sv})
	require.NoError(t, err)

	// The streamed upload (single pass) against the real registry: the
	// same manifest as the two-pass push, raw and archive layouts.
	for _, layout := range []oci.Layout{oci.LayoutRaw, oci.LayoutTarGzip} {
		other := open(t, uniqueRepo(t, host), oci.Options{})
		twice, err := other.Push(ctx, dir, oci.PushOptions{Tag: "twice", Layout: layout})
		require.NoError(t, err)
		once, err := open(t, uniqueRepo(t, host), oci.Options{}).Push(ctx, dir, oci.PushOptions{Tag: "once", Layout: layout, SinglePass: true})
		require.NoError(t, err, layout)
		require.Equal(t, twice.Descriptor.Digest, once.Descriptor.Digest, layout)
	}

	// Tampering against the real registry.
	added := pushManifest(t, fresh, "v2", map[string]string{"model.safetensors": modelFiles["model.safetensors"], "evil.py": "import os"})
	_, err = fresh.Verify(ctx, added.Digest.String(), oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}, Bundle: sr.Bundle})
	var mm *signing.MismatchError
	require.ErrorAs(t, err, &mm)
	require.Equal(t, []string{"evil.py"}, mm.Extra)
	require.Contains(t, mm.Missing, "config.json")

	_, err = fresh.Sign(ctx, "v2", newKey(t), signing.SignOptions{})
	require.NoError(t, err)
	_, err = fresh.Verify(ctx, "v2", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}})
	var be *signing.BundleError
	require.ErrorAs(t, err, &be, "a referrer signed by another key does not verify")
	require.Equal(t, signing.RuleKeyHint, be.Rule)
}

func orasCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	oras := testenv.LookPath(t, "oras")
	cmd := exec.Command(oras, args...)
	cmd.Dir = dir
	// oras keeps no state of ours: an empty docker config.
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "oras %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// TestOrasInterop uses the oras CLI as an independent client of the same
// registry: what mlsec pushes oras pulls byte for byte, what oras pushes
// mlsec signs and verifies, and oras discover lists what mlsec attached.
func TestOrasInterop(t *testing.T) {
	ctx := context.Background()
	host := distribution(t)
	testenv.LookPath(t, "oras")
	sv := newKey(t)

	t.Run("mlsec_push_oras_pull", func(t *testing.T) {
		ref := uniqueRepo(t, host)
		dir := writeModel(t, modelFiles)
		repo := open(t, ref, oci.Options{})
		m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1"})
		require.NoError(t, err)
		sr, err := repo.Sign(ctx, "v1", sv, signing.SignOptions{})
		require.NoError(t, err)
		ev, err := repo.Attach(ctx, m.Descriptor, oci.Attachment{ArtifactType: oci.ArtifactTypeInToto, Data: []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`)})
		require.NoError(t, err)

		out := t.TempDir()
		orasCmd(t, out, "pull", "--plain-http", "-o", "pulled", ref+":v1")
		requireSameTree(t, modelFiles, filepath.Join(out, "pulled"))

		js := orasCmd(t, out, "discover", "--plain-http", "--format", "json", ref+"@"+m.Descriptor.Digest.String())
		var disc struct {
			Referrers []struct {
				Digest       string `json:"digest"`
				ArtifactType string `json:"artifactType"`
			} `json:"referrers"`
		}
		require.NoError(t, json.Unmarshal([]byte(js), &disc), js)
		got := map[string]string{}
		for _, r := range disc.Referrers {
			got[r.Digest] = r.ArtifactType
		}
		require.Equal(t, map[string]string{
			sr.Referrer.Digest.String(): oci.ArtifactTypeSignature,
			ev.Digest.String():          oci.ArtifactTypeInToto,
		}, got)
	})

	t.Run("oras_push_mlsec_sign", func(t *testing.T) {
		ref := uniqueRepo(t, host)
		dir := writeModel(t, modelFiles)
		var files []string
		for n := range modelFiles {
			files = append(files, n)
		}
		orasCmd(t, dir, append([]string{"push", "--plain-http", ref + ":v1"}, files...)...)

		repo := open(t, ref, oci.Options{})
		sr, err := repo.Sign(ctx, "v1", sv, signing.SignOptions{})
		require.NoError(t, err)
		_, err = signing.Verify(ctx, dir, sr.Bundle, signing.VerifyOptions{Key: sv})
		require.NoError(t, err, "signed from oras' manifest, verified on the original directory")
		onDisk, err := signing.Sign(ctx, dir, sv, signing.SignOptions{})
		require.NoError(t, err)
		_, err = repo.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}, Bundle: onDisk})
		require.NoError(t, err)
		_, err = open(t, ref, oci.Options{}).Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}})
		require.NoError(t, err)

		// A directory oras packs as one tar+gzip layer (its unpack
		// annotation set): mlsec streams it once to sign it, the
		// signature verifies the directory oras packed (its files are
		// under the directory's name), and mlsec's pull restores what
		// oras pull restores.
		orasCmd(t, filepath.Dir(dir), "push", "--plain-http", ref+":packed", filepath.Base(dir))
		packed, err := repo.Sign(ctx, "packed", sv, signing.SignOptions{})
		require.NoError(t, err)
		require.Len(t, packed.Model.Archives, 1)
		require.Equal(t, "gzip", packed.Model.Archives[0].Compression)
		_, err = signing.Verify(ctx, filepath.Dir(dir), packed.Bundle, signing.VerifyOptions{Key: sv})
		require.NoError(t, err, "signed from oras' packed layer, verified on the directory it packed")
		orasOut := t.TempDir()
		orasCmd(t, orasOut, "pull", "--plain-http", "-o", "o", ref+":packed")
		mlsecOut := filepath.Join(t.TempDir(), "m")
		_, err = repo.Pull(ctx, "packed", mlsecOut)
		require.NoError(t, err)
		want := map[string]string{}
		for n, c := range modelFiles {
			want[filepath.Base(dir)+"/"+n] = c
		}
		requireSameTree(t, want, filepath.Join(orasOut, "o"))
		requireSameTree(t, want, mlsecOut)
		_, err = signing.Verify(ctx, mlsecOut, packed.Bundle, signing.VerifyOptions{Key: sv})
		require.NoError(t, err)
	})

	t.Run("mlsec_push_tar_oras_fetch", func(t *testing.T) {
		// oras has no notion of ModelPack's tar layers: it pulls each as
		// the archive it is. The archive holds the file under its path,
		// byte for byte.
		ref := uniqueRepo(t, host)
		dir := writeModel(t, modelFiles)
		repo := open(t, ref, oci.Options{})
		m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1", Layout: oci.LayoutTar})
		require.NoError(t, err)
		out := t.TempDir()
		for _, l := range m.Manifest.Layers {
			title := l.Annotations[ocispec.AnnotationTitle]
			orasCmd(t, out, "blob", "fetch", "--plain-http", "--output", "layer.tar", ref+"@"+l.Digest.String())
			tr := exec.Command("tar", "-xOf", "layer.tar", title)
			tr.Dir = out
			got, err := tr.Output()
			require.NoError(t, err, title)
			require.Equal(t, modelFiles[title], string(got), title)
			require.NoError(t, os.Remove(filepath.Join(out, "layer.tar")))
		}
	})
}
