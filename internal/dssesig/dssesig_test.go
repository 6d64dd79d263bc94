package dssesig

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"io"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
)

// opaque hides the concrete key type, as an HSM or KMS crypto.Signer does.
type opaque struct{ s crypto.Signer }

func (o opaque) Public() crypto.PublicKey { return o.s.Public() }
func (o opaque) Sign(r io.Reader, d []byte, op crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, d, op)
}

func keys(t *testing.T) map[string]crypto.Signer {
	out := map[string]crypto.Signer{}
	for name, c := range map[string]elliptic.Curve{"p256": elliptic.P256(), "p384": elliptic.P384(), "p521": elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		out[name] = k
		out[name+"-opaque"] = opaque{k}
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	out["ed25519"] = ed
	out["ed25519-opaque"] = opaque{ed}
	return out
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherSV, err := FromCryptoSigner(other)
	require.NoError(t, err)
	otherV, err := NewVerifier(ctx, otherSV)
	require.NoError(t, err)

	for name, k := range keys(t) {
		t.Run(name, func(t *testing.T) {
			sv, err := FromCryptoSigner(k)
			require.NoError(t, err)
			ds, err := New(ctx, sv)
			require.NoError(t, err)

			der, err := x509.MarshalPKIXPublicKey(k.Public())
			require.NoError(t, err)
			sum := sha256.Sum256(der)
			id, err := ds.KeyID()
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(sum[:]), id)

			es, err := dsse.NewEnvelopeSigner(ds)
			require.NoError(t, err)
			env, err := es.SignPayload(ctx, "application/vnd.in-toto+json", []byte(`{"a":1}`))
			require.NoError(t, err)
			require.Equal(t, id, env.Signatures[0].KeyID)

			ev, err := dsse.NewEnvelopeVerifier(ds)
			require.NoError(t, err)
			_, err = ev.Verify(ctx, env)
			require.NoError(t, err)

			// The signature checks with the plain key too: no adapter
			// quirk leaks into the bytes.
			raw, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
			require.NoError(t, err)
			h, err := DefaultHash(k.Public())
			require.NoError(t, err)
			pv, err := signature.LoadVerifier(k.Public(), h)
			require.NoError(t, err)
			pv2, err := NewVerifier(ctx, pv)
			require.NoError(t, err)
			require.NoError(t, pv2.Verify(ctx, dsse.PAE(env.PayloadType, []byte(`{"a":1}`)), raw))

			// A changed payload or another key is rejected.
			env.Payload = base64.StdEncoding.EncodeToString([]byte(`{"a":2}`))
			_, err = ev.Verify(ctx, env)
			require.Error(t, err)
			env.Payload = base64.StdEncoding.EncodeToString([]byte(`{"a":1}`))
			ev2, err := dsse.NewEnvelopeVerifier(otherV)
			require.NoError(t, err)
			_, err = ev2.Verify(ctx, env)
			require.Error(t, err)
		})
	}
}

func TestWithKeyID(t *testing.T) {
	ctx := context.Background()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	sv, err := FromCryptoSigner(k)
	require.NoError(t, err)
	ds, err := New(ctx, sv, WithKeyID(""))
	require.NoError(t, err)
	id, err := ds.KeyID()
	require.NoError(t, err)
	require.Equal(t, "", id)
	ds, err = New(ctx, sv, WithKeyID("mine"))
	require.NoError(t, err)
	id, _ = ds.KeyID()
	require.Equal(t, "mine", id)

	_, err = New(ctx, nil)
	require.Error(t, err)
	_, err = NewVerifier(ctx, nil)
	require.Error(t, err)
}

func TestDefaultHash(t *testing.T) {
	for _, tc := range []struct {
		c    elliptic.Curve
		want crypto.Hash
	}{{elliptic.P256(), crypto.SHA256}, {elliptic.P384(), crypto.SHA384}, {elliptic.P521(), crypto.SHA512}} {
		k, err := ecdsa.GenerateKey(tc.c, rand.Reader)
		require.NoError(t, err)
		h, err := DefaultHash(k.Public())
		require.NoError(t, err)
		require.Equal(t, tc.want, h)
	}
	_, err := DefaultHash("not a key")
	require.Error(t, err)
}
