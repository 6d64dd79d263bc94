package sigstorekeyless

import (
	"encoding/base64"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
)

// tsaOnlyInstance is a Sigstore instance like GitHub's: a Fulcio CA and a
// timestamp authority, no transparency log and no CT log.
type tsaOnlyInstance struct{ *ca.VirtualSigstore }

func (tsaOnlyInstance) RekorLogs() map[string]*root.TransparencyLog { return nil }
func (tsaOnlyInstance) CTLogs() map[string]*root.TransparencyLog    { return nil }

// virtualBundle is a bundle v0.3 as such an instance's signer writes it:
// the certificate, the envelope and RFC 3161 timestamps, no log entry.
// sigstore-go's virtual Sigstore issues the certificate and timestamp.
func virtualBundle(t *testing.T, vs *ca.VirtualSigstore, san, issuer string, withTimestamp bool) []byte {
	t.Helper()
	ent, err := vs.Attest(san, issuer, []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"m","digest":{"sha256":"aa"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`))
	require.NoError(t, err)
	vc, err := ent.VerificationContent()
	require.NoError(t, err)
	sc, err := ent.SignatureContent()
	require.NoError(t, err)
	env := sc.EnvelopeContent().RawEnvelope()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	require.NoError(t, err)
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	require.NoError(t, err)
	vm := &protobundle.VerificationMaterial{
		Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
		TimestampVerificationData: &protobundle.TimestampVerificationData{},
	}
	if withTimestamp {
		ts, err := ent.Timestamps()
		require.NoError(t, err)
		for _, b := range ts {
			vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: b})
		}
	}
	b, err := protojson.Marshal(&protobundle.Bundle{
		MediaType:            "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: vm,
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	})
	require.NoError(t, err)
	return b
}

// The proofs a bundle must carry follow the trusted root: a root without a
// transparency log (GitHub's instance) takes a timestamp authority's
// signed timestamp instead; a root with one still requires a log entry.
func TestVerifyDSSEByInstance(t *testing.T) {
	vs, err := ca.NewVirtualSigstore()
	require.NoError(t, err)
	const san, issuer = "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com"
	timestamped := virtualBundle(t, vs, san, issuer, true)
	for _, tt := range []struct {
		name   string
		tr     root.TrustedMaterial
		bundle []byte
		want   string // "" when it verifies
	}{
		{"no log in the root: a signed timestamp suffices", tsaOnlyInstance{vs}, timestamped, ""},
		{"no log in the root and no timestamp", tsaOnlyInstance{vs}, virtualBundle(t, vs, san, issuer, false), "timestamp"},
		{"a log in the root: its entry is required", vs, timestamped, "transparency log"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := VerifyDSSE(tt.bundle, tt.tr)
			if tt.want == "" {
				require.NoError(t, err)
				require.Equal(t, san, res.Identity.SAN)
				require.Equal(t, issuer, res.Identity.Issuer)
				return
			}
			require.ErrorIs(t, err, ErrVerification)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
