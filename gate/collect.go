package gate

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/modelscan"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/secrets"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/mlsec-dev/mlsec/validation"
)

// maxChainDepth bounds how far the chain is followed upstream: a store
// crafted with a cycle or a very long chain cannot make collection run
// without end.
const maxChainDepth = 32

// Sources are where the evidence about a model comes from. Nothing in them
// is trusted: Collect verifies each piece against Trust.
type Sources struct {
	// Subject is the model's digest. When empty it is the OMS root digest
	// of Model (hashed, or taken from the verified signature).
	Subject provenance.DigestSet
	// Name names the subject in the document (default: Model's base name).
	Name string
	// Attestations are the DSSE envelopes read from an attestation store
	// (provenance.ReadAttestations).
	Attestations provenance.Attestations
	// Model is the model directory (or file); when set, its OMS signature
	// is verified and its files are scanned.
	Model string
	// ModelSignature is the OMS bundle of Model (signing.ReadSignature);
	// SignatureSource names it in the document.
	ModelSignature  []byte
	SignatureSource string
	// Drift are drift reports about the data the model serves or was
	// trained on, each named by where it was read from.
	Drift []DriftReport
	// Remote is the model where it lives (an OCI registry) instead of a
	// directory: its signatures are verified over the manifest it lists.
	// Its files are not on disk, so not scanned.
	Remote *RemoteModel
}

// DriftReport is a drift report and the name of where it came from.
type DriftReport struct {
	Source string
	Report *drift.Report
}

// Trust says which keys and rules make a piece of evidence count.
type Trust struct {
	// Provenance verifies the statements whose subject is the model: the
	// data policy (provenance.LoadPolicy) with its trusted builders and
	// keys, build types, required dependencies and parameters. Required.
	Provenance *provenance.Policy
	// Upstream verifies the provenance of the model's inputs, and their
	// inputs. Default: Provenance's builders, digest algorithms and maxAge
	// (its SLSA-specific rules describe the model's own build).
	Upstream *provenance.Policy
	// Attestations verifies the other statements (test results). Default:
	// Provenance's builders and digest algorithms.
	Attestations *provenance.Policy
	// Model verifies the OMS signature (key, roots or Sigstore).
	Model signing.VerifyOptions
	// Scan tunes the model scan.
	Scan modelscan.Options
	// Now is the time ages are measured against (default time.Now()).
	Now time.Time
	// Cache, when set, remembers verification outcomes across decisions
	// (see [VerifyCache]); share one cache between calls to Collect.
	Cache *VerifyCache
	// Workers bounds how many attestations are verified at once
	// (default GOMAXPROCS).
	Workers int
}

// Collect gathers and verifies the evidence about one model and builds the
// evidence document. It fails only on bad input (no subject, an unusable
// policy, an unreadable model directory); evidence that does not verify is
// recorded under Rejected, or as an unverified signature, for the policy to
// judge.
func Collect(ctx context.Context, src Sources, trust Trust) (*Evidence, error) {
	if trust.Provenance == nil {
		return nil, errors.New("gate: no provenance policy: nothing would be trusted")
	}
	if err := trust.Provenance.Validate(); err != nil {
		return nil, fmt.Errorf("gate: provenance policy: %w", err)
	}
	up := trust.Upstream
	if up == nil {
		up = &provenance.Policy{
			Version:          trust.Provenance.Version,
			Builders:         trust.Provenance.Builders,
			DigestAlgorithms: trust.Provenance.DigestAlgorithms,
			MaxAge:           trust.Provenance.MaxAge,
		}
	}
	att := trust.Attestations
	if att == nil {
		// A test result carries no time of its own, so maxAge cannot
		// apply to it; nor do the SLSA rules.
		att = &provenance.Policy{
			Version:          trust.Provenance.Version,
			Builders:         trust.Provenance.Builders,
			DigestAlgorithms: trust.Provenance.DigestAlgorithms,
		}
	}
	now := trust.Now
	if now.IsZero() {
		now = time.Now()
	}
	ev := &Evidence{
		Version:     EvidenceVersion,
		Subject:     Subject{Name: src.Name, Digest: src.Subject},
		CollectedAt: now.UTC(),
		Validation:  []ValidationItem{},
		Drift:       []DriftItem{},
		Scan:        ScanEvidence{Findings: []ScanFinding{}},
		Rejected:    []Rejection{},
		Provenance: ProvenanceEvidence{
			Statements: []ProvenanceItem{}, Upstream: []ProvenanceItem{}, Builders: []string{},
			BuildTypes: []string{}, Inputs: []Artifact{}, Gaps: []Artifact{}, Breaks: []Artifact{},
		},
		Attestations: []AttestationRef{},
	}
	if src.Remote != nil {
		if src.Model != "" {
			return nil, errors.New("gate: give the model as a directory or as a remote model, not both")
		}
		if err := collectRemote(ctx, src, trust, ev); err != nil {
			return nil, err
		}
	}
	if src.Model != "" {
		if ev.Subject.Name == "" {
			ev.Subject.Name = filepath.Base(src.Model)
		}
		if err := collectModel(ctx, src, trust, ev); err != nil {
			return nil, err
		}
	}
	if len(ev.Subject.Digest) == 0 {
		return nil, errors.New("gate: no subject: give the model's digest or its directory")
	}
	workers := trust.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	c := collector{ctx: ctx, ev: ev, now: now, seen: map[string]bool{}, cache: trust.Cache, workers: workers,
		entries: map[string]*cacheEntry{},
		index:   newClaimIndex(ctx, src.Attestations, workers)}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.provenance(trust.Provenance, up); err != nil {
		return nil, err
	}
	if err := c.validation(att); err != nil {
		return nil, err
	}
	if err := c.drift(att); err != nil {
		return nil, err
	}
	for _, d := range src.Drift {
		if d.Report == nil {
			return nil, fmt.Errorf("gate: drift report %q: empty", d.Source)
		}
		ev.Drift = append(ev.Drift, driftItem(d))
	}
	return ev, nil
}

