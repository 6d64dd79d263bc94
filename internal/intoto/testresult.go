package intoto

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// TestResultPredicateV1 is the in-toto test-result predicate (in-toto/
// attestation spec/predicates/test-result.md): a verdict, the
// configuration that produced it, and the names of the passed, warned and
// failed tests. validation and modelscan both record their results with it.
const TestResultPredicateV1 = "https://in-toto.io/attestation/test-result/v0.1"

// TestResult is the test-result v0.1 predicate.
type TestResult struct {
	Result        string                                  `json:"result"`
	Configuration []ResourceDescriptor[map[string]string] `json:"configuration"`
	URL           string                                  `json:"url,omitempty"`
	PassedTests   []string                                `json:"passedTests"`
	WarnedTests   []string                                `json:"warnedTests"`
	FailedTests   []string                                `json:"failedTests"`
}

// TestResultStatement is an in-toto Statement v1 carrying a test result.
type TestResultStatement struct {
	Type          string                                  `json:"_type"`
	Subject       []ResourceDescriptor[map[string]string] `json:"subject"`
	PredicateType string                                  `json:"predicateType"`
	Predicate     TestResult                              `json:"predicate"`
}

// NewTestResultStatement wraps a predicate in a statement about subjects.
// Nil lists become empty ones, so the JSON always has every list the
// predicate defines.
func NewTestResultStatement(subjects []ResourceDescriptor[map[string]string], tr TestResult) *TestResultStatement {
	if subjects == nil {
		subjects = []ResourceDescriptor[map[string]string]{}
	}
	for _, l := range []*[]string{&tr.PassedTests, &tr.WarnedTests, &tr.FailedTests} {
		if *l == nil {
			*l = []string{}
		}
	}
	if tr.Configuration == nil {
		tr.Configuration = []ResourceDescriptor[map[string]string]{}
	}
	return &TestResultStatement{Type: StatementType, Subject: subjects, PredicateType: TestResultPredicateV1, Predicate: tr}
}

// FileSubject describes the file at path as a statement subject called
// name, with its SHA-256.
func FileSubject(path, name string) (ResourceDescriptor[map[string]string], error) {
	f, err := os.Open(path)
	if err != nil {
		return ResourceDescriptor[map[string]string]{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ResourceDescriptor[map[string]string]{}, fmt.Errorf("%s: %w", path, err)
	}
	return ResourceDescriptor[map[string]string]{Name: name, Digest: map[string]string{"sha256": hex.EncodeToString(h.Sum(nil))}}, nil
}
