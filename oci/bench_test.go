package oci_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// statBlobs is a registry blob store that holds layers of known digest
// and size without their bytes: enough for a registry to list a
// 10 × 1 GiB model, and any request for a layer's bytes is counted, so
// the benchmark shows signing by digest never asks for one.
type statBlobs struct {
	mem   registry.BlobHandler
	sizes map[string]int64
	gets  atomic.Int64
}

func (s *statBlobs) Stat(ctx context.Context, repo string, h v1.Hash) (int64, error) {
	if n, ok := s.sizes[h.String()]; ok {
		return n, nil
	}
	return s.mem.(registry.BlobStatHandler).Stat(ctx, repo, h)
}

func (s *statBlobs) Get(ctx context.Context, repo string, h v1.Hash) (io.ReadCloser, error) {
	if _, ok := s.sizes[h.String()]; ok {
		s.gets.Add(1)
		return nil, fmt.Errorf("layer %s: bytes requested", h)
	}
	return s.mem.Get(ctx, repo, h)
}

func (s *statBlobs) Put(ctx context.Context, repo string, h v1.Hash, rc io.ReadCloser) error {
	return s.mem.(registry.BlobPutHandler).Put(ctx, repo, h, rc)
}

// countingTransport counts the bytes of requests and responses.
type countingTransport struct {
	base     http.RoundTripper
	sent     atomic.Int64
	received atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.ContentLength > 0 {
		c.sent.Add(req.ContentLength)
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.received}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// BenchmarkSignByDigest10x1GiB signs a model of ten 1 GiB raw layers that
// the registry already holds, and verifies it: both from the manifest
// alone. It reports the bytes sent and received per sign+verify, which
// stay a few kilobytes whatever the layers' size. Each round has a fresh
// registry holding the model and no signature yet, so one round's
// referrers do not weigh on the next.
func BenchmarkSignByDigest10x1GiB(b *testing.B) {
	ctx := context.Background()
	sv := newKey(b)
	ct := &countingTransport{base: http.DefaultTransport}
	var gets int64
	for b.Loop() {
		b.StopTimer()
		host, blobs, stop := bigModelRegistry(b)
		b.StartTimer()
		// A new client each time: nothing cached between rounds.
		repo, err := oci.Open(ctx, host+"/models/big", oci.Options{HTTPClient: &http.Client{Transport: ct}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := repo.Sign(ctx, "v1", sv, signing.SignOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := repo.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: sv}}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		gets += blobs.gets.Load()
		stop()
		b.StartTimer()
	}
	if gets > 0 {
		b.Fatalf("%d layer downloads", gets)
	}
	b.ReportMetric(float64(ct.sent.Load())/float64(b.N), "B-sent/op")
	b.ReportMetric(float64(ct.received.Load())/float64(b.N), "B-received/op")
}

// bigModelRegistry starts a registry holding a model of ten 1 GiB layers
// (as statBlobs holds them) tagged v1.
func bigModelRegistry(b *testing.B) (string, *statBlobs, func()) {
	ctx := context.Background()
	blobs := &statBlobs{mem: registry.NewInMemoryBlobHandler(), sizes: map[string]int64{}}
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.WithBlobHandler(blobs), registry.Logger(log.New(io.Discard, "", 0))))
	host := strings.TrimPrefix(srv.URL, "http://")
	var layers []ocispec.Descriptor
	for i := range 10 {
		// A stand-in digest per layer: the registry answers for it with
		// a 1 GiB size; its bytes are never read.
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		sum := sha256.Sum256(seed[:])
		d := digest.NewDigestFromBytes(digest.SHA256, sum[:])
		blobs.sizes[d.String()] = 1 << 30
		layers = append(layers, ocispec.Descriptor{MediaType: oci.MediaTypeWeight, Digest: d, Size: 1 << 30,
			Annotations: map[string]string{ocispec.AnnotationTitle: fmt.Sprintf("model-%05d-of-00010.safetensors", i+1)}})
	}
	setup, err := oci.Open(ctx, host+"/models/big", oci.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := setup.Remote()
	if err := r.Push(ctx, ocispec.DescriptorEmptyJSON, bytes.NewReader(ocispec.DescriptorEmptyJSON.Data)); err != nil {
		b.Fatal(err)
	}
	man, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: oci.ArtifactTypeModel, Config: ocispec.DescriptorEmptyJSON, Layers: layers})
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(man), Size: int64(len(man))}
	if err := r.PushReference(ctx, desc, bytes.NewReader(man), "v1"); err != nil {
		b.Fatal(err)
	}
	for _, l := range layers {
		if ok, err := r.Exists(ctx, l); err != nil || !ok {
			b.Fatalf("layer %s not in the registry: %v", l.Digest, err)
		}
	}
	return host, blobs, srv.Close
}
