package provenance_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/mlsec-dev/mlsec/provenance"
)

func trustAll(ks ...*testKey) func(t testing.TB) *provenance.Policy {
	return func(t testing.TB) *provenance.Policy {
		b := provenance.TrustedBuilder{ID: "https://ci.example.com/*"}
		for _, k := range ks {
			b.Verifiers = append(b.Verifiers, k.verifier(t))
		}
		return &provenance.Policy{Builders: []provenance.TrustedBuilder{b}}
	}
}

// Every supported key type signs and verifies.
func TestSignVerifyKeyTypes(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"p256", "p384", "ed25519", "rsa"} {
		t.Run(kind, func(t *testing.T) {
			k := newKey(t, kind)
			env, err := provenance.Sign(ctx, trainingStatement(t), k.signer)
			require.NoError(t, err)
			require.Equal(t, provenance.PayloadType, env.PayloadType)
			v, err := provenance.Verify(ctx, env, trustAll(k)(t), provenance.VerifyOptions{})
			require.NoError(t, err)
			require.Equal(t, "model.safetensors", v.Statement.Subject[0].Name)

			other := newKey(t, kind)
			_, err = provenance.Verify(ctx, env, trustAll(other)(t), provenance.VerifyOptions{})
			requireRule(t, err, provenance.RuleSignature, provenance.ErrSignature)
		})
	}
}

// requireRule asserts err is a *VerificationError with a violation of rule
// wrapping sentinel.
func requireRule(t testing.TB, err error, rule string, sentinel error) {
	t.Helper()
	require.Error(t, err)
	var ve *provenance.VerificationError
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, sentinel)
	for _, v := range ve.Violations {
		if v.Rule == rule || strings.HasPrefix(v.Rule, rule+".") || strings.HasPrefix(v.Rule, rule+"[") {
			require.ErrorIs(t, v, sentinel)
			return
		}
	}
	t.Fatalf("no violation of rule %q in:\n%v", rule, err)
}

// Threshold: k of n distinct keys must sign.
func TestThreshold(t *testing.T) {
	ctx := context.Background()
	a, b, c := newKey(t, "p256"), newKey(t, "ed25519"), newKey(t, "p384")
	policy := &provenance.Policy{Builders: []provenance.TrustedBuilder{{
		ID: "https://ci.example.com/trainer", Threshold: 2,
		Verifiers: []signature.Verifier{a.verifier(t), b.verifier(t), c.verifier(t)},
	}}}
	env, err := provenance.Sign(ctx, trainingStatement(t), a.signer)
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleBuilder, provenance.ErrUntrustedBuilder)
	require.Contains(t, err.Error(), "1 of 2 required keys")

	// The same key twice still counts once.
	require.NoError(t, provenance.AddSignature(ctx, env, a.signer))
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleBuilder, provenance.ErrUntrustedBuilder)

	// A second party adds its signature to the same envelope.
	require.NoError(t, provenance.AddSignature(ctx, env, c.signer))
	v, err := provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	require.NoError(t, err)
	require.Len(t, v.KeyIDs, 2)
}

