package drift

import (
	"fmt"
	"path/filepath"

	"github.com/mlsec-dev/mlsec/internal/intoto"
)

// PredicateReportV1 is the predicate type of a drift report recorded as an
// in-toto Statement v1: the predicate is the report itself, in the JSON of
// [ReportSchema] (format "mlsec.drift.report", version 1), and the subject
// is the current data the report judged. Signed (a DSSE envelope, with
// provenance.SignPayload, or `mlsec drift compare --attest --attest-key`),
// it is evidence a deploy gate picks up for the datasets a model was
// trained on.
const PredicateReportV1 = "https://mlsec-dev.github.io/mlsec/drift/report/v1"

// ResourceDescriptor is an in-toto ResourceDescriptor v1 (Name and Digest
// are the fields a drift statement fills).
type ResourceDescriptor = intoto.ResourceDescriptor[map[string]string]

// Statement is an in-toto Statement v1 carrying a drift report.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []ResourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     *Report              `json:"predicate"`
}

// Statement records the report as an in-toto statement about subjects:
// the current data it compared (see FileSubjects), by the digest the
// data's provenance names it with. It is unsigned; sign its JSON with a
// DSSE signer.
func (r *Report) Statement(subjects ...ResourceDescriptor) *Statement {
	if subjects == nil {
		subjects = []ResourceDescriptor{}
	}
	return &Statement{Type: intoto.StatementType, Subject: subjects, PredicateType: PredicateReportV1, Predicate: r}
}

// FileSubjects describes data files by their path as given
// (slash-separated) and SHA-256, as statement subjects.
func FileSubjects(paths ...string) ([]ResourceDescriptor, error) {
	out := make([]ResourceDescriptor, 0, len(paths))
	for _, p := range paths {
		d, err := intoto.FileSubject(p, filepath.ToSlash(p))
		if err != nil {
			return nil, fmt.Errorf("drift: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}
