package oci

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mlsec-dev/mlsec/signing"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Artifact types of the evidence mlsec attaches to a model.
const (
	// ArtifactTypeSignature is an OMS signature: a Sigstore bundle v0.3,
	// the artifact type Sigstore's OCI conventions use for bundles.
	ArtifactTypeSignature = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// ArtifactTypeInToto is a DSSE envelope of an in-toto statement
	// (SLSA provenance, a validation or scan result).
	ArtifactTypeInToto = "application/vnd.in-toto+json"
)

// Attachment is a piece of evidence to attach to a model.
type Attachment struct {
	// ArtifactType says what it is (ArtifactTypeSignature,
	// ArtifactTypeInToto, or any media type).
	ArtifactType string
	// MediaType of Data; empty means ArtifactType.
	MediaType string
	// Data is the evidence itself, one blob.
	Data []byte
	// Annotations are written on the referrer's manifest.
	Annotations map[string]string
}

// Attach pushes evidence as an OCI 1.1 referrer of subject (a model
// manifest): an image manifest with the attachment's artifactType, an
// empty config, the evidence as its one layer, and subject pointing at
// the model. On a registry without the referrers API, oras-go also adds
// it to the index tagged sha256-<hex> (the referrers tag schema), which
// Referrers reads back.
func (r *Repository) Attach(ctx context.Context, subject ocispec.Descriptor, a Attachment) (ocispec.Descriptor, error) {
	if a.ArtifactType == "" {
		return ocispec.Descriptor{}, errors.New("oci: attach: no artifact type")
	}
	if int64(len(a.Data)) > maxEvidenceBytes {
		return ocispec.Descriptor{}, fmt.Errorf("oci: attach: %d bytes, more than %d", len(a.Data), maxEvidenceBytes)
	}
	mt := a.MediaType
	if mt == "" {
		mt = a.ArtifactType
	}
	layer := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(a.Data), Size: int64(len(a.Data))}
	if err := r.pushBytes(ctx, layer, a.Data); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := r.pushBytes(ctx, ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data); err != nil {
		return ocispec.Descriptor{}, err
	}
	sub := ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	man := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: a.ArtifactType,
		Config:       ocispec.Descriptor{MediaType: ocispec.MediaTypeEmptyJSON, Digest: ocispec.DescriptorEmptyJSON.Digest, Size: ocispec.DescriptorEmptyJSON.Size},
		Layers:       []ocispec.Descriptor{layer},
		Subject:      &sub,
		Annotations:  a.Annotations,
	}
	return r.pushManifest(ctx, man, "")
}