// Envelopes written by mlsec verify with sigstore's DSSE verifier, and
// envelopes written by sigstore's DSSE signer verify with mlsec.
func TestInteropSigstoreDSSE(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "p256")
	sv, err := signature.LoadDefaultSignerVerifier(k.priv)
	require.NoError(t, err)
	body, err := trainingStatement(t).Marshal()
	require.NoError(t, err)

	// mlsec → sigstore. The securesystemslib verifier inside sigstore skips
	// a signature whose keyid differs from the one it derives for its key
	// (an SSH-style fingerprint), so Sign writes an empty keyid.
	env, err := provenance.SignPayload(ctx, body, sv)
	require.NoError(t, err)
	require.Empty(t, env.Signatures[0].KeyID)
	require.NoError(t, err)
	envJSON, err := provenance.MarshalEnvelope(env)
	require.NoError(t, err)
	sigV := sigdsse.WrapVerifier(sv)
	require.NoError(t, sigV.VerifySignature(bytes.NewReader(envJSON), nil))
	tampered := bytes.Replace(envJSON, []byte(env.Payload[:20]), []byte(base64.StdEncoding.EncodeToString([]byte("tampered tampered!"))[:20]), 1)
	require.Error(t, sigV.VerifySignature(bytes.NewReader(tampered), nil))

	// sigstore → mlsec.
	theirs, err := sigdsse.WrapSigner(sv, provenance.PayloadType).SignMessage(bytes.NewReader(body))
	require.NoError(t, err)
	envs, err := provenance.ReadEnvelopes("sigstore.json", theirs)
	require.NoError(t, err)
	v, err := provenance.Verify(ctx, envs[0], trustAll(k)(t), provenance.VerifyOptions{})
	require.NoError(t, err)
	require.Equal(t, body, v.Payload)

	// A sigstore envelope of another payload type is refused before parsing.
	other, err := sigdsse.WrapSigner(sv, "text/plain").SignMessage(bytes.NewReader(body))
	require.NoError(t, err)
	envs, err = provenance.ReadEnvelopes("other.json", other)
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, envs[0], trustAll(k)(t), provenance.VerifyOptions{})
	requireRule(t, err, provenance.RulePayloadType, provenance.ErrPayloadType)
}

// An independent check of the signature with nothing but the DSSE spec's
// PAE and crypto/ecdsa, and with OpenSSL when it is installed.
func TestInteropIndependentPAE(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "p256")
	env, err := provenance.Sign(ctx, trainingStatement(t), k.signer)
	require.NoError(t, err)
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	require.NoError(t, err)
	pae := fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(env.PayloadType), env.PayloadType, len(body), body)
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	require.NoError(t, err)
	sum := sha256.Sum256(pae)
	require.True(t, ecdsa.VerifyASN1(k.priv.Public().(*ecdsa.PublicKey), sum[:], sig))

	// The spec's own PAE vector.
	require.Equal(t, "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
		string(dsse.PAE("http://example.com/HelloWorld", []byte("hello world"))))

	openssl := testenv.LookPath(t, "openssl")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	pub := write("pub.pem", k.pubPEM)
	out, err := exec.Command(openssl, "dgst", "-sha256", "-verify", pub, "-signature", write("sig.der", sig), write("pae.bin", pae)).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "Verified OK")

	// OpenSSL signs, mlsec verifies.
	privDER, err := exec.Command(openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256").Output()
	require.NoError(t, err)
	privPath := write("priv.pem", privDER)
	pubOut, err := exec.Command(openssl, "pkey", "-in", privPath, "-pubout").Output()
	require.NoError(t, err)
	sslSig, err := exec.Command(openssl, "dgst", "-sha256", "-sign", privPath, write("pae.bin", pae)).Output()
	require.NoError(t, err)
	ext := &dsse.Envelope{PayloadType: env.PayloadType, Payload: env.Payload, Signatures: []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sslSig)}}}
	v, err := provenance.VerifierFromPEM(pubOut)
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, ext, &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Verifiers: []signature.Verifier{v}}}}, provenance.VerifyOptions{})
	require.NoError(t, err)
}

