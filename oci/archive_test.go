package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
)

// TestArchiveLayouts: a model pushed as tar, tar+gzip or tar+zstd layers
// signs in the registry (each layer streamed once) to the statement
// signing on disk gives; the registry's signature verifies on disk after
// a pull, and the disk's verifies in the registry.
func TestArchiveLayouts(t *testing.T) {
	ctx := context.Background()
	for _, layout := range []oci.Layout{oci.LayoutTar, oci.LayoutTarGzip, oci.LayoutTarZstd} {
		t.Run(string(layout), func(t *testing.T) {
			host := newRegistry(t, true)
			dir := writeModel(t, modelFiles)
			sv := newKey(t)
			var last [2]int64
			repo := open(t, host+"/models/tiny", oci.Options{Progress: func(d, tot int64) { last = [2]int64{d, tot} }})
			m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1", Layout: layout})
			require.NoError(t, err)
			require.Equal(t, last[0], last[1], "progress ends at its total")
			require.Len(t, m.Manifest.Layers, len(modelFiles), "one layer per file")
			require.Len(t, m.Archives, len(modelFiles))
			for _, l := range m.Manifest.Layers {
				require.True(t, strings.HasSuffix(l.MediaType, ".v1."+string(layout)), l.MediaType)
				require.True(t, strings.HasPrefix(l.MediaType, "application/vnd.cncf.model."), l.MediaType)
			}
			require.Equal(t, "application/vnd.cncf.model.weight.v1."+string(layout), layerType(m, "model.safetensors"))
			for _, f := range m.Files {
				require.Equal(t, digest.FromString(modelFiles[f.Path]), f.Digest, "Files lists the files' own digests: %s", f.Path)
			}

			// The same directory pushed again gives the same layers and
			// manifest: the archives are reproducible.
			again, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1", Layout: layout})
			require.NoError(t, err)
			require.Equal(t, m.Descriptor.Digest, again.Descriptor.Digest)

			// Signing reads every archive layer once: what it receives is
			// the layers' bytes plus the manifest and small answers.
			ct := &countingTransport{base: http.DefaultTransport}
			var blobBytes int64
			for _, l := range m.Manifest.Layers {
				blobBytes += l.Size
			}
			sr, err := open(t, host+"/models/tiny", oci.Options{HTTPClient: &http.Client{Transport: ct}}).Sign(ctx, "v1", sv, signing.SignOptions{})
			require.NoError(t, err)
			require.Len(t, sr.Model.Files, len(modelFiles))
			require.GreaterOrEqual(t, ct.received.Load(), blobBytes)
			require.Less(t, ct.received.Load(), blobBytes+64<<10, "each layer streamed once")
			onDisk, err := signing.Sign(ctx, dir, sv, signing.SignOptions{})
			require.NoError(t, err)
			require.Equal(t, payload(t, onDisk), payload(t, sr.Bundle), "same statement on disk and in the registry")

			out := filepath.Join(t.TempDir(), "tiny-model")
			pulled, err := repo.Pull(ctx, m.Descriptor.Digest.String(), out)
			require.NoError(t, err)
			require.Len(t, pulled.Files, len(modelFiles))
			requireSameTree(t, modelFiles, out)
			_, err = signing.Verify(ctx, out, sr.Bundle, signing.VerifyOptions{Key: sv})
			require.NoError(t, err, "signed in the registry, verified on disk")

			_, err = repo.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}, Bundle: onDisk})
			require.NoError(t, err, "signed on disk, verified in the registry")
			res, err := open(t, host+"/models/tiny", oci.Options{}).Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}})
			require.NoError(t, err, "the attached signature verifies")
			require.Equal(t, sr.Referrer.Digest, res.Signature.Digest)

			// A manifest read without its archives has no signing
			// manifest yet: its files are unknown.
			fetched, err := repo.Fetch(ctx, "v1")
			require.NoError(t, err)
			require.Empty(t, fetched.Files)
			_, err = fetched.SigningManifest()
			require.ErrorContains(t, err, "archive layers not read")
		})
	}
}

