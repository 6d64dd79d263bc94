package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Scheme prefixes a model reference on mlsec's command line
// (oci://registry/repository:tag); the functions here accept it or not.
const Scheme = "oci://"

// maxManifestBytes bounds a manifest or referrers index read into memory.
const maxManifestBytes = 4 << 20

// maxEvidenceBytes bounds an evidence blob (a signature bundle, a
// provenance envelope, a report) read into memory.
const maxEvidenceBytes = 64 << 20

// Options say how to reach a registry.
type Options struct {
	// PlainHTTP talks HTTP instead of HTTPS. Without it HTTP is used only
	// for a loopback registry (localhost, 127.0.0.0/8, ::1), where
	// nothing crosses a network.
	PlainHTTP bool
	// DockerConfig is the docker config.json whose credentials (and
	// credential helpers, credsStore and credHelpers) are used; empty
	// means $DOCKER_CONFIG/config.json or ~/.docker/config.json. A missing
	// file means anonymous access.
	DockerConfig string
	// Credential, if set, is used instead of the docker config.
	Credential auth.CredentialFunc
	// Timeout bounds each request's wait for response headers; 0 means
	// one minute. Whole operations are bounded by the context.
	Timeout time.Duration
	// Workers bounds the layers moved at once; 0 means 4.
	Workers int
	// Progress, if set, receives bytes moved so far and the total.
	Progress func(done, total int64)
	// Archive bounds reading tar and compressed layers (Pull, and Sign
	// and Verify of a model that has them).
	Archive ArchiveLimits
	// HTTPClient replaces the transport (tests, proxies); retries and
	// authentication are still added on top of it.
	HTTPClient *http.Client
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return 4
}

// Repository is a repository of a registry, with the credentials,
// transport and retry policy of Options.
type Repository struct {
	repo *remote.Repository
	opts Options
	// ref is the reference given (tag or digest), empty when none was.
	ref string
}

// ParseReference splits "[oci://]host[:port]/repo[:tag|@digest]" into the
// repository and its tag or digest ("" when none was given).
func ParseReference(s string) (registry.Reference, error) {
	r, err := registry.ParseReference(strings.TrimPrefix(s, Scheme))
	if err != nil {
		return registry.Reference{}, fmt.Errorf("oci: reference %q: %w", s, err)
	}
	return r, nil
}

// Open returns the repository of the reference ref
// ("[oci://]host/repo[:tag|@digest]"); its tag or digest is kept as the
// default for calls given an empty reference.
func Open(ctx context.Context, ref string, opts Options) (*Repository, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	repo := &remote.Repository{Reference: registry.Reference{Registry: r.Registry, Repository: r.Repository}}
	repo.PlainHTTP = opts.PlainHTTP || isLoopback(r.Host())
	// Referrers listings and tag lists are read page by page: bound them,
	// so a hostile registry cannot keep a caller reading forever.
	repo.ReferrerListMaxPages = 100
	repo.TagListMaxPages = 100
	repo.MaxMetadataBytes = maxManifestBytes

	cred := opts.Credential
	if cred == nil {
		store, err := dockerStore(opts.DockerConfig)
		if err != nil {
			return nil, err
		}
		cred = credentials.Credential(store)
	}
	var base http.RoundTripper
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		base = opts.HTTPClient.Transport
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = opts.Timeout
		if t.ResponseHeaderTimeout == 0 {
			t.ResponseHeaderTimeout = time.Minute
		}
		base = t
	}
	repo.Client = &auth.Client{
		Client:     &http.Client{Transport: retry.NewTransport(base)},
		Credential: cred,
		Cache:      auth.NewCache(),
		Header:     http.Header{"User-Agent": {"mlsec"}},
	}
	return &Repository{repo: repo, opts: opts, ref: r.Reference}, nil
}

