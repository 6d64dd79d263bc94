package oci

import (
	"archive/tar"

	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/mlsec-dev/mlsec/internal/hashing"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// packFile writes the layer of one file in an archive layout to w: a tar
// holding the file under name, compressed as the layout says. The tar is
// reproducible (ModelPack's guidance): fixed mode, owner and time, so the
// same file always gives the same layer. The uncompressed tar also goes
// to tarSum (the config's diffID). A file whose size changed since it was
// listed is an error.
func packFile(f io.Reader, name string, size int64, layout Layout, w, tarSum io.Writer) error {
	var cw io.WriteCloser
	switch layout {
	case LayoutTarGzip:
		cw, _ = gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case LayoutTarZstd:
		// One encoder goroutine: its output is then a function of the
		// input alone, so both passes over the file give the same bytes.
		zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return err
		}
		cw = zw
	default:
		cw = nopWriteCloser{w}
	}
	tw := tar.NewWriter(io.MultiWriter(cw, tarSum))
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: time.Unix(0, 0)}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(f, size+1))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%s changed while pushed: %d bytes, listed as %d", hashing.QuoteName(name), n, size)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return cw.Close()
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// countWriter counts bytes written.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// pushArchives sends each file as its own archive layer (ModelPack: one
// weight file per layer). The registry protocol oras-go speaks wants a
// blob's digest before its bytes, so each layer is built twice: once to
// learn its digest (and the file's), once to send it, the second time
// skipped when the registry holds the layer already.
func (r *Repository) pushArchives(ctx context.Context, root *os.Root, files []hashing.File, layout Layout, once bool, m *Model, prog *progress) ([]ocispec.Descriptor, []digest.Digest, error) {
	layers := make([]ocispec.Descriptor, len(files))
	diffIDs := make([]digest.Digest, len(files))
	m.Files = make([]File, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.workers())
	for i, file := range files {
		g.Go(func() error {
			name := file.Name
			mt := layout.mediaType(mediaTypeFor(name))
			open := func(part int) (io.ReadCloser, error) {
				f, err := root.Open(filepath.FromSlash(name))
				if err != nil {
					return nil, fmt.Errorf("oci: model file %s: %w", hashing.QuoteName(name), err)
				}
				return readCloser{&countReader{r: f, add: func(n int64) { prog.add(part, n) }}, f}, nil
			}
			f, err := open(0)
			if err != nil {
				return err
			}
			if once {
				defer f.Close()
				return r.pushArchiveOnce(gctx, f, file, layout, mt, i, layers, diffIDs, m)
			}
			blobSum, tarSum, fileSum := sha256.New(), sha256.New(), sha256.New()
			var size countWriter
			err = packFile(io.TeeReader(f, fileSum), name, file.Size, layout, io.MultiWriter(blobSum, &size), tarSum)
			f.Close()
			if err != nil {
				return fmt.Errorf("oci: pack %s: %w", hashing.QuoteName(name), err)
			}
			desc := ocispec.Descriptor{MediaType: mt, Digest: digest.NewDigest(digest.SHA256, blobSum), Size: size.n, Annotations: map[string]string{
				ocispec.AnnotationTitle: name, AnnotationFilepath: name,
			}}
			layers[i], diffIDs[i] = desc, digest.NewDigest(digest.SHA256, tarSum)
			m.Files[i] = File{Path: name, Digest: digest.NewDigest(digest.SHA256, fileSum), Size: file.Size, MediaType: mt, Layer: i}
			if ok, err := r.repo.Exists(gctx, desc); err == nil && ok {
				prog.add(1, file.Size)
				return nil
			}
			f, err = open(1)
			if err != nil {
				return err
			}
			defer f.Close()
			pr, pw := io.Pipe()
			packed := make(chan error, 1)
			go func() {
				err := packFile(f, name, file.Size, layout, pw, io.Discard)
				pw.CloseWithError(err)
				packed <- err
			}()
			// The registry checks the digest of what it receives: a file
			// changed between the passes is refused there.
			err = r.repo.Push(gctx, desc, pr)
			pr.CloseWithError(errPushEnded)
			if perr := <-packed; err == nil && perr != nil {
				err = perr
			}
			if err != nil {
				return fmt.Errorf("oci: push %s (%s): %w", hashing.QuoteName(name), desc.Digest, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	_, compression, _ := layerKind(ocispec.Descriptor{MediaType: layout.mediaType(MediaTypeWeight)})
	for i, l := range layers {
		m.Archives = append(m.Archives, Archive{Layer: i, Title: l.Annotations[ocispec.AnnotationTitle], Digest: l.Digest, Size: l.Size, MediaType: l.MediaType, Compression: compression})
	}
	m.archivesRead = true
	return layers, diffIDs, nil
}

// pushArchiveOnce packs one file into a pipe that streamBlob sends,
// hashing the file, the tar and the layer on the way.
func (r *Repository) pushArchiveOnce(ctx context.Context, f io.Reader, file hashing.File, layout Layout, mt string, i int, layers []ocispec.Descriptor, diffIDs []digest.Digest, m *Model) error {
	name := file.Name
	tarSum, fileSum := sha256.New(), sha256.New()
	pr, pw := io.Pipe()
	packed := make(chan error, 1)
	go func() {
		err := packFile(io.TeeReader(f, fileSum), name, file.Size, layout, pw, tarSum)
		pw.CloseWithError(err)
		packed <- err
	}()
	d, n, err := r.streamBlob(ctx, pr)
	pr.CloseWithError(errPushEnded)
	if perr := <-packed; perr != nil && !errors.Is(perr, errPushEnded) {
		// The packer's error (a file that changed) explains the upload's.
		err = perr
	}
	if err != nil {
		return fmt.Errorf("oci: push %s: %w", hashing.QuoteName(name), err)
	}
	layers[i] = ocispec.Descriptor{MediaType: mt, Digest: d, Size: n, Annotations: map[string]string{
		ocispec.AnnotationTitle: name, AnnotationFilepath: name,
	}}
	diffIDs[i] = digest.NewDigest(digest.SHA256, tarSum)
	m.Files[i] = File{Path: name, Digest: digest.NewDigest(digest.SHA256, fileSum), Size: file.Size, MediaType: mt, Layer: i}
	return nil
}

// errPushEnded stops a packer whose upload ended.
var errPushEnded = errors.New("upload ended")

type readCloser struct {
	io.Reader
	io.Closer
}
