package modelscan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/intoto"
)

// The in-toto form of a scan: a Statement v1 with the test-result v0.1
// predicate, the one validation writes, so a gate reads both alike. It is
// unsigned JSON; sign it with a DSSE signer (provenance.Sign*).
const TestResultPredicateV1 = intoto.TestResultPredicateV1

// Statement is an in-toto Statement v1 carrying a test result.
type Statement = intoto.TestResultStatement

// ResourceDescriptor is an in-toto ResourceDescriptor v1 (Name, Digest
// are the fields a scan fills).
type ResourceDescriptor = intoto.ResourceDescriptor[map[string]string]

// PolicyName names the scan policy in a statement's configuration.
const PolicyName = "mlsec-modelscan-policy"

// NewStatement records scan results as an in-toto test-result statement
// about subjects (the scanned files; see FileSubjects). Each safe file is
// a passed test named by its path; each finding is a failed test. The
// configuration is the policy, by the digest of its allowlist and limits,
// so a verifier can tell which policy judged the files.
func NewStatement(results []*Result, subjects []ResourceDescriptor, opts Options) *Statement {
	tr := intoto.TestResult{Result: "PASSED", Configuration: []ResourceDescriptor{{
		Name: PolicyName, Digest: map[string]string{"sha256": PolicyDigest(opts)}}}}
	for _, r := range results {
		if r.Safe() {
			tr.PassedTests = append(tr.PassedTests, r.File)
			continue
		}
		tr.Result = "FAILED"
		for _, f := range r.Findings {
			tr.FailedTests = append(tr.FailedTests, f.String())
		}
	}
	return intoto.NewTestResultStatement(subjects, tr)
}

// FileSubjects describes files by their path as given (slash-separated)
// and SHA-256, as statement subjects.
func FileSubjects(paths ...string) ([]ResourceDescriptor, error) {
	var out []ResourceDescriptor
	for _, p := range paths {
		d, err := intoto.FileSubject(p, filepath.ToSlash(p))
		if err != nil {
			return nil, fmt.Errorf("modelscan: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}

// PolicyDigest is the hex SHA-256 of the policy opts give: the sorted
// allowlist (default and added) and the limits, one item a line.
func PolicyDigest(opts Options) string {
	opts.norm()
	var lines []string
	for g := range defaultAllow {
		lines = append(lines, "allow "+g.Module+" "+g.Name)
	}
	for _, g := range opts.Allow {
		lines = append(lines, "allow "+g.Module+" "+g.Name)
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	lines = append(lines, fmt.Sprintf("max-stack %d", opts.MaxStack), fmt.Sprintf("max-memo %d", opts.MaxMemo),
		fmt.Sprintf("max-length %d", opts.MaxLength))
	h := sha256.Sum256([]byte(strings.Join(lines, "\n") + "\n"))
	return hex.EncodeToString(h[:])
}