// collectModel verifies the OMS signature (which also fixes the subject
// digest) and scans the model's files.
func collectModel(ctx context.Context, src Sources, trust Trust, ev *Evidence) error {
	sigEv := &SignatureEvidence{Source: src.SignatureSource}
	if sigEv.Source == "" {
		sigEv.Source = "OMS signature of " + ev.Subject.Name
	}
	ev.Signature = sigEv
	var root provenance.DigestSet
	switch {
	case len(src.ModelSignature) == 0:
		sigEv.Error = "the model has no OMS signature"
	case trust.Model.Key == nil && trust.Model.Roots == nil && trust.Model.Sigstore == nil:
		sigEv.Error = "no trusted key, roots or Sigstore trust root for the OMS signature"
	default:
		res, err := signing.Verify(ctx, src.Model, src.ModelSignature, trust.Model)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			sigEv.Error = err.Error()
			break
		}
		sigEv.Verified = true
		sigEv.Files = len(res.Manifest.Resources)
		sigEv.Signer = signerOf(trust.Model, res.Certificate)
		ev.manifest = res.Manifest
		d := res.Manifest.RootDigest()
		root = provenance.DigestSet{d.Algorithm: d.Hex()}
	}
	if root == nil {
		m, err := signing.HashModel(ctx, src.Model, signing.Options{})
		if err != nil {
			return fmt.Errorf("gate: model %s: %w", src.Model, err)
		}
		d := m.RootDigest()
		root = provenance.DigestSet{d.Algorithm: d.Hex()}
	}
	if len(ev.Subject.Digest) == 0 {
		ev.Subject.Digest = root
	} else if !digestsMatch(ev.Subject.Digest, root) {
		// The directory on disk is not the subject asked about: its
		// signature says nothing about that subject.
		sigEv.Verified = false
		ev.manifest = nil
		sigEv.Error = fmt.Sprintf("model directory digest %s is not the subject %s", fmtDigest(root), fmtDigest(ev.Subject.Digest))
	}
	return scanModel(ctx, src.Model, trust.Scan, ev)
}

func signerOf(opts signing.VerifyOptions, cert *x509.Certificate) Signer {
	if cert == nil {
		var s Signer
		if opts.Key != nil {
			if pub, err := opts.Key.PublicKey(); err == nil {
				s.KeyIDs = []string{provenance.KeyID(pub)}
			}
		}
		return s
	}
	s := Signer{Identity: cert.Subject.String()}
	switch {
	case len(cert.EmailAddresses) > 0:
		s.Identity = cert.EmailAddresses[0]
	case len(cert.URIs) > 0:
		s.Identity = cert.URIs[0].String()
	}
	// Fulcio records the OIDC issuer in this extension (1.3.6.1.4.1.57264.1.1
	// in its legacy form, 1.3.6.1.4.1.57264.1.8 as a DER string).
	for _, ext := range cert.Extensions {
		if ext.Id.String() == "1.3.6.1.4.1.57264.1.1" {
			s.Issuer = string(ext.Value)
		}
	}
	if s.Issuer == "" {
		s.Issuer = cert.Issuer.String()
	}
	return s
}

