package provenance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/hashing"
)

// ManifestMediaType identifies a dataset manifest document.
const ManifestMediaType = "application/vnd.mlsec.dataset-manifest.v1+json"

// Manifest is a content-addressed version of a dataset: the SHA-256 of
// every file and a root digest over them. The root is the in-toto
// `dirHash` of the files (the Go module "h1" directory hash, in hex): the
// SHA-256 of the lines "<sha256-hex>  <path>\n" sorted by path, which is
// what `find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum |
// sha256sum` prints. It does not depend on the order files were listed or
// hashed in, so the root digest is the dataset's version.
type Manifest struct {
	MediaType string         `json:"mediaType"`
	Root      DigestSet      `json:"root"`
	Size      int64          `json:"size"`
	Files     []ManifestFile `json:"files"`
}

// ManifestFile is one file of a dataset.
type ManifestFile struct {
	Path   string    `json:"path"`
	Size   int64     `json:"size"`
	Digest DigestSet `json:"digest"`
}

// ManifestOptions control BuildManifest.
type ManifestOptions struct {
	// Ignore lists slash-separated paths under the root to leave out.
	Ignore []string
	// Workers bounds the files hashed at once (default GOMAXPROCS).
	Workers int
	// Progress, if set, is called with bytes hashed so far and the total.
	Progress func(done, total int64)
}

// BuildManifest hashes every regular file under dir (or the single file
// dir) in parallel with bounded memory and returns its manifest. Symbolic
// links and special files are errors, not skipped: a dataset version must
// say exactly what it contains.
func BuildManifest(ctx context.Context, dir string, opts ManifestOptions) (*Manifest, error) {
	files, err := hashing.Walk(ctx, dir, hashing.WalkOptions{Ignore: opts.Ignore})
	if err != nil {
		return nil, fmt.Errorf("provenance: dataset %s: %w", dir, err)
	}
	digests, err := hashing.Hash(ctx, files, hashing.Options{Algorithm: hashing.SHA256, Workers: opts.Workers, Progress: opts.Progress})
	if err != nil {
		return nil, fmt.Errorf("provenance: dataset %s: %w", dir, err)
	}
	m := &Manifest{MediaType: ManifestMediaType, Files: make([]ManifestFile, len(digests))}
	for i, d := range digests {
		if strings.Contains(d.File.Name, "\n") {
			return nil, fmt.Errorf("provenance: dataset %s: file name %q contains a newline, which the dirHash line format cannot represent", dir, d.File.Name)
		}
		m.Files[i] = ManifestFile{Path: d.File.Name, Size: d.End, Digest: DigestSet{"sha256": hex.EncodeToString(d.Sum)}}
		m.Size += d.End
	}
	m.Root = DigestSet{"dirHash": rootDigest(m.Files)}
	return m, nil
}

// rootDigest computes the dirHash of files, sorting a copy by path.
func rootDigest(files []ManifestFile) string {
	sorted := make([]ManifestFile, len(files))
	copy(sorted, files)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%s  %s\n", f.Digest["sha256"], f.Path)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Descriptor returns the manifest as a ResourceDescriptor named name, to
// use as a subject or a resolved dependency.
func (m *Manifest) Descriptor(name string) ResourceDescriptor {
	return ResourceDescriptor{Name: name, Digest: DigestSet{"dirHash": m.Root["dirHash"]}, MediaType: ManifestMediaType}
}

// Marshal returns the manifest as indented JSON.
func (m *Manifest) Marshal() ([]byte, error) {
	return json.MarshalIndent(m, "", "  ")
}

// ParseManifest reads a manifest and checks it: paths are clean, relative
// and unique, digests are SHA-256 hex, and the root digest is recomputed
// and must match, so a manifest cannot claim a version it does not hold.
func ParseManifest(data []byte) (*Manifest, error) {
	const input = "dataset manifest"
	var m Manifest
	if err := decodeStrict(input, data, &m); err != nil {
		return nil, err
	}
	if m.MediaType != ManifestMediaType {
		return nil, &FormatError{Input: input, Reason: fmt.Sprintf("mediaType %q, want %q", m.MediaType, ManifestMediaType)}
	}
	seen := make(map[string]bool, len(m.Files))
	var size int64
	for i, f := range m.Files {
		if err := hashing.CheckName(f.Path); err != nil {
			return nil, &FormatError{Input: input, Reason: fmt.Sprintf("file %d: %v", i, err)}
		}
		if strings.Contains(f.Path, "\n") {
			return nil, &FormatError{Input: input, Reason: fmt.Sprintf("file %d: name %q contains a newline", i, f.Path)}
		}
		if seen[f.Path] {
			return nil, &FormatError{Input: input, Reason: fmt.Sprintf("file %q listed twice", f.Path)}
		}
		seen[f.Path] = true
		if len(f.Digest) != 1 || f.Digest.validate() != nil || f.Digest["sha256"] == "" {
			return nil, &FormatError{Input: input, Reason: fmt.Sprintf("file %q: want one sha256 digest", f.Path)}
		}
		if f.Size < 0 {
			return nil, &FormatError{Input: input, Reason: fmt.Sprintf("file %q: negative size", f.Path)}
		}
		size += f.Size
	}
	if got := rootDigest(m.Files); m.Root["dirHash"] != got || len(m.Root) != 1 {
		return nil, &FormatError{Input: input, Reason: fmt.Sprintf("root digest %s does not match its files (dirHash:%s)", m.Root, got)}
	}
	if size != m.Size {
		return nil, &FormatError{Input: input, Reason: fmt.Sprintf("size %d does not match its files (%d)", m.Size, size)}
	}
	return &m, nil
}

// ManifestDiff is what changed between two dataset versions.
type ManifestDiff struct {
	OldRoot DigestSet      `json:"oldRoot"`
	NewRoot DigestSet      `json:"newRoot"`
	Added   []ManifestFile `json:"added"`
	Removed []ManifestFile `json:"removed"`
	Changed []FileChange   `json:"changed"`
}

// FileChange is a file whose content differs between two versions.
type FileChange struct {
	Path string       `json:"path"`
	Old  ManifestFile `json:"old"`
	New  ManifestFile `json:"new"`
}

// Empty reports whether the versions hold the same files and contents.
func (d *ManifestDiff) Empty() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0
}

