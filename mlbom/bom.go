package mlbom

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

// Predicate types and media types mlbom reads from the evidence.
const (
	predicateTestResult = "https://in-toto.io/attestation/test-result/v0.1"
	// DatasetMediaType marks a dependency that is an mlsec dataset version
	// (a dataset manifest, digest "dirHash").
	DatasetMediaType = "application/vnd.mlsec.dataset-manifest.v1+json"
)

// Evidence is what a BOM is derived from. Every piece must already have
// been verified by the caller: mlbom reads, it does not check signatures.
type Evidence struct {
	// Model is the model's manifest as its OMS signature verified it
	// (signing.Result.Manifest).
	Model *signing.Manifest
	// Signer names who signed the model (a key id or a certificate
	// identity), as the verification established it; optional.
	Signer string
	// Attestations are statements that passed verification
	// (provenance.AttestationResults.Verified): the training run's SLSA
	// provenance with the model as subject, the datasets' build provenance,
	// validation test results about the datasets. Others are ignored.
	Attestations []*provenance.Verified
}

// BOM is the format-neutral bill of materials Derive builds; CycloneDX and
// SPDX render it.
type BOM struct {
	Model    Model
	Datasets []Dataset
	// Dependencies are the training runs' other inputs (source code,
	// base models, configuration), by digest.
	Dependencies []Dependency
	Runs         []Run
	// id is the digest of the evidence, for serial numbers and document
	// namespaces.
	id [32]byte
}

// Model is the model as its signature describes it.
type Model struct {
	Name string
	// Root is the OMS root digest (the signature's subject).
	Root signing.Digest
	// Method is the OMS serialization ("files" or "shards").
	Method string
	Files  []File
	Signer string
	// Hyperparameters and Metrics come from the verified training run
	// (its externalParameters.hyperparameters and the annotations of its
	// "metrics" byproduct).
	Hyperparameters []Entry
	Metrics         []Entry
}

// File is one file of the model (one shard with the shards method).
type File struct {
	Name      string
	Algorithm string
	Digest    string // lowercase hex
}

// Entry is a named value, its JSON text as recorded.
type Entry struct {
	Name  string
	Value string
}

// Dataset is a dataset the model was trained on.
type Dataset struct {
	// Name is the dependency's name in the training provenance.
	Name   string
	Digest provenance.DigestSet
	// Verified is whether a verified build statement of the dataset was in
	// the evidence; Version, Sources, Builder and BuildType come from it.
	Verified  bool
	Version   string
	Sources   []string
	Builder   string
	BuildType string
	// Tests are verified validation results about this dataset version.
	Tests []TestResult
}

// TestResult is an in-toto test result about a dataset.
type TestResult struct {
	// Suite names the configuration (validation suite) that ran.
	Suite  string
	Result string // PASSED, WARNED or FAILED
	Passed int
	Failed int
	Warned int
}

// Dependency is an input of a training run other than a dataset.
type Dependency struct {
	Name   string
	URI    string
	Digest provenance.DigestSet
}

// Run is a verified training run that produced the model.
type Run struct {
	InvocationID string
	BuildType    string
	Builder      string
	Started      string // RFC 3339, as recorded
	Finished     string
	// Parameters are the run's externalParameters, flattened to dotted
	// keys with JSON values, sorted.
	Parameters []Entry
	// Inputs are the names of the datasets and dependencies it used.
	Inputs []string
}

// ErrNoModel is returned when the evidence holds no model manifest.
var ErrNoModel = errors.New("mlbom: the evidence holds no verified model manifest")

