package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mlsec-dev/mlsec/provenance"
)

// The rules of the data policy, as Violation.Rule names them.
const (
	RuleSignature  = "signature"
	RuleProvenance = "provenance"
	RuleChain      = "provenance.gaps"
	RuleBreak      = "provenance.breaks"
	RuleValidation = "validation"
	RuleDrift      = "drift"
	RuleScan       = "scan"
	// RulePolicy is a policy that could not decide (an error, an undefined
	// result): the gate fails closed.
	RulePolicy = "policy"
)

// Decider decides over an evidence document. DataPolicy and RegoPolicy
// are the two kinds mlsec has.
type Decider interface {
	Decide(ctx context.Context, ev *Evidence) *Decision
	// Ref names the policy and its digest, for the VSA.
	Ref() PolicyRef
}

// PolicyRef names a policy by URI and pins it by digest.
type PolicyRef struct {
	URI    string               `json:"uri"`
	Digest provenance.DigestSet `json:"digest"`
}

// Decision is the gate's answer: allowed when there is no violation.
type Decision struct {
	Subject    Subject     `json:"subject"`
	Allowed    bool        `json:"allowed"`
	Violations []Violation `json:"violations"`
	Policy     PolicyRef   `json:"policy"`
}

// Violation is one reason to deny: the rule, a message for people, and the
// evidence item it is about (an attestation source, a model file), empty
// when the violation is that evidence is missing.
type Violation struct {
	Rule     string `json:"rule"`
	Message  string `json:"message"`
	Evidence string `json:"evidence,omitempty"`
}

func (v Violation) String() string {
	if v.Evidence != "" {
		return fmt.Sprintf("%s: %s (%s)", v.Rule, v.Message, v.Evidence)
	}
	return v.Rule + ": " + v.Message
}

func newDecision(ev *Evidence, ref PolicyRef, vs []Violation) *Decision {
	if vs == nil {
		vs = []Violation{}
	}
	return &Decision{Subject: ev.Subject, Allowed: len(vs) == 0, Violations: vs, Policy: ref}
}

// DataPolicy is the gate's policy as data. Its zero value is the strict
// one: everything required, nothing tolerated. Which signers and build
// rules count is the provenance policy's business (Trust); DataPolicy says
// which evidence must be there and what it must say.
type DataPolicy struct {
	// AllowUnsigned drops the OMS signature requirement.
	AllowUnsigned bool `json:"allowUnsigned,omitempty"`
	// AllowGaps accepts inputs of the chain with no verified provenance
	// (raw data from outside, say).
	AllowGaps bool `json:"allowGaps,omitempty"`
	// Datasets names inputs of the model's provenance (by dependency name)
	// that must have a PASSED test result, in addition to every input
	// built as a dataset (provenance.BuildTypeDataset).
	Datasets []string `json:"datasets,omitempty"`
	// Suites pins the validation suites (their digests): a test result
	// made with another suite does not count. Any suite when empty.
	Suites []provenance.DigestSet `json:"suites,omitempty"`
	// RequireDrift requires at least one drift verdict; a drifted verdict
	// is always a violation.
	RequireDrift bool `json:"requireDrift,omitempty"`
	// AllowScanFindings tolerates scan findings; SkipScan tolerates a
	// model that was not scanned (no model directory given).
	AllowScanFindings bool `json:"allowScanFindings,omitempty"`
	SkipScan          bool `json:"skipScan,omitempty"`
	// URI names the policy in the VSA (default "mlsec:gate/data-policy").
	URI string `json:"uri,omitempty"`
}

// Ref names the data policy by URI and the digest of its JSON encoding.
func (p DataPolicy) Ref() PolicyRef {
	b, _ := json.Marshal(p) // a struct of strings, bools and maps: never fails
	sum := sha256.Sum256(b)
	uri := p.URI
	if uri == "" {
		uri = "mlsec:gate/data-policy"
	}
	return PolicyRef{URI: uri, Digest: provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}}
}

