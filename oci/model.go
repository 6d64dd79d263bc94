package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mlsec-dev/mlsec/internal/hashing"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// Media types of the CNCF ModelPack specification (model-spec v1).
const (
	ArtifactTypeModel    = "application/vnd.cncf.model.manifest.v1+json"
	MediaTypeModelConfig = "application/vnd.cncf.model.config.v1+json"
	MediaTypeWeight      = "application/vnd.cncf.model.weight.v1.raw"
	MediaTypeWeightCfg   = "application/vnd.cncf.model.weight.config.v1.raw"
	MediaTypeDoc         = "application/vnd.cncf.model.doc.v1.raw"
	MediaTypeCode        = "application/vnd.cncf.model.code.v1.raw"
	MediaTypeDataset     = "application/vnd.cncf.model.dataset.v1.raw"
	// AnnotationFilepath is ModelPack's file path annotation, written
	// beside org.opencontainers.image.title.
	AnnotationFilepath = "org.cncf.model.filepath"
)

// File is one file of a model in a registry: a raw layer.
type File struct {
	// Path is the slash-separated path relative to the model root (the
	// layer's title annotation).
	Path      string
	Digest    digest.Digest
	Size      int64
	MediaType string
	// Layer is the index of the layer that holds the file in the
	// manifest's layers: its own raw layer, or an archive.
	Layer int
}

// Model is a model artifact in a registry.
type Model struct {
	// Repository is "host/repository".
	Repository string
	// Reference is the tag or digest the caller gave.
	Reference string
	// Descriptor is the manifest's: its Digest names the model for good.
	Descriptor ocispec.Descriptor
	// Name is the model's name (the manifest's title annotation, else the
	// repository's last path element): the signature's subject name.
	Name string
	// Files are the model's files: those of raw layers, in manifest
	// order, then (once the archives were read, by Pull, Sign, Verify or
	// Push) those of archive layers in layer and entry order.
	Files []File
	// Archives are the tar (maybe compressed) layers, whose files are
	// known only by reading them.
	Archives []Archive
	// Manifest is the image manifest as read (its digest checked).
	Manifest ocispec.Manifest

	// archivesRead says that Files lists the archives' files too.
	archivesRead bool
}

// orasUnpack is the annotation oras sets on a layer that is a packed
// directory (a tar archive) rather than a file.
const orasUnpack = "io.deis.oras.content.unpack"

// mediaTypeFor picks a ModelPack layer type from a file's name.
func mediaTypeFor(name string) string {
	base := strings.ToLower(path.Base(name))
	ext := path.Ext(base)
	switch {
	case strings.HasPrefix(base, "readme") || strings.HasPrefix(base, "license") || ext == ".md":
		return MediaTypeDoc
	case ext == ".py" || ext == ".sh" || ext == ".ipynb":
		return MediaTypeCode
	case ext == ".json" || ext == ".yaml" || ext == ".yml" || ext == ".txt" || ext == ".model" || ext == ".tiktoken":
		return MediaTypeWeightCfg
	}
	return MediaTypeWeight
}

// PushOptions configure Push.
type PushOptions struct {
	// Tag, if set, tags the pushed manifest.
	Tag string
	// Name is the model's name recorded in the manifest's title
	// annotation; empty means the directory's base name.
	Name string
	// Annotations are added to the manifest's.
	Annotations map[string]string
	// Ignore lists slash-separated paths (relative to the model) left
	// out, as signing's IgnorePaths; signing.DefaultIgnorePaths' names
	// (.git and the like) are always left out.
	Ignore []string
	// Layout packs each file as a raw layer (the default) or as a tar,
	// tar+gzip or tar+zstd layer holding that one file under its path.
	Layout Layout
	// SinglePass reads (and packs) each file once, hashing it while it
	// is sent, through the streamed upload of the distribution API. The
	// default reads each file twice: once to learn its layer's digest,
	// which lets a layer the registry already holds be skipped, and once
	// to send it. SinglePass suits a first push of a model larger than
	// the page cache, and archive layouts, whose compression it does
	// once instead of twice; the default suits pushing a model again
	// after a few files changed.
	SinglePass bool
}

// defaultIgnore mirrors the OMS defaults, so that what is pushed is what
// a signature covers.
var defaultIgnore = []string{".git", ".gitattributes", ".github", ".gitignore"}

