package gate_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/signing"
)

// A remote model is judged on its manifest and attached signatures alone:
// the subject is the manifest's root digest, and a signature counts only
// when it verifies over that manifest with a trusted key.
func TestCollectRemoteModel(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	m, err := signing.HashModel(ctx, w.model, signing.Options{})
	require.NoError(t, err)
	sig, err := os.ReadFile(w.sigFile)
	require.NoError(t, err)
	otherSig, err := signing.Sign(ctx, w.model, w.other, signing.SignOptions{})
	require.NoError(t, err)
	tampered, err := signing.HashModel(ctx, w.model, signing.Options{})
	require.NoError(t, err)
	tampered.Resources[0].Digest[0] ^= 0xff

	tests := []struct {
		name     string
		manifest *signing.Manifest
		sigs     []gate.RemoteBlob
		verified bool
		source   string
		errPart  string
	}{
		{name: "good_signed", manifest: m, sigs: []gate.RemoteBlob{{Source: "ref-a", Data: otherSig}, {Source: "ref-b", Data: sig}}, verified: true, source: "ref-b"},
		{name: "fail_unsigned", manifest: m, errPart: "no OMS signature"},
		{name: "fail_untrusted_key", manifest: m, sigs: []gate.RemoteBlob{{Source: "ref-a", Data: otherSig}}, errPart: "ref-a"},
		{name: "fail_manifest_not_signed_one", manifest: tampered, sigs: []gate.RemoteBlob{{Source: "ref-b", Data: sig}}, errPart: "ref-b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := w.sources(t)
			src.Model, src.ModelSignature = "", nil
			src.Remote = &gate.RemoteModel{Location: "oci://registry.example/m@sha256:00", Name: "m", Manifest: tc.manifest, Signatures: tc.sigs}
			ev, err := gate.Collect(ctx, src, w.trust(t))
			require.NoError(t, err)
			validateSchema(t, gate.EvidenceSchema(), gate.EvidenceSchemaID, ev)
			require.Equal(t, "m", ev.Subject.Name)
			require.Equal(t, tc.verified, ev.Signature.Verified, ev.Signature.Error)
			require.False(t, ev.Scan.Scanned)
			d := tc.manifest.RootDigest()
			require.Equal(t, d.Hex(), ev.Subject.Digest[d.Algorithm])
			if tc.verified {
				require.Equal(t, tc.source, ev.Signature.Source)
				require.Equal(t, tc.manifest.RootDigest(), ev.Manifest().RootDigest())
				require.Len(t, ev.Provenance.Statements, 1, "the provenance is about the signed digest")
				return
			}
			require.Contains(t, ev.Signature.Error, tc.errPart)
			require.Nil(t, ev.Manifest())
		})
	}

	src := w.sources(t)
	src.Remote = &gate.RemoteModel{Location: "x", Manifest: m}
	_, err = gate.Collect(ctx, src, w.trust(t))
	require.ErrorContains(t, err, "not both")
}
