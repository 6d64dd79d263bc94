// Package hashing enumerates the files of a model or dataset directory and
// hashes them, whole or in fixed-size shards, with a bounded pool of
// workers. It is the mechanics that signing (OMS model signatures) and
// provenance (dataset manifests) share; format-specific naming and digests
// of digests stay in those packages.
//
// Memory is bounded by Workers × BufferSize whatever the input size, the
// results come back in a deterministic order, and a progress callback
// reports bytes done of bytes total.
package hashing

import (
	"crypto/sha256"
	"fmt"
	"hash"

	"github.com/zeebo/blake3"
	"golang.org/x/crypto/blake2b"
)

// Algorithm names a content hash, spelled as OMS records it.
type Algorithm string

// The supported content hashes.
const (
	SHA256  Algorithm = "sha256"
	BLAKE2b Algorithm = "blake2b" // BLAKE2b-512
	BLAKE3  Algorithm = "blake3"  // 256-bit output
)

// ParseAlgorithm returns the Algorithm named s.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch a := Algorithm(s); a {
	case SHA256, BLAKE2b, BLAKE3:
		return a, nil
	}
	return "", fmt.Errorf("hashing: unknown hash algorithm %q (want sha256, blake2b or blake3)", s)
}

// New returns a fresh hash.Hash for a.
func (a Algorithm) New() (hash.Hash, error) {
	switch a {
	case SHA256:
		return sha256.New(), nil
	case BLAKE2b:
		return blake2b.New512(nil)
	case BLAKE3:
		return blake3.New(), nil
	}
	return nil, fmt.Errorf("hashing: unknown hash algorithm %q", string(a))
}

// Size is the digest length of a in bytes, or 0 for an unknown algorithm.
func (a Algorithm) Size() int {
	switch a {
	case SHA256, BLAKE3:
		return 32
	case BLAKE2b:
		return 64
	}
	return 0
}
