package intoto

import (
	"encoding/json"
	"fmt"

	"github.com/mlsec-dev/mlsec/internal/strictjson"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Bundle is the JSON (protojson) form of a Sigstore bundle, the parts mlsec
// reads and writes. Unknown fields are ignored on reading.
type Bundle struct {
	MediaType            string                `json:"mediaType"`
	VerificationMaterial *VerificationMaterial `json:"verificationMaterial"`
	DSSEEnvelope         *BundleEnvelope       `json:"dsseEnvelope,omitempty"`
	// MessageSignature is kept raw: it is not an attestation, and only its
	// presence matters to mlsec.
	MessageSignature json.RawMessage `json:"messageSignature,omitempty"`
}

// VerificationMaterial names the key (publicKey hint), or carries the
// certificate (v0.3) or chain (v0.1, v0.2, and OMS) that signed.
type VerificationMaterial struct {
	PublicKey            *PublicKeyIdentifier `json:"publicKey,omitempty"`
	X509CertificateChain *CertificateChain    `json:"x509CertificateChain,omitempty"`
	Certificate          *RawCertificate      `json:"certificate,omitempty"`
	// TlogEntries is always written, [] when there is none.
	TlogEntries               []json.RawMessage `json:"tlogEntries"`
	TimestampVerificationData json.RawMessage   `json:"timestampVerificationData,omitempty"`
}

// PublicKeyIdentifier names a public key by hint.
type PublicKeyIdentifier struct {
	// Hint is written even when empty, as mlsec always has.
	Hint string `json:"hint"`
	// RawBytes (with keyDetails) was written by model_signing 0.3.1–1.0.1;
	// it is read for diagnostics only, never trusted.
	RawBytes string `json:"rawBytes,omitempty"`
}

// CertificateChain is an X.509 chain, leaf first.
type CertificateChain struct {
	Certificates []RawCertificate `json:"certificates"`
}

// RawCertificate is a DER certificate in base64.
type RawCertificate struct {
	RawBytes string `json:"rawBytes"`
}

// BundleEnvelope is a DSSE envelope inside a bundle, in protojson field
// order (payload, payloadType, signatures).
type BundleEnvelope struct {
	Payload     string            `json:"payload"`
	PayloadType string            `json:"payloadType"`
	Signatures  []BundleSignature `json:"signatures"`
}

// BundleSignature is one signature of a BundleEnvelope.
type BundleSignature struct {
	Sig string `json:"sig"`
	// KeyID is absent, "" or null in the wild; a pointer keeps null and ""
	// apart on reading, and writes "" when set to "" (OMS does), nothing
	// when nil.
	KeyID *string `json:"keyid,omitempty"`
}

// BundleVersion returns "0.1", "0.2" or "0.3" for a Sigstore bundle media
// type, and "" for anything else.
func BundleVersion(mediaType string) string {
	switch mediaType {
	case BundleMediaTypeV01:
		return "0.1"
	case BundleMediaTypeV02:
		return "0.2"
	case BundleMediaTypeV03, bundleMediaTypeV03Alt:
		return "0.3"
	}
	return ""
}

// ParseBundle decodes a Sigstore bundle as strict JSON, with at most
// MaxSignatures signatures in its envelope. It does not judge the media
// type or the content: callers know which versions and parts they need
// (see [BundleVersion]).
func ParseBundle(data []byte) (*Bundle, error) {
	var b Bundle
	if err := strictjson.Decode(data, &b); err != nil {
		return nil, err
	}
	if e := b.DSSEEnvelope; e != nil && len(e.Signatures) > MaxSignatures {
		return nil, &strictjson.Error{Kind: strictjson.TooLarge, Reason: fmt.Sprintf("%d signatures, limit %d", len(e.Signatures), MaxSignatures)}
	}
	return &b, nil
}

// Envelope returns the bundle's DSSE envelope as a dsse.Envelope (a null
// keyid becomes ""), or nil when the bundle holds none. The payload and
// signatures are re-encoded as ParseEnvelope does.
func (b *Bundle) Envelope() (*dsse.Envelope, error) {
	if b.DSSEEnvelope == nil {
		return nil, nil
	}
	sigs := make([]dsse.Signature, 0, len(b.DSSEEnvelope.Signatures))
	for _, s := range b.DSSEEnvelope.Signatures {
		var id string
		if s.KeyID != nil {
			id = *s.KeyID
		}
		sigs = append(sigs, dsse.Signature{Sig: s.Sig, KeyID: id})
	}
	pt, p := b.DSSEEnvelope.PayloadType, b.DSSEEnvelope.Payload
	return (&EnvelopeFields{PayloadType: &pt, Payload: &p, Signatures: &sigs}).Envelope()
}

// NewBundle returns a v0.3 bundle holding env, signed by the key vm names.
// keyID, when not nil, is written as each signature's keyid.
func NewBundle(env *dsse.Envelope, vm *VerificationMaterial, keyID *string) *Bundle {
	be := &BundleEnvelope{Payload: env.Payload, PayloadType: env.PayloadType, Signatures: make([]BundleSignature, 0, len(env.Signatures))}
	for _, s := range env.Signatures {
		be.Signatures = append(be.Signatures, BundleSignature{Sig: s.Sig, KeyID: keyID})
	}
	if vm.TlogEntries == nil {
		vm.TlogEntries = []json.RawMessage{}
	}
	return &Bundle{MediaType: BundleMediaTypeV03, VerificationMaterial: vm, DSSEEnvelope: be}
}
