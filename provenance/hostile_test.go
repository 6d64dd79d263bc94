package provenance_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/provenance"
)

// manySignatures is an envelope of st signed once by key and then n times
// by garbage, as in a JSON envelope or a Sigstore bundle.
func manySignatures(t *testing.T, n int, bundle bool) []byte {
	t.Helper()
	k := newKey(t, "p256")
	env, err := provenance.Sign(context.Background(), trainingStatement(t), k.signer)
	require.NoError(t, err)
	junk := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x30}, 72))
	var b strings.Builder
	if bundle {
		fmt.Fprintf(&b, `{"mediaType":%q,"verificationMaterial":{"publicKey":{"hint":""},"tlogEntries":[]},"dsseEnvelope":{"payload":%q,"payloadType":%q,"signatures":[`, provenance.BundleMediaType, env.Payload, env.PayloadType)
	} else {
		fmt.Fprintf(&b, `{"payloadType":%q,"payload":%q,"signatures":[`, env.PayloadType, env.Payload)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"keyid":"","sig":%q},`, junk)
	}
	fmt.Fprintf(&b, `{"keyid":"","sig":%q}]}`, env.Signatures[0].Sig)
	if bundle {
		b.WriteString("}")
	}
	return []byte(b.String())
}

// An envelope carrying thousands of signatures by an unknown key is refused
// as it is read, before any signature is verified (each would cost a
// public-key operation per trusted key).
func TestHostile_ManySignatures(t *testing.T) {
	for _, bundle := range []bool{false, true} {
		t.Run(fmt.Sprintf("bundle=%v", bundle), func(t *testing.T) {
			data := manySignatures(t, 50_000, bundle)
			_, err := provenance.ReadEnvelopes("many.json", data)
			require.ErrorIs(t, err, provenance.ErrTooLarge)
			require.ErrorContains(t, err, "many.json")
			require.ErrorContains(t, err, fmt.Sprintf("50001 signatures, limit %d", provenance.MaxSignatures))
		})
	}
	_, err := provenance.ParseEnvelope(manySignatures(t, provenance.MaxSignatures, false))
	require.ErrorIs(t, err, provenance.ErrTooLarge)

	// At the limit an envelope is read, and the trusted signature found.
	data := manySignatures(t, provenance.MaxSignatures-1, false)
	envs, err := provenance.ReadEnvelopes("limit.json", data)
	require.NoError(t, err)
	require.Len(t, envs[0].Signatures, provenance.MaxSignatures)
}

// Readers accept the same base64 encodings everywhere: standard or
// URL-safe, padded or not; what DSSE verifiers cannot read is re-encoded.
func TestEnvelopeBase64Encodings(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "p256")
	env, err := provenance.Sign(ctx, trainingStatement(t), k.signer)
	require.NoError(t, err)
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	require.NoError(t, err)
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	require.NoError(t, err)
	for name, enc := range map[string]*base64.Encoding{
		"std": base64.StdEncoding, "url": base64.URLEncoding,
		"raw std": base64.RawStdEncoding, "raw url": base64.RawURLEncoding,
	} {
		t.Run(name, func(t *testing.T) {
			doc := fmt.Sprintf(`{"payloadType":%q,"payload":%q,"signatures":[{"keyid":"","sig":%q}]}`, env.PayloadType, enc.EncodeToString(payload), enc.EncodeToString(sig))
			got, err := provenance.ParseEnvelope([]byte(doc))
			require.NoError(t, err)
			_, err = provenance.Verify(ctx, got, trustAll(k)(t), provenance.VerifyOptions{})
			require.NoError(t, err)
		})
	}
}

// An envelope built in Go bypasses the parser: Verify applies the same cap
// before any signature is verified.
func TestHostile_ManySignaturesVerify(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "p256")
	env, err := provenance.Sign(ctx, trainingStatement(t), k.signer)
	require.NoError(t, err)
	good := env.Signatures[0]
	junk := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x30}, 72))
	for i := 0; i < 10_000; i++ {
		env.Signatures = append(env.Signatures, good)
		env.Signatures[len(env.Signatures)-1].Sig = junk
	}
	_, err = provenance.Verify(ctx, env, trustAll(k)(t), provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleSignature, provenance.ErrSignature)
	require.ErrorContains(t, err, "10001 signatures, limit 64")
}
