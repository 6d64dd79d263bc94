package signing

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/docread"
	"github.com/mlsec-dev/mlsec/internal/intoto"
	"github.com/mlsec-dev/mlsec/internal/strictjson"
)

// Constants of the OMS v1.0 format (OpenSSF Model Signing specification
// v1.0, §4 and Appendix B).
const (
	BundleMediaType = intoto.BundleMediaTypeV03
	PayloadType     = intoto.PayloadType
	StatementType   = intoto.StatementType
	PredicateType   = "https://model_signing/signature/v1.0"
	// legacyPredicateType is the v0.2 format, verified but never written.
	legacyPredicateType = "https://model_signing/Digests/v0.1"
)

// The Sigstore bundle (protobuf-specs Bundle, proto3 JSON) as the shared
// codec reads and writes it; OMS uses the v0.3 bundle holding a DSSE
// envelope. Unknown fields are ignored on reading.
type (
	bundle               = intoto.Bundle
	verificationMaterial = intoto.VerificationMaterial
	publicKeyIdentifier  = intoto.PublicKeyIdentifier
	certificateChain     = intoto.CertificateChain
	rawCertificate       = intoto.RawCertificate
	envelope             = intoto.BundleEnvelope
	// envelopeSignature's keyid is absent, "" or null in the wild (spec
	// §4.1); "" is written.
	envelopeSignature = intoto.BundleSignature
)

// decodeBase64 accepts standard and URL-safe base64, padded or not, as
// proto3 JSON readers do for bytes fields (and as every mlsec reader does).
func decodeBase64(s string) ([]byte, error) { return intoto.DecodeBase64(s) }

// parseBundle decodes a bundle and checks its structure (not its
// signature). The returned payload is the exact signed statement bytes.
func parseBundle(data []byte) (*bundle, []byte, []byte, error) {
	b, err := intoto.ParseBundle(data)
	if err != nil {
		return nil, nil, nil, bundleErr(RuleMalformed, "%v", err)
	}
	if intoto.BundleVersion(b.MediaType) != "0.3" {
		return nil, nil, nil, bundleErr(RuleMediaType, "got %q, want %q", b.MediaType, BundleMediaType)
	}
	if b.VerificationMaterial == nil {
		return nil, nil, nil, bundleErr(RuleVerificationMaterial, "missing verificationMaterial")
	}
	e := b.DSSEEnvelope
	if e == nil {
		return nil, nil, nil, bundleErr(RuleMalformed, "missing dsseEnvelope (OMS signatures are DSSE envelopes)")
	}
	if len(e.Signatures) == 0 {
		return nil, nil, nil, bundleErr(RuleSignature, "envelope has no signature")
	}
	payload, err := decodeBase64(e.Payload)
	if err != nil || len(payload) == 0 {
		return nil, nil, nil, bundleErr(RuleMalformed, "envelope payload: invalid or empty base64")
	}
	sig, err := decodeBase64(e.Signatures[0].Sig)
	if err != nil || len(sig) == 0 {
		return nil, nil, nil, bundleErr(RuleMalformed, "envelope signature: invalid or empty base64")
	}
	return b, payload, sig, nil
}

// legacyPAE is the pre-authentication encoding model_signing v0.2 signed
// by mistake: "DSSEV1 28 application/vnd.in-toto+json <len> " followed by
// Python's repr() of the payload bytes. Only ever used to verify.
func legacyPAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "DSSEV1 %d %s %d ", len(payloadType), payloadType, len(payload))
	b.WriteString(pythonBytesRepr(payload))
	return b.Bytes()
}