// scanModel runs the model scan and the credential scan over the model.
// Files of no model format (configs, tokenizers) are not model findings;
// the credential scan reads them all.
func scanModel(ctx context.Context, model string, opts modelscan.Options, ev *Evidence) error {
	ev.Scan.Scanned = true
	err := filepath.WalkDir(model, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		ev.Scan.Files++
		res, err := modelscan.ScanFile(ctx, path, opts)
		if err != nil {
			return err
		}
		if res.Format == "unknown" {
			// A config or tokenizer: no model format, nothing to load.
			return nil
		}
		for _, f := range res.Findings {
			detail := f.Detail
			if f.Global != "" {
				detail = f.Global + ": " + detail
			}
			ev.Scan.Findings = append(ev.Scan.Findings, ScanFinding{
				Source: scanSource(model, path, f.Member), Kind: "model", Rule: f.Rule,
				Severity: f.Severity.String(), Detail: detail,
			})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("gate: scanning model %s: %w", model, err)
	}
	found, err := secrets.ScanPath(ctx, model, secrets.ScanOptions{})
	if err != nil {
		return fmt.Errorf("gate: scanning model %s for credentials: %w", model, err)
	}
	for _, f := range found {
		// Only the rule and place: Match and Fingerprint stay out of the
		// document, which may be logged or signed into a VSA.
		ev.Scan.Findings = append(ev.Scan.Findings, ScanFinding{
			Source: fmt.Sprintf("%s:%d", scanSource(model, f.Path, ""), f.Line), Kind: "secret",
			Rule: f.Rule, Detail: f.Description,
		})
	}
	return nil
}

func scanSource(root, path, member string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == "." {
		rel = filepath.Base(path)
	}
	rel = filepath.ToSlash(rel)
	if member != "" {
		rel += "!" + member
	}
	return rel
}

type collector struct {
	ctx     context.Context
	ev      *Evidence
	index   *claimIndex // the attestation store, by what each claims
	now     time.Time
	seen    map[string]bool // attestation sources already referenced
	cache   *VerifyCache
	workers int
	// entries are the verification outcomes by attestation source, with
	// what was derived from them once (the envelope digest, the decoded
	// test result).
	entries map[string]*cacheEntry
}

func (c *collector) ref(a provenance.Attestation, predicateType string, v *provenance.Verified) {
	if c.seen[a.Source] {
		return
	}
	c.seen[a.Source] = true
	digest := envelopeDigest
	if e := c.entries[a.Source]; e != nil && e.envDigest != nil {
		digest = func(provenance.Attestation) provenance.DigestSet { return e.envDigest }
	}
	c.ev.Attestations = append(c.ev.Attestations, AttestationRef{
		Source: a.Source, PredicateType: predicateType, Digest: digest(a),
	})
	c.ev.verified = append(c.ev.verified, verifiedStatement{source: a.Source, predicateType: predicateType, payload: v.Payload, v: v})
}

func (c *collector) reject(r provenance.AttestationResult, kind string) {
	rej := Rejection{Source: r.Source, Kind: kind, Rules: []string{}, Reason: r.Err.Error()}
	var ve *provenance.VerificationError
	if errors.As(r.Err, &ve) {
		var reasons []string
		for _, v := range ve.Violations {
			rej.Rules = append(rej.Rules, v.Rule)
			reasons = append(reasons, v.Rule+": "+v.Reason)
		}
		if len(reasons) > 0 {
			rej.Reason = strings.Join(reasons, "; ")
		}
	}
	c.ev.Rejected = append(c.ev.Rejected, rej)
}

// provenance verifies the statements about the subject under the data
// policy, then follows their inputs upstream under the upstream policy,
// and traces the chain.
func (c *collector) provenance(model, up *provenance.Policy) error {
	subj := c.ev.Subject.Digest
	results, err := c.verify(c.index.about(provenance.PredicateSLSAProvenance, subj),
		model, provenance.VerifyOptions{Subjects: []provenance.DigestSet{subj}, Now: c.now})
	if err != nil {
		return fmt.Errorf("gate: verifying provenance: %w", err)
	}
	var statements []*provenance.Statement
	var frontier []provenance.DigestSet
	for _, r := range results {
		if r.Err != nil {
			c.reject(r, "provenance")
			continue
		}
		it := provenanceItem(r)
		c.ev.Provenance.Statements = append(c.ev.Provenance.Statements, it)
		c.ref(r.Attestation, provenance.PredicateSLSAProvenance, r.Verified)
		statements = append(statements, r.Verified.Statement)
		for _, in := range it.Inputs {
			frontier = append(frontier, in.Digest)
		}
	}
	visited := map[string]bool{canonical(subj): true}
	for depth := 0; depth < maxChainDepth && len(frontier) > 0; depth++ {
		var next []provenance.DigestSet
		for _, d := range frontier {
			if visited[canonical(d)] {
				continue
			}
			visited[canonical(d)] = true
			rs, err := c.verify(c.index.about(provenance.PredicateSLSAProvenance, d),
				up, provenance.VerifyOptions{Subjects: []provenance.DigestSet{d}, Now: c.now})
			if err != nil {
				return fmt.Errorf("gate: verifying upstream provenance: %w", err)
			}
			for _, r := range rs {
				if r.Err != nil {
					c.reject(r, "provenance")
					continue
				}
				if c.seen[r.Source] {
					continue
				}
				it := provenanceItem(r)
				c.ev.Provenance.Upstream = append(c.ev.Provenance.Upstream, it)
				c.ref(r.Attestation, provenance.PredicateSLSAProvenance, r.Verified)
				statements = append(statements, r.Verified.Statement)
				for _, in := range it.Inputs {
					next = append(next, in.Digest)
				}
			}
		}
		frontier = next
	}
	if len(statements) == 0 {
		return nil
	}
	lin := provenance.Trace(statements, subj)
	pe := &c.ev.Provenance
	builders, types := map[string]bool{}, map[string]bool{}
	inputs := map[string]bool{}
	var walk func(n *provenance.Node, depth int)
	walk = func(n *provenance.Node, depth int) {
		if n == nil || n.Run == nil || depth > maxChainDepth {
			return
		}
		builders[n.Run.BuilderID] = true
		types[n.Run.BuildType] = true
		for _, in := range n.Run.Inputs {
			key := canonical(in.Artifact.Digest)
			if !inputs[key] {
				inputs[key] = true
				pe.Inputs = append(pe.Inputs, Artifact{Name: in.Artifact.Name, Digest: maps.Clone(in.Artifact.Digest)})
			}
			walk(in, depth+1)
		}
	}
	walk(lin.Root, 0)
	for _, g := range lin.Gaps {
		pe.Gaps = append(pe.Gaps, Artifact{Name: g.Artifact.Name, Digest: maps.Clone(g.Artifact.Digest)})
	}
	for _, b := range lin.Breaks {
		pe.Breaks = append(pe.Breaks, Artifact{Name: b.Artifact.Name, Digest: maps.Clone(b.Artifact.Digest)})
	}
	pe.Builders = sortedKeys(builders)
	pe.BuildTypes = sortedKeys(types)
	return nil
}

func provenanceItem(r provenance.AttestationResult) ProvenanceItem {
	st := r.Verified.Statement
	it := ProvenanceItem{
		Source:    r.Source,
		Subject:   []Artifact{},
		BuilderID: st.Predicate.RunDetails.Builder.ID,
		BuildType: st.Predicate.BuildDefinition.BuildType,
		Inputs:    []Artifact{},
		Signer:    Signer{Builder: r.Verified.Builder, KeyIDs: r.Verified.KeyIDs},
	}
	for _, s := range st.Subject {
		it.Subject = append(it.Subject, Artifact{Name: s.Name, Digest: maps.Clone(s.Digest)})
	}
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		if len(d.Digest) > 0 {
			it.Inputs = append(it.Inputs, Artifact{Name: d.Name, Digest: maps.Clone(d.Digest)})
		}
	}
	return it
}