// pushBlobs pushes a model manifest whose layers are the given blobs.
func pushBlobs(t *testing.T, repo *oci.Repository, tag string, layers ...blobLayer) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	r := repo.Remote()
	var ls []ocispec.Descriptor
	for _, l := range layers {
		d := ocispec.Descriptor{MediaType: l.mediaType, Digest: digest.FromBytes(l.data), Size: int64(len(l.data)), Annotations: l.annotations}
		if ok, _ := r.Exists(ctx, d); !ok {
			require.NoError(t, r.Push(ctx, d, bytes.NewReader(l.data)))
		}
		ls = append(ls, d)
	}
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

type blobLayer struct {
	mediaType   string
	data        []byte
	annotations map[string]string
}

// vector reads an archive vector and the ModelPack media type its
// extension names.
func vector(t *testing.T, name string) blobLayer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "archives", name))
	require.NoError(t, err)
	mt := "application/vnd.cncf.model.weight.v1.tar"
	switch {
	case strings.HasSuffix(name, ".tar.gz"):
		mt += "+gzip"
	case strings.HasSuffix(name, ".tar.zst"):
		mt += "+zstd"
	}
	return blobLayer{mediaType: mt, data: b}
}

func TestArchiveVectors(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, true)
	sv := newKey(t)
	goodTree := map[string]string{"weights/model.bin": "weights", "config.json": `{"layers": 2}`}
	for _, name := range []string{"good_tree.tar", "good_tree.tar.gz", "good_tree.tar.zst"} {
		t.Run(name, func(t *testing.T) {
			repo := open(t, host+"/models/good", oci.Options{})
			d := pushBlobs(t, repo, "v1", vector(t, name))
			sr, err := repo.Sign(ctx, d.Digest.String(), sv, signing.SignOptions{})
			require.NoError(t, err)
			out := filepath.Join(t.TempDir(), "m")
			_, err = repo.Pull(ctx, d.Digest.String(), out)
			require.NoError(t, err)
			requireSameTree(t, goodTree, out)
			info, err := os.Stat(filepath.Join(out, "empty"))
			require.NoError(t, err)
			require.True(t, info.IsDir(), "directory entries are restored")
			_, err = signing.Verify(ctx, out, sr.Bundle, signing.VerifyOptions{Key: sv})
			require.NoError(t, err)
		})
	}

	tests := []struct {
		file   string
		limits oci.ArchiveLimits
		want   string
	}{
		{"fail_dotdot.tar", oci.ArchiveLimits{}, `unsafe entry name "../escape"`},
		{"fail_dotdot_inner.tar", oci.ArchiveLimits{}, "unsafe entry name"},
		{"fail_dotdot_long_name.tar", oci.ArchiveLimits{}, "unsafe entry name"},
		{"fail_absolute.tar", oci.ArchiveLimits{}, `unsafe entry name "/tmp/escape"`},
		{"fail_backslash.tar", oci.ArchiveLimits{}, "unsafe entry name"},
		{"fail_symlink.tar", oci.ArchiveLimits{}, "is a symbolic link"},
		{"fail_symlink_dir_then_file.tar", oci.ArchiveLimits{}, "is a symbolic link"},
		{"fail_hardlink.tar", oci.ArchiveLimits{}, "is a hard link"},
		{"fail_chardev.tar", oci.ArchiveLimits{}, "is a character device"},
		{"fail_blockdev.tar", oci.ArchiveLimits{}, "is a block device"},
		{"fail_fifo.tar", oci.ArchiveLimits{}, "is a FIFO"},
		{"fail_gnu_sparse.tar", oci.ArchiveLimits{}, "is a sparse file"},
		{"fail_pax_sparse.tar", oci.ArchiveLimits{}, "sparse"},
		{"fail_duplicate.tar", oci.ArchiveLimits{}, "a is listed twice"},
		{"fail_file_then_dir.tar", oci.ArchiveLimits{}, "which is a file"},
		{"fail_dir_then_file.tar", oci.ArchiveLimits{}, "is a file and a directory"},
		{"fail_too_many_entries.tar", oci.ArchiveLimits{MaxEntries: 20}, "more than 20 archive entries"},
		{"fail_truncated.tar", oci.ArchiveLimits{}, "unexpected EOF"},
		{"fail_not_gzip.tar.gz", oci.ArchiveLimits{}, "gzip"},
		{"fail_not_zstd.tar.zst", oci.ArchiveLimits{}, "zstd"},
		{"fail_bomb.tar.zst", oci.ArchiveLimits{}, "unpacks to more than"},
		{"fail_bomb.tar.gz", oci.ArchiveLimits{MaxRatio: 100}, "unpacks to more than"},
		{"fail_bomb.tar.gz", oci.ArchiveLimits{MaxBytes: 1 << 20}, "unpacks to more than"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			repo := open(t, host+"/models/hostile", oci.Options{Archive: tc.limits})
			d := pushBlobs(t, repo, "x", vector(t, tc.file))
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			_, err := repo.Pull(ctx, d.Digest.String(), out)
			require.ErrorContains(t, err, tc.want)
			var le *oci.LayerError
			require.ErrorAs(t, err, &le, "the layer is named")
			require.Equal(t, 0, le.Index)
			ents, _ := os.ReadDir(parent)
			require.LessOrEqual(t, len(ents), 1, "nothing written beside the target")
			require.NoError(t, filepath.WalkDir(parent, func(p string, e os.DirEntry, err error) error {
				require.NoError(t, err)
				require.False(t, e.Type().IsRegular(), "no file is left of a refused layer: %s", p)
				return nil
			}))
			_, err = os.Stat("/tmp/escape")
			require.ErrorIs(t, err, os.ErrNotExist)

			_, err = repo.Sign(ctx, d.Digest.String(), sv, signing.SignOptions{})
			require.ErrorContains(t, err, tc.want, "signing refuses it too")
		})
	}
}

