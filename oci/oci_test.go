package oci_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
)

// newRegistry starts go-containerregistry's in-process registry on
// loopback, with or without the OCI 1.1 referrers API.
func newRegistry(t *testing.T, referrers bool) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(referrers), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func newKey(t testing.TB) signature.SignerVerifier {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sv, err := signature.LoadECDSASignerVerifier(k, crypto.SHA256)
	require.NoError(t, err)
	return sv
}

func writeModel(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tiny-model")
	for n, c := range files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(c), 0o644))
	}
	return dir
}

var modelFiles = map[string]string{
	"model.safetensors":     strings.Repeat("w", 3<<20+17), // several reads
	"config.json":           `{"layers": 2}`,
	"tokenizer/vocab.txt":   "a\nb\n",
	"README.md":             "# tiny",
	"empty.marker":          "",
	"nested/deep/weights.0": "0123456789",
}

func open(t *testing.T, ref string, o oci.Options) *oci.Repository {
	t.Helper()
	r, err := oci.Open(context.Background(), ref, o)
	require.NoError(t, err)
	return r
}

func requireSameTree(t *testing.T, want map[string]string, dir string) {
	t.Helper()
	got := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = string(b)
		return nil
	}))
	require.Equal(t, want, got)
}

func TestPushPullRoundTrip(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, true)
	dir := writeModel(t, modelFiles)
	var last [2]int64
	repo := open(t, "oci://"+host+"/models/tiny", oci.Options{Workers: 3, Progress: func(d, tot int64) { last = [2]int64{d, tot} }})
	m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1"})
	require.NoError(t, err)
	require.Equal(t, last[0], last[1], "progress ends at its total")
	require.Equal(t, oci.ArtifactTypeModel, m.Manifest.ArtifactType)
	require.Equal(t, oci.MediaTypeModelConfig, m.Manifest.Config.MediaType)
	require.Len(t, m.Manifest.Layers, len(modelFiles))
	for _, l := range m.Manifest.Layers {
		title := l.Annotations[ocispec.AnnotationTitle]
		require.Equal(t, title, l.Annotations[oci.AnnotationFilepath])
		require.Equal(t, digest.FromString(modelFiles[title]), l.Digest, title)
	}
	require.Equal(t, oci.MediaTypeDoc, layerType(m, "README.md"))
	require.Equal(t, oci.MediaTypeWeightCfg, layerType(m, "config.json"))
	require.Equal(t, oci.MediaTypeWeight, layerType(m, "model.safetensors"))

	out := filepath.Join(t.TempDir(), "pulled")
	got, err := repo.Pull(ctx, "v1", out)
	require.NoError(t, err)
	require.Equal(t, m.Descriptor.Digest, got.Descriptor.Digest)
	require.Equal(t, "tiny-model", got.Name)
	requireSameTree(t, modelFiles, out)

	// Pushing again sends no layer (all exist) and gives the same digest.
	again, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1"})
	require.NoError(t, err)
	require.Equal(t, m.Descriptor.Digest, again.Descriptor.Digest)

	// A pull into a directory that is not empty is refused.
	_, err = repo.Pull(ctx, "v1", out)
	require.ErrorContains(t, err, "not empty")
}

func layerType(m *oci.Model, title string) string {
	for _, f := range m.Files {
		if f.Path == title {
			return f.MediaType
		}
	}
	return ""
}