// Referrers lists the manifests that name subject as their subject,
// filtered by artifactType when it is not empty, through the referrers
// API or, where the registry has none, the referrers tag schema.
//
// The filter is applied here, not left to the registry: some registries
// ignore it, and some (go-containerregistry's) report the config's media
// type instead of the manifest's artifactType. A referrer the listing
// leaves ambiguous (no artifact type, or the empty config's type) is
// read to learn its own artifactType.
func (r *Repository) Referrers(ctx context.Context, subject ocispec.Descriptor, artifactType string) ([]ocispec.Descriptor, error) {
	var all []ocispec.Descriptor
	err := r.repo.Referrers(ctx, subject, "", func(rs []ocispec.Descriptor) error {
		all = append(all, rs...)
		if len(all) > 10_000 {
			return errors.New("more than 10000 referrers")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("oci: %s@%s: referrers: %w", r.Name(), subject.Digest, err)
	}
	out := []ocispec.Descriptor{}
	for _, d := range all {
		if d.ArtifactType == "" || d.ArtifactType == ocispec.MediaTypeEmptyJSON {
			if d.Size <= 0 || d.Size > maxManifestBytes {
				continue
			}
			b, err := r.fetchManifest(ctx, ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size})
			if err != nil {
				return nil, err
			}
			var man ocispec.Manifest
			if json.Unmarshal(b, &man) == nil {
				d.ArtifactType = man.ArtifactType
				if d.ArtifactType == "" {
					d.ArtifactType = man.Config.MediaType
				}
			}
		}
		if artifactType == "" || d.ArtifactType == artifactType {
			out = append(out, d)
		}
	}
	return out, nil
}

// FetchEvidence reads the one layer of a referrer that Attach pushed,
// checking that the referrer's subject is subject and every digest.
func (r *Repository) FetchEvidence(ctx context.Context, subject, referrer ocispec.Descriptor) ([]byte, *ocispec.Manifest, error) {
	if referrer.Size > maxManifestBytes || referrer.Size < 0 {
		return nil, nil, fmt.Errorf("oci: referrer %s: %d bytes, more than %d", referrer.Digest, referrer.Size, maxManifestBytes)
	}
	b, err := r.fetchManifest(ctx, ocispec.Descriptor{MediaType: referrer.MediaType, Digest: referrer.Digest, Size: referrer.Size})
	if err != nil {
		return nil, nil, err
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, nil, fmt.Errorf("oci: referrer %s: %w", referrer.Digest, err)
	}
	if man.Subject == nil || man.Subject.Digest != subject.Digest {
		return nil, nil, fmt.Errorf("oci: referrer %s does not name %s as its subject", referrer.Digest, subject.Digest)
	}
	if len(man.Layers) != 1 {
		return nil, nil, fmt.Errorf("oci: referrer %s has %d layers, want 1", referrer.Digest, len(man.Layers))
	}
	data, err := r.fetchBlob(ctx, man.Layers[0])
	if err != nil {
		return nil, nil, err
	}
	return data, &man, nil
}

// SigningManifest is the OMS manifest of the model's files as the
// registry lists them (files method, SHA-256): each raw layer's digest is
// its file's digest, so nothing but the manifest is read. A model with
// archive layers has its files listed only once they were read (Pull,
// Sign, Verify and Push read them); before that it is an error. Files at
// or under signing.DefaultIgnorePaths (.git, .gitattributes and the like,
// top level) are left out, as signing the directory on disk leaves them
// out.
func (m *Model) SigningManifest() (*signing.Manifest, error) {
	if len(m.Archives) > 0 && !m.archivesRead {
		return nil, fmt.Errorf("oci: %s@%s: %d archive layers not read yet: their files are unknown", m.Repository, m.Descriptor.Digest, len(m.Archives))
	}
	sm := &signing.Manifest{Name: m.Name, Serialization: signing.Serialization{Method: signing.MethodFiles, Hash: signing.SHA256}}
	for _, f := range m.Files {
		if defaultIgnored(f.Path) {
			// Signing on disk leaves these out (and records that it
			// does): so must a signature of the same files here, or a
			// model with a .gitattributes would not verify after a pull.
			continue
		}
		if f.Digest.Algorithm() != digest.SHA256 {
			return nil, fmt.Errorf("oci: layer %q: digest %s is not SHA-256, which OMS file digests need", f.Path, f.Digest)
		}
		raw, err := hex.DecodeString(f.Digest.Encoded())
		if err != nil {
			return nil, fmt.Errorf("oci: layer %q: %w", f.Path, err)
		}
		sm.Resources = append(sm.Resources, signing.Resource{Name: f.Path, Algorithm: string(signing.SHA256), Digest: raw})
	}
	return sm, nil
}

// fetchFiles is Fetch, then the files of archive layers: each archive is
// streamed once and every file in it hashed on the way, nothing written.
func (r *Repository) fetchFiles(ctx context.Context, ref string) (*Model, error) {
	m, err := r.Fetch(ctx, ref)
	if err != nil || len(m.Archives) == 0 {
		return m, err
	}
	names := newNameSet()
	var total int64
	for _, f := range m.Files {
		if err := names.claim(f.Path, false); err != nil {
			return nil, fmt.Errorf("oci: %s@%s: %w", r.Name(), m.Descriptor.Digest, err)
		}
	}
	for _, a := range m.Archives {
		total += a.Size
	}
	if err := r.readArchives(ctx, m, names, newProgress(r.opts.Progress, total), nil); err != nil {
		return nil, err
	}
	return m, nil
}

// defaultIgnored reports whether name is at or under one of the paths
// OMS signing always leaves out of a model (signing.DefaultIgnorePaths,
// top level only).
func defaultIgnored(name string) bool {
	for _, p := range signing.DefaultIgnorePaths {
		if name == p || strings.HasPrefix(name, p+"/") {
			return true
		}
	}
	return false
}

// SignResult is what Sign did.
type SignResult struct {
	Model *Model
	// Bundle is the OMS signature, as signing.Sign writes it on disk.
	Bundle []byte
	// Referrer is the manifest that attaches Bundle to the model.
	Referrer ocispec.Descriptor
}

// Sign signs the model ref names from its manifest alone (files method,
// SHA-256; no raw layer is downloaded) and attaches the OMS bundle as a
// referrer of artifactType ArtifactTypeSignature. The bundle is the one
// signing.Sign writes for the same files on disk. Archive layers (tar,
// tar+gzip, tar+zstd) are the exception: each is streamed once, its
// digest checked, and every file in it hashed on the way (Options.Archive
// bounds them). Only opts.Certificates of opts is used.
func (r *Repository) Sign(ctx context.Context, ref string, signer signature.SignerVerifier, opts signing.SignOptions) (*SignResult, error) {
	m, err := r.fetchFiles(ctx, ref)
	if err != nil {
		return nil, err
	}
	sm, err := m.SigningManifest()
	if err != nil {
		return nil, err
	}
	b, err := signing.SignManifest(ctx, sm, signer, opts)
	if err != nil {
		return nil, err
	}
	desc, err := r.Attach(ctx, m.Descriptor, Attachment{ArtifactType: ArtifactTypeSignature, Data: b})
	if err != nil {
		return nil, err
	}
	return &SignResult{Model: m, Bundle: b, Referrer: desc}, nil
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	signing.VerifyOptions
	// Bundle, if set, is the signature to check (a model.sig from disk)
	// instead of the model's signature referrers.
	Bundle []byte
}

// VerifyResult describes a verified model.
type VerifyResult struct {
	Model *Model
	// Signature is the referrer whose bundle verified (zero when
	// VerifyOptions.Bundle was given).
	Signature ocispec.Descriptor
	*signing.Result
}

// ErrNoSignature is returned by Verify when the model has no signature
// referrer.
var ErrNoSignature = errors.New("no signature attached")

// Verify checks the model ref names against an OMS signature without
// downloading raw layers (archive layers are streamed once and hashed,
// as in Sign): the signature attached as a referrer (any one
// that verifies with the key or roots of opts), or opts.Bundle. A tag is
// resolved to a digest first; the result's Model.Descriptor says which.
// Failures are signing's typed errors: *signing.MismatchError (a layer
// changed, missing or added), *signing.BundleError (signed by another
// key, tampered bundle), or ErrNoSignature.
func (r *Repository) Verify(ctx context.Context, ref string, opts VerifyOptions) (*VerifyResult, error) {
	m, err := r.fetchFiles(ctx, ref)
	if err != nil {
		return nil, err
	}
	sm, err := m.SigningManifest()
	if err != nil {
		return nil, err
	}
	if opts.Bundle != nil {
		res, err := signing.VerifyManifest(ctx, sm, opts.Bundle, opts.VerifyOptions)
		if err != nil {
			return nil, err
		}
		return &VerifyResult{Model: m, Result: res}, nil
	}
	refs, err := r.Referrers(ctx, m.Descriptor, ArtifactTypeSignature)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("oci: %s@%s: %w", r.Name(), m.Descriptor.Digest, ErrNoSignature)
	}
	// Several signatures may be attached (by several keys, or before and
	// after a change): the model verifies if one of them does. Otherwise
	// report the most telling failure: a signature by the right key that
	// lists other files beats one by another key.
	var best error
	rank := func(err error) int {
		var mm *signing.MismatchError
		var be *signing.BundleError
		switch {
		case errors.As(err, &mm):
			return 3
		case errors.As(err, &be) && be.Rule != signing.RuleKeyHint && be.Rule != signing.RuleSignature:
			return 2
		case errors.As(err, &be):
			return 1
		}
		return 0
	}
	for _, d := range refs {
		data, _, err := r.FetchEvidence(ctx, m.Descriptor, d)
		if err == nil {
			var res *signing.Result
			res, err = signing.VerifyManifest(ctx, sm, data, opts.VerifyOptions)
			if err == nil {
				return &VerifyResult{Model: m, Signature: d, Result: res}, nil
			}
		}
		if best == nil || rank(err) > rank(best) {
			best = err
		}
	}
	return nil, best
}