// validation verifies the test results about every input of the chain.
func (c *collector) validation(p *provenance.Policy) error {
	for _, in := range c.ev.Provenance.Inputs {
		rs, err := c.verify(c.index.about(validation.TestResultPredicateV1, in.Digest), p,
			provenance.VerifyOptions{PredicateType: validation.TestResultPredicateV1, Subjects: []provenance.DigestSet{in.Digest}, Now: c.now})
		if err != nil {
			return fmt.Errorf("gate: verifying test results: %w", err)
		}
		for _, r := range rs {
			if r.Err != nil {
				c.reject(r, "validation")
				continue
			}
			st, err := c.testResult(r)
			if err != nil {
				c.ev.Rejected = append(c.ev.Rejected, Rejection{Source: r.Source, Kind: "validation",
					Rules: []string{"predicate"}, Reason: "test result predicate: " + err.Error()})
				continue
			}
			tr := st.Predicate
			it := ValidationItem{
				Source: r.Source, Input: in, Result: tr.Result, Suites: []Artifact{},
				PassedTests: nonNil(tr.PassedTests), FailedTests: nonNil(tr.FailedTests),
				Signer: Signer{Builder: r.Verified.Builder, KeyIDs: r.Verified.KeyIDs},
			}
			for _, s := range tr.Configuration {
				it.Suites = append(it.Suites, Artifact{Name: s.Name, Digest: maps.Clone(s.Digest)})
			}
			c.ev.Validation = append(c.ev.Validation, it)
			c.ref(r.Attestation, validation.TestResultPredicateV1, r.Verified)
		}
	}
	return nil
}

