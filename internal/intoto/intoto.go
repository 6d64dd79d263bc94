// Package intoto is the one codec for the attestation formats mlsec reads
// and writes: the in-toto Statement v1 model, DSSE envelopes (JSON form and
// pre-authentication encoding), and Sigstore bundles v0.1 to v0.3 carrying
// a DSSE envelope. signing (OMS bundles), provenance (SLSA statements,
// envelopes, JSONL and bundles) and validation (test-result statements)
// all use it, so that they write the same bytes and accept the same inputs.
//
// Everything read here is untrusted: JSON passes [strictjson.Check]
// (duplicate keys, size and depth), base64 is decoded by [DecodeBase64]
// alone, and an envelope holds at most [MaxSignatures] signatures. Errors
// for bad input are *[strictjson.Error] values, whose Kind callers map to
// their own sentinel errors; the caller names the input.
//
// The structs mirror the standards' JSON field by field and in the order
// mlsec has always written them: changing a field's order or omitempty
// changes the bytes of every envelope and bundle (tests pin them).
package intoto

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/strictjson"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Type URIs and media types.
const (
	// StatementType is the in-toto Statement v1 `_type`.
	StatementType = "https://in-toto.io/Statement/v1"
	// PayloadType is the DSSE payloadType of an in-toto Statement.
	PayloadType = "application/vnd.in-toto+json"

	// BundleMediaTypeV01 .. BundleMediaTypeV03 are the Sigstore bundle media
	// types. v0.3 is what mlsec writes; newer Sigstore clients also spell it
	// bundleMediaTypeV03Alt, which is read.
	BundleMediaTypeV01    = "application/vnd.dev.sigstore.bundle+json;version=0.1"
	BundleMediaTypeV02    = "application/vnd.dev.sigstore.bundle+json;version=0.2"
	BundleMediaTypeV03    = "application/vnd.dev.sigstore.bundle.v0.3+json"
	bundleMediaTypeV03Alt = "application/vnd.dev.sigstore.bundle+json;version=0.3"
)

// MaxSignatures is the most signatures an envelope may carry (64). Each
// signature may cost a public-key verification per trusted key, so without
// a cap a 63 MB envelope of 560,000 signatures by an unknown key keeps a
// verifier busy for tens of seconds before it is rejected; real envelopes
// carry one signature per signing party, a handful even for thresholds.
const MaxSignatures = 64

// DecodeBase64 decodes standard or URL-safe base64, padded or not: the
// encodings proto3 JSON readers accept for bytes fields and DSSE asks
// verifiers to accept. Every base64 field mlsec reads goes through it.
func DecodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("invalid base64")
}

// PAE is the DSSE v1 pre-authentication encoding, the bytes a signature
// covers: "DSSEv1 <len(type)> <type> <len(payload)> <payload>".
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(payloadType) + len(payload) + 32)
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

func malformed(format string, a ...any) error {
	return &strictjson.Error{Kind: strictjson.Malformed, Reason: fmt.Sprintf(format, a...)}
}

// EnvelopeFields is a DSSE envelope as decoded from JSON, with pointers to
// tell a missing field from an empty one. Embed it to probe a document that
// may be an envelope or something else.
type EnvelopeFields struct {
	PayloadType *string           `json:"payloadType"`
	Payload     *string           `json:"payload"`
	Signatures  *[]dsse.Signature `json:"signatures"`
}

// ParseEnvelope parses the JSON form of a DSSE envelope. It checks the
// shape only (fields present, base64 decodable, at most MaxSignatures
// signatures); signatures and payloadType are the verifier's business.
func ParseEnvelope(data []byte) (*dsse.Envelope, error) {
	var e EnvelopeFields
	if err := strictjson.Decode(data, &e); err != nil {
		return nil, err
	}
	return e.Envelope()
}

// Envelope checks that every field DSSE requires is present and well
// formed and returns the envelope. A payload or signature in an encoding
// go-securesystemslib does not read (unpadded base64) is re-encoded in
// standard base64, which leaves the signed bytes as they are.
func (e *EnvelopeFields) Envelope() (*dsse.Envelope, error) {
	var missing []string
	if e.PayloadType == nil {
		missing = append(missing, "payloadType")
	}
	if e.Payload == nil {
		missing = append(missing, "payload")
	}
	if e.Signatures == nil {
		missing = append(missing, "signatures")
	}
	if len(missing) > 0 {
		return nil, malformed("not a DSSE envelope: missing %s", strings.Join(missing, ", "))
	}
	if n := len(*e.Signatures); n > MaxSignatures {
		return nil, &strictjson.Error{Kind: strictjson.TooLarge, Reason: fmt.Sprintf("%d signatures, limit %d", n, MaxSignatures)}
	}
	env := &dsse.Envelope{PayloadType: *e.PayloadType, Payload: *e.Payload, Signatures: *e.Signatures}
	var ok bool
	if env.Payload, ok = canonicalBase64(env.Payload); !ok {
		return nil, malformed("payload is not base64")
	}
	for i := range env.Signatures {
		if env.Signatures[i].Sig, ok = canonicalBase64(env.Signatures[i].Sig); !ok {
			return nil, malformed("signature %d is not base64", i)
		}
	}
	return env, nil
}

// canonicalBase64 returns s unchanged when go-securesystemslib's dsse
// decodes it (padded standard or URL-safe base64), s in padded standard
// base64 when only DecodeBase64 does, and false when neither does.
func canonicalBase64(s string) (string, bool) {
	if _, err := base64.StdEncoding.DecodeString(s); err == nil {
		return s, true
	}
	if _, err := base64.URLEncoding.DecodeString(s); err == nil {
		return s, true
	}
	b, err := DecodeBase64(s)
	if err != nil {
		return "", false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

// MarshalEnvelope returns the JSON form of env, as go-securesystemslib
// writes it (payloadType, payload, signatures with keyid and sig); a nil
// signature list is written as [].
func MarshalEnvelope(env *dsse.Envelope) ([]byte, error) {
	e := *env
	if e.Signatures == nil {
		e.Signatures = []dsse.Signature{}
	}
	return json.Marshal(&e)
}
