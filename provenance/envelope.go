package provenance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/internal/intoto"
)

// Sign serializes st and signs it as a DSSE envelope with payloadType
// PayloadType, one signature per signer. The signers are sigstore's
// signature.SignerVerifier, the same key values signing.Sign takes: a key
// file, KMS or HSM key loaded with secrets.LoadSigner signs a model and its
// provenance alike.
//
// Each signature carries an empty keyid. Verify ignores keyids (DSSE makes
// them unauthenticated hints), but go-securesystemslib verifiers, and so
// sigstore's and in-toto-golang's, skip a signature whose keyid differs from
// the one they derive for their key, so an empty keyid is what every tool
// verifies. To choose keyids, sign with DSSE signers through [SignDSSE].
func Sign(ctx context.Context, st *Statement, signers ...signature.SignerVerifier) (*dsse.Envelope, error) {
	body, err := st.Marshal()
	if err != nil {
		return nil, err
	}
	return SignPayload(ctx, body, signers...)
}

// SignPayload signs already-serialized Statement bytes, so that bytes kept
// from an earlier step are signed exactly as they are.
func SignPayload(ctx context.Context, body []byte, signers ...signature.SignerVerifier) (*dsse.Envelope, error) {
	ds := make([]dsse.Signer, 0, len(signers))
	for _, sv := range signers {
		d, err := dssesig.New(ctx, sv, dssesig.WithKeyID(""))
		if err != nil {
			return nil, fmt.Errorf("provenance: sign: %w", err)
		}
		ds = append(ds, d)
	}
	return SignDSSE(ctx, body, ds...)
}

// SignDSSE signs Statement bytes with go-securesystemslib DSSE signers,
// whose KeyID is written into each signature as it is.
func SignDSSE(ctx context.Context, body []byte, signers ...dsse.Signer) (*dsse.Envelope, error) {
	if len(signers) == 0 {
		return nil, errors.New("provenance: sign: no signer")
	}
	es, err := dsse.NewEnvelopeSigner(signers...)
	if err != nil {
		return nil, fmt.Errorf("provenance: sign: %w", err)
	}
	env, err := es.SignPayload(ctx, PayloadType, body)
	if err != nil {
		return nil, fmt.Errorf("provenance: sign: %w", err)
	}
	return env, nil
}

// Unsigned wraps st in a DSSE envelope with no signatures, for a step
// that records provenance and leaves signing to a later, trusted step.
func Unsigned(st *Statement) (*dsse.Envelope, error) {
	body, err := st.Marshal()
	if err != nil {
		return nil, err
	}
	return &dsse.Envelope{PayloadType: PayloadType, Payload: base64.StdEncoding.EncodeToString(body), Signatures: []dsse.Signature{}}, nil
}

// AddSignature adds signer's signature to env, so that several parties can
// sign the same statement in turn for threshold verification.
func AddSignature(ctx context.Context, env *dsse.Envelope, signer signature.SignerVerifier) error {
	if env.PayloadType != PayloadType {
		return &FormatError{Input: "envelope", Err: ErrPayloadType, Reason: fmt.Sprintf("%q", env.PayloadType)}
	}
	body, err := env.DecodeB64Payload()
	if err != nil {
		return &FormatError{Input: "envelope", Err: ErrMalformed, Reason: "payload: " + err.Error()}
	}
	one, err := SignPayload(ctx, body, signer)
	if err != nil {
		return err
	}
	env.Signatures = append(env.Signatures, one.Signatures...)
	return nil
}

// ParseEnvelope parses a DSSE JSON envelope. It checks the shape only
// (every field present, base64 that decodes, at most MaxSignatures
// signatures): signatures and payloadType are checked by Verify. A payload
// or signature in unpadded base64 is re-encoded in standard base64, which
// leaves the signed bytes as they are.
func ParseEnvelope(data []byte) (*dsse.Envelope, error) {
	return parseEnvelope("envelope", data)
}

// MaxSignatures is the most signatures an envelope may carry (64): each
// one may cost a verification per trusted key, so an envelope of
// thousands of signatures by an unknown key is refused as it is read.
const MaxSignatures = intoto.MaxSignatures

func parseEnvelope(input string, data []byte) (*dsse.Envelope, error) {
	env, err := intoto.ParseEnvelope(data)
	return env, formatError(input, err)
}

// MarshalEnvelope returns the JSON form of env.
func MarshalEnvelope(env *dsse.Envelope) ([]byte, error) {
	return intoto.MarshalEnvelope(env)
}

// WriteJSONL writes envelopes as an in-toto attestation bundle: JSON Lines,
// one envelope per line (the `.intoto.jsonl` carrier).
func WriteJSONL(w io.Writer, envs ...*dsse.Envelope) error {
	for _, env := range envs {
		b, err := MarshalEnvelope(env)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// ReadJSONL reads an `.intoto.jsonl` bundle. Blank lines are skipped; a line
// that is not a DSSE envelope (or a Sigstore bundle, as GitHub publishes
// attestations) is an error naming the line, since a bundle silently
// losing an attestation would hide a gap in lineage.
func ReadJSONL(input string, r io.Reader) ([]*dsse.Envelope, error) {
	cs, err := readJSONL(input, r)
	return carriedEnvelopes(cs), err
}

// carried is one envelope as read, with the Sigstore bundle that held it
// when that bundle is signed keyless: verifying it needs the whole bundle.
type carried struct {
	env    *dsse.Envelope
	bundle []byte
}

func carriedEnvelopes(cs []carried) []*dsse.Envelope {
	if cs == nil {
		return nil
	}
	envs := make([]*dsse.Envelope, len(cs))
	for i, c := range cs {
		envs[i] = c.env
	}
	return envs
}

func readJSONL(input string, r io.Reader) ([]carried, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxDocumentSize+1)
	var out []carried
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		c, err := readOne(fmt.Sprintf("%s:%d", input, line), bytes.Clone(b))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &FormatError{Input: fmt.Sprintf("%s:%d", input, line+1), Err: ErrTooLarge, Reason: "line too long"}
		}
		return nil, fmt.Errorf("provenance: %s: %w", input, err)
	}
	return out, nil
}

