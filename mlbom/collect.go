package mlbom

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mlsec-dev/mlsec/gate"
)

// FromGate takes the evidence a BOM is derived from out of the deploy
// gate's evidence document (gate.Collect), so the attestations a BOM lists
// are exactly those the gate verified, by the same rules: the model's
// manifest as its OMS signature verified it, and every statement that
// counted as evidence (the training run, its inputs' build provenance,
// their validation results).
//
// A BOM claims the model was built from what it lists, so it is not made
// from a partial picture: FromGate fails when the model's signature did
// not verify and when any attestation about the model or its inputs was
// rejected, naming it.
func FromGate(ev *gate.Evidence) (Evidence, error) {
	if ev == nil || ev.Manifest() == nil {
		reason := "no model directory was given"
		if ev != nil && ev.Signature != nil && ev.Signature.Error != "" {
			reason = ev.Signature.Error
		}
		return Evidence{}, fmt.Errorf("%w: %s", ErrNoModel, reason)
	}
	if len(ev.Rejected) > 0 {
		var rs []string
		for _, r := range ev.Rejected {
			rs = append(rs, r.Source+": "+r.Reason)
		}
		return Evidence{}, errors.New("mlbom: attestations did not verify, so no BOM is made from this evidence: " + strings.Join(rs, "; "))
	}
	return Evidence{Model: ev.Manifest(), Signer: signerName(ev.Signature.Signer), Attestations: ev.Statements()}, nil
}

func signerName(s gate.Signer) string {
	switch {
	case s.Identity != "" && s.Issuer != "":
		return s.Identity + " (" + s.Issuer + ")"
	case s.Identity != "":
		return s.Identity
	case len(s.KeyIDs) > 0:
		return "key " + strings.Join(s.KeyIDs, ", ")
	}
	return ""
}