// DiffManifests compares two dataset versions file by file, by path.
func DiffManifests(old, new *Manifest) *ManifestDiff {
	d := &ManifestDiff{OldRoot: old.Root, NewRoot: new.Root, Added: []ManifestFile{}, Removed: []ManifestFile{}, Changed: []FileChange{}}
	byPath := make(map[string]ManifestFile, len(old.Files))
	for _, f := range old.Files {
		byPath[f.Path] = f
	}
	inNew := make(map[string]bool, len(new.Files))
	for _, f := range new.Files {
		inNew[f.Path] = true
		o, ok := byPath[f.Path]
		switch {
		case !ok:
			d.Added = append(d.Added, f)
		case o.Digest["sha256"] != f.Digest["sha256"] || o.Size != f.Size:
			d.Changed = append(d.Changed, FileChange{Path: f.Path, Old: o, New: f})
		}
	}
	for _, f := range old.Files {
		if !inNew[f.Path] {
			d.Removed = append(d.Removed, f)
		}
	}
	sort.Slice(d.Added, func(i, j int) bool { return d.Added[i].Path < d.Added[j].Path })
	sort.Slice(d.Removed, func(i, j int) bool { return d.Removed[i].Path < d.Removed[j].Path })
	sort.Slice(d.Changed, func(i, j int) bool { return d.Changed[i].Path < d.Changed[j].Path })
	return d
}

// WriteText renders the diff one file a line: "+ added", "- removed",
// "~ changed".
func (d *ManifestDiff) WriteText(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %s\nnew %s\n", d.OldRoot, d.NewRoot)
	for _, f := range d.Added {
		fmt.Fprintf(&b, "+ %s (%d bytes)\n", f.Path, f.Size)
	}
	for _, f := range d.Removed {
		fmt.Fprintf(&b, "- %s (%d bytes)\n", f.Path, f.Size)
	}
	for _, c := range d.Changed {
		fmt.Fprintf(&b, "~ %s (%d -> %d bytes)\n", c.Path, c.Old.Size, c.New.Size)
	}
	fmt.Fprintf(&b, "%d added, %d removed, %d changed\n", len(d.Added), len(d.Removed), len(d.Changed))
	_, err := w.Write(b.Bytes())
	return err
}

// NewManifest builds a manifest from digests computed elsewhere, such as
// the SHA-256 checksums an object store keeps for a set of objects. Paths
// must be clean, relative and unique.
func NewManifest(files []ManifestFile) (*Manifest, error) {
	m := &Manifest{MediaType: ManifestMediaType, Files: append([]ManifestFile(nil), files...)}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	for _, f := range m.Files {
		m.Size += f.Size
	}
	m.Root = DigestSet{"dirHash": rootDigest(m.Files)}
	data, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	// Reuse the parser's checks rather than repeating them.
	if _, err := ParseManifest(data); err != nil {
		return nil, err
	}
	return m, nil
}
