package mlbom

import (
	"encoding/json"
	"fmt"

	"github.com/mlsec-dev/mlsec/internal/intoto"
	"github.com/mlsec-dev/mlsec/provenance"
)

// Predicate types of a BOM carried in an in-toto statement, as the in-toto
// attestation framework's CycloneDX and SPDX predicates name them.
const (
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	PredicateSPDX      = "https://spdx.dev/Document"
)

// Statement wraps a BOM document (the output of CycloneDX or SPDX, so
// predicateType is PredicateCycloneDX or PredicateSPDX) in an in-toto
// Statement v1 whose subject is the model's OMS root digest, ready to be
// signed (provenance.SignPayload) and stored beside the model's other
// attestations.
func (b *BOM) Statement(predicateType string, doc []byte) ([]byte, error) {
	if predicateType != PredicateCycloneDX && predicateType != PredicateSPDX {
		return nil, fmt.Errorf("mlbom: predicate type %q: want %s or %s", predicateType, PredicateCycloneDX, PredicateSPDX)
	}
	if !json.Valid(doc) {
		return nil, fmt.Errorf("mlbom: the BOM document is not JSON")
	}
	st := struct {
		Type          string                          `json:"_type"`
		Subject       []provenance.ResourceDescriptor `json:"subject"`
		PredicateType string                          `json:"predicateType"`
		Predicate     json.RawMessage                 `json:"predicate"`
	}{
		Type:          intoto.StatementType,
		Subject:       []provenance.ResourceDescriptor{{Name: b.Model.Name, Digest: provenance.DigestSet{b.Model.Root.Algorithm: b.Model.Root.Hex()}}},
		PredicateType: predicateType,
		Predicate:     doc,
	}
	return json.Marshal(st)
}
