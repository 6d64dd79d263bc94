package oci

import (
	"bytes"
	"context"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mlsec-dev/mlsec/internal/hashing"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzParseModel feeds arbitrary manifests to the parser of what a
// registry serves: it must never panic, and whatever it accepts must be
// safe to restore (every title a clean local path, listed once).
func FuzzParseModel(f *testing.F) {
	d := "sha256:" + digest.FromString("x").Encoded()
	for _, seed := range []string{
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cncf.model.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + d + `","size":1},"layers":[{"mediaType":"application/vnd.cncf.model.weight.v1.raw","digest":"` + d + `","size":1,"annotations":{"org.opencontainers.image.title":"a/b.bin"}}],"annotations":{"org.opencontainers.image.title":"m"}}`,
		`{"layers":[{"digest":"` + d + `","size":1,"annotations":{"org.opencontainers.image.title":"../x"}}]}`,
		`{"layers":[{"digest":"` + d + `","size":1,"annotations":{"org.opencontainers.image.title":"a"}},{"digest":"` + d + `","size":1,"annotations":{"org.opencontainers.image.title":"a/b"}}]}`,
		`{"layers":[{"digest":"sha256:zz","size":-1,"annotations":{"org.opencontainers.image.title":"/abs"}}]}`,
		`{"layers":null}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("m")}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseModel(b, desc, "registry.example/models/x")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, file := range m.Files {
			if hashing.CheckName(file.Path) != nil || !filepath.IsLocal(filepath.FromSlash(file.Path)) {
				t.Fatalf("accepted unsafe title %q", file.Path)
			}
			if seen[file.Path] {
				t.Fatalf("accepted title %q twice", file.Path)
			}
			seen[file.Path] = true
			if file.Size < 0 || file.Digest.Validate() != nil {
				t.Fatalf("accepted layer %q with size %d digest %q", file.Path, file.Size, file.Digest)
			}
		}
		if hashing.CheckName(m.Name) != nil {
			t.Fatalf("accepted model name %q", m.Name)
		}
	})
}

// FuzzWalkArchive feeds arbitrary bytes to the archive reader as a tar,
// tar+gzip or tar+zstd layer (the first byte picks): it must never panic,
// never hand out a name that is unsafe, repeated, or both a file and a
// directory, and never pass more bytes than its bounds allow.
func FuzzWalkArchive(f *testing.F) {
	ents, err := os.ReadDir(filepath.Join("testdata", "archives"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata", "archives", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 64<<10 {
			continue // the bombs: slow to run on every fuzz start
		}
		kind := byte(0)
		switch {
		case strings.HasSuffix(e.Name(), ".gz"):
			kind = 1
		case strings.HasSuffix(e.Name(), ".zst"):
			kind = 2
		}
		f.Add(append([]byte{kind}, b...))
	}
	limits := ArchiveLimits{MaxEntries: 1000, MaxBytes: 16 << 20, MaxWindow: 8 << 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		blob := in[1:]
		a := Archive{Digest: digest.FromBytes(blob), Size: int64(len(blob)), MediaType: "application/vnd.cncf.model.weight.v1.tar"}
		switch in[0] % 3 {
		case 1:
			a.Compression = "gzip"
		case 2:
			a.Compression = "zstd"
		}
		ar := &archiveReader{limits: limits, names: newNameSet(), entries: new(atomic.Int64)}
		var passed int64
		dirs := map[string]bool{}
		files, err := ar.walkArchive(context.Background(), bytes.NewReader(blob), a, func(name string, r io.Reader) error {
			if hashing.CheckName(name) != nil {
				t.Fatalf("visited unsafe name %q", name)
			}
			if r == nil {
				dirs[name] = true
				return nil
			}
			n, err := io.Copy(io.Discard, r)
			passed += n
			return err
		})
		if passed > limits.layerBound(a.Size) {
			t.Fatalf("passed %d bytes, bound %d", passed, limits.layerBound(a.Size))
		}
		if ar.entries.Load() > limits.MaxEntries+1 {
			t.Fatalf("read %d entries, limit %d", ar.entries.Load(), limits.MaxEntries)
		}
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, file := range files {
			if seen[file.Path] || dirs[file.Path] {
				t.Fatalf("accepted %q twice, or as a file and a directory", file.Path)
			}
			seen[file.Path] = true
			for p := path.Dir(file.Path); p != "."; p = path.Dir(p) {
				if seen[p] {
					t.Fatalf("accepted %q inside file %q", file.Path, p)
				}
			}
		}
	})
}
