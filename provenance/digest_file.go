package provenance

import (
	"context"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"sort"
)

// fileHashes are the in-toto DigestSet algorithms DigestFile computes: the
// SHA-2 and SHA-3 families in the names the in-toto digest set spec uses.
// MD5 and SHA-1 are left out: a subject must not be matched by a broken
// hash.
var fileHashes = map[string]func() hash.Hash{
	"sha224":     sha256.New224,
	"sha256":     sha256.New,
	"sha384":     sha512.New384,
	"sha512":     sha512.New,
	"sha512_224": sha512.New512_224,
	"sha512_256": sha512.New512_256,
	"sha3_224":   func() hash.Hash { return sha3.New224() },
	"sha3_256":   func() hash.Hash { return sha3.New256() },
	"sha3_384":   func() hash.Hash { return sha3.New384() },
	"sha3_512":   func() hash.Hash { return sha3.New512() },
}

// FileDigestAlgorithms lists the algorithms DigestFile computes, sorted.
func FileDigestAlgorithms() []string {
	out := make([]string, 0, len(fileHashes))
	for a := range fileHashes {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// DigestFile hashes the regular file at path with each of algs (in-toto
// names: "sha256", "sha512", "sha3_256", ...) in one read, so that a file
// can be matched against a statement that names it by any of them (npm
// provenance uses sha512, most others sha256). An algorithm DigestFile
// does not compute is an error naming it.
func DigestFile(ctx context.Context, path string, algs ...string) (DigestSet, error) {
	if len(algs) == 0 {
		algs = []string{"sha256"}
	}
	hs := make(map[string]hash.Hash, len(algs))
	ws := make([]io.Writer, 0, len(algs))
	for _, a := range algs {
		newHash, ok := fileHashes[a]
		if !ok {
			return nil, fmt.Errorf("provenance: %s: digest algorithm %q: not one mlsec computes (%v)", path, a, FileDigestAlgorithms())
		}
		if _, dup := hs[a]; dup {
			continue
		}
		h := newHash()
		hs[a] = h
		ws = append(ws, h)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("provenance: %s: not a regular file", path)
	}
	if _, err := io.Copy(io.MultiWriter(ws...), &ctxReader{ctx: ctx, r: f}); err != nil {
		return nil, fmt.Errorf("provenance: %s: %w", path, err)
	}
	d := make(DigestSet, len(hs))
	for a, h := range hs {
		d[a] = hex.EncodeToString(h.Sum(nil))
	}
	return d, nil
}

// ctxReader stops a long read when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// SubjectAlgorithms returns the digest algorithms the subjects of the
// statements in atts use and DigestFile computes, sorted: what to hash a
// file with to compare it against them. It reads the claims without
// verifying anything; only the choice of hash depends on it, the match is
// made against the verified statement.
func (a Attestations) SubjectAlgorithms() []string {
	seen := map[string]bool{}
	for _, att := range a {
		if att.Envelope == nil {
			continue
		}
		body, err := att.Envelope.DecodeB64Payload()
		if err != nil {
			continue
		}
		var head struct {
			Subject []struct {
				Digest map[string]string `json:"digest"`
			} `json:"subject"`
		}
		if json.Unmarshal(body, &head) != nil {
			continue
		}
		for _, s := range head.Subject {
			for alg := range s.Digest {
				if _, ok := fileHashes[alg]; ok {
					seen[alg] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
