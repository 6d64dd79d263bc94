package provenance

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/mlsec-dev/mlsec/internal/docread"
)

// Attestation is one DSSE envelope of an attestation store, with the file
// it was read from. Nothing in it is trusted until it is verified.
type Attestation struct {
	// File is the file it was read from and Index its position there: a
	// JSON Lines file holds several envelopes.
	File  string
	Index int
	// Source names the attestation in messages: File, with "[Index]" when
	// the file holds several envelopes.
	Source   string
	Envelope *dsse.Envelope
	// Bundle is the Sigstore bundle that carried Envelope when it is
	// signed keyless (by a Fulcio certificate): verifying the signature
	// needs the certificate and transparency log entry it holds. Nil for
	// envelopes signed by keys.
	Bundle []byte
}

// Attestations is a set of attestations, as a deploy gate or an auditor
// reads it from an attestation store: [ReadAttestations] reads it,
// [Attestations.About] narrows it to the statements about an artifact,
// [Attestations.Verify] verifies each against a policy, and
// [AttestationResults.Trace] follows the lineage of an artifact through
// the statements that verified.
type Attestations []Attestation

// maxAttestationFile bounds a file of attestations: a JSON Lines file may
// hold a few documents of MaxDocumentSize, nothing is read beyond that.
const maxAttestationFile = 4 * MaxDocumentSize

// ReadAttestations reads every envelope in paths. A path is a file in any
// carrier ReadEnvelopes reads (a DSSE JSON envelope, `.intoto.jsonl`
// lines, a Sigstore bundle), or a directory, of which the regular files
// named *.json or *.jsonl are read in name order (not subdirectories). A
// file that does not parse is an error naming it: a store silently losing
// an attestation would hide a gap in a lineage.
func ReadAttestations(paths ...string) (Attestations, error) {
	var out Attestations
	for _, path := range paths {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("provenance: %w", err)
		}
		files := []string{path}
		if fi.IsDir() {
			if files, err = attestationFiles(path); err != nil {
				return nil, err
			}
		}
		for _, f := range files {
			atts, err := readAttestationFile(f)
			if err != nil {
				return nil, err
			}
			out = append(out, atts...)
		}
	}
	return out, nil
}

// attestationFiles lists the attestation files of dir, sorted.
func attestationFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	var names []string
	for _, en := range entries {
		n := en.Name()
		if en.Type().IsRegular() && (strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".jsonl")) {
			names = append(names, filepath.Join(dir, n))
		}
	}
	sort.Strings(names)
	return names, nil
}

func readAttestationFile(path string) (Attestations, error) {
	// Bounded and regular files only: /dev/zero or a FIFO named as an
	// attestation fails at once instead of filling memory or hanging.
	data, err := docread.ReadFile(context.Background(), path, maxAttestationFile)
	if err != nil {
		var tl *docread.TooLargeError
		if errors.As(err, &tl) {
			return nil, &FormatError{Input: path, Err: ErrTooLarge, Reason: fmt.Sprintf("over the %d-byte limit for attestations", tl.Limit)}
		}
		return nil, fmt.Errorf("provenance: %w", err)
	}
	cs, err := readCarriers(path, data)
	if err != nil {
		return nil, err
	}
	out := make(Attestations, len(cs))
	for i, c := range cs {
		src := path
		if len(cs) > 1 {
			src = fmt.Sprintf("%s[%d]", path, i)
		}
		out[i] = Attestation{File: path, Index: i, Source: src, Envelope: c.env, Bundle: c.bundle}
	}
	return out, nil
}

// About returns the attestations whose statement claims predicateType and,
// for each of subjects, a subject with a matching digest. The claims are
// read without verifying anything: About only picks what to verify, so
// that a gate reports why the statements about its artifact failed rather
// than that every other statement is about something else. An envelope
// whose payload cannot be read claims nothing and is left out. An empty
// predicateType means SLSA provenance, as in [VerifyOptions].
func (a Attestations) About(predicateType string, subjects ...DigestSet) Attestations {
	predicateType = cmp.Or(predicateType, PredicateSLSAProvenance)
	var out Attestations
	for _, att := range a {
		if att.claims(predicateType, subjects) {
			out = append(out, att)
		}
	}
	return out
}

func (a *Attestation) claims(predicateType string, subjects []DigestSet) bool {
	if a.Envelope == nil || a.Envelope.PayloadType != PayloadType {
		return false
	}
	body, err := a.Envelope.DecodeB64Payload()
	if err != nil {
		return false
	}
	var head struct {
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest DigestSet `json:"digest"`
		} `json:"subject"`
	}
	if json.Unmarshal(body, &head) != nil || head.PredicateType != predicateType {
		return false
	}
	for _, want := range subjects {
		found := false
		for _, s := range head.Subject {
			if s.Digest.Matches(want, nil) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// AttestationResult is the outcome of verifying one attestation: Verified
// when it passed, else Err, a *VerificationError naming it by Source.
type AttestationResult struct {
	Attestation
	Verified *Verified
	Err      error
}

// AttestationResults are the outcomes of [Attestations.Verify], one per
// attestation, in order.
type AttestationResults []AttestationResult

// Verify verifies each attestation against p, as [Verify] does with opts
// (opts.Input is each attestation's Source), and returns every outcome: a
// statement that fails does not stop the others. The policy is checked and
// its keys loaded once for the whole set. The error is for what stops
// every verification: a policy that is wrong, a verifier that fails, a
// cancelled ctx.
func (a Attestations) Verify(ctx context.Context, p *Policy, opts VerifyOptions) (AttestationResults, error) {
	cp, tr, err := prepareVerify(p, opts)
	if err != nil {
		return nil, err
	}
	return a.verify(ctx, cp, tr, opts, false)
}

// verify is Verify with the policy compiled, and partial as
// verifyCompiled takes it.
func (a Attestations) verify(ctx context.Context, cp *compiledPolicy, tr root.TrustedMaterial, opts VerifyOptions, partial bool) (AttestationResults, error) {
	out := make(AttestationResults, 0, len(a))
	for _, att := range a {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o := opts
		o.Input = att.Source
		v, err := verifyCompiled(ctx, att.Envelope, att.Bundle, cp, tr, o, partial)
		var ve *VerificationError
		if err != nil && !errors.As(err, &ve) {
			return nil, err
		}
		out = append(out, AttestationResult{Attestation: att, Verified: v, Err: err})
	}
	return out, nil
}

// Verified returns the statements that passed, in order.
func (r AttestationResults) Verified() []*Verified {
	var out []*Verified
	for _, res := range r {
		if res.Verified != nil {
			out = append(out, res.Verified)
		}
	}
	return out
}

// Failed returns the outcomes of the attestations that did not verify.
func (r AttestationResults) Failed() AttestationResults {
	var out AttestationResults
	for _, res := range r {
		if res.Verified == nil {
			out = append(out, res)
		}
	}
	return out
}

// Statements returns the SLSA provenance statements that passed, the
// input of [Trace].
func (r AttestationResults) Statements() []*Statement {
	var out []*Statement
	for _, v := range r.Verified() {
		if v.Statement != nil {
			out = append(out, v.Statement)
		}
	}
	return out
}

// Trace follows the lineage of the artifact with digest through the
// statements that verified, and only those: an unverified statement could
// claim any history.
func (r AttestationResults) Trace(digest DigestSet) *Lineage {
	return Trace(r.Statements(), digest)
}