// BundleMediaType is the media type of a Sigstore bundle v0.3, the version
// MarshalBundle writes. ParseBundle reads v0.1 and v0.2 as well.
const BundleMediaType = intoto.BundleMediaTypeV03

// MarshalBundle wraps a signed envelope in a Sigstore bundle v0.3 whose
// verification material is the public key named by keyHint. A bundle holds
// exactly one signature; use the JSON or JSONL carrier for more. The
// signature's keyid is left out (it is not signed): the hint names the key.
func MarshalBundle(env *dsse.Envelope, keyHint string) ([]byte, error) {
	if len(env.Signatures) != 1 {
		return nil, fmt.Errorf("provenance: sigstore bundle: holds exactly one signature, envelope has %d", len(env.Signatures))
	}
	// The key is named by verificationMaterial; a keyid in the signature
	// would only make go-securesystemslib based verifiers (sigstore-go)
	// skip it when it differs from the one they derive.
	b := intoto.NewBundle(env, &intoto.VerificationMaterial{PublicKey: &intoto.PublicKeyIdentifier{Hint: keyHint}}, nil)
	return json.Marshal(b)
}

// ParseBundle reads the DSSE envelope out of a Sigstore bundle v0.1, v0.2
// or v0.3. The bundle's key hint is returned for display only: trust comes
// from the keys given to Verify, never from the bundle. A keyless bundle
// (one that carries a certificate) is verified whole, by [VerifyBundle].
func ParseBundle(data []byte) (env *dsse.Envelope, keyHint string, err error) {
	env, keyHint, _, err = parseBundle(data)
	return env, keyHint, err
}

func parseBundle(data []byte) (env *dsse.Envelope, keyHint string, keyless bool, err error) {
	const input = "sigstore bundle"
	b, err := intoto.ParseBundle(data)
	if err != nil {
		return nil, "", false, formatError(input, err)
	}
	if intoto.BundleVersion(b.MediaType) == "" {
		return nil, "", false, &FormatError{Input: input, Err: ErrMalformed, Reason: fmt.Sprintf("mediaType %q, want a Sigstore bundle v0.1, v0.2 or v0.3", b.MediaType)}
	}
	if b.DSSEEnvelope == nil {
		return nil, "", false, &FormatError{Input: input, Err: ErrMalformed, Reason: "no dsseEnvelope (a message signature is not an attestation)"}
	}
	if env, err = b.Envelope(); err != nil {
		return nil, "", false, formatError(input, err)
	}
	if vm := b.VerificationMaterial; vm != nil {
		if vm.PublicKey != nil {
			keyHint = vm.PublicKey.Hint
		}
		keyless = vm.Certificate != nil || vm.X509CertificateChain != nil
	}
	return env, keyHint, keyless, nil
}

// ReadEnvelopes reads every envelope in data, whichever carrier it is: a
// DSSE JSON envelope, a Sigstore bundle (v0.1 to v0.3), or JSON Lines of
// either. input names the data in errors.
func ReadEnvelopes(input string, data []byte) ([]*dsse.Envelope, error) {
	cs, err := readCarriers(input, data)
	return carriedEnvelopes(cs), err
}

func readCarriers(input string, data []byte) ([]carried, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &FormatError{Input: input, Err: ErrMalformed, Reason: "empty"}
	}
	// Several lines that together are not one JSON document: JSONL.
	// Otherwise (even pretty-printed over many lines) one envelope or bundle.
	if bytes.IndexByte(trimmed, '\n') >= 0 && !json.Valid(trimmed) {
		return readJSONL(input, bytes.NewReader(trimmed))
	}
	c, err := readOne(input, trimmed)
	if err != nil {
		return nil, err
	}
	return []carried{c}, nil
}

// readOne reads one JSON document: a DSSE envelope or a Sigstore bundle.
func readOne(input string, doc []byte) (carried, error) {
	if err := checkJSON(input, doc); err != nil {
		return carried{}, err
	}
	var probe struct {
		MediaType *string `json:"mediaType"`
		intoto.EnvelopeFields
	}
	if err := unmarshal(input, doc, &probe); err != nil {
		return carried{}, err
	}
	if probe.MediaType != nil {
		env, _, keyless, err := parseBundle(doc)
		if err != nil {
			return carried{}, fmt.Errorf("%s: %w", input, err)
		}
		c := carried{env: env}
		if keyless {
			c.bundle = doc
		}
		return c, nil
	}
	env, err := probe.Envelope()
	if err != nil {
		return carried{}, formatError(input, err)
	}
	return carried{env: env}, nil
}