func TestArchiveTampering(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, true)
	sv := newKey(t)
	repo := open(t, host+"/models/t", oci.Options{})
	good := vector(t, "good_tree.tar")

	t.Run("fail_name_in_raw_layer_and_archive", func(t *testing.T) {
		raw := blobLayer{mediaType: oci.MediaTypeWeightCfg, data: []byte("{}"), annotations: map[string]string{ocispec.AnnotationTitle: "config.json"}}
		d := pushBlobs(t, repo, "both", raw, good)
		_, err := repo.Pull(ctx, d.Digest.String(), filepath.Join(t.TempDir(), "o"))
		require.ErrorContains(t, err, "config.json is listed twice")
		_, err = repo.Sign(ctx, d.Digest.String(), sv, signing.SignOptions{})
		require.ErrorContains(t, err, "config.json is listed twice")
	})
	t.Run("fail_name_in_two_archives", func(t *testing.T) {
		d := pushBlobs(t, repo, "twice", good, vector(t, "good_tree.tar.gz"))
		_, err := repo.Sign(ctx, d.Digest.String(), sv, signing.SignOptions{})
		require.ErrorContains(t, err, "is listed twice")
	})

	// The registry serves another tar of the same size under the
	// layer's digest: the entries parse, the digest does not match, and
	// nothing is left on disk.
	d := pushBlobs(t, repo, "v1", good)
	// weights/model.bin's bytes start at 2560 (after the global, ".",
	// "weights" and its own header blocks): change them, not a header.
	other := bytes.Clone(good.data)
	require.Equal(t, "weights", string(other[2560:2567]))
	copy(other[2560:], "WEIGHTS")
	liar := open(t, host+"/models/t", oci.Options{HTTPClient: &http.Client{Transport: &tamper{base: http.DefaultTransport,
		rewrite: func(req *http.Request, resp *http.Response) *http.Response {
			if strings.HasSuffix(req.URL.Path, "/blobs/"+digest.FromBytes(good.data).String()) {
				return replaceBody(resp, other, "")
			}
			return resp
		}}}})
	t.Run("fail_archive_replaced_in_transit", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "o")
		_, err := liar.Pull(ctx, d.Digest.String(), out)
		var de *oci.DigestError
		require.ErrorAs(t, err, &de)
		_, err = os.Stat(filepath.Join(out, "weights", "model.bin"))
		require.ErrorIs(t, err, os.ErrNotExist, "files of a layer that fails its digest are not left behind")
		_, err = os.Stat(filepath.Join(out, "weights", "model.bin.mlsec-partial"))
		require.ErrorIs(t, err, os.ErrNotExist)
		_, err = liar.Sign(ctx, d.Digest.String(), sv, signing.SignOptions{})
		require.ErrorAs(t, err, &de, "nothing is signed from bytes that fail their digest")
	})
	t.Run("fail_archive_changed_after_signing", func(t *testing.T) {
		sr, err := repo.Sign(ctx, d.Digest.String(), sv, signing.SignOptions{})
		require.NoError(t, err)
		changed := pushBlobs(t, repo, "v2", blobLayer{mediaType: good.mediaType, data: other})
		_, err = repo.Verify(ctx, changed.Digest.String(), oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}, Bundle: sr.Bundle})
		var mm *signing.MismatchError
		require.ErrorAs(t, err, &mm)
		require.Equal(t, []string{"weights/model.bin"}, mm.Changed)
	})
}

