package oci

import (
	"archive/tar"
	"bufio"

	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/mlsec-dev/mlsec/internal/hashing"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/content"
)

// Layout says how Push packs each file into a layer. ModelPack names a
// raw, a tar, a tar+gzip and a tar+zstd variant of every layer type.
type Layout string

const (
	// LayoutRaw makes each file one raw layer (ModelPack ….v1.raw): its
	// digest is the file's SHA-256, so a model signs and verifies from
	// its manifest alone. The default.
	LayoutRaw Layout = "raw"
	// LayoutTar makes each file a tar archive holding it under its
	// relative path (ModelPack ….v1.tar).
	LayoutTar Layout = "tar"
	// LayoutTarGzip is LayoutTar compressed with gzip (….v1.tar+gzip).
	LayoutTarGzip Layout = "tar+gzip"
	// LayoutTarZstd is LayoutTar compressed with zstd (….v1.tar+zstd).
	LayoutTarZstd Layout = "tar+zstd"
)

// ParseLayout reads a layout name: "raw" (or ""), "tar", "tar+gzip",
// "tar+zstd".
func ParseLayout(s string) (Layout, error) {
	switch l := Layout(s); l {
	case "", LayoutRaw:
		return LayoutRaw, nil
	case LayoutTar, LayoutTarGzip, LayoutTarZstd:
		return l, nil
	}
	return "", fmt.Errorf("oci: layout %q: want raw, tar, tar+gzip or tar+zstd", s)
}

// mediaType turns a raw ModelPack layer type into this layout's.
func (l Layout) mediaType(raw string) string {
	if l == "" || l == LayoutRaw {
		return raw
	}
	return strings.TrimSuffix(raw, ".raw") + "." + string(l)
}

// ArchiveLimits bound what reading an archive layer may cost. Archive
// entries are untrusted: a layer of a few kilobytes can claim terabytes
// (a decompression bomb) or millions of entries.
type ArchiveLimits struct {
	// MaxEntries bounds the entries (files and directories) of all
	// archive layers of a model together; 0 means 100,000.
	MaxEntries int64
	// MaxRatio bounds a layer's unpacked bytes to MaxRatio × its blob
	// size, plus 64 MiB; 0 means 1100. Deflate cannot expand more than
	// about 1032 times, so no gzip layer reaches the default; zstd can
	// expand far more, and a layer that would is refused before its
	// bytes are written (raise MaxRatio for a model that holds long runs
	// of zeros compressed with zstd). A plain tar cannot unpack to more
	// than its size, since sparse entries are refused.
	MaxRatio int64
	// MaxBytes bounds a layer's unpacked bytes outright; 0 means 1 TiB.
	MaxBytes int64
	// MaxWindow bounds the zstd window, which is what a zstd stream may
	// make its reader allocate; 0 means 128 MiB (zstd --long's window).
	MaxWindow uint64
}

func (l ArchiveLimits) entries() int64 {
	if l.MaxEntries > 0 {
		return l.MaxEntries
	}
	return 100_000
}

// layerBound is the most bytes a layer of blobSize may unpack to.
func (l ArchiveLimits) layerBound(blobSize int64) int64 {
	ratio, max := l.MaxRatio, l.MaxBytes
	if ratio <= 0 {
		ratio = 1100
	}
	if max <= 0 {
		max = 1 << 40
	}
	const floor = 64 << 20
	if blobSize >= 0 && blobSize < (max-floor)/ratio {
		return min(max, blobSize*ratio+floor)
	}
	return max
}

func (l ArchiveLimits) window() uint64 {
	if l.MaxWindow > 0 {
		return l.MaxWindow
	}
	return 128 << 20
}

// Archive is an archive layer of a model: a tar, maybe compressed, whose
// files are known only by reading it.
type Archive struct {
	// Layer is the index in the manifest's layers.
	Layer     int
	Title     string
	Digest    digest.Digest
	Size      int64
	MediaType string
	// Compression is "", "gzip" or "zstd".
	Compression string
}

// layerKind sorts a layer into one file (raw) or an archive, by media
// type. oras labels a plain file with the generic OCI layer types and
// marks a packed directory with its unpack annotation, so for those
// types the annotation decides; any other type ending in .tar, +gzip or
// +zstd is a tar archive, as ModelPack's are. A compressed type that is
// not a tar is refused.
func layerKind(l ocispec.Descriptor) (archive bool, compression string, err error) {
	mt := l.MediaType
	if strings.HasPrefix(mt, "application/vnd.oci.image.layer.") && l.Annotations[orasUnpack] != "true" {
		return false, "", nil
	}
	switch {
	case strings.HasSuffix(mt, "+gzip"):
		compression = "gzip"
	case strings.HasSuffix(mt, "+zstd"):
		compression = "zstd"
	case strings.HasSuffix(mt, ".gzip"), strings.HasSuffix(mt, ".zstd"):
		return false, "", fmt.Errorf("media type %q is compressed, but not a tar archive", mt)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(mt, "+gzip"), "+zstd")
	if strings.HasSuffix(base, ".tar") || strings.HasPrefix(mt, "application/vnd.oci.image.layer.") {
		return true, compression, nil
	}
	if compression != "" {
		return false, "", fmt.Errorf("media type %q is compressed, but not a tar archive", mt)
	}
	return false, "", nil
}

