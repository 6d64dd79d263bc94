package gate

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"time"

	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

// EvidenceVersion is the version of the evidence document this package
// writes; EvidenceSchemaID is the $id of its JSON Schema, [EvidenceSchema].
const (
	EvidenceVersion  = "v1"
	EvidenceSchemaID = "https://mlsec-dev.github.io/mlsec/schemas/gate/evidence/v1.json"
)

//go:embed evidence.schema.json
var evidenceSchema []byte

// EvidenceSchema returns the JSON Schema (draft 2020-12) of the evidence
// document, the published contract for Rego policies and other readers.
func EvidenceSchema() []byte { return append([]byte(nil), evidenceSchema...) }

// Evidence is everything known and verified about one model: the one
// document a policy decides over. Every item names the attestation (or
// file) it came from in Source. Items that failed verification are not
// evidence; they are listed under Rejected with the reason, so a denial
// can say why a piece of evidence did not count.
type Evidence struct {
	Version     string    `json:"version"`
	Subject     Subject   `json:"subject"`
	CollectedAt time.Time `json:"collectedAt"`
	// Signature is the OMS signature of the model directory; nil when no
	// model directory was given.
	Signature *SignatureEvidence `json:"signature,omitempty"`
	// Provenance is the verified provenance chain of the subject.
	Provenance ProvenanceEvidence `json:"provenance"`
	// Validation holds the verified test results about the inputs of the
	// chain, one per attestation.
	Validation []ValidationItem `json:"validation"`
	// Drift holds the drift verdicts: the verified drift attestations
	// (drift.PredicateReportV1) about the inputs of the chain, and the
	// reports the caller supplied.
	Drift []DriftItem `json:"drift"`
	// Scan holds the findings of the model and credential scans of the
	// model directory; empty when clean or when none was given.
	Scan ScanEvidence `json:"scan"`
	// Rejected lists the attestations about this subject or its inputs
	// that failed verification.
	Rejected []Rejection `json:"rejected"`
	// Attestations lists every attestation that contributed evidence, with
	// the digest of its envelope: the evidence digests a VSA names.
	Attestations []AttestationRef `json:"attestations"`

	// verified are the statements behind Attestations, for policies that
	// judge one attestation at a time (the cosign contract) and for
	// documents derived from the evidence (Statements).
	verified []verifiedStatement
	// manifest is the model's manifest as its OMS signature verified it.
	manifest *signing.Manifest
}

type verifiedStatement struct {
	source, predicateType string
	payload               []byte
	v                     *provenance.Verified
}

// Statements returns the verified statements behind Attestations, in the
// same order: what a document derived from the evidence (an ML bill of
// materials, say) may be built from without verifying anything again.
// They may be shared with a VerifyCache and other documents: read them,
// never change them.
func (e *Evidence) Statements() []*provenance.Verified {
	out := make([]*provenance.Verified, 0, len(e.verified))
	for _, st := range e.verified {
		out = append(out, st.v)
	}
	return out
}

// Manifest returns the model's manifest (its files and their digests) as
// its OMS signature verified it, or nil when no signature verified.
func (e *Evidence) Manifest() *signing.Manifest { return e.manifest }

// Subject is the model the evidence is about.
type Subject struct {
	Name   string               `json:"name,omitempty"`
	Digest provenance.DigestSet `json:"digest"`
}

// Signer says who signed a piece of evidence: the trusted builder pattern
// and key ids for attestations; key id, or certificate identity and
// issuer, for an OMS signature.
type Signer struct {
	Builder  string   `json:"builder,omitempty"`
	KeyIDs   []string `json:"keyIds,omitempty"`
	Identity string   `json:"identity,omitempty"`
	Issuer   string   `json:"issuer,omitempty"`
}

// SignatureEvidence is the outcome of verifying the model's OMS signature.
type SignatureEvidence struct {
	Source   string `json:"source"`
	Verified bool   `json:"verified"`
	Signer   Signer `json:"signer,omitzero"`
	Files    int    `json:"files,omitempty"`
	// Error says why verification failed; empty when Verified.
	Error string `json:"error,omitempty"`
}