// TestSignInRegistryVerifiesOnDisk: a model signed by digest in the
// registry verifies on disk after a pull, a model signed on disk verifies
// in the registry, and both statements are the same bytes.
func TestSignInRegistryVerifiesOnDisk(t *testing.T) {
	ctx := context.Background()
	for _, referrers := range []bool{true, false} {
		name := map[bool]string{true: "referrers_api", false: "tag_schema"}[referrers]
		t.Run(name, func(t *testing.T) {
			host := newRegistry(t, referrers)
			dir := writeModel(t, modelFiles)
			sv := newKey(t)
			repo := open(t, host+"/models/tiny", oci.Options{})
			m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1"})
			require.NoError(t, err)

			byDigest := "@" + m.Descriptor.Digest.String()
			sr, err := repo.Sign(ctx, m.Descriptor.Digest.String(), sv, signing.SignOptions{})
			require.NoError(t, err)
			require.Equal(t, m.Descriptor.Digest, sr.Model.Descriptor.Digest)

			onDisk, err := signing.Sign(ctx, dir, sv, signing.SignOptions{})
			require.NoError(t, err)
			require.Equal(t, payload(t, onDisk), payload(t, sr.Bundle), "same statement on disk and in the registry")

			out := filepath.Join(t.TempDir(), "tiny-model")
			_, err = repo.Pull(ctx, strings.TrimPrefix(byDigest, "@"), out)
			require.NoError(t, err)
			_, err = signing.Verify(ctx, out, sr.Bundle, signing.VerifyOptions{Key: sv})
			require.NoError(t, err, "signed in the registry, verified on disk")

			res, err := repo.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}, Bundle: onDisk})
			require.NoError(t, err, "signed on disk, verified in the registry")
			require.Equal(t, m.Descriptor.Digest, res.Model.Descriptor.Digest, "the tag is resolved and reported")

			// A new client, as another process would be: it learns
			// afresh whether the registry has the referrers API.
			fresh := open(t, host+"/models/tiny", oci.Options{})
			res, err = fresh.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}})
			require.NoError(t, err, "the attached referrer verifies")
			require.Equal(t, sr.Referrer.Digest, res.Signature.Digest)

			refs, err := fresh.Referrers(ctx, m.Descriptor, oci.ArtifactTypeSignature)
			require.NoError(t, err)
			require.Len(t, refs, 1)
			require.Equal(t, oci.ArtifactTypeSignature, refs[0].ArtifactType)
			if !referrers {
				// The fallback index is tagged by the subject's digest.
				tag := "sha256-" + m.Descriptor.Digest.Encoded()
				d, err := repo.Resolve(ctx, tag)
				require.NoError(t, err)
				require.Equal(t, ocispec.MediaTypeImageIndex, d.MediaType)
			}
		})
	}
}

func payload(t *testing.T, bundle []byte) string {
	t.Helper()
	var b struct {
		DSSEEnvelope struct{ Payload string } `json:"dsseEnvelope"`
	}
	require.NoError(t, json.Unmarshal(bundle, &b))
	require.NotEmpty(t, b.DSSEEnvelope.Payload)
	return b.DSSEEnvelope.Payload
}

// pushManifest pushes a hand-made model manifest whose layers are blobs
// with the given titles.
func pushManifest(t *testing.T, repo *oci.Repository, tag string, layers map[string]string, extra ...ocispec.Descriptor) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	r := repo.Remote()
	var ls []ocispec.Descriptor
	for title, c := range layers {
		d := ocispec.Descriptor{MediaType: oci.MediaTypeWeight, Digest: digest.FromString(c), Size: int64(len(c)),
			Annotations: map[string]string{ocispec.AnnotationTitle: title}}
		if ok, _ := r.Exists(ctx, d); !ok {
			require.NoError(t, r.Push(ctx, d, strings.NewReader(c)))
		}
		ls = append(ls, d)
	}
	ls = append(ls, extra...)
	if ok, _ := r.Exists(ctx, ocispec.DescriptorEmptyJSON); !ok {
		require.NoError(t, r.Push(ctx, ocispec.DescriptorEmptyJSON, bytes.NewReader(ocispec.DescriptorEmptyJSON.Data)))
	}
	man := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: oci.ArtifactTypeModel, Config: ocispec.DescriptorEmptyJSON, Layers: ls}
	b, err := json.Marshal(man)
	require.NoError(t, err)
	d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(b), Size: int64(len(b))}
	require.NoError(t, r.PushReference(ctx, d, bytes.NewReader(b), tag))
	return d
}

func TestHostileTitlesRefusedOnPull(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, true)
	repo := open(t, host+"/models/hostile", oci.Options{})
	tests := []struct {
		name   string
		layers map[string]string
		extra  []ocispec.Descriptor
		want   string
	}{
		{"fail_dotdot", map[string]string{"../escape": "x"}, nil, "unsafe title"},
		{"fail_dotdot_inner", map[string]string{"a/../../escape": "x"}, nil, "unsafe title"},
		{"fail_absolute", map[string]string{"/tmp/escape": "x"}, nil, "unsafe title"},
		{"fail_backslash", map[string]string{`..\escape`: "x"}, nil, "unsafe title"},
		{"fail_dir_and_file", map[string]string{"a": "x", "a/b": "y"}, nil, "also a directory"},
		{"fail_no_title", map[string]string{"ok": "x"}, []ocispec.Descriptor{{MediaType: oci.MediaTypeWeight, Digest: digest.FromString("x"), Size: 1}}, "no org.opencontainers.image.title"},
		{"fail_twice", map[string]string{"ok": "x"}, []ocispec.Descriptor{{MediaType: oci.MediaTypeWeight, Digest: digest.FromString("x"), Size: 1,
			Annotations: map[string]string{ocispec.AnnotationTitle: "ok"}}}, "listed twice"},
		{"fail_compressed_not_tar", map[string]string{"ok": "x"}, []ocispec.Descriptor{{MediaType: "application/vnd.cncf.model.weight.v1.raw+gzip", Digest: digest.FromString("x"), Size: 1,
			Annotations: map[string]string{ocispec.AnnotationTitle: "w.gz"}}}, "compressed, but not a tar archive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := pushManifest(t, repo, tc.name, tc.layers, tc.extra...)
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			_, err := repo.Pull(ctx, d.Digest.String(), out)
			require.ErrorContains(t, err, tc.want)
			ents, _ := os.ReadDir(parent)
			require.LessOrEqual(t, len(ents), 1, "nothing written beside the target")
			_, err = os.Stat(filepath.Join(parent, "escape"))
			require.ErrorIs(t, err, os.ErrNotExist)
		})
	}
}

