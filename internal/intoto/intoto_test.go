package intoto

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/strictjson"
)

func TestPAE(t *testing.T) {
	// The DSSE specification's example.
	require.Equal(t, "DSSEv1 29 http://example.com/HelloWorld 11 hello world", string(PAE("http://example.com/HelloWorld", []byte("hello world"))))
	require.Equal(t, string(dsse.PAE(PayloadType, []byte(`{"a":1}`))), string(PAE(PayloadType, []byte(`{"a":1}`))))
	require.Equal(t, "DSSEv1 0  0 ", string(PAE("", nil)))
}

func TestDecodeBase64(t *testing.T) {
	raw := []byte{0xfb, 0xff, 0xfe, 0x01}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		got, err := DecodeBase64(enc.EncodeToString(raw))
		require.NoError(t, err)
		require.Equal(t, raw, got)
	}
	for _, bad := range []string{"!!", "a", "ab=c"} {
		_, err := DecodeBase64(bad)
		require.Error(t, err, bad)
	}
}

func envelopeDoc(sigs int, payload, sig string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"payloadType":%q,"payload":%q,"signatures":[`, PayloadType, payload)
	for i := 0; i < sigs; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"keyid":"","sig":%q}`, sig)
	}
	b.WriteString("]}")
	return b.String()
}

func TestParseEnvelope(t *testing.T) {
	std := base64.StdEncoding.EncodeToString([]byte(`{"_type":"x"}`))
	rawURL := base64.RawURLEncoding.EncodeToString([]byte(`{"_type":"x"}`))
	for _, tc := range []struct {
		name, doc string
		kind      strictjson.Kind
		ok        bool
	}{
		{name: "one signature", doc: envelopeDoc(1, std, "c2ln"), ok: true},
		{name: "unsigned", doc: envelopeDoc(0, std, ""), ok: true},
		{name: "at the signature limit", doc: envelopeDoc(MaxSignatures, std, "c2ln"), ok: true},
		{name: "over the signature limit", doc: envelopeDoc(MaxSignatures+1, std, "c2ln"), kind: strictjson.TooLarge},
		{name: "unpadded url-safe payload", doc: envelopeDoc(1, rawURL, "c2ln"), ok: true},
		{name: "payload not base64", doc: envelopeDoc(1, "!!", "c2ln"), kind: strictjson.Malformed},
		{name: "signature not base64", doc: envelopeDoc(1, std, "!!"), kind: strictjson.Malformed},
		{name: "missing fields", doc: `{"payload":""}`, kind: strictjson.Malformed},
		{name: "duplicate payload", doc: `{"payloadType":"a","payload":"","payload":"","signatures":[]}`, kind: strictjson.DuplicateKey},
		{name: "deep", doc: strings.Repeat("[", 100) + strings.Repeat("]", 100), kind: strictjson.TooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := ParseEnvelope([]byte(tc.doc))
			if tc.ok {
				require.NoError(t, err)
				_, err := base64.StdEncoding.DecodeString(env.Payload)
				require.NoError(t, err, "payload readable by DSSE verifiers")
				return
			}
			var e *strictjson.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.kind, e.Kind, "%v", err)
		})
	}
}

func TestBundle(t *testing.T) {
	for mt, v := range map[string]string{
		BundleMediaTypeV01: "0.1", BundleMediaTypeV02: "0.2", BundleMediaTypeV03: "0.3",
		"application/vnd.dev.sigstore.bundle+json;version=0.3": "0.3",
		"application/vnd.dev.sigstore.bundle.v0.1+json":        "",
		"": "",
	} {
		require.Equal(t, v, BundleVersion(mt), mt)
	}

	env := &dsse.Envelope{PayloadType: PayloadType, Payload: "e30=", Signatures: []dsse.Signature{{Sig: "c2ln", KeyID: "ignored"}}}
	empty := ""
	out, err := json.Marshal(NewBundle(env, &VerificationMaterial{PublicKey: &PublicKeyIdentifier{Hint: "h"}}, &empty))
	require.NoError(t, err)
	require.Equal(t, `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"h"},"tlogEntries":[]},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"c2ln","keyid":""}]}}`, string(out))
	b, err := ParseBundle(out)
	require.NoError(t, err)
	got, err := b.Envelope()
	require.NoError(t, err)
	require.Equal(t, &dsse.Envelope{PayloadType: PayloadType, Payload: "e30=", Signatures: []dsse.Signature{{Sig: "c2ln"}}}, got)

	many := strings.Replace(string(out), `{"sig":"c2ln","keyid":""}`, strings.Repeat(`{"sig":"c2ln"},`, MaxSignatures)+`{"sig":"c2ln"}`, 1)
	_, err = ParseBundle([]byte(many))
	var e *strictjson.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, strictjson.TooLarge, e.Kind)
}

func addSeeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		files, _ := filepath.Glob(g)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// FuzzParseEnvelope: any input is an envelope or a *strictjson.Error, never
// a panic; an envelope has at most MaxSignatures signatures, base64 that
// DSSE verifiers read, and writes back to JSON that parses the same.
func FuzzParseEnvelope(f *testing.F) {
	addSeeds(f, "../../provenance/testdata/envelope/*.json", "../../provenance/testdata/pinned/*.json")
	std := base64.StdEncoding.EncodeToString([]byte(`{}`))
	f.Add([]byte(envelopeDoc(MaxSignatures+1, std, "c2ln")))
	f.Add([]byte(envelopeDoc(2, base64.RawURLEncoding.EncodeToString([]byte{0xfb, 0xff}), "c2ln")))
	f.Add([]byte(`{"payloadType":"a","payload":"","payload":"","signatures":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseEnvelope(data)
		if err != nil {
			var e *strictjson.Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if len(env.Signatures) > MaxSignatures {
			t.Fatalf("%d signatures accepted", len(env.Signatures))
		}
		if _, err := env.DecodeB64Payload(); err != nil {
			t.Fatalf("payload %q not readable by dsse: %v", env.Payload, err)
		}
		out, err := MarshalEnvelope(env)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseEnvelope(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		require.Equal(t, env, again)
	})
}

// FuzzParseBundle: any input is a bundle or a *strictjson.Error, never a
// panic; a bundle's envelope has at most MaxSignatures signatures.
func FuzzParseBundle(f *testing.F) {
	addSeeds(f, "../../signing/testdata/oms/*/model.sig", "../../provenance/testdata/envelope/*bundle*.json", "../../signing/testdata/pinned/*.sig")
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","mediaType":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			var e *strictjson.Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if b.DSSEEnvelope != nil && len(b.DSSEEnvelope.Signatures) > MaxSignatures {
			t.Fatalf("%d signatures accepted", len(b.DSSEEnvelope.Signatures))
		}
		if env, err := b.Envelope(); err == nil && env != nil {
			if _, err := env.DecodeB64Payload(); err != nil {
				t.Fatalf("payload not readable by dsse: %v", err)
			}
		}
	})
}