// nameSet claims the paths of a model's files as layers and archive
// entries reveal them, so that no path is given twice and no file is
// also a directory, whichever layer names it first.
type nameSet struct {
	mu    sync.Mutex
	files map[string]bool
	dirs  map[string]bool
}

func newNameSet() *nameSet {
	return &nameSet{files: map[string]bool{}, dirs: map[string]bool{}}
}

func (s *nameSet) claim(name string, dir bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.files[name]:
		return fmt.Errorf("%s is listed twice", hashing.QuoteName(name))
	case s.dirs[name] && !dir:
		return fmt.Errorf("%s is a file and a directory", hashing.QuoteName(name))
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if s.files[p] {
			return fmt.Errorf("%s is in %s, which is a file", hashing.QuoteName(name), hashing.QuoteName(p))
		}
	}
	if dir {
		s.dirs[name] = true
	} else {
		s.files[name] = true
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		s.dirs[p] = true
	}
	return nil
}

// entryName turns a tar entry name into a model path: a leading "./"
// (tar -C dir .) and a directory's trailing "/" are dropped; what is left
// must be a clean relative path.
func entryName(raw string) (string, error) {
	n := raw
	for strings.HasPrefix(n, "./") {
		n = n[2:]
	}
	n = strings.TrimSuffix(n, "/")
	if n == "" || n == "." {
		return ".", nil // the root itself ("./", "."): nothing to make
	}
	if err := hashing.CheckName(n); err != nil {
		return "", fmt.Errorf("unsafe entry name %q", raw)
	}
	return n, nil
}

// archiveReader is what walkArchive needs of a model being read.
type archiveReader struct {
	limits  ArchiveLimits
	names   *nameSet
	entries *atomic.Int64
}

// walkArchive streams one archive layer once: it checks the blob's size
// and digest, decompresses it, and hands each regular file to visit
// (which must read it to the end) while hashing it. Directories are
// passed to visit with a nil reader. Links, devices, FIFOs, sparse files,
// unsafe or repeated names and entries beyond the limits are refused
// before visit sees them. The files' digests are trusted only once the
// call returns without error: the blob digest is checked at its end.
func (ar *archiveReader) walkArchive(ctx context.Context, blob io.Reader, a Archive, visit func(name string, r io.Reader) error) ([]File, error) {
	desc := ocispec.Descriptor{Digest: a.Digest, Size: a.Size, MediaType: a.MediaType}
	vr := content.NewVerifyReader(blob, desc)
	files, err := ar.walk(ctx, vr, a, visit)
	if err != nil {
		// A blob that fails its digest explains any error reading it.
		if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) {
			return nil, &DigestError{What: "layer " + a.Digest.String(), Want: a.Digest, Err: err}
		}
		return nil, err
	}
	// Bytes after the tar's end (padding, a compressed trailer) are part
	// of the blob: read them, so its digest covers every byte.
	if _, err := io.Copy(io.Discard, vr); err != nil {
		return nil, &DigestError{What: "layer " + a.Digest.String(), Want: a.Digest, Err: err}
	}
	if err := vr.Verify(); err != nil {
		return nil, &DigestError{What: "layer " + a.Digest.String(), Want: a.Digest, Err: err}
	}
	return files, nil
}