// Push uploads the model directory dir as a ModelPack artifact: one raw
// layer per regular file (title = relative path), a model config listing
// the layer digests, and an image manifest with artifactType
// application/vnd.cncf.model.manifest.v1+json. Layers go up in parallel
// (Options.Workers), each streamed from its file; a layer the registry
// already holds is not sent again (unless PushOptions.SinglePass asks to
// read each file only once). Symbolic links, special files and
// names that cannot be recorded are refused, as signing refuses them.
func (r *Repository) Push(ctx context.Context, dir string, opts PushOptions) (*Model, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("oci: model: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("oci: model %s: not a directory", hashing.QuoteName(dir))
	}
	files, err := hashing.Walk(ctx, dir, hashing.WalkOptions{Ignore: append(append([]string{}, defaultIgnore...), opts.Ignore...)})
	if err != nil {
		return nil, fmt.Errorf("oci: model %s: %w", hashing.QuoteName(dir), err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("oci: model %s: no file to push", hashing.QuoteName(dir))
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	m := &Model{Repository: r.Name(), Reference: opts.Tag, Name: opts.Name}
	if m.Name == "" {
		abs, _ := filepath.Abs(dir)
		m.Name = filepath.Base(abs)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("oci: model: %w", err)
	}
	defer root.Close()
	prog := newProgress(r.opts.Progress, 2*total) // hashed, then sent
	if opts.SinglePass {
		prog = newProgress(r.opts.Progress, total)
	}
	var (
		layers  []ocispec.Descriptor
		diffIDs []digest.Digest
	)
	switch opts.Layout {
	case "", LayoutRaw:
		if opts.SinglePass {
			layers, diffIDs, err = r.pushRawOnce(ctx, root, files, m, prog)
		} else {
			layers, diffIDs, err = r.pushRaw(ctx, root, dir, files, m, prog)
		}
	case LayoutTar, LayoutTarGzip, LayoutTarZstd:
		layers, diffIDs, err = r.pushArchives(ctx, root, files, opts.Layout, opts.SinglePass, m, prog)
	default:
		_, err = ParseLayout(string(opts.Layout))
	}
	if err != nil {
		return nil, err
	}

	cfg, err := json.Marshal(modelConfig{Descriptor: configDescriptor{Name: m.Name}, ModelFS: modelFS{Type: "layers", DiffIDs: diffIDs}})
	if err != nil {
		return nil, err
	}
	cfgDesc := ocispec.Descriptor{MediaType: MediaTypeModelConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
	if err := r.pushBytes(ctx, cfgDesc, cfg); err != nil {
		return nil, err
	}
	ann := map[string]string{ocispec.AnnotationTitle: m.Name}
	for k, v := range opts.Annotations {
		ann[k] = v
	}
	man := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: ArtifactTypeModel,
		Config:       cfgDesc,
		Layers:       layers,
		Annotations:  ann,
	}
	desc, err := r.pushManifest(ctx, man, opts.Tag)
	if err != nil {
		return nil, err
	}
	m.Descriptor, m.Manifest = desc, man
	return m, nil
}

// modelConfig is the ModelPack model config, with the fields mlsec fills.
type modelConfig struct {
	Descriptor configDescriptor `json:"descriptor"`
	ModelFS    modelFS          `json:"modelfs"`
	Config     struct{}         `json:"config"`
}

type configDescriptor struct {
	Name string `json:"name,omitempty"`
}

type modelFS struct {
	Type    string          `json:"type"`
	DiffIDs []digest.Digest `json:"diffIds"`
}

func (r *Repository) pushBytes(ctx context.Context, desc ocispec.Descriptor, b []byte) error {
	if ok, err := r.repo.Exists(ctx, desc); err == nil && ok {
		return nil
	}
	if err := r.repo.Push(ctx, desc, strings.NewReader(string(b))); err != nil {
		return fmt.Errorf("oci: %s: push %s: %w", r.Name(), desc.Digest, err)
	}
	return nil
}

// pushManifest uploads a manifest, tagged when tag is set. A manifest
// with a subject is indexed under the referrers tag schema when the
// registry has no referrers API (oras-go does this on push).
func (r *Repository) pushManifest(ctx context.Context, man ocispec.Manifest, tag string) (ocispec.Descriptor, error) {
	b, err := json.Marshal(man)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: man.MediaType, ArtifactType: man.ArtifactType, Digest: digest.FromBytes(b), Size: int64(len(b)), Annotations: man.Annotations}
	if man.ArtifactType == "" {
		desc.ArtifactType = man.Config.MediaType
	}
	if tag != "" {
		err = r.repo.PushReference(ctx, desc, strings.NewReader(string(b)), tag)
	} else {
		err = r.repo.Push(ctx, desc, strings.NewReader(string(b)))
	}
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("oci: %s: push manifest: %w", r.Name(), err)
	}
	return desc, nil
}

