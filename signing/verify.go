package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
	"github.com/mlsec-dev/mlsec/internal/hashing"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// VerifyOptions configure Verify. Exactly one of Key, Roots and Sigstore
// is set.
type VerifyOptions struct {
	// Key verifies bundles made with the key method. It is the trust
	// anchor: a key embedded in an old bundle is never used.
	Key signature.Verifier
	// Roots verifies bundles made with the certificate method: the
	// bundle's chain must lead to one of them. As the reference tool does,
	// the chain is checked at the signing certificate's notBefore time, so
	// a signature stays valid after its certificate expires.
	Roots *x509.CertPool
	// Sigstore verifies keyless bundles, offline.
	Sigstore *Sigstore

	// IgnorePaths are excluded from the model in addition to those
	// recorded in the signature and DefaultIgnorePaths (relative to the
	// model root). Signatures from model_signing before 1.1 record none.
	IgnorePaths []string
	// IgnoreUnsignedFiles checks only the files the signature lists, so
	// files added to the model are not reported.
	IgnoreUnsignedFiles bool
	// Workers bounds parallel hashing; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, receives bytes hashed so far and the total.
	Progress func(done, total int64)
}

// Result describes a verified signature.
type Result struct {
	// Manifest is what the signature covers, as it lists it.
	Manifest *Manifest
	// Certificate is the signing certificate (certificate and keyless
	// methods).
	Certificate *x509.Certificate
	// Legacy reports the v0.2 format of model_signing 0.2 (no root digest).
	Legacy bool
	// EmptyFiles lists, for a signature made with MethodShards, the empty
	// files found in the model: they have no shard, so the signature does
	// not cover them (see [MethodShards]). A caller that wants every file
	// covered refuses a model where this is not empty.
	EmptyFiles []string
}

// Verify checks the signature bundle (the JSON of a model.sig) against
// the key or trust anchors in opts, then re-hashes the model at modelPath
// and compares it with what the signature lists.
//
// A failure is a *BundleError (which rule of the format or signature
// failed), a *MismatchError (which files changed, are missing or were
// added), an *UnhashableError (the model holds an entry no signature can
// cover: a link, a special file, an unsafe name), or another error for
// unreadable input (a model path that is a device, for instance). Resource names in the
// bundle are only compared with names found on disk, never opened.
func Verify(ctx context.Context, modelPath string, bundleJSON []byte, opts VerifyOptions) (*Result, error) {
	res, err := verifyBundle(ctx, bundleJSON, opts)
	if err != nil {
		return nil, err
	}
	if err := checkModel(ctx, modelPath, res, opts); err != nil {
		return nil, err
	}
	return res, nil
}

// verifyBundle checks everything but the model: structure, signature,
// statement and root digest.
func verifyBundle(ctx context.Context, bundleJSON []byte, opts VerifyOptions) (*Result, error) {
	n := 0
	for _, set := range []bool{opts.Key != nil, opts.Roots != nil, opts.Sigstore != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("signing: verify needs exactly one of a key, certificate roots and a Sigstore trusted root")
	}
	b, payload, sig, err := parseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	switch {
	case opts.Key != nil:
		err = verifyWithKey(ctx, b, payload, sig, opts.Key)
	case opts.Roots != nil:
		res.Certificate, err = verifyWithChain(b, payload, sig, opts.Roots)
	default:
		if b.VerificationMaterial.Certificate == nil {
			return nil, bundleErr(RuleVerificationMaterial, "not a keyless (Sigstore) bundle: verify it with a key or certificate roots")
		}
		res.Certificate, err = verifyKeyless(bundleJSON, payload, opts.Sigstore)
	}
	if err != nil {
		return nil, err
	}
	if b.DSSEEnvelope.PayloadType != PayloadType {
		return nil, bundleErr(RulePayloadType, "got %q, want %q", b.DSSEEnvelope.PayloadType, PayloadType)
	}
	st, err := parseStatement(payload)
	if err != nil {
		return nil, err
	}
	res.Legacy = st.legacy
	res.Manifest = &Manifest{Name: st.subjectName, Serialization: st.serialization, Resources: st.resources}
	return res, nil
}

func verifyWithKey(ctx context.Context, b *bundle, payload, sig []byte, key signature.Verifier) error {
	pub, err := key.PublicKey(options.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("signing: verification key: %w", err)
	}
	if pk := b.VerificationMaterial.PublicKey; pk != nil && pk.Hint != "" {
		want, err := keyHint(pub)
		if err != nil {
			return err
		}
		if pk.Hint != want {
			return bundleErr(RuleKeyHint, "bundle was signed by key %s, not the given key %s", pk.Hint, want)
		}
	}
	if verifySig(ctx, key, sig, pae(b.DSSEEnvelope.PayloadType, payload)) || verifySig(ctx, key, sig, legacyPAE(b.DSSEEnvelope.PayloadType, payload)) {
		return nil
	}
	return bundleErr(RuleSignature, "does not verify with the given key")
}

