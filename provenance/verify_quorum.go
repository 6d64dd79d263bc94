package provenance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// This file holds the k-of-n threshold met across separate attestations:
// several parties each sign their own envelope or bundle of one statement
// (a rebuilder next to the original builder, a reviewer's key next to a
// CI workflow's keyless identity), and the policy counts them together.

// ErrQuorum is wrapped by a *QuorumError: too few distinct trusted
// signers attested one statement, or the statements they signed disagree.
var ErrQuorum = errors.New("threshold not met across attestations")

// Quorum is a statement that at least a builder entry's threshold of
// distinct trusted signers attested, across separate attestations.
type Quorum struct {
	// Verified is the statement (from the first attestation that counted;
	// every other one that counted agrees with it, see
	// [Attestations.VerifyQuorum]). Its KeyIDs and Identity are those of
	// that one attestation; Signers lists them all.
	Verified *Verified
	// Builder is the builder entry of the policy whose threshold was met,
	// Required that threshold.
	Builder  string
	Required int
	// Signers are the distinct trusted signers that counted, each once
	// however many attestations it signed: "key KEYID" for a key, and for
	// a keyless signer "identity[J] ISSUER SAN", J being the entry of the
	// builder's identities its certificate matched.
	Signers []string
	// Identities are the verified certificate identities that counted,
	// one per identity entry.
	Identities []SignerIdentity
	// Sources are the attestations that counted, in order.
	Sources []string
}

// QuorumError is the failure of [Attestations.VerifyQuorum]: it names how
// many distinct trusted signers were found against how many the policy
// requires, and the attestations whose statement disagrees.
type QuorumError struct {
	// Builder is the builder entry closest to its threshold ("" when no
	// attestation verified at all); Found of Required signers.
	Builder         string
	Found, Required int
	// Signers are the distinct trusted signers found for Builder.
	Signers []string
	// Disagreeing are the attestations that verified for Builder but
	// whose statement differs from the one Signers signed.
	Disagreeing []string
	// Failed counts the attestations that did not verify at all; their
	// reasons are in the AttestationResults VerifyQuorum returns.
	Failed int
}

func (e *QuorumError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "provenance: %d of %d required distinct trusted signers", e.Found, e.Required)
	if e.Builder != "" {
		fmt.Fprintf(&b, " of %q", e.Builder)
	}
	if len(e.Signers) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.Signers, ", "))
	}
	if len(e.Disagreeing) > 0 {
		fmt.Fprintf(&b, "; statements disagree (subject, predicateType or predicate differ): %s", strings.Join(e.Disagreeing, ", "))
	}
	if e.Failed > 0 {
		fmt.Fprintf(&b, "; %d attestation(s) failed verification", e.Failed)
	}
	return b.String()
}

func (e *QuorumError) Unwrap() error { return ErrQuorum }

// VerifyQuorum verifies the attestations as one k-of-n decision: a builder
// entry's threshold is met by distinct trusted signers across separate
// attestations, not only by several signatures in one envelope.
//
// Each attestation is verified as [Attestations.Verify] does, except that
// one trusted signer of a builder entry suffices for it to count; every
// other rule (subject, buildType, maxAge, ...) applies to each in full.
// The signers of the attestations that verified under the same builder
// entry are then counted, each once however many attestations it signed:
// a key by its key id, a keyless signer by the first identity entry of
// the builder its certificate matches (so a sanRegexp entry that matches
// several workflows is one signer, as it is one of the n in the policy).
//
// The counted statements must agree: the same predicateType, the same
// subjects (as a set; each subject compared whole) and the same predicate,
// compared as JSON values (member order and whitespace do not count, the
// Statement _type version does not either). A statement that verified for
// the entry but differs is not outvoted: the decision fails, because two
// trusted parties then sign conflicting claims about the artifact.
//
// An attestation counts toward the first builder entry (in policy order)
// that trusts one of its signers and accepts its builder, and only that
// one: a policy that lists the same signer under two entries of the same
// builder may undercount, never overcount.
//
// The result is the Quorum of the first builder entry whose threshold is
// met by agreeing statements; otherwise the error is a *QuorumError. The
// AttestationResults are the outcome of each attestation: Verified means
// it passed every rule with one trusted signer, which alone is not the
// policy's threshold, so use them for reporting, not as verified
// statements. An error of another type stops every verification, as for
// Verify.
func (a Attestations) VerifyQuorum(ctx context.Context, p *Policy, opts VerifyOptions) (*Quorum, AttestationResults, error) {
	cp, tr, err := prepareVerify(p, opts)
	if err != nil {
		return nil, nil, err
	}
	results, err := a.verify(ctx, cp, tr, opts, true)
	if err != nil {
		return nil, nil, err
	}
	failed := len(results.Failed())
	var best *QuorumError
	for ri := range cp.roots {
		q, qe := quorumOf(results, cp, ri)
		if q != nil {
			return q, results, nil
		}
		if qe == nil {
			continue // nothing verified under this entry
		}
		if best == nil || qe.Found > best.Found {
			best = qe
		}
	}
	if best == nil {
		need := 0
		for _, r := range cp.roots {
			if t := max(r.Threshold, 1); need == 0 || t < need {
				need = t
			}
		}
		best = &QuorumError{Required: need}
	}
	best.Failed = failed
	return nil, results, best
}