// ProvenanceEvidence is the verified provenance chain: the statements that
// produced the subject (Statements) and its inputs (Upstream), the builders
// and build types seen, the inputs by digest, and the artifacts with no
// verified provenance (Gaps; raw sources of a dataset build are not gaps).
type ProvenanceEvidence struct {
	Statements []ProvenanceItem `json:"statements"`
	Upstream   []ProvenanceItem `json:"upstream"`
	Builders   []string         `json:"builders"`
	BuildTypes []string         `json:"buildTypes"`
	Inputs     []Artifact       `json:"inputs"`
	Gaps       []Artifact       `json:"gaps"`
	// Breaks are inputs whose name a statement produced with another
	// digest: the chain is broken or tampered with.
	Breaks []Artifact `json:"breaks"`
}

// ProvenanceItem is one verified SLSA provenance statement.
type ProvenanceItem struct {
	Source    string     `json:"source"`
	Subject   []Artifact `json:"subject"`
	BuilderID string     `json:"builderId"`
	BuildType string     `json:"buildType"`
	Inputs    []Artifact `json:"inputs"`
	Signer    Signer     `json:"signer"`
}

// Artifact names an artifact by name and digest.
type Artifact struct {
	Name   string               `json:"name,omitempty"`
	Digest provenance.DigestSet `json:"digest"`
}

// ValidationItem is one verified in-toto test result about an input.
type ValidationItem struct {
	Source string   `json:"source"`
	Input  Artifact `json:"input"`
	Result string   `json:"result"`
	// Suites are the configuration the tests ran with (the suite digest).
	Suites      []Artifact `json:"suites"`
	PassedTests []string   `json:"passedTests"`
	FailedTests []string   `json:"failedTests"`
	Signer      Signer     `json:"signer"`
}

// DriftItem is one drift report's verdict. Input and Signer are set when
// it came from a verified drift attestation about an input of the chain.
type DriftItem struct {
	Source         string    `json:"source"`
	Input          *Artifact `json:"input,omitempty"`
	Signer         *Signer   `json:"signer,omitempty"`
	Reference      string    `json:"reference,omitempty"`
	Current        string    `json:"current,omitempty"`
	Drifted        bool      `json:"drifted"`
	TestedColumns  int       `json:"testedColumns"`
	DriftedColumns int       `json:"driftedColumns"`
	DriftShare     float64   `json:"driftShare"`
	Columns        []string  `json:"columns"`
}

// ScanEvidence is what scanning the model directory found.
type ScanEvidence struct {
	// Scanned says whether a model directory was scanned at all.
	Scanned  bool          `json:"scanned"`
	Files    int           `json:"files"`
	Findings []ScanFinding `json:"findings"`
}

// ScanFinding is one reason a model file is unsafe: Kind "model" for a
// modelscan finding (unsafe to load), "secret" for a credential.
type ScanFinding struct {
	Source   string `json:"source"`
	Kind     string `json:"kind"`
	Rule     string `json:"rule"`
	Severity string `json:"severity,omitempty"`
	Detail   string `json:"detail"`
}

// Rejection is an attestation that did not count as evidence, and why.
type Rejection struct {
	Source string   `json:"source"`
	Kind   string   `json:"kind"` // "provenance", "validation" or "drift"
	Rules  []string `json:"rules"`
	Reason string   `json:"reason"`
}

// AttestationRef names one attestation that contributed evidence.
type AttestationRef struct {
	Source        string               `json:"source"`
	PredicateType string               `json:"predicateType"`
	Digest        provenance.DigestSet `json:"digest"`
}

// envelopeDigest is the SHA-256 of an envelope's canonical encoding.
func envelopeDigest(a provenance.Attestation) provenance.DigestSet {
	b, err := provenance.MarshalEnvelope(a.Envelope)
	if err != nil {
		// An envelope that was read and verified always encodes; fall
		// back to the payload so the reference still names something.
		b = []byte(a.Envelope.Payload)
	}
	sum := sha256.Sum256(b)
	return provenance.DigestSet{"sha256": hex.EncodeToString(sum[:])}
}