// drift verifies the drift attestations about every input of the chain:
// a drift verdict counts only for the data the model was built from, and
// only when a trusted key signed it.
func (c *collector) drift(p *provenance.Policy) error {
	for _, in := range c.ev.Provenance.Inputs {
		rs, err := c.verify(c.index.about(drift.PredicateReportV1, in.Digest), p,
			provenance.VerifyOptions{PredicateType: drift.PredicateReportV1, Subjects: []provenance.DigestSet{in.Digest}, Now: c.now})
		if err != nil {
			return fmt.Errorf("gate: verifying drift attestations: %w", err)
		}
		for _, r := range rs {
			if r.Err != nil {
				c.reject(r, "drift")
				continue
			}
			// Only the verified payload is read.
			var st drift.Statement
			if err := json.Unmarshal(r.Verified.Payload, &st); err != nil || st.Predicate == nil {
				reason := "no report"
				if err != nil {
					reason = err.Error()
				}
				c.ev.Rejected = append(c.ev.Rejected, Rejection{Source: r.Source, Kind: "drift",
					Rules: []string{"predicate"}, Reason: "drift report predicate: " + reason})
				continue
			}
			it := driftItem(DriftReport{Source: r.Source, Report: st.Predicate})
			input := Artifact{Name: in.Name, Digest: maps.Clone(in.Digest)}
			it.Input = &input
			it.Signer = &Signer{Builder: r.Verified.Builder, KeyIDs: slices.Clone(r.Verified.KeyIDs)}
			c.ev.Drift = append(c.ev.Drift, it)
			c.ref(r.Attestation, drift.PredicateReportV1, r.Verified)
		}
	}
	return nil
}

// testResult decodes the verified payload (only it) of a test result,
// once per cached outcome: the decoded statement is read, never changed.
func (c *collector) testResult(r provenance.AttestationResult) (*validation.Statement, error) {
	e := c.entries[r.Source]
	if e != nil && e.verified == r.Verified {
		if st := e.testResult.Load(); st != nil {
			return st, nil
		}
	}
	st := new(validation.Statement)
	if err := json.Unmarshal(r.Verified.Payload, st); err != nil {
		return nil, err
	}
	if e != nil && e.verified == r.Verified {
		e.testResult.Store(st)
	}
	return st, nil
}

func driftItem(d DriftReport) DriftItem {
	r := d.Report
	it := DriftItem{
		Source: d.Source, Reference: r.Reference.Digest, Current: r.Current.Digest,
		Drifted: r.Dataset.Drifted, TestedColumns: r.Dataset.TestedColumns,
		DriftedColumns: r.Dataset.DriftedColumns, DriftShare: r.Dataset.DriftShare, Columns: []string{},
	}
	for _, col := range r.Columns {
		if col.Drifted {
			it.Columns = append(it.Columns, col.Column)
		}
	}
	return it
}

// canonical is a digest set as a stable string, for use as a map key.
func canonical(d provenance.DigestSet) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + ":" + strings.ToLower(d[k]) + ";")
	}
	return b.String()
}

// digestsMatch reports whether two digest sets agree on at least one
// algorithm and disagree on none.
func digestsMatch(a, b provenance.DigestSet) bool {
	common := 0
	for alg, v := range a {
		if w, ok := b[alg]; ok {
			if !strings.EqualFold(v, w) {
				return false
			}
			common++
		}
	}
	return common > 0
}

func fmtDigest(d provenance.DigestSet) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "(none)"
	}
	return keys[0] + ":" + d[keys[0]]
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// nonNil is a copy of s, never nil: an outcome from the cache is shared,
// the document handed to the caller is not.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