func verifySig(ctx context.Context, v signature.Verifier, sig, msg []byte) bool {
	return v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg), options.WithContext(ctx)) == nil
}

func verifyWithChain(b *bundle, payload, sig []byte, roots *x509.CertPool) (*x509.Certificate, error) {
	vm := b.VerificationMaterial
	if vm.X509CertificateChain == nil || len(vm.X509CertificateChain.Certificates) == 0 {
		if vm.Certificate != nil {
			return nil, bundleErr(RuleVerificationMaterial, "a keyless (Sigstore) bundle: it needs a Sigstore trusted root, not a certificate chain")
		}
		return nil, bundleErr(RuleVerificationMaterial, "no x509CertificateChain: not made with the certificate method")
	}
	var certs []*x509.Certificate
	for i, rc := range vm.X509CertificateChain.Certificates {
		der, err := decodeBase64(rc.RawBytes)
		if err != nil {
			return nil, bundleErr(RuleCertificate, "certificate %d: %v", i, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, bundleErr(RuleCertificate, "certificate %d: %v", i, err)
		}
		certs = append(certs, c)
	}
	leaf := certs[0]
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   leaf.NotBefore,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, bundleErr(RuleCertificate, "%v", err)
	}
	if !certUsageOK(leaf) {
		return nil, bundleErr(RuleCertificate, "signing certificate %q allows neither digitalSignature nor codeSigning", leaf.Subject)
	}
	if err := checkKey(leaf.PublicKey); err != nil {
		return nil, bundleErr(RuleCertificate, "%v", err)
	}
	pub := leaf.PublicKey.(*ecdsa.PublicKey)
	v, err := signature.LoadVerifier(pub, curveHash(pub))
	if err != nil {
		return nil, bundleErr(RuleCertificate, "%v", err)
	}
	if verifySig(context.Background(), v, sig, pae(b.DSSEEnvelope.PayloadType, payload)) {
		return leaf, nil
	}
	// model_signing 0.2 hashed its legacy encoding with SHA-256 whatever
	// the curve.
	if v, err := signature.LoadVerifier(pub, crypto.SHA256); err == nil && verifySig(context.Background(), v, sig, legacyPAE(b.DSSEEnvelope.PayloadType, payload)) {
		return leaf, nil
	}
	return nil, bundleErr(RuleSignature, "does not verify with the signing certificate's key")
}

// curveHash is the hash OMS pairs with the certificate key's curve: the
// one table of key to hash, dssesig.DefaultHash.
func curveHash(pub *ecdsa.PublicKey) crypto.Hash {
	h, err := dssesig.DefaultHash(pub)
	if err != nil {
		return crypto.SHA256
	}
	return h
}

// checkModel re-hashes the model as the signature says it was hashed and
// compares.
func checkModel(ctx context.Context, modelPath string, res *Result, opts VerifyOptions) error {
	ser := res.Manifest.Serialization
	for _, p := range opts.IgnorePaths {
		if err := checkIgnorePath(p); err != nil {
			return fmt.Errorf("signing: ignore path: %w", err)
		}
	}
	info, err := os.Stat(modelPath)
	if err != nil {
		return fmt.Errorf("signing: model: %w", err)
	}
	singleFile := info.Mode().IsRegular()
	files, err := hashing.Walk(ctx, modelPath, hashing.WalkOptions{
		Ignore:        ignoreList(ser.IgnorePaths, opts.IgnorePaths),
		AllowSymlinks: ser.AllowSymlinks,
	})
	if err != nil {
		return modelErr(modelPath, err)
	}
	if singleFile && len(files) != 1 {
		return fmt.Errorf("signing: model %s: a file, but not one item", hashing.QuoteName(modelPath))
	}

	// Expected digests by name; the reference tool names a single-file
	// model ".", the OMS specification by its base name: accept both.
	localName := func(name string) string {
		if !singleFile {
			return name
		}
		if ser.Method == MethodShards {
			if f, s, e, err := parseShardName(name); err == nil && f == "." {
				return shardName(files[0].Name, s, e)
			}
			return name
		}
		if name == "." {
			return files[0].Name
		}
		return name
	}
	want := make(map[string][]byte, len(res.Manifest.Resources))
	signedFiles := map[string]bool{}
	for _, r := range res.Manifest.Resources {
		n := localName(r.Name)
		if _, dup := want[n]; dup {
			return bundleErr(RuleResources, "resource %q listed twice", n)
		}
		want[n] = r.Digest
		if ser.Method == MethodShards {
			f, _, _, _ := parseShardName(n)
			signedFiles[f] = true
		} else {
			signedFiles[n] = true
		}
	}
	if ser.Method == MethodShards {
		for _, f := range files {
			if f.Size == 0 {
				res.EmptyFiles = append(res.EmptyFiles, f.Name)
			}
		}
	}
	if opts.IgnoreUnsignedFiles {
		files = slices.DeleteFunc(files, func(f hashing.File) bool { return !signedFiles[f.Name] })
	}

	ho := hashing.Options{Algorithm: hashing.Algorithm(ser.Hash), Workers: opts.Workers, Progress: opts.Progress}
	if ser.Method == MethodShards {
		ho.ShardSize = ser.ShardSize
	}
	ds, err := hashing.Hash(ctx, files, ho)
	if err != nil {
		return modelErr(modelPath, err)
	}
	var mm MismatchError
	seen := make(map[string]bool, len(ds))
	for _, d := range ds {
		n := d.File.Name
		if ser.Method == MethodShards {
			n = shardName(n, d.Start, d.End)
		}
		seen[n] = true
		w, ok := want[n]
		switch {
		case !ok:
			mm.Extra = append(mm.Extra, n)
		case !bytes.Equal(w, d.Sum):
			mm.Changed = append(mm.Changed, n)
		}
	}
	for n := range want {
		if !seen[n] {
			mm.Missing = append(mm.Missing, n)
		}
	}
	if len(mm.Changed)+len(mm.Missing)+len(mm.Extra) > 0 {
		slices.Sort(mm.Changed)
		slices.Sort(mm.Missing)
		slices.Sort(mm.Extra)
		return &mm
	}
	return nil
}