// tamper is a transport that rewrites registry answers.
type tamper struct {
	base    http.RoundTripper
	rewrite func(req *http.Request, resp *http.Response) *http.Response
}

func (t *tamper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	return t.rewrite(req, resp), nil
}

func replaceBody(resp *http.Response, b []byte, digestHeader string) *http.Response {
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	if digestHeader != "" {
		resp.Header.Set("Docker-Content-Digest", digestHeader)
	}
	return resp
}

func TestTampering(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, true)
	dir := writeModel(t, map[string]string{"w.bin": "weights", "config.json": "{}"})
	sv := newKey(t)
	repo := open(t, host+"/models/t", oci.Options{})
	m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1"})
	require.NoError(t, err)
	_, err = repo.Sign(ctx, "v1", sv, signing.SignOptions{})
	require.NoError(t, err)
	vo := oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}}

	t.Run("fail_layer_replaced", func(t *testing.T) {
		d := pushManifest(t, repo, "replaced", map[string]string{"w.bin": "WEIGHTS", "config.json": "{}"})
		// The signature of the original, checked against the new manifest.
		sig, err := signing.Sign(ctx, dir, sv, signing.SignOptions{})
		require.NoError(t, err)
		_, err = repo.Verify(ctx, d.Digest.String(), oci.VerifyOptions{VerifyOptions: vo.VerifyOptions, Bundle: sig})
		var mm *signing.MismatchError
		require.ErrorAs(t, err, &mm)
		require.Equal(t, []string{"w.bin"}, mm.Changed)
	})
	t.Run("fail_layer_added", func(t *testing.T) {
		d := pushManifest(t, repo, "added", map[string]string{"w.bin": "weights", "config.json": "{}", "backdoor.py": "import os"})
		sig, err := signing.Sign(ctx, dir, sv, signing.SignOptions{})
		require.NoError(t, err)
		_, err = repo.Verify(ctx, d.Digest.String(), oci.VerifyOptions{VerifyOptions: vo.VerifyOptions, Bundle: sig})
		var mm *signing.MismatchError
		require.ErrorAs(t, err, &mm)
		require.Equal(t, []string{"backdoor.py"}, mm.Extra)
	})
	t.Run("fail_retagged", func(t *testing.T) {
		other := pushManifest(t, repo, "v1", map[string]string{"w.bin": "other weights"})
		_, err := repo.Verify(ctx, "v1", vo)
		require.ErrorIs(t, err, oci.ErrNoSignature)
		require.ErrorContains(t, err, other.Digest.String(), "the digest the tag now names is reported")
		res, err := repo.Verify(ctx, m.Descriptor.Digest.String(), vo)
		require.NoError(t, err, "the signed digest still verifies")
		require.Equal(t, m.Descriptor.Digest, res.Model.Descriptor.Digest)
	})
	t.Run("fail_other_key", func(t *testing.T) {
		host := newRegistry(t, true)
		repo := open(t, host+"/models/k", oci.Options{})
		m, err := repo.Push(ctx, dir, oci.PushOptions{})
		require.NoError(t, err)
		_, err = repo.Sign(ctx, m.Descriptor.Digest.String(), newKey(t), signing.SignOptions{})
		require.NoError(t, err)
		_, err = repo.Verify(ctx, m.Descriptor.Digest.String(), vo)
		var be *signing.BundleError
		require.ErrorAs(t, err, &be)
		require.Equal(t, signing.RuleKeyHint, be.Rule)
	})
	t.Run("fail_no_signature", func(t *testing.T) {
		d := pushManifest(t, repo, "unsigned", map[string]string{"x": "y"})
		_, err := repo.Verify(ctx, d.Digest.String(), vo)
		require.ErrorIs(t, err, oci.ErrNoSignature)
	})

	// A registry that answers for another digest than asked.
	otherDesc := pushManifest(t, repo, "decoy", map[string]string{"w.bin": "decoy"})
	decoy, _, err := repo.Remote().FetchReference(ctx, otherDesc.Digest.String())
	require.NoError(t, err)
	rc, err := repo.Remote().Fetch(ctx, decoy)
	require.NoError(t, err)
	decoyBytes, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	want := m.Descriptor.Digest.String()
	for _, tc := range []struct {
		name   string
		header string
	}{
		{"fail_other_manifest_true_header", otherDesc.Digest.String()},
		{"fail_other_manifest_lying_header", want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			liar := open(t, host+"/models/t", oci.Options{HTTPClient: &http.Client{Transport: &tamper{base: http.DefaultTransport,
				rewrite: func(req *http.Request, resp *http.Response) *http.Response {
					if strings.HasSuffix(req.URL.Path, "/manifests/"+want) {
						return replaceBody(resp, decoyBytes, tc.header)
					}
					return resp
				}}}})
			_, err := liar.Verify(ctx, want, vo)
			var de *oci.DigestError
			require.ErrorAs(t, err, &de)
			_, err = liar.Pull(ctx, want, filepath.Join(t.TempDir(), "o"))
			require.ErrorAs(t, err, &de)
		})
	}
	t.Run("fail_blob_replaced_in_transit", func(t *testing.T) {
		liar := open(t, host+"/models/t", oci.Options{HTTPClient: &http.Client{Transport: &tamper{base: http.DefaultTransport,
			rewrite: func(req *http.Request, resp *http.Response) *http.Response {
				if strings.HasSuffix(req.URL.Path, "/blobs/"+digest.FromString("weights").String()) {
					return replaceBody(resp, []byte("WEIGHTS"), "")
				}
				return resp
			}}}})
		out := filepath.Join(t.TempDir(), "o")
		_, err := liar.Pull(ctx, want, out)
		var de *oci.DigestError
		require.ErrorAs(t, err, &de)
		_, err = os.Stat(filepath.Join(out, "w.bin"))
		require.ErrorIs(t, err, os.ErrNotExist, "a layer that fails its digest is not left behind")
	})
}

