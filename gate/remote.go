package gate

import (
	"context"
	"errors"
	"fmt"

	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

// RemoteModel is a model that is not on this machine's disk: a model in
// an OCI registry, whose manifest lists its files by digest. Nothing in it
// is trusted: its signatures are verified against Trust.Model over
// Manifest, and the subject is Manifest's OMS root digest, so a manifest
// that is not the signed one fails verification.
//
// Fill it from the oci package: oci.Open and Repository.Fetch give the
// model (Model.SigningManifest is Manifest), Repository.Referrers with
// oci.ArtifactTypeSignature and FetchEvidence give the signatures, and the
// in-toto referrers (oci.ArtifactTypeInToto, read with
// provenance.ReadEnvelopes) join Sources.Attestations. `mlsec gate
// oci://...` does exactly that.
type RemoteModel struct {
	// Location names the model in the document (e.g.
	// "oci://host/repo@sha256:...").
	Location string
	// Name is the model's name (default Location).
	Name string
	// Manifest lists the model's files by digest (OMS files method).
	Manifest *signing.Manifest
	// Signatures are the OMS bundles attached to the model; the model is
	// signed when one of them verifies.
	Signatures []RemoteBlob
}

// RemoteBlob is one piece of evidence read from where the model lives,
// with the name of where it came from.
type RemoteBlob struct {
	Source string
	Data   []byte
}

// collectRemote verifies the signatures of a remote model over its
// manifest and fixes the subject. The files are not on disk, so they are
// not scanned (pull the model and give its directory for that).
func collectRemote(ctx context.Context, src Sources, trust Trust, ev *Evidence) error {
	rm := src.Remote
	if rm.Manifest == nil {
		return fmt.Errorf("gate: remote model %s: no manifest", rm.Location)
	}
	if ev.Subject.Name == "" {
		ev.Subject.Name = rm.Name
		if rm.Name == "" {
			ev.Subject.Name = rm.Location
		}
	}
	d := rm.Manifest.RootDigest()
	root := provenance.DigestSet{d.Algorithm: d.Hex()}
	sigEv := &SignatureEvidence{Source: "OMS signature of " + rm.Location}
	ev.Signature = sigEv
	switch {
	case len(rm.Signatures) == 0:
		sigEv.Error = "the model has no OMS signature"
	case trust.Model.Key == nil && trust.Model.Roots == nil && trust.Model.Sigstore == nil:
		sigEv.Error = "no trusted key, roots or Sigstore trust root for the OMS signature"
	default:
		// Several signatures may be attached (several keys, or before
		// and after a change): one that verifies is enough.
		var errs []error
		for _, b := range rm.Signatures {
			res, err := signing.VerifyManifest(ctx, rm.Manifest, b.Data, trust.Model)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				errs = append(errs, fmt.Errorf("%s: %w", b.Source, err))
				continue
			}
			sigEv.Source = b.Source
			sigEv.Verified = true
			sigEv.Files = len(res.Manifest.Resources)
			sigEv.Signer = signerOf(trust.Model, res.Certificate)
			ev.manifest = res.Manifest
			break
		}
		if !sigEv.Verified {
			sigEv.Error = errors.Join(errs...).Error()
		}
	}
	if len(ev.Subject.Digest) == 0 {
		ev.Subject.Digest = root
	} else if !digestsMatch(ev.Subject.Digest, root) {
		sigEv.Verified = false
		ev.manifest = nil
		sigEv.Error = fmt.Sprintf("model %s digest %s is not the subject %s", rm.Location, fmtDigest(root), fmtDigest(ev.Subject.Digest))
	}
	return nil
}