// Decide applies the data policy and lists every violation.
func (p DataPolicy) Decide(_ context.Context, ev *Evidence) *Decision {
	var vs []Violation
	add := func(rule, evidence, format string, args ...any) {
		vs = append(vs, Violation{Rule: rule, Message: fmt.Sprintf(format, args...), Evidence: evidence})
	}
	rejected := func(kind string) string {
		var out []string
		for _, r := range ev.Rejected {
			if r.Kind == kind {
				out = append(out, r.Source+": "+r.Reason)
			}
		}
		if len(out) == 0 {
			return ""
		}
		return "; rejected: " + strings.Join(out, "; ")
	}

	switch {
	case p.AllowUnsigned:
	case ev.Signature == nil:
		add(RuleSignature, "", "no model directory was given, so no OMS signature was verified")
	case !ev.Signature.Verified:
		add(RuleSignature, ev.Signature.Source, "OMS signature not verified: %s", ev.Signature.Error)
	}

	if len(ev.Provenance.Statements) == 0 {
		add(RuleProvenance, "", "no verified provenance has the subject %s%s", fmtDigest(ev.Subject.Digest), rejected("provenance"))
	}
	if !p.AllowGaps {
		for _, g := range ev.Provenance.Gaps {
			add(RuleChain, "", "input %s has no verified provenance", artifactName(g))
		}
	}

	for _, b := range ev.Provenance.Breaks {
		add(RuleBreak, "", "input %s does not match the artifact its provenance produced", artifactName(b))
	}

	// The datasets: inputs built as datasets, and inputs named so.
	datasets := map[string]Artifact{}
	for _, it := range ev.Provenance.Upstream {
		if it.BuildType == provenance.BuildTypeDataset {
			for _, s := range it.Subject {
				datasets[canonical(s.Digest)] = s
			}
		}
	}
	for _, it := range ev.Provenance.Statements {
		for _, in := range it.Inputs {
			for _, name := range p.Datasets {
				if in.Name == name {
					datasets[canonical(in.Digest)] = in
				}
			}
		}
	}
	for _, key := range sortedArtifactKeys(datasets) {
		ds := datasets[key]
		var passed bool
		var reasons []string
		for _, v := range ev.Validation {
			if !digestsMatch(v.Input.Digest, ds.Digest) {
				continue
			}
			switch {
			case len(p.Suites) > 0 && !suitePinned(v.Suites, p.Suites):
				add(RuleValidation, v.Source, "test result of dataset %s was made with a suite that is not pinned", artifactName(ds))
			case v.Result != "PASSED":
				add(RuleValidation, v.Source, "dataset %s %s validation: failed %s", artifactName(ds), v.Result, strings.Join(v.FailedTests, ", "))
			default:
				passed = true
			}
		}
		if !passed && !hasValidation(ev, ds) {
			reasons = append(reasons, rejected("validation"))
			add(RuleValidation, "", "dataset %s has no verified test result%s", artifactName(ds), strings.Join(reasons, ""))
		}
	}

	if p.RequireDrift && len(ev.Drift) == 0 {
		add(RuleDrift, "", "no drift verdict%s", rejected("drift"))
	}
	for _, d := range ev.Drift {
		if d.Drifted {
			add(RuleDrift, d.Source, "%d of %d columns drifted: %s", d.DriftedColumns, d.TestedColumns, strings.Join(d.Columns, ", "))
		}
	}

	if !p.SkipScan && !ev.Scan.Scanned {
		add(RuleScan, "", "the model files were not scanned (no model directory given)")
	}
	if !p.AllowScanFindings {
		for _, f := range ev.Scan.Findings {
			add(RuleScan, f.Source, "%s finding %s: %s", f.Kind, f.Rule, f.Detail)
		}
	}
	return newDecision(ev, p.Ref(), vs)
}

func hasValidation(ev *Evidence, ds Artifact) bool {
	for _, v := range ev.Validation {
		if digestsMatch(v.Input.Digest, ds.Digest) {
			return true
		}
	}
	return false
}

func suitePinned(used []Artifact, pinned []provenance.DigestSet) bool {
	for _, u := range used {
		for _, p := range pinned {
			if digestsMatch(u.Digest, p) {
				return true
			}
		}
	}
	return false
}

func artifactName(a Artifact) string {
	if a.Name != "" {
		return fmt.Sprintf("%q (%s)", a.Name, fmtDigest(a.Digest))
	}
	return fmtDigest(a.Digest)
}

func sortedArtifactKeys(m map[string]Artifact) []string {
	keys := map[string]bool{}
	for k := range m {
		keys[k] = true
	}
	return sortedKeys(keys)
}