// Fetch reads the model manifest that ref (a tag or digest; empty means
// the one given to Open) names, checking its digest, and lists its files.
// It reads no layer. Layer titles must be safe relative paths, listed
// once; a layer without a title, or an archive or compressed layer, is
// an error naming it, since it is not one file.
func (r *Repository) Fetch(ctx context.Context, ref string) (*Model, error) {
	ref, err := r.reference(ref)
	if err != nil {
		return nil, err
	}
	desc, err := r.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return nil, fmt.Errorf("oci: %s@%s: media type %q is not an OCI image manifest", r.Name(), desc.Digest, desc.MediaType)
	}
	b, err := r.fetchManifest(ctx, desc)
	if err != nil {
		return nil, err
	}
	m, err := parseModel(b, desc, r.Name())
	if err != nil {
		return nil, err
	}
	m.Reference = ref
	return m, nil
}

// parseModel reads a model manifest whose bytes a registry served (their
// digest already checked) and lists its files, refusing layers that
// cannot be files of a model.
func parseModel(b []byte, desc ocispec.Descriptor, repoName string) (*Model, error) {
	repoBase := path.Base(repoName)
	var man ocispec.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, fmt.Errorf("oci: %s@%s: manifest: %w", repoName, desc.Digest, err)
	}
	m := &Model{Repository: repoName, Descriptor: desc, Manifest: man, Name: man.Annotations[ocispec.AnnotationTitle]}
	if m.Name == "" {
		m.Name = repoBase
	}
	if err := hashing.CheckName(m.Name); err != nil || strings.Contains(m.Name, "/") {
		m.Name = repoBase
	}
	seen := map[string]bool{}
	for i, l := range man.Layers {
		title := l.Annotations[ocispec.AnnotationTitle]
		archive, compression, err := layerKind(l)
		if err != nil {
			return nil, &LayerError{Index: i, Digest: l.Digest, Title: title, Err: err}
		}
		if archive {
			// An archive's title (oras: the packed directory's name) is
			// not a path written to: its entries' names are.
			if err := l.Digest.Validate(); err != nil {
				return nil, &LayerError{Index: i, Digest: l.Digest, Title: title, Err: err}
			}
			if l.Size < 0 {
				return nil, &LayerError{Index: i, Digest: l.Digest, Title: title, Err: errors.New("negative size")}
			}
			m.Archives = append(m.Archives, Archive{Layer: i, Title: title, Digest: l.Digest, Size: l.Size, MediaType: l.MediaType, Compression: compression})
			continue
		}
		if title == "" {
			return nil, &LayerError{Index: i, Digest: l.Digest, Err: errors.New("no org.opencontainers.image.title annotation: not a file")}
		}
		if err := hashing.CheckName(title); err != nil {
			return nil, &LayerError{Index: i, Digest: l.Digest, Title: title, Err: fmt.Errorf("unsafe title: %w", err)}
		}
		if seen[title] {
			return nil, &LayerError{Index: i, Digest: l.Digest, Title: title, Err: errors.New("title listed twice")}
		}
		seen[title] = true
		if err := l.Digest.Validate(); err != nil {
			return nil, &LayerError{Index: i, Digest: l.Digest, Title: title, Err: err}
		}
		if l.Size < 0 {
			return nil, &LayerError{Index: i, Digest: l.Digest, Title: title, Err: errors.New("negative size")}
		}
		m.Files = append(m.Files, File{Path: title, Digest: l.Digest, Size: l.Size, MediaType: l.MediaType, Layer: i})
	}
	// A title that is a directory of another ("a" and "a/b") cannot be
	// restored: refuse it here rather than half-way through a pull.
	for t := range seen {
		for p := path.Dir(t); p != "."; p = path.Dir(p) {
			if seen[p] {
				return nil, fmt.Errorf("oci: %s@%s: layer %q is also a directory of layer %q", repoName, desc.Digest, p, t)
			}
		}
	}
	return m, nil
}

// LayerError reports a layer of a model manifest that cannot be a file of
// the model.
type LayerError struct {
	Index  int
	Digest digest.Digest
	Title  string
	Err    error
}

func (e *LayerError) Error() string {
	t := ""
	if e.Title != "" {
		t = " " + hashing.QuoteName(e.Title)
	}
	return fmt.Sprintf("oci: layer %d%s (%s): %v", e.Index, t, e.Digest, e.Err)
}

func (e *LayerError) Unwrap() error { return e.Err }

