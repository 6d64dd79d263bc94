// Package mlbom derives a machine-learning bill of materials from verified
// evidence: a CycloneDX 1.6 ML-BOM or an SPDX 3.0.1 document with the AI and
// Dataset profiles, in which every entry is backed by a signature.
//
// Other generators build an AI BOM from what a repository or a model hub
// claims. mlbom starts from what mlsec verified: the model's OMS manifest
// (the files and their digests, from signing.Verify) and the in-toto
// statements that passed provenance verification (the training run's SLSA
// provenance, the datasets' build provenance, validation test results).
// Whatever the evidence does not prove is left out: a dataset the training
// run used but whose own provenance was not given appears with its digest
// and is marked unverified, never with an invented version or source.
//
// Output is deterministic (the same evidence gives the same bytes: no clock,
// no random serial number), so a BOM can itself be signed as an in-toto
// attestation over the model's digest.
//
// The shortest use, after verifying the model and its attestations:
//
//	res, _ := signing.Verify(ctx, modelDir, sig, verifyOpts)
//	results, _ := attestations.Verify(ctx, policy, provenance.VerifyOptions{})
//	b, err := mlbom.Derive(mlbom.Evidence{Model: res.Manifest, Attestations: results.Verified()})
//	cdx, err := b.CycloneDX() // or b.SPDX()
//
// mlbom is a composition package: it imports signing and provenance, which
// never import each other.
package mlbom