// Derive builds the BOM of ev.Model from the verified evidence.
func Derive(ev Evidence) (*BOM, error) {
	if ev.Model == nil || len(ev.Model.Resources) == 0 {
		return nil, ErrNoModel
	}
	root := ev.Model.RootDigest()
	b := &BOM{Model: Model{Name: ev.Model.Name, Root: root, Method: string(ev.Model.Serialization.Method), Signer: ev.Signer}}
	for _, r := range ev.Model.Resources {
		b.Model.Files = append(b.Model.Files, File{Name: r.Name, Algorithm: r.Algorithm, Digest: hex.EncodeToString(r.Digest)})
	}
	modelDigest := provenance.DigestSet{root.Algorithm: root.Hex()}

	atts := slices.Clone(ev.Attestations)
	slices.SortFunc(atts, func(a, b *provenance.Verified) int { return strings.Compare(string(a.Payload), string(b.Payload)) })
	h := sha256.New()
	h.Write([]byte(root.String()))
	for _, a := range atts {
		if a == nil {
			return nil, errors.New("mlbom: nil attestation in the evidence")
		}
		s := sha256.Sum256(a.Payload)
		h.Write(s[:])
	}
	copy(b.id[:], h.Sum(nil))

	datasets := map[string]*Dataset{} // by canonical digest string
	for _, a := range atts {
		st := a.Statement
		if st == nil || !hasSubject(a.Subject, modelDigest) {
			continue
		}
		run, err := runOf(st, &b.Model)
		if err != nil {
			return nil, err
		}
		for _, dep := range st.Predicate.BuildDefinition.ResolvedDependencies {
			if len(dep.Digest) == 0 {
				continue // not pinned: not a verified input
			}
			run.Inputs = append(run.Inputs, dep.Name)
			if isDataset(dep, st) {
				key := dep.Digest.String()
				if _, ok := datasets[key]; !ok {
					datasets[key] = &Dataset{Name: dep.Name, Digest: dep.Digest}
				}
				continue
			}
			if !slices.ContainsFunc(b.Dependencies, func(d Dependency) bool { return d.Digest.String() == dep.Digest.String() }) {
				b.Dependencies = append(b.Dependencies, Dependency{Name: dep.Name, URI: dep.URI, Digest: dep.Digest})
			}
		}
		b.Runs = append(b.Runs, run)
	}
	for _, d := range datasets {
		for _, a := range atts {
			if !hasSubject(a.Subject, d.Digest) {
				continue
			}
			switch {
			case a.Statement != nil:
				d.Verified = true
				d.Builder = a.Statement.Predicate.RunDetails.Builder.ID
				d.BuildType = a.Statement.Predicate.BuildDefinition.BuildType
				for _, s := range a.Subject {
					if s.Digest.String() == d.Digest.String() || hasSubject([]provenance.ResourceDescriptor{s}, d.Digest) {
						d.Version = s.Name
					}
				}
				if src, ok := a.Statement.Predicate.BuildDefinition.ExternalParameters["sources"].([]any); ok {
					for _, s := range src {
						if str, ok := s.(string); ok {
							d.Sources = append(d.Sources, str)
						}
					}
				}
			case a.PredicateType == predicateTestResult:
				tr, err := testResultOf(a.Payload)
				if err != nil {
					return nil, err
				}
				d.Tests = append(d.Tests, tr)
			}
		}
		slices.SortFunc(d.Tests, func(a, b TestResult) int { return strings.Compare(a.Suite+a.Result, b.Suite+b.Result) })
		b.Datasets = append(b.Datasets, *d)
	}
	slices.SortFunc(b.Datasets, func(a, b Dataset) int { return strings.Compare(a.Name+a.Digest.String(), b.Name+b.Digest.String()) })
	slices.SortFunc(b.Dependencies, func(a, b Dependency) int { return strings.Compare(a.Name+a.Digest.String(), b.Name+b.Digest.String()) })
	slices.SortFunc(b.Runs, func(a, b Run) int { return strings.Compare(a.Finished+a.InvocationID, b.Finished+b.InvocationID) })
	return b, nil
}

