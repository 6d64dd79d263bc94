package provenance

import (
	"context"
	"fmt"

	"github.com/mlsec-dev/mlsec/internal/docread"
	"github.com/mlsec-dev/mlsec/internal/intoto"
)

// ParseStatement parses the JSON of an in-toto Statement v1 carrying SLSA
// Provenance v1. It rejects duplicate keys, excessive size or nesting, a
// `_type` other than Statement v1 (including the legacy v0.1) and any
// other predicateType, before the predicate is decoded.
func ParseStatement(data []byte) (*Statement, error) {
	const input = "statement"
	// One pass for the envelope of the statement; the predicate is decoded
	// only once its type is known.
	head, err := intoto.ParseStatementHead[DigestSet](data)
	if err != nil {
		return nil, formatError(input, err)
	}
	if head.Type == nil || *head.Type != StatementType {
		return nil, &FormatError{Input: input, Err: ErrStatementType, Reason: fmt.Sprintf("_type %s, want %q", intoto.TypeString(head.Type), StatementType)}
	}
	if head.PredicateType == nil || *head.PredicateType != PredicateSLSAProvenance {
		return nil, &FormatError{Input: input, Err: ErrPredicateType, Reason: fmt.Sprintf("predicateType %s, want %q", intoto.TypeString(head.PredicateType), PredicateSLSAProvenance)}
	}
	s := Statement{Type: *head.Type, Subject: head.Subject, PredicateType: *head.PredicateType}
	if len(head.Predicate) > 0 {
		if err := unmarshal(input, head.Predicate, &s.Predicate); err != nil {
			return nil, err
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadManifest reads a dataset manifest file written by [Manifest.Marshal]:
// a regular file of at most MaxDocumentSize bytes. A FIFO, a device such
// as /dev/zero or a directory is refused without blocking.
func LoadManifest(path string) (*Manifest, error) {
	data, err := docread.ReadFile(context.Background(), path, MaxDocumentSize)
	if err != nil {
		return nil, fmt.Errorf("provenance: manifest: %w", err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