// The three carriers round-trip, and the Sigstore bundle is read by the
// protobuf-specs Bundle type with protojson (which rejects unknown fields).
func TestCarriers(t *testing.T) {
	ctx := context.Background()
	a, b := newKey(t, "p256"), newKey(t, "ed25519")
	env1, err := provenance.Sign(ctx, trainingStatement(t), a.signer)
	require.NoError(t, err)
	env2, err := provenance.Sign(ctx, trainingStatement(t), a.signer, b.signer)
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, provenance.WriteJSONL(&buf, env1, env2))
	require.Equal(t, 2, strings.Count(buf.String(), "\n"))
	envs, err := provenance.ReadEnvelopes("x.intoto.jsonl", buf.Bytes())
	require.NoError(t, err)
	require.Len(t, envs, 2)
	require.Equal(t, env2, envs[1])

	_, err = provenance.ReadEnvelopes("bad.intoto.jsonl", append(buf.Bytes(), []byte("{\"nope\": 1}\n")...))
	require.ErrorContains(t, err, "bad.intoto.jsonl:3")

	bundle, err := provenance.MarshalBundle(env1, "key-1")
	require.NoError(t, err)
	var pb protobundle.Bundle
	require.NoError(t, protojson.Unmarshal(bundle, &pb))
	require.Equal(t, provenance.BundleMediaType, pb.GetMediaType())
	require.Equal(t, "key-1", pb.GetVerificationMaterial().GetPublicKey().GetHint())
	require.Equal(t, provenance.PayloadType, pb.GetDsseEnvelope().GetPayloadType())
	payload, err := base64.StdEncoding.DecodeString(env1.Payload)
	require.NoError(t, err)
	require.Equal(t, payload, pb.GetDsseEnvelope().GetPayload())

	// And a bundle written by protojson reads back and verifies.
	pbJSON, err := protojson.Marshal(&pb)
	require.NoError(t, err)
	envs, err = provenance.ReadEnvelopes("b.sigstore.json", pbJSON)
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, envs[0], trustAll(a)(t), provenance.VerifyOptions{})
	require.NoError(t, err)

	_, err = provenance.MarshalBundle(env2, "")
	require.ErrorContains(t, err, "exactly one signature")
}

func TestParseEnvelopeVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/envelope/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			envs, err := provenance.ReadEnvelopes(name, data)
			if strings.HasPrefix(name, "good_") {
				require.NoError(t, err)
				require.NotEmpty(t, envs)
				return
			}
			require.Error(t, err)
			var fe *provenance.FormatError
			require.ErrorAs(t, err, &fe)
			require.Contains(t, err.Error(), name)
		})
	}
}

// Verification checks the payload type and signature before the
// statement is parsed, and uses only the verified bytes.
func TestVerifyBadEnvelopes(t *testing.T) {
	ctx := context.Background()
	k := newKey(t, "p256")
	policy := trustAll(k)(t)

	// A signed payload that is not a Statement at all.
	env, err := provenance.SignPayload(ctx, []byte(`{"hello": "world"}`), k.signer)
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleStatement, provenance.ErrStatementType)

	// A signed statement of an unknown predicate type.
	other := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + hexA + `"}}],"predicateType":"https://example.com/x/v1","predicate":{}}`)
	env, err = provenance.SignPayload(ctx, other, k.signer)
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleStatement, provenance.ErrPredicateType)

	// A signed statement with a duplicate key.
	body, err := trainingStatement(t).Marshal()
	require.NoError(t, err)
	dup := bytes.Replace(body, []byte(`{"_type":`), []byte(`{"_type":"x","_type":`), 1)
	env, err = provenance.SignPayload(ctx, dup, k.signer)
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleStatement, provenance.ErrDuplicateKey)

	// An unsigned envelope.
	env, err = provenance.Unsigned(trainingStatement(t))
	require.NoError(t, err)
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleSignature, provenance.ErrSignature)

	// Payload swapped after signing.
	env, err = provenance.Sign(ctx, trainingStatement(t), k.signer)
	require.NoError(t, err)
	other2 := trainingStatement(t)
	other2.Subject[0].Digest["sha256"] = hexC
	ob, err := other2.Marshal()
	require.NoError(t, err)
	env.Payload = base64.StdEncoding.EncodeToString(ob)
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RuleSignature, provenance.ErrSignature)

	// payloadType changed after signing: refused before any key is tried.
	env, err = provenance.Sign(ctx, trainingStatement(t), k.signer)
	require.NoError(t, err)
	env.PayloadType = "application/json"
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	requireRule(t, err, provenance.RulePayloadType, provenance.ErrPayloadType)

	// keyid is a hint: a wrong one does not stop a trusted key verifying.
	env, err = provenance.Sign(ctx, trainingStatement(t), k.signer)
	require.NoError(t, err)
	env.Signatures[0].KeyID = "not-the-key"
	_, err = provenance.Verify(ctx, env, policy, provenance.VerifyOptions{})
	require.NoError(t, err)
}
