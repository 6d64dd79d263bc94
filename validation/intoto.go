package validation

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/intoto"
)

// In-toto types for exporting a Result as evidence (in-toto Statement v1
// with the test-result v0.1 predicate, spec: in-toto/attestation
// spec/predicates/test-result.md). The statement is unsigned JSON; sign
// it with any DSSE signer.
const (
	StatementType         = intoto.StatementType
	TestResultPredicateV1 = intoto.TestResultPredicateV1
)

// Statement is an in-toto Statement v1 carrying a test result (the codec
// modelscan uses too, so both write the same JSON).
type Statement = intoto.TestResultStatement

// ResourceDescriptor is an in-toto ResourceDescriptor v1: fields Name, URI
// and Digest (algorithm to lowercase hex) are the ones used here; Content,
// DownloadLocation, MediaType and Annotations may be set too. Empty fields
// are omitted from the JSON. It is the in-toto codec's descriptor, shared
// with the other mlsec packages so that all write the same JSON.
type ResourceDescriptor = intoto.ResourceDescriptor[map[string]string]

// TestResult is the test-result v0.1 predicate.
type TestResult = intoto.TestResult

// Statement exports the result as an in-toto test-result statement about
// subjects (the data files; see FileSubjects). The configuration is the
// suite, identified by its digest. Errored checks are failed tests.
func (r *Result) Statement(subjects []ResourceDescriptor) *Statement {
	cfg := ResourceDescriptor{Name: r.Suite, Digest: map[string]string{"sha256": strings.TrimPrefix(r.SuiteDigest, "sha256:")}}
	tr := TestResult{Result: string(r.Status), Configuration: []ResourceDescriptor{cfg}}
	for i := range r.Checks {
		c := &r.Checks[i]
		switch c.Status {
		case CheckPassed:
			tr.PassedTests = append(tr.PassedTests, c.Name())
		case CheckWarned:
			tr.WarnedTests = append(tr.WarnedTests, c.Name())
		default:
			tr.FailedTests = append(tr.FailedTests, c.Name())
		}
	}
	return intoto.NewTestResultStatement(subjects, tr)
}

// FileSubjects describes files by name and SHA-256, as statement subjects.
func FileSubjects(paths ...string) ([]ResourceDescriptor, error) {
	var out []ResourceDescriptor
	for _, p := range paths {
		d, err := intoto.FileSubject(p, filepath.Base(p))
		if err != nil {
			return nil, fmt.Errorf("validation: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}
