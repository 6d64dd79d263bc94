package oci

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// streamBlob uploads content whose digest is not known in advance, in
// one pass: the OCI distribution protocol takes the digest only when an
// upload is closed, so the bytes go up in one streamed PATCH (no
// Content-Range, "streamed upload" in the distribution API) while they
// are hashed, and the closing PUT names the digest. The registry checks
// it, as for any upload. oras-go has no call for this (its Push wants
// the digest first), so the three requests are made here through the
// repository's client, which adds authentication and retries; the
// streamed body cannot be replayed, so, as oras-go does for its own
// uploads, the PATCH and PUT reuse the credential the POST obtained.
func (r *Repository) streamBlob(ctx context.Context, content io.Reader) (digest.Digest, int64, error) {
	ctx = auth.AppendRepositoryScope(ctx, r.repo.Reference, auth.ActionPull, auth.ActionPush)
	scheme := "https"
	if r.repo.PlainHTTP {
		scheme = "http"
	}
	start := fmt.Sprintf("%s://%s/v2/%s/blobs/uploads/", scheme, r.repo.Reference.Host(), r.repo.Reference.Repository)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, start, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := r.repo.Client.Do(req)
	if err != nil {
		return "", 0, err
	}
	loc, err := uploadLocation(req, resp, http.StatusAccepted)
	if err != nil {
		return "", 0, err
	}
	authz := resp.Request.Header.Get("Authorization")

	h := sha256.New()
	var n countWriter
	body := io.TeeReader(content, io.MultiWriter(h, &n))
	req, err = http.NewRequestWithContext(ctx, http.MethodPatch, loc.String(), io.NopCloser(body))
	if err != nil {
		return "", 0, err
	}
	req.ContentLength = -1 // length unknown: chunked transfer encoding
	req.Header.Set("Content-Type", "application/octet-stream")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err = r.repo.Client.Do(req)
	if err != nil {
		return "", 0, err
	}
	loc, err = uploadLocation(req, resp, http.StatusAccepted)
	if err != nil {
		return "", 0, err
	}

	d := digest.NewDigest(digest.SHA256, h)
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	req, err = http.NewRequestWithContext(ctx, http.MethodPut, loc.String(), nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err = r.repo.Client.Do(req)
	if err != nil {
		return "", 0, err
	}
	if _, err := uploadLocation(req, resp, http.StatusCreated); err != nil {
		return "", 0, err
	}
	return d, n.n, nil
}

// uploadLocation checks an upload response's status and returns where
// the upload continues, refusing a Location on another host or one that
// drops HTTPS, so that credentials never follow a redirect elsewhere.
func uploadLocation(req *http.Request, resp *http.Response, want int) (*url.URL, error) {
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Redacted(), resp.Status, strings.TrimSpace(string(msg)))
	}
	if want == http.StatusCreated {
		return nil, nil
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	if loc.Hostname() != req.URL.Hostname() || portOf(loc) != portOf(req.URL) {
		return nil, fmt.Errorf("upload Location %q is on another host than %q", loc.Host, req.URL.Host)
	}
	if req.URL.Scheme == "https" && loc.Scheme != "https" {
		return nil, fmt.Errorf("upload Location %q drops HTTPS", loc.Host)
	}
	return loc, nil
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
