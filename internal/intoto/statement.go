package intoto

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/strictjson"
)

// DigestSet maps a digest algorithm ("sha256", "dirHash", "gitCommit", ...)
// to a lowercase hex value, as in the in-toto DigestSet.
type DigestSet map[string]string

// ResourceDescriptor names an artifact by name, URI and digests, as in the
// in-toto ResourceDescriptor v1. Empty fields are omitted. D is the type
// of the digest set, so that each package keeps its own (provenance's
// DigestSet with its methods, validation's plain map) and the JSON stays one.
type ResourceDescriptor[D ~map[string]string] struct {
	Name             string         `json:"name,omitempty"`
	URI              string         `json:"uri,omitempty"`
	Digest           D              `json:"digest,omitempty"`
	Content          []byte         `json:"content,omitempty"`
	DownloadLocation string         `json:"downloadLocation,omitempty"`
	MediaType        string         `json:"mediaType,omitempty"`
	Annotations      map[string]any `json:"annotations,omitempty"`
}

// StatementHead is an in-toto Statement as first read: the predicate is
// kept raw until its type is known. Pointers tell a missing field from an
// empty one.
type StatementHead[D ~map[string]string] struct {
	Type          *string                 `json:"_type"`
	Subject       []ResourceDescriptor[D] `json:"subject"`
	PredicateType *string                 `json:"predicateType"`
	Predicate     json.RawMessage         `json:"predicate"`
}

// ParseStatementHead decodes a statement as strict JSON; the caller checks
// the `_type` and predicateType it needs.
func ParseStatementHead[D ~map[string]string](data []byte) (*StatementHead[D], error) {
	var h StatementHead[D]
	if err := strictjson.Decode(data, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// TypeString renders an optional string field for an error: the quoted
// value, or <missing>.
func TypeString(s *string) string {
	if s == nil {
		return "<missing>"
	}
	return fmt.Sprintf("%q", *s)
}

// hexLen is the hex length of the digests whose algorithm fixes it.
var hexLen = map[string]int{
	"sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
	"sha512_224": 56, "sha512_256": 64,
	"sha3_224": 56, "sha3_256": 64, "sha3_384": 96, "sha3_512": 128,
	"sha1": 40, "md5": 32, "dirHash": 64,
}

// Validate checks every digest: not empty, and for algorithms of a known
// length, that many lowercase hex digits. Algorithms are checked in sorted
// order, so the error is the same on every run.
func (d DigestSet) Validate() error {
	for _, alg := range d.Algorithms() {
		v := d[alg]
		n, known := hexLen[alg]
		if known && len(v) != n {
			return fmt.Errorf("digest %s: %d hex digits, want %d", alg, len(v), n)
		}
		if known && !isLowerHex(v) {
			return fmt.Errorf("digest %s: not lowercase hex", alg)
		}
		if v == "" {
			return fmt.Errorf("digest %s: empty", alg)
		}
	}
	return nil
}

// Algorithms returns the set's algorithms in sorted order.
func (d DigestSet) Algorithms() []string {
	algs := make([]string, 0, len(d))
	for a := range d {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	return algs
}

// Matches reports whether d and o agree on at least one algorithm among
// accepted (all algorithms when accepted is empty) and disagree on none.
func (d DigestSet) Matches(o DigestSet, accepted []string) bool {
	matched := false
	for alg, v := range d {
		if len(accepted) > 0 && !contains(accepted, alg) {
			continue
		}
		w, ok := o[alg]
		if !ok {
			continue
		}
		if !strings.EqualFold(v, w) {
			return false
		}
		matched = true
	}
	return matched
}

// String renders the digest set as "alg:hex" pairs in sorted order.
func (d DigestSet) String() string {
	var parts []string
	for _, alg := range d.Algorithms() {
		parts = append(parts, alg+":"+d[alg])
	}
	return strings.Join(parts, ",")
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