// Pull downloads the model ref names (a tag or digest; empty means the
// one given to Open) into dir, which must be empty or not exist. Every
// layer is streamed to a temporary file beside its destination, its
// digest and size checked, then renamed into place, in parallel; all
// writes go through an os.Root on dir, so no title leads outside it.
func (r *Repository) Pull(ctx context.Context, ref, dir string) (*Model, error) {
	m, err := r.Fetch(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("oci: pull: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("oci: pull: %w", err)
	}
	if len(ents) > 0 {
		return nil, fmt.Errorf("oci: pull: %s is not empty", hashing.QuoteName(dir))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("oci: pull: %w", err)
	}
	defer root.Close()
	var total int64
	names := newNameSet()
	for _, f := range m.Files {
		total += f.Size
		if err := names.claim(f.Path, false); err != nil {
			return nil, fmt.Errorf("oci: pull: %w", err)
		}
	}
	for _, a := range m.Archives {
		total += a.Size
	}
	prog := newProgress(r.opts.Progress, total)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.workers())
	var mkdir sync.Mutex
	for _, f := range m.Files {
		desc := m.Manifest.Layers[f.Layer]
		g.Go(func() error {
			local := filepath.FromSlash(f.Path)
			if d := filepath.Dir(local); d != "." {
				mkdir.Lock()
				err := root.MkdirAll(d, 0o755)
				mkdir.Unlock()
				if err != nil {
					return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(f.Path), err)
				}
			}
			return r.pullLayer(gctx, root, local, desc, f, prog)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(m.Archives) == 0 {
		return m, nil
	}
	err = r.readArchives(ctx, m, names, prog, func(a Archive) (func(string, io.Reader) error, func(error) error) {
		u := &unpacker{root: root, mkdir: &mkdir}
		return u.visit, u.done
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// unpacker writes the files of one archive layer under an os.Root, each
// to a temporary file beside its destination; done renames them into
// place only once the whole layer has matched its digest, and removes
// them otherwise.
type unpacker struct {
	root  *os.Root
	mkdir *sync.Mutex
	temps []string // destinations whose temporary file exists
}

func (u *unpacker) mkdirAll(local string) error {
	if local == "." {
		return nil
	}
	u.mkdir.Lock()
	defer u.mkdir.Unlock()
	return u.root.MkdirAll(local, 0o755)
}

func (u *unpacker) visit(name string, r io.Reader) error {
	local := filepath.FromSlash(name)
	if r == nil {
		if err := u.mkdirAll(local); err != nil {
			return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(name), err)
		}
		return nil
	}
	if err := u.mkdirAll(filepath.Dir(local)); err != nil {
		return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(name), err)
	}
	out, err := u.root.OpenFile(local+".mlsec-partial", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(name), err)
	}
	u.temps = append(u.temps, local)
	_, err = io.Copy(out, r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(name), err)
	}
	return nil
}

func (u *unpacker) done(err error) error {
	for _, local := range u.temps {
		if err == nil {
			if rerr := u.root.Rename(local+".mlsec-partial", local); rerr != nil {
				err = fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(filepath.ToSlash(local)), rerr)
			}
			continue
		}
		u.root.Remove(local + ".mlsec-partial")
	}
	return err
}

func (r *Repository) pullLayer(ctx context.Context, root *os.Root, local string, desc ocispec.Descriptor, f File, prog *progress) (err error) {
	rc, err := r.repo.Blobs().Fetch(ctx, desc)
	if err != nil {
		return fmt.Errorf("oci: pull %s (%s): %w", hashing.QuoteName(f.Path), f.Digest, err)
	}
	defer rc.Close()
	tmp := local + ".mlsec-partial"
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(f.Path), err)
	}
	defer func() {
		if out != nil {
			out.Close()
		}
		if err != nil {
			root.Remove(tmp)
		}
	}()
	vr := newVerifyReader(rc, desc)
	if _, err := io.Copy(out, &countReader{r: vr, add: func(n int64) { prog.add(0, n) }}); err != nil {
		return fmt.Errorf("oci: pull %s (%s): %w", hashing.QuoteName(f.Path), f.Digest, err)
	}
	if err := vr.Verify(); err != nil {
		return &DigestError{What: "layer " + hashing.QuoteName(f.Path) + " " + f.Digest.String(), Want: f.Digest, Err: err}
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(f.Path), err)
	}
	err = out.Close()
	out = nil
	if err != nil {
		return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(f.Path), err)
	}
	if err := root.Rename(tmp, local); err != nil {
		return fmt.Errorf("oci: pull %s: %w", hashing.QuoteName(f.Path), err)
	}
	return nil
}

