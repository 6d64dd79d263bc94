package provenance

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Type URIs and media types of the formats this package reads and writes.
const (
	// StatementType is the in-toto Statement v1 `_type`.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateSLSAProvenance is the SLSA Provenance v1 predicate type,
	// shared by SLSA v1.0, v1.1 and v1.2.
	PredicateSLSAProvenance = "https://slsa.dev/provenance/v1"
	// PayloadType is the DSSE payloadType of an in-toto Statement.
	PayloadType = "application/vnd.in-toto+json"
)

// DigestSet maps a digest algorithm ("sha256", "dirHash", "gitCommit", ...)
// to a lowercase hex value, as in the in-toto DigestSet.
type DigestSet map[string]string

// ResourceDescriptor names an artifact by name, URI and digests, as in the
// in-toto ResourceDescriptor v1.
type ResourceDescriptor struct {
	Name             string         `json:"name,omitempty"`
	URI              string         `json:"uri,omitempty"`
	Digest           DigestSet      `json:"digest,omitempty"`
	Content          []byte         `json:"content,omitempty"`
	DownloadLocation string         `json:"downloadLocation,omitempty"`
	MediaType        string         `json:"mediaType,omitempty"`
	Annotations      map[string]any `json:"annotations,omitempty"`
}

// Statement is an in-toto Statement v1 carrying SLSA Provenance v1. The
// struct tags are the standard's field names, so encoding/json writes the
// same JSON as protojson would for the in-toto protobuf types.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []ResourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     Provenance           `json:"predicate"`
}

// Provenance is the SLSA Provenance v1 predicate.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is what the step was asked to do and what it consumed.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   map[string]any       `json:"externalParameters"`
	InternalParameters   map[string]any       `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// RunDetails is who ran the step and how it went.
type RunDetails struct {
	Builder    Builder              `json:"builder"`
	Metadata   *BuildMetadata       `json:"metadata,omitempty"`
	Byproducts []ResourceDescriptor `json:"byproducts,omitempty"`
}

// Builder identifies the platform that ran the step.
type Builder struct {
	ID                  string               `json:"id"`
	Version             map[string]string    `json:"version,omitempty"`
	BuilderDependencies []ResourceDescriptor `json:"builderDependencies,omitempty"`
}

// BuildMetadata is the run's identity and timing.
type BuildMetadata struct {
	InvocationID string     `json:"invocationId,omitempty"`
	StartedOn    *time.Time `json:"startedOn,omitempty"`
	FinishedOn   *time.Time `json:"finishedOn,omitempty"`
}

// Marshal returns the Statement's JSON, the bytes that get signed.
func (s *Statement) Marshal() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// Validate checks the fields in-toto and SLSA Build L1 require.
func (s *Statement) Validate() error {
	var errs []string
	if s.Type != StatementType {
		errs = append(errs, fmt.Sprintf("_type is %q, want %q", s.Type, StatementType))
	}
	if len(s.Subject) == 0 {
		errs = append(errs, "no subject")
	}
	for i, sub := range s.Subject {
		if len(sub.Digest) == 0 {
			errs = append(errs, fmt.Sprintf("subject %d (%q) has no digest", i, sub.Name))
		}
		if err := sub.Digest.validate(); err != nil {
			errs = append(errs, fmt.Sprintf("subject %d (%q): %v", i, sub.Name, err))
		}
	}
	if s.PredicateType != PredicateSLSAProvenance {
		errs = append(errs, fmt.Sprintf("predicateType is %q, want %q", s.PredicateType, PredicateSLSAProvenance))
	}
	bd := s.Predicate.BuildDefinition
	if bd.BuildType == "" {
		errs = append(errs, "buildDefinition.buildType is empty")
	}
	if bd.ExternalParameters == nil {
		errs = append(errs, "buildDefinition.externalParameters is missing")
	}
	for i, d := range bd.ResolvedDependencies {
		if d.URI == "" && len(d.Digest) == 0 && len(d.Content) == 0 {
			errs = append(errs, fmt.Sprintf("resolvedDependencies %d (%q) has neither uri, digest nor content", i, d.Name))
		}
		if err := d.Digest.validate(); err != nil {
			errs = append(errs, fmt.Sprintf("resolvedDependencies %d (%q): %v", i, d.Name, err))
		}
	}
	if s.Predicate.RunDetails.Builder.ID == "" {
		errs = append(errs, "runDetails.builder.id is empty")
	}
	if len(errs) > 0 {
		return &FormatError{Input: "statement", Reason: strings.Join(errs, "; ")}
	}
	return nil
}

// hexLen is the hex length of the digests whose algorithm fixes it.
var hexLen = map[string]int{
	"sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
	"sha512_224": 56, "sha512_256": 64,
	"sha3_224": 56, "sha3_256": 64, "sha3_384": 96, "sha3_512": 128,
	"sha1": 40, "md5": 32, "dirHash": 64,
}

func (d DigestSet) validate() error {
	for _, alg := range d.algorithms() {
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

func (d DigestSet) algorithms() []string {
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
	for _, alg := range d.algorithms() {
		parts = append(parts, alg+":"+d[alg])
	}
	return strings.Join(parts, ",")
}

// ParseDigest parses "alg:hex" (e.g. "sha256:ab12...") into a DigestSet.
func ParseDigest(s string) (DigestSet, error) {
	alg, v, ok := strings.Cut(s, ":")
	if !ok || alg == "" || v == "" {
		return nil, fmt.Errorf("provenance: digest %q: want ALG:HEX", s)
	}
	d := DigestSet{alg: strings.ToLower(v)}
	if err := d.validate(); err != nil {
		return nil, fmt.Errorf("provenance: digest %q: %w", s, err)
	}
	return d, nil
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

func sortStrings(s []string) { sort.Strings(s) }
