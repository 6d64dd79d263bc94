package provenance

import (
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
	var head struct {
		Type          *string `json:"_type"`
		PredicateType *string `json:"predicateType"`
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
	var s Statement
	if err := unmarshal(input, data, &s); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}