// hasSubject reports whether subjects include one whose digests agree
// with want on every algorithm they share (at least one).
func hasSubject(subjects []provenance.ResourceDescriptor, want provenance.DigestSet) bool {
	for _, s := range subjects {
		shared := 0
		agree := true
		for alg, v := range want {
			if got, ok := s.Digest[alg]; ok {
				shared++
				agree = agree && strings.EqualFold(got, v)
			}
		}
		if shared > 0 && agree {
			return true
		}
	}
	return false
}

// isDataset reports whether a resolved dependency is a dataset: an mlsec
// dataset manifest, or named in externalParameters.datasets.
func isDataset(dep provenance.ResourceDescriptor, st *provenance.Statement) bool {
	if dep.MediaType == DatasetMediaType {
		return true
	}
	if names, ok := st.Predicate.BuildDefinition.ExternalParameters["datasets"].([]any); ok {
		for _, n := range names {
			if n == dep.Name {
				return true
			}
		}
	}
	return false
}

func runOf(st *provenance.Statement, m *Model) (Run, error) {
	p := st.Predicate
	r := Run{
		InvocationID: p.RunDetails.Metadata.InvocationID,
		BuildType:    p.BuildDefinition.BuildType,
		Builder:      p.RunDetails.Builder.ID,
	}
	if t := p.RunDetails.Metadata.StartedOn; t != nil {
		r.Started = t.UTC().Format("2006-01-02T15:04:05Z")
	}
	if t := p.RunDetails.Metadata.FinishedOn; t != nil {
		r.Finished = t.UTC().Format("2006-01-02T15:04:05Z")
	}
	var err error
	if r.Parameters, err = flatten("", p.BuildDefinition.ExternalParameters); err != nil {
		return Run{}, err
	}
	if hp, ok := p.BuildDefinition.ExternalParameters["hyperparameters"].(map[string]any); ok {
		entries, err := flatten("", hp)
		if err != nil {
			return Run{}, err
		}
		m.Hyperparameters = mergeEntries(m.Hyperparameters, entries)
	}
	for _, bp := range p.RunDetails.Byproducts {
		if bp.Name != "metrics" {
			continue
		}
		var metrics []Entry
		for k, v := range bp.Annotations {
			if f, ok := v.(float64); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
				b, _ := json.Marshal(f)
				metrics = append(metrics, Entry{Name: k, Value: string(b)})
			}
		}
		sort.Slice(metrics, func(i, j int) bool { return metrics[i].Name < metrics[j].Name })
		m.Metrics = mergeEntries(m.Metrics, metrics)
	}
	return r, nil
}

// flatten turns nested objects into dotted keys with JSON values, sorted.
func flatten(prefix string, m map[string]any) ([]Entry, error) {
	var out []Entry
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			e, err := flatten(key, sub)
			if err != nil {
				return nil, err
			}
			out = append(out, e...)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("mlbom: externalParameters %s: %w", key, err)
		}
		out = append(out, Entry{Name: key, Value: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// mergeEntries adds entries whose names are not yet present.
func mergeEntries(have, add []Entry) []Entry {
	for _, e := range add {
		if !slices.ContainsFunc(have, func(h Entry) bool { return h.Name == e.Name }) {
			have = append(have, e)
		}
	}
	sort.Slice(have, func(i, j int) bool { return have[i].Name < have[j].Name })
	return have
}

func testResultOf(payload []byte) (TestResult, error) {
	var st struct {
		Predicate struct {
			Result        string `json:"result"`
			Configuration []struct {
				Name string `json:"name"`
			} `json:"configuration"`
			PassedTests []string `json:"passedTests"`
			WarnedTests []string `json:"warnedTests"`
			FailedTests []string `json:"failedTests"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return TestResult{}, fmt.Errorf("mlbom: test result: %w", err)
	}
	p := st.Predicate
	tr := TestResult{Result: p.Result, Passed: len(p.PassedTests), Warned: len(p.WarnedTests), Failed: len(p.FailedTests)}
	var names []string
	for _, c := range p.Configuration {
		names = append(names, c.Name)
	}
	tr.Suite = strings.Join(names, ",")
	return tr, nil
}