// pythonBytesRepr reproduces Python 3's repr() of a bytes object.
func pythonBytesRepr(p []byte) string {
	quote := byte('\'')
	if bytes.IndexByte(p, '\'') >= 0 && bytes.IndexByte(p, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte('b')
	b.WriteByte(quote)
	for _, c := range p {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pae is the DSSE v1 pre-authentication encoding.
func pae(payloadType string, payload []byte) []byte { return intoto.PAE(payloadType, payload) }

// object is a JSON object read with exact (case-sensitive) keys, unlike
// encoding/json's struct decoding, so that mlsec reads a signed statement
// the way other OMS verifiers do.
type object map[string]json.RawMessage

func parseObject(raw json.RawMessage, what string) (object, error) {
	var o object
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		return nil, fmt.Errorf("%s is not a JSON object", what)
	}
	return o, nil
}

func (o object) has(k string) bool { _, ok := o[k]; return ok }

func (o object) str(k string) (string, bool) {
	var s string
	raw, ok := o[k]
	if !ok || json.Unmarshal(raw, &s) != nil || (len(raw) > 0 && raw[0] != '"') {
		return "", false
	}
	return s, true
}

func (o object) boolean(k string) (bool, bool) {
	var v bool
	raw, ok := o[k]
	if !ok || json.Unmarshal(raw, &v) != nil {
		return false, false
	}
	return v, true
}

// integer reads a non-negative integer, also when written as a float with
// a zero fraction ("1000000000.0"), as protobuf Struct values are.
func (o object) integer(k string) (int64, bool) {
	raw, ok := o[k]
	if !ok {
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func (o object) array(k string) ([]json.RawMessage, bool) {
	var a []json.RawMessage
	raw, ok := o[k]
	if !ok || json.Unmarshal(raw, &a) != nil || (len(raw) > 0 && raw[0] != '[') {
		return nil, false
	}
	return a, true
}

// statement is a parsed OMS statement.
type statement struct {
	subjectName   string
	rootDigest    []byte // nil for the legacy predicate
	serialization Serialization
	resources     []Resource
	legacy        bool
}

// parseStatement checks the statement and predicate and returns the
// manifest they describe. Resource names are checked with checkResourceName.
func parseStatement(payload []byte) (*statement, error) {
	// A key given twice means what the last reader to parse it decides:
	// refuse it, with nesting and size, before reading the statement.
	if err := strictjson.Check(payload); err != nil {
		return nil, bundleErr(RuleStatement, "payload: %v", err)
	}
	st, err := parseObject(payload, "payload")
	if err != nil {
		return nil, bundleErr(RuleStatement, "%v", err)
	}
	if t, _ := st.str("_type"); t != StatementType {
		return nil, bundleErr(RuleStatement, "_type is %q, want %q", t, StatementType)
	}
	subjects, ok := st.array("subject")
	if !ok || len(subjects) == 0 {
		return nil, bundleErr(RuleSubject, "missing subject")
	}
	pt, _ := st.str("predicateType")
	switch pt {
	case PredicateType:
		return parseV1(st, subjects)
	case legacyPredicateType:
		return parseLegacy(subjects)
	}
	return nil, bundleErr(RulePredicateType, "got %q, want %q", pt, PredicateType)
}

func parseDigestSet(raw json.RawMessage) (object, error) {
	s, err := parseObject(raw, "subject")
	if err != nil {
		return nil, err
	}
	d, ok := s["digest"]
	if !ok {
		return nil, errors.New("subject has no digest")
	}
	return parseObject(d, "subject digest")
}

func parseV1(st object, subjects []json.RawMessage) (*statement, error) {
	if len(subjects) != 1 {
		return nil, bundleErr(RuleSubject, "%d subjects, want exactly 1", len(subjects))
	}
	subj, err := parseObject(subjects[0], "subject")
	if err != nil {
		return nil, bundleErr(RuleSubject, "%v", err)
	}
	name, _ := subj.str("name")
	ds, err := parseDigestSet(subjects[0])
	if err != nil {
		return nil, bundleErr(RuleSubject, "%v", err)
	}
	hexRoot, ok := ds.str("sha256")
	root, err := hex.DecodeString(hexRoot)
	if !ok || err != nil || len(root) != 32 || hexRoot != strings.ToLower(hexRoot) {
		return nil, bundleErr(RuleSubject, "subject digest has no valid sha256")
	}

	rawPred, ok := st["predicate"]
	if !ok {
		return nil, bundleErr(RuleStatement, "missing predicate")
	}
	pred, err := parseObject(rawPred, "predicate")
	if err != nil {
		return nil, bundleErr(RuleStatement, "%v", err)
	}
	rawSer, ok := pred["serialization"]
	if !ok {
		return nil, bundleErr(RuleSerialization, "missing predicate.serialization")
	}
	ser, err := parseSerialization(rawSer)
	if err != nil {
		return nil, err
	}
	rawRes, ok := pred.array("resources")
	if !ok {
		return nil, bundleErr(RuleResources, "missing predicate.resources")
	}
	if len(rawRes) == 0 {
		return nil, bundleErr(RuleResources, "no resources: the signature covers nothing")
	}
	out := &statement{subjectName: name, rootDigest: root, serialization: ser}
	seen := make(map[string]bool, len(rawRes))
	for i, raw := range rawRes {
		r, err := parseResource(raw, ser)
		if err != nil {
			return nil, bundleErr(RuleResources, "resource %d: %v", i, err)
		}
		if seen[r.Name] {
			return nil, bundleErr(RuleResources, "resource %q listed twice", r.Name)
		}
		seen[r.Name] = true
		out.resources = append(out.resources, r)
	}
	if got := rootDigest(out.resources); !bytes.Equal(got, root) {
		return nil, bundleErr(RuleRootDigest, "subject digest %x, resources hash to %x", root, got)
	}
	return out, nil
}

func parseSerialization(raw json.RawMessage) (Serialization, error) {
	o, err := parseObject(raw, "serialization")
	if err != nil {
		return Serialization{}, bundleErr(RuleSerialization, "%v", err)
	}
	var s Serialization
	m, _ := o.str("method")
	s.Method = Method(m)
	if s.Method != MethodFiles && s.Method != MethodShards {
		return s, bundleErr(RuleSerialization, "unknown method %q", m)
	}
	h, _ := o.str("hash_type")
	s.Hash = HashAlgorithm(h)
	if s.Hash.size() == 0 {
		return s, bundleErr(RuleSerialization, "unknown hash_type %q", h)
	}
	if o.has("allow_symlinks") {
		v, ok := o.boolean("allow_symlinks")
		if !ok {
			return s, bundleErr(RuleSerialization, "allow_symlinks is not a boolean")
		}
		s.AllowSymlinks = v
	}
	if s.Method == MethodShards {
		n, ok := o.integer("shard_size")
		if !ok || n <= 0 {
			return s, bundleErr(RuleSerialization, "shards method needs a positive integer shard_size")
		}
		s.ShardSize = n
	}
	if o.has("ignore_paths") {
		ips, ok := o.array("ignore_paths")
		if !ok {
			return s, bundleErr(RuleSerialization, "ignore_paths is not an array")
		}
		for _, raw := range ips {
			var p string
			if json.Unmarshal(raw, &p) != nil {
				return s, bundleErr(RuleSerialization, "ignore_paths holds a non-string")
			}
			if err := checkIgnorePath(p); err != nil {
				return s, bundleErr(RuleSerialization, "ignore_paths: %v", err)
			}
			s.IgnorePaths = append(s.IgnorePaths, p)
		}
	}
	return s, nil
}

func parseResource(raw json.RawMessage, ser Serialization) (Resource, error) {
	o, err := parseObject(raw, "resource")
	if err != nil {
		return Resource{}, err
	}
	var r Resource
	var ok bool
	if r.Name, ok = o.str("name"); !ok {
		return r, errors.New("missing name")
	}
	if err := checkResourceName(r.Name, ser); err != nil {
		return r, err
	}
	if r.Algorithm, ok = o.str("algorithm"); !ok {
		return r, fmt.Errorf("%q: missing algorithm", r.Name)
	}
	want := string(ser.Hash)
	// model_signing ≤1.1 names shard digests "<hash>-sharded-<size>".
	legacy := fmt.Sprintf("%s-sharded-%d", ser.Hash, ser.ShardSize)
	if r.Algorithm != want && !(ser.Method == MethodShards && r.Algorithm == legacy) {
		return r, fmt.Errorf("%q: algorithm %q does not match hash_type %q", r.Name, r.Algorithm, ser.Hash)
	}
	d, ok := o.str("digest")
	if !ok {
		return r, fmt.Errorf("%q: missing digest", r.Name)
	}
	if r.Digest, err = hex.DecodeString(d); err != nil || len(r.Digest) != ser.Hash.size() || d != strings.ToLower(d) {
		return r, fmt.Errorf("%q: digest is not %d lowercase hex bytes", r.Name, ser.Hash.size())
	}
	return r, nil
}

// parseLegacy reads the v0.2 predicate: one subject per file with its
// SHA-256, no root digest.
func parseLegacy(subjects []json.RawMessage) (*statement, error) {
	out := &statement{legacy: true, serialization: Serialization{Method: MethodFiles, Hash: SHA256}}
	seen := map[string]bool{}
	for i, raw := range subjects {
		s, err := parseObject(raw, "subject")
		if err != nil {
			return nil, bundleErr(RuleSubject, "subject %d: %v", i, err)
		}
		name, _ := s.str("name")
		if err := checkResourceName(name, out.serialization); err != nil {
			return nil, bundleErr(RuleResources, "subject %d: %v", i, err)
		}
		ds, err := parseDigestSet(raw)
		if err != nil {
			return nil, bundleErr(RuleSubject, "subject %d: %v", i, err)
		}
		h, _ := ds.str("sha256")
		d, err := hex.DecodeString(h)
		if err != nil || len(d) != 32 {
			return nil, bundleErr(RuleSubject, "subject %q: no valid sha256 digest", name)
		}
		if seen[name] {
			return nil, bundleErr(RuleResources, "subject %q listed twice", name)
		}
		seen[name] = true
		out.resources = append(out.resources, Resource{Name: name, Algorithm: string(SHA256), Digest: d})
	}
	return out, nil
}

// ReadSignature reads an OMS signature (a Sigstore bundle) for [Verify]:
// a regular file of at most 64 MiB. A FIFO, a device such as /dev/zero or
// a directory is refused without blocking, and a larger file fails once
// 64 MiB have been read, with an error naming path and the limit.
func ReadSignature(ctx context.Context, path string) ([]byte, error) {
	b, err := docread.ReadFile(ctx, path, docread.DocumentLimit)
	if err != nil {
		return nil, fmt.Errorf("signing: signature: %w", err)
	}
	return b, nil
}

// ReadTrustMaterial reads a Sigstore trusted_root.json or a PEM file of
// certificates for [VerifyOptions]: a regular file of at most 1 MiB,
// refused as [ReadSignature] refuses a signature.
func ReadTrustMaterial(ctx context.Context, path string) ([]byte, error) {
	b, err := docread.ReadFile(ctx, path, docread.ConfigLimit)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return b, nil
}