// VerifyManifest checks the signature bundle as Verify does, then compares
// what it lists with current, the manifest of the model as it is now,
// built without reading files: from the image manifest of a model in an
// OCI registry, whose raw layers are its files. A signature made by Sign
// on disk verifies here, and one made by SignManifest verifies on disk.
//
// current must be hashed the way the signature says (same method, hash
// and shard size); otherwise nothing can be compared and an error says
// so. Resources of current under an ignore path (recorded in the
// signature, in DefaultIgnorePaths or in opts.IgnorePaths) are left out.
// Differences are a *MismatchError, as on disk.
func VerifyManifest(ctx context.Context, current *Manifest, bundleJSON []byte, opts VerifyOptions) (*Result, error) {
	if current == nil {
		return nil, errors.New("signing: no manifest to verify")
	}
	for _, p := range opts.IgnorePaths {
		if err := checkIgnorePath(p); err != nil {
			return nil, fmt.Errorf("signing: ignore path: %w", err)
		}
	}
	res, err := verifyBundle(ctx, bundleJSON, opts)
	if err != nil {
		return nil, err
	}
	signed, have := res.Manifest.Serialization, current.Serialization
	if signed.Method != have.Method || signed.Hash != have.Hash || (signed.Method == MethodShards && signed.ShardSize != have.ShardSize) {
		return nil, fmt.Errorf("signing: the signature lists %s digests by the %s method, the manifest %s digests by the %s method: they cannot be compared",
			signed.Hash, signed.Method, have.Hash, have.Method)
	}
	ignores := ignoreList(signed.IgnorePaths, opts.IgnorePaths)
	ignored := func(name string) bool {
		if signed.Method == MethodShards {
			name, _, _, _ = parseShardName(name)
		}
		for _, p := range ignores {
			if name == p || strings.HasPrefix(name, p+"/") {
				return true
			}
		}
		return false
	}
	want := make(map[string][]byte, len(res.Manifest.Resources))
	signedFiles := map[string]bool{}
	for _, r := range res.Manifest.Resources {
		if _, dup := want[r.Name]; dup {
			return nil, bundleErr(RuleResources, "resource %q listed twice", r.Name)
		}
		want[r.Name] = r.Digest
		f := r.Name
		if signed.Method == MethodShards {
			f, _, _, _ = parseShardName(r.Name)
		}
		signedFiles[f] = true
	}
	var mm MismatchError
	seen := make(map[string]bool, len(current.Resources))
	for _, r := range current.Resources {
		if ignored(r.Name) {
			continue
		}
		f := r.Name
		if signed.Method == MethodShards {
			f, _, _, _ = parseShardName(r.Name)
		}
		if opts.IgnoreUnsignedFiles && !signedFiles[f] {
			continue
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("signing: manifest lists %s twice", hashing.QuoteName(r.Name))
		}
		seen[r.Name] = true
		w, ok := want[r.Name]
		switch {
		case !ok:
			mm.Extra = append(mm.Extra, r.Name)
		case !bytes.Equal(w, r.Digest):
			mm.Changed = append(mm.Changed, r.Name)
		}
	}
	for n := range want {
		if !seen[n] {
			mm.Missing = append(mm.Missing, n)
		}
	}
	if len(mm.Changed)+len(mm.Missing)+len(mm.Extra) > 0 {
		slices.Sort(mm.Changed)
		slices.Sort(mm.Missing)
		slices.Sort(mm.Extra)
		return nil, &mm
	}
	return res, nil
}
