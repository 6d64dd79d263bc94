package gate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

// The index answers exactly what provenance's About answers, in the same
// order, for digests that agree, disagree on a second algorithm, differ
// in case, or are claimed under another predicate type.
func TestClaimIndexMatchesAbout(t *testing.T) {
	a := provenance.DigestSet{"sha256": "aa"}
	aUpper := provenance.DigestSet{"sha256": "AA"}
	aAndB := provenance.DigestSet{"sha256": "aa", "sha512": "bb"}
	aButNotB := provenance.DigestSet{"sha256": "aa", "sha512": "cc"}
	other := provenance.DigestSet{"sha256": "dd"}
	claims := []struct {
		pt   string
		subj []provenance.DigestSet
	}{
		{provenance.PredicateSLSAProvenance, []provenance.DigestSet{a}},
		{"https://in-toto.io/attestation/test-result/v0.1", []provenance.DigestSet{a}},
		{provenance.PredicateSLSAProvenance, []provenance.DigestSet{aUpper}},
		{provenance.PredicateSLSAProvenance, []provenance.DigestSet{aAndB}},
		{provenance.PredicateSLSAProvenance, []provenance.DigestSet{aButNotB, other}},
		{provenance.PredicateSLSAProvenance, []provenance.DigestSet{other}},
		{provenance.PredicateSLSAProvenance, nil},
	}
	var store provenance.Attestations
	for i, c := range claims {
		var subj []map[string]any
		for _, d := range c.subj {
			subj = append(subj, map[string]any{"digest": d})
		}
		body, err := json.Marshal(map[string]any{"_type": provenance.StatementType, "predicateType": c.pt, "subject": subj})
		require.NoError(t, err)
		env := &dsse.Envelope{PayloadType: provenance.PayloadType, Payload: b64(body)}
		store = append(store, provenance.Attestation{Source: fmt.Sprint(i), Envelope: env})
	}
	store = append(store, provenance.Attestation{Source: "not json", Envelope: &dsse.Envelope{PayloadType: provenance.PayloadType, Payload: b64([]byte("{"))}},
		provenance.Attestation{Source: "no envelope"})
	ix := newClaimIndex(context.Background(), store, 3)
	for _, pt := range []string{provenance.PredicateSLSAProvenance, "https://in-toto.io/attestation/test-result/v0.1"} {
		for _, want := range []provenance.DigestSet{a, aUpper, aAndB, aButNotB, other, {"sha512": "bb"}, {"sha256": "ee"}} {
			got := ix.about(pt, want)
			exp := store.About(pt, want)
			require.Equal(t, sources(exp), sources(got), "%s %v", pt, want)
		}
	}
}

func sources(atts provenance.Attestations) []string {
	out := []string{}
	for _, a := range atts {
		out = append(out, a.Source)
	}
	return out
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
