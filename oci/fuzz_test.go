package oci

import (
	"path/filepath"
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