// TestDefaultIgnorePathsAsOnDisk: signing on disk always leaves out
// .git, .gitattributes, .github and .gitignore at the top level, so a
// signature made in the registry leaves them out too, in raw and archive
// layers: a model with a .gitattributes (as most from the Hugging Face
// Hub) then verifies after a pull, and the two statements are equal.
func TestDefaultIgnorePathsAsOnDisk(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, true)
	sv := newKey(t)
	files := map[string]string{"w.bin": "w", ".gitattributes": "*.bin filter=lfs", "sub/.gitignore": "kept: not top level"}
	for _, layout := range []string{"raw_layers", "tar_layer"} {
		t.Run(layout, func(t *testing.T) {
			repo := open(t, host+"/m/"+strings.ReplaceAll(layout, "_", "-"), oci.Options{})
			var d ocispec.Descriptor
			if layout == "raw_layers" {
				d = pushManifest(t, repo, "v1", files)
			} else {
				dir := writeModel(t, files)
				// Push leaves .gitattributes out itself; pack the
				// directory as another tool would, all files in one tar.
				var buf bytes.Buffer
				tw := tar.NewWriter(&buf)
				for _, n := range []string{".gitattributes", "sub/.gitignore", "w.bin"} {
					b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
					require.NoError(t, err)
					require.NoError(t, tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}))
					_, err = tw.Write(b)
					require.NoError(t, err)
				}
				require.NoError(t, tw.Close())
				d = pushBlobs(t, repo, "v1", blobLayer{mediaType: "application/vnd.cncf.model.weight.v1.tar", data: buf.Bytes()})
			}
			sr, err := repo.Sign(ctx, d.Digest.String(), sv, signing.SignOptions{})
			require.NoError(t, err)
			// Named as the model (the repository's last element), so the
			// statements' subject names match too.
			out := filepath.Join(t.TempDir(), strings.ReplaceAll(layout, "_", "-"))
			_, err = repo.Pull(ctx, d.Digest.String(), out)
			require.NoError(t, err)
			requireSameTree(t, files, out)
			_, err = signing.Verify(ctx, out, sr.Bundle, signing.VerifyOptions{Key: sv})
			require.NoError(t, err, "signed in the registry, verified on disk")
			onDisk, err := signing.Sign(ctx, out, sv, signing.SignOptions{})
			require.NoError(t, err)
			require.Equal(t, payload(t, onDisk), payload(t, sr.Bundle))
			_, err = repo.Verify(ctx, d.Digest.String(), oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}, Bundle: onDisk})
			require.NoError(t, err, "signed on disk, verified in the registry")
		})
	}
}
