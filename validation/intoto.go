package validation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
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
	TestResultPredicateV1 = "https://in-toto.io/attestation/test-result/v0.1"
)

// Statement is an in-toto Statement v1 carrying a test result.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []ResourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     TestResult           `json:"predicate"`
}

// ResourceDescriptor is an in-toto ResourceDescriptor v1: fields Name, URI
// and Digest (algorithm to lowercase hex) are the ones used here; Content,
// DownloadLocation, MediaType and Annotations may be set too. Empty fields
// are omitted from the JSON. It is the in-toto codec's descriptor, shared
// with the other mlsec packages so that all write the same JSON.
type ResourceDescriptor = intoto.ResourceDescriptor[map[string]string]

// TestResult is the test-result v0.1 predicate.
type TestResult struct {
	Result        string               `json:"result"`
	Configuration []ResourceDescriptor `json:"configuration"`
	URL           string               `json:"url,omitempty"`
	PassedTests   []string             `json:"passedTests"`
	WarnedTests   []string             `json:"warnedTests"`
	FailedTests   []string             `json:"failedTests"`
}

// Statement exports the result as an in-toto test-result statement about
// subjects (the data files; see FileSubjects). The configuration is the
// suite, identified by its digest. Errored checks are failed tests.
func (r *Result) Statement(subjects []ResourceDescriptor) *Statement {
	cfg := ResourceDescriptor{Name: r.Suite, Digest: map[string]string{"sha256": strings.TrimPrefix(r.SuiteDigest, "sha256:")}}
	tr := TestResult{Result: string(r.Status), Configuration: []ResourceDescriptor{cfg},
		PassedTests: []string{}, WarnedTests: []string{}, FailedTests: []string{}}
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
	if subjects == nil {
		subjects = []ResourceDescriptor{}
	}
	return &Statement{Type: StatementType, Subject: subjects, PredicateType: TestResultPredicateV1, Predicate: tr}
}

// FileSubjects describes files by name and SHA-256, as statement subjects.
func FileSubjects(paths ...string) ([]ResourceDescriptor, error) {
	var out []ResourceDescriptor
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("validation: %w", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("validation: %s: %w", p, err)
		}
		out = append(out, ResourceDescriptor{Name: filepath.Base(p), Digest: map[string]string{"sha256": hex.EncodeToString(h.Sum(nil))}})
	}
	return out, nil
}
