package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// A Baseline records findings that were reviewed and accepted (a test
// fixture's fake key, a documented sample), so that a later scan given the
// baseline ([ScanOptions.Baseline]) reports only new ones, as the
// baselines of detect-secrets and gitleaks do. An entry is the path, the
// rule and the fingerprint of the secret: the secret itself is never
// stored, and a finding stays suppressed when lines move above it. The
// same secret in another file, or another secret in the same file, is new.
type Baseline struct {
	// Version is the format version, BaselineVersion.
	Version  int             `json:"version"`
	Findings []BaselineEntry `json:"findings"`
	set      map[baselineKey]bool
}

// BaselineVersion is the version of the baseline file format.
const BaselineVersion = 1

// A BaselineEntry is one reviewed finding. Line is informative (where the
// finding was when the baseline was written); matching ignores it.
type BaselineEntry struct {
	Path        string `json:"path"`
	Rule        string `json:"rule"`
	Fingerprint string `json:"fingerprint"`
	Line        int    `json:"line,omitempty"`
}

type baselineKey struct{ path, rule, fp string }

// maxBaselineBytes bounds what ReadBaseline reads, so that a wrong file
// name cannot exhaust memory.
const maxBaselineBytes = 64 << 20

// NewBaseline records findings as reviewed.
func NewBaseline(findings []Finding) *Baseline {
	b := &Baseline{Version: BaselineVersion, Findings: []BaselineEntry{}}
	for _, f := range findings {
		b.add(BaselineEntry{Path: f.Path, Rule: f.Rule, Fingerprint: f.Fingerprint, Line: f.Line})
	}
	sort.Slice(b.Findings, func(i, j int) bool {
		x, y := b.Findings[i], b.Findings[j]
		if x.Path != y.Path {
			return x.Path < y.Path
		}
		if x.Line != y.Line {
			return x.Line < y.Line
		}
		return x.Rule < y.Rule
	})
	return b
}

func (b *Baseline) add(e BaselineEntry) {
	if b.set == nil {
		b.set = map[baselineKey]bool{}
	}
	k := baselineKey{e.Path, e.Rule, e.Fingerprint}
	if b.set[k] {
		return
	}
	b.set[k] = true
	b.Findings = append(b.Findings, e)
}

// Contains reports whether f was recorded in b. A nil baseline holds
// nothing.
func (b *Baseline) Contains(f Finding) bool {
	if b == nil {
		return false
	}
	return b.set[baselineKey{f.Path, f.Rule, f.Fingerprint}]
}

// Len is the number of findings in b.
func (b *Baseline) Len() int {
	if b == nil {
		return 0
	}
	return len(b.Findings)
}

// WriteBaseline writes b to path as JSON, atomically: a failed write
// leaves any previous baseline in place.
func WriteBaseline(path string, b *Baseline) error {
	return writeFileAtomic(path, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	})
}

// ReadBaseline reads a baseline written by [WriteBaseline]. A file that is
// not a baseline (bad JSON, another version, an entry without a path, a
// rule or a 16-digit fingerprint) is an error naming it.
func ReadBaseline(path string) (*Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: baseline: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBaselineBytes+1))
	if err != nil {
		return nil, fmt.Errorf("secrets: baseline %s: %w", path, err)
	}
	if len(data) > maxBaselineBytes {
		return nil, fmt.Errorf("secrets: baseline %s: larger than %d bytes", path, maxBaselineBytes)
	}
	var raw Baseline
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("secrets: baseline %s: not a baseline file: %w", path, err)
	}
	if raw.Version != BaselineVersion {
		return nil, fmt.Errorf("secrets: baseline %s: version %d, want %d", path, raw.Version, BaselineVersion)
	}
	b := &Baseline{Version: BaselineVersion, Findings: []BaselineEntry{}}
	var errs []error
	for i, e := range raw.Findings {
		if e.Path == "" || e.Rule == "" || !isFingerprint(e.Fingerprint) {
			errs = append(errs, fmt.Errorf("secrets: baseline %s: entry %d: want a path, a rule and a 16-hex-digit fingerprint", path, i+1))
			continue
		}
		b.add(e)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b, nil
}

func isFingerprint(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