func dockerStore(configPath string) (credentials.Store, error) {
	opts := credentials.StoreOptions{}
	var (
		s   credentials.Store
		err error
	)
	if configPath != "" {
		s, err = credentials.NewStore(configPath, opts)
	} else {
		s, err = credentials.NewStoreFromDocker(opts)
	}
	if err != nil {
		return nil, fmt.Errorf("oci: docker config: %w", err)
	}
	return s, nil
}

// isLoopback reports whether host (without port) is a loopback name or
// address.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Name is "host/repository".
func (r *Repository) Name() string {
	return r.repo.Reference.Registry + "/" + r.repo.Reference.Repository
}

// Remote is the underlying oras-go repository, for what this package
// does not cover.
func (r *Repository) Remote() *remote.Repository { return r.repo }

// reference picks the caller's reference, or the one Open was given.
func (r *Repository) reference(ref string) (string, error) {
	if ref == "" {
		ref = r.ref
	}
	if ref == "" {
		return "", fmt.Errorf("oci: %s: no tag or digest given", r.Name())
	}
	return ref, nil
}

// Resolve returns the descriptor of the manifest a tag or digest names.
// For a digest the registry must answer with that digest.
func (r *Repository) Resolve(ctx context.Context, ref string) (ocispec.Descriptor, error) {
	ref, err := r.reference(ref)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := r.repo.Resolve(ctx, ref)
	asked, notDigest := digest.Parse(ref)
	if err != nil {
		// oras-go refuses a Docker-Content-Digest other than the digest
		// asked for, with no sentinel error to test: its message is the
		// only mark.
		if notDigest == nil && strings.Contains(err.Error(), "digest mismatch") {
			return ocispec.Descriptor{}, &DigestError{What: "manifest " + ref, Want: asked, Err: err}
		}
		return ocispec.Descriptor{}, fmt.Errorf("oci: %s: resolve %s: %w", r.Name(), ref, err)
	}
	if notDigest == nil && asked != desc.Digest {
		return ocispec.Descriptor{}, &DigestError{What: "manifest " + ref, Want: asked, Got: desc.Digest}
	}
	if desc.Size > maxManifestBytes || desc.Size < 0 {
		return ocispec.Descriptor{}, fmt.Errorf("oci: %s: manifest %s is %d bytes, more than %d", r.Name(), desc.Digest, desc.Size, maxManifestBytes)
	}
	return desc, nil
}

// fetchManifest reads the manifest of desc, checking its size and digest.
func (r *Repository) fetchManifest(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	rc, err := r.repo.Manifests().Fetch(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("oci: %s: manifest %s: %w", r.Name(), desc.Digest, err)
	}
	defer rc.Close()
	return readVerified(rc, desc, "manifest")
}

// fetchBlob reads a small blob (evidence, a config), checking its size and
// digest.
func (r *Repository) fetchBlob(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > maxEvidenceBytes || desc.Size < 0 {
		return nil, fmt.Errorf("oci: %s: blob %s is %d bytes, more than %d", r.Name(), desc.Digest, desc.Size, maxEvidenceBytes)
	}
	rc, err := r.repo.Blobs().Fetch(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("oci: %s: blob %s: %w", r.Name(), desc.Digest, err)
	}
	defer rc.Close()
	return readVerified(rc, desc, "blob")
}

func readVerified(rc io.Reader, desc ocispec.Descriptor, what string) ([]byte, error) {
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &DigestError{What: what + " " + desc.Digest.String(), Want: desc.Digest, Err: err}
		}
		return nil, fmt.Errorf("oci: %s %s: %w", what, desc.Digest, err)
	}
	return b, nil
}

// DigestError reports content that the registry served under a digest it
// does not have: a replaced blob, or a manifest answered for another
// digest than asked. Nothing read is used.
type DigestError struct {
	What      string
	Want, Got digest.Digest
	Err       error
}

func (e *DigestError) Error() string {
	if e.Got != "" {
		return fmt.Sprintf("oci: %s: the registry answered with digest %s", e.What, e.Got)
	}
	return fmt.Sprintf("oci: %s: content does not match its digest: %v", e.What, e.Err)
}

func (e *DigestError) Unwrap() error { return e.Err }