// quorumOf counts the signers of the attestations that verified under
// builder entry ri: a Quorum when they meet its threshold and agree, a
// *QuorumError when not, neither when none verified under it.
func quorumOf(results AttestationResults, cp *compiledPolicy, ri int) (*Quorum, *QuorumError) {
	r := cp.roots[ri]
	q := &Quorum{Builder: r.ID, Required: max(r.Threshold, 1)}
	var key []byte
	var disagree []string
	seen := map[string]bool{}
	for _, res := range results {
		v := res.Verified
		if v == nil || v.signer.root != ri {
			continue
		}
		k := agreementKey(v)
		if q.Verified == nil {
			q.Verified, key = v, k
		} else if !bytes.Equal(k, key) {
			disagree = append(disagree, res.Source)
			continue
		}
		q.Sources = append(q.Sources, res.Source)
		for _, id := range v.signer.keyIDs {
			if s := "key " + id; !seen[s] {
				seen[s] = true
				q.Signers = append(q.Signers, s)
			}
		}
		if j := v.signer.idRule; j >= 0 && v.Identity != nil {
			id := fmt.Sprintf("identity[%d]", j)
			if !seen[id] {
				seen[id] = true
				q.Signers = append(q.Signers, fmt.Sprintf("%s %s %s", id, v.Identity.Issuer, v.Identity.SAN))
				q.Identities = append(q.Identities, *v.Identity)
			}
		}
	}
	if q.Verified == nil {
		return nil, nil
	}
	if len(q.Signers) >= q.Required && len(disagree) == 0 {
		return q, nil
	}
	return nil, &QuorumError{Builder: r.ID, Found: len(q.Signers), Required: q.Required, Signers: q.Signers, Disagreeing: disagree}
}

// agreementKey is what the statements of a quorum must share, as bytes:
// predicateType, the subjects as a sorted set and the predicate, each in
// one canonical JSON form. Payload verified already, so it parses.
func agreementKey(v *Verified) []byte {
	var st struct {
		Subject       []json.RawMessage `json:"subject"`
		PredicateType string            `json:"predicateType"`
		Predicate     json.RawMessage   `json:"predicate"`
	}
	if json.Unmarshal(v.Payload, &st) != nil {
		// Unreachable for a verified payload; a key of its own makes it
		// agree with nothing else.
		return append([]byte("unparsed\x00"), v.Payload...)
	}
	subjects := make([]string, len(st.Subject))
	for i, s := range st.Subject {
		subjects[i] = string(canonicalJSON(s))
	}
	slices.Sort(subjects)
	out, _ := json.Marshal([]any{st.PredicateType, subjects, json.RawMessage(canonicalJSON(st.Predicate))})
	return out
}

// canonicalJSON re-encodes a JSON value with object members sorted and no
// whitespace (encoding/json sorts map keys); numbers keep their text.
func canonicalJSON(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return []byte("null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}