// TestPushSinglePass: a push that reads each file once (streamed upload,
// digest computed on the way) gives the very manifest the two-pass push
// gives, in every layout, and pulls back the same tree.
func TestPushSinglePass(t *testing.T) {
	ctx := context.Background()
	for _, layout := range []oci.Layout{oci.LayoutRaw, oci.LayoutTar, oci.LayoutTarGzip, oci.LayoutTarZstd} {
		t.Run(string(layout), func(t *testing.T) {
			dir := writeModel(t, modelFiles)
			twoPass, err := open(t, newRegistry(t, true)+"/models/m", oci.Options{}).Push(ctx, dir, oci.PushOptions{Tag: "v1", Layout: layout})
			require.NoError(t, err)
			var last [2]int64
			repo := open(t, newRegistry(t, true)+"/models/m", oci.Options{Progress: func(d, tot int64) { last = [2]int64{d, tot} }})
			once, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1", Layout: layout, SinglePass: true})
			require.NoError(t, err)
			require.Equal(t, twoPass.Descriptor.Digest, once.Descriptor.Digest, "the same manifest")
			require.Equal(t, twoPass.Files, once.Files)
			var total int64
			for _, c := range modelFiles {
				total += int64(len(c))
			}
			require.Equal(t, [2]int64{total, total}, last, "each file read once")
			out := filepath.Join(t.TempDir(), "o")
			_, err = repo.Pull(ctx, "v1", out)
			require.NoError(t, err)
			requireSameTree(t, modelFiles, out)
		})
	}
}

// A registry that sends the streamed upload elsewhere (Location on
// another host) gets no bytes and no credentials.
func TestSinglePassRefusesForeignLocation(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, true)
	var patched bool
	repo := open(t, host+"/models/m", oci.Options{HTTPClient: &http.Client{Transport: &tamper{base: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method == http.MethodPatch {
			patched = true
		}
		return http.DefaultTransport.RoundTrip(req)
	}), rewrite: func(req *http.Request, resp *http.Response) *http.Response {
		return resp
	}}}})
	repo2 := open(t, host+"/models/m", oci.Options{HTTPClient: &http.Client{Transport: locationRewriter{base: http.DefaultTransport, to: "evil.example:443"}}})
	dir := writeModel(t, map[string]string{"w.bin": "weights"})
	_, err := repo2.Push(ctx, dir, oci.PushOptions{SinglePass: true})
	require.ErrorContains(t, err, `upload Location "evil.example:443" is on another host`)
	_, err = repo.Push(ctx, dir, oci.PushOptions{SinglePass: true})
	require.NoError(t, err)
	require.True(t, patched, "the streamed upload is a PATCH")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// locationRewriter points every upload Location at another host.
type locationRewriter struct {
	base http.RoundTripper
	to   string
}

func (l locationRewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(req)
	if err == nil && resp.Header.Get("Location") != "" {
		loc, _ := resp.Location()
		loc.Host = l.to
		resp.Header.Set("Location", loc.String())
	}
	return resp, err
}
