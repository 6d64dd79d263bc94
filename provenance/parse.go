package provenance

import (
	"encoding/json"
	"fmt"
)

// ParseStatement parses the JSON of an in-toto Statement v1 carrying SLSA
// Provenance v1. It rejects duplicate keys, excessive size or nesting, a
// `_type` other than Statement v1 (including the legacy v0.1) and any
// other predicateType, before the predicate is decoded.
func ParseStatement(data []byte) (*Statement, error) {
	const input = "statement"
	if err := checkJSON(input, data); err != nil {
		return nil, err
	}
	// One pass for the envelope of the statement; the predicate is decoded
	// only once its type is known.
	var head struct {
		Type          *string              `json:"_type"`
		Subject       []ResourceDescriptor `json:"subject"`
		PredicateType *string              `json:"predicateType"`
		Predicate     json.RawMessage      `json:"predicate"`
	}
	if err := unmarshal(input, data, &head); err != nil {
		return nil, err
	}
	if head.Type == nil || *head.Type != StatementType {
		got := "<missing>"
		if head.Type != nil {
			got = fmt.Sprintf("%q", *head.Type)
		}
		return nil, &FormatError{Input: input, Err: ErrStatementType, Reason: fmt.Sprintf("_type %s, want %q", got, StatementType)}
	}
	if head.PredicateType == nil || *head.PredicateType != PredicateSLSAProvenance {
		got := "<missing>"
		if head.PredicateType != nil {
			got = fmt.Sprintf("%q", *head.PredicateType)
		}
		return nil, &FormatError{Input: input, Err: ErrPredicateType, Reason: fmt.Sprintf("predicateType %s, want %q", got, PredicateSLSAProvenance)}
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
