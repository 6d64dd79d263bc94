package provenance

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mlsec-dev/mlsec/internal/intoto"
)

// Type URIs and media types of the formats this package reads and writes.
const (
	// StatementType is the in-toto Statement v1 `_type`.
	StatementType = intoto.StatementType
	// PredicateSLSAProvenance is the SLSA Provenance v1 predicate type,
	// shared by SLSA v1.0, v1.1 and v1.2.
	PredicateSLSAProvenance = "https://slsa.dev/provenance/v1"
	// PayloadType is the DSSE payloadType of an in-toto Statement.
	PayloadType = intoto.PayloadType
)

// DigestSet maps a digest algorithm ("sha256", "dirHash", "gitCommit", ...)
// to a lowercase hex value, as in the in-toto DigestSet.
type DigestSet map[string]string

// ResourceDescriptor names an artifact by name, URI and digests, as in the
// in-toto ResourceDescriptor v1: fields Name, URI, Digest (a DigestSet),
// Content, DownloadLocation, MediaType and Annotations, each omitted from
// the JSON when empty. It is the in-toto codec's descriptor, shared with
// the other mlsec packages so that all write the same JSON.
type ResourceDescriptor = intoto.ResourceDescriptor[DigestSet]

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

func (d DigestSet) validate() error { return intoto.DigestSet(d).Validate() }

func (d DigestSet) algorithms() []string { return intoto.DigestSet(d).Algorithms() }

// Matches reports whether d and o agree on at least one algorithm among
// accepted (all algorithms when accepted is empty) and disagree on none.
func (d DigestSet) Matches(o DigestSet, accepted []string) bool {
	return intoto.DigestSet(d).Matches(intoto.DigestSet(o), accepted)
}

// String renders the digest set as "alg:hex" pairs in sorted order.
func (d DigestSet) String() string { return intoto.DigestSet(d).String() }

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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortStrings(s []string) { sort.Strings(s) }