func (ar *archiveReader) walk(ctx context.Context, vr io.Reader, a Archive, visit func(name string, r io.Reader) error) ([]File, error) {
	layerErr := func(err error) error {
		return &LayerError{Index: a.Layer, Digest: a.Digest, Title: a.Title, Err: err}
	}
	br := bufio.NewReaderSize(vr, 64<<10)
	var src io.Reader = br
	switch a.Compression {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, layerErr(fmt.Errorf("gzip: %w", err))
		}
		defer zr.Close()
		src = labelReader{zr, "gzip"}
	case "zstd":
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(ar.limits.window()), zstd.WithDecoderMaxMemory(ar.limits.window()*2))
		if err != nil {
			return nil, layerErr(fmt.Errorf("zstd: %w", err))
		}
		defer zr.Close()
		src = labelReader{zr, "zstd"}
	}
	bound := ar.limits.layerBound(a.Size)
	var unpacked int64
	var files []File
	tr := tar.NewReader(src)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, layerErr(fmt.Errorf("tar: %w", err))
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // PAX defaults for the entries after it (git archive writes one)
		}
		if n := ar.entries.Add(1); n > ar.limits.entries() {
			return nil, layerErr(fmt.Errorf("more than %d archive entries in the model", ar.limits.entries()))
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return nil, layerErr(err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if name == "." {
				continue
			}
			if err := ar.names.claim(name, true); err != nil {
				return nil, layerErr(err)
			}
			if err := visit(name, nil); err != nil {
				return nil, err
			}
			continue
		case tar.TypeReg, '\x00':
			if name == "." {
				return nil, layerErr(fmt.Errorf("unsafe entry name %q", hdr.Name))
			}
		default:
			return nil, layerErr(fmt.Errorf("entry %s is a %s, not a regular file or directory", hashing.QuoteName(name), typeName(hdr.Typeflag)))
		}
		for k := range hdr.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return nil, layerErr(fmt.Errorf("entry %s is a sparse file", hashing.QuoteName(name)))
			}
		}
		if hdr.Size < 0 || hdr.Size > bound-unpacked {
			return nil, layerErr(fmt.Errorf("entry %s: unpacks to more than %d bytes, the bound for a %d-byte layer (ArchiveLimits.MaxRatio, MaxBytes)", hashing.QuoteName(name), bound, a.Size))
		}
		unpacked += hdr.Size
		if err := ar.names.claim(name, false); err != nil {
			return nil, layerErr(err)
		}
		er := &entryReader{r: tr, h: sha256.New()}
		if err := visit(name, er); err != nil {
			if er.err != nil {
				// The archive, not the destination, failed.
				return nil, layerErr(fmt.Errorf("tar: entry %s: %w", hashing.QuoteName(name), er.err))
			}
			return nil, err
		}
		if n := er.n; n != hdr.Size {
			return nil, layerErr(fmt.Errorf("entry %s: read %d of %d bytes", hashing.QuoteName(name), n, hdr.Size))
		}
		files = append(files, File{Path: name, Digest: digest.NewDigest(digest.SHA256, er.h), Size: hdr.Size, MediaType: a.MediaType, Layer: a.Layer})
	}
	return files, nil
}

// entryReader hashes and counts an entry's bytes, and keeps the error
// reading the archive, to tell it from one writing the file.
type entryReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (e *entryReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.h.Write(p[:n])
	e.n += int64(n)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// labelReader names the decompressor in its errors.
type labelReader struct {
	r     io.Reader
	label string
}

func (l labelReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", l.label, err)
	}
	return n, err
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	case tar.TypeGNUSparse:
		return "sparse file"
	}
	return fmt.Sprintf("entry of type %q", t)
}

// readArchives reads every archive layer of m once, in parallel, and adds
// their files to m.Files, checking names against the raw layers' and each
// other's. visitFor, if set, gives the visitor for a layer (Pull writes
// the files); otherwise the files are only hashed.
func (r *Repository) readArchives(ctx context.Context, m *Model, names *nameSet, prog *progress, visitFor func(a Archive) (visit func(string, io.Reader) error, done func(error) error)) error {
	ar := &archiveReader{limits: r.opts.Archive, names: names, entries: new(atomic.Int64)}
	results := make([][]File, len(m.Archives))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.workers())
	for i, a := range m.Archives {
		g.Go(func() error {
			visit := func(_ string, rd io.Reader) error {
				if rd != nil {
					_, err := io.Copy(io.Discard, rd)
					return err
				}
				return nil
			}
			var done func(error) error
			if visitFor != nil {
				visit, done = visitFor(a)
			}
			files, err := r.readArchive(gctx, ar, a, prog, visit)
			if done != nil {
				err = done(err)
			}
			results[i] = files
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, fs := range results {
		m.Files = append(m.Files, fs...)
	}
	m.archivesRead = true
	return nil
}

func (r *Repository) readArchive(ctx context.Context, ar *archiveReader, a Archive, prog *progress, visit func(string, io.Reader) error) ([]File, error) {
	rc, err := r.repo.Blobs().Fetch(ctx, ocispec.Descriptor{MediaType: a.MediaType, Digest: a.Digest, Size: a.Size})
	if err != nil {
		return nil, fmt.Errorf("oci: layer %d (%s): %w", a.Layer, a.Digest, err)
	}
	defer rc.Close()
	return ar.walkArchive(ctx, &countReader{r: rc, add: func(n int64) { prog.add(0, n) }}, a, visit)
}