// countReader reports bytes read.
type countReader struct {
	r   io.Reader
	add func(int64)
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.add(int64(n))
	}
	return n, err
}

// progress sums bytes of parallel transfers for Options.Progress.
type progress struct {
	fn    func(done, total int64)
	total int64
	parts [2]atomic.Int64
	mu    sync.Mutex
}

func newProgress(fn func(done, total int64), total int64) *progress {
	return &progress{fn: fn, total: total}
}

func (p *progress) add(part int, n int64) {
	p.parts[part].Add(n)
	p.report()
}

func (p *progress) set(part int, v int64) {
	p.parts[part].Store(v)
	p.report()
}

func (p *progress) report() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn(p.parts[0].Load()+p.parts[1].Load(), p.total)
}

// pushRaw hashes every file, then sends each as one raw layer unless the
// registry holds it already.
func (r *Repository) pushRaw(ctx context.Context, root *os.Root, dir string, files []hashing.File, m *Model, prog *progress) ([]ocispec.Descriptor, []digest.Digest, error) {
	sums, err := hashing.Hash(ctx, files, hashing.Options{Workers: r.opts.Workers, Progress: func(done, _ int64) { prog.set(0, done) }})
	if err != nil {
		return nil, nil, fmt.Errorf("oci: model %s: %w", hashing.QuoteName(dir), err)
	}
	layers := make([]ocispec.Descriptor, len(sums))
	diffIDs := make([]digest.Digest, len(sums))
	for i, s := range sums {
		d := digest.NewDigestFromBytes(digest.SHA256, s.Sum)
		mt := mediaTypeFor(s.File.Name)
		layers[i] = ocispec.Descriptor{MediaType: mt, Digest: d, Size: s.File.Size, Annotations: map[string]string{
			ocispec.AnnotationTitle: s.File.Name, AnnotationFilepath: s.File.Name,
		}}
		diffIDs[i] = d
		m.Files = append(m.Files, File{Path: s.File.Name, Digest: d, Size: s.File.Size, MediaType: mt, Layer: i})
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.workers())
	for i := range layers {
		desc, name := layers[i], files[i].Name
		g.Go(func() error {
			if ok, err := r.repo.Exists(gctx, desc); err == nil && ok {
				prog.add(1, desc.Size)
				return nil
			}
			f, err := root.Open(filepath.FromSlash(name))
			if err != nil {
				return fmt.Errorf("oci: model file %s: %w", hashing.QuoteName(name), err)
			}
			defer f.Close()
			// The registry checks the digest of what it receives: a file
			// changed since it was hashed is refused there.
			if err := r.repo.Push(gctx, desc, &countReader{r: f, add: func(n int64) { prog.add(1, n) }}); err != nil {
				return fmt.Errorf("oci: push %s (%s): %w", hashing.QuoteName(name), desc.Digest, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return layers, diffIDs, nil
}

// pushRawOnce sends each file as one raw layer in a single read, hashing
// it on the way (streamBlob): no file is read twice, and no layer is
// looked for in the registry first, since its digest is not known before
// it is sent.
func (r *Repository) pushRawOnce(ctx context.Context, root *os.Root, files []hashing.File, m *Model, prog *progress) ([]ocispec.Descriptor, []digest.Digest, error) {
	layers := make([]ocispec.Descriptor, len(files))
	diffIDs := make([]digest.Digest, len(files))
	m.Files = make([]File, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.workers())
	for i, file := range files {
		g.Go(func() error {
			name := file.Name
			f, err := root.Open(filepath.FromSlash(name))
			if err != nil {
				return fmt.Errorf("oci: model file %s: %w", hashing.QuoteName(name), err)
			}
			defer f.Close()
			// One byte past the listed size shows a file that grew.
			d, n, err := r.streamBlob(gctx, &countReader{r: io.LimitReader(f, file.Size+1), add: func(n int64) { prog.add(0, n) }})
			if err != nil {
				return fmt.Errorf("oci: push %s: %w", hashing.QuoteName(name), err)
			}
			if n != file.Size {
				return fmt.Errorf("oci: push %s: changed while pushed: %d bytes, listed as %d", hashing.QuoteName(name), n, file.Size)
			}
			mt := mediaTypeFor(name)
			layers[i] = ocispec.Descriptor{MediaType: mt, Digest: d, Size: n, Annotations: map[string]string{
				ocispec.AnnotationTitle: name, AnnotationFilepath: name,
			}}
			diffIDs[i] = d
			m.Files[i] = File{Path: name, Digest: d, Size: n, MediaType: mt, Layer: i}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return layers, diffIDs, nil
}
