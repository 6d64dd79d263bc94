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
// The evidence is gathered and verified once, by the deploy gate
// (gate.Collect); FromGate takes what the gate verified:
//
//	ev, err := gate.Collect(ctx, gate.Sources{Attestations: atts, Model: modelDir, ModelSignature: sig}, trust)
//	in, err := mlbom.FromGate(ev)     // fails on an unverified model or a rejected attestation
//	b, err := mlbom.Derive(in)
//	cdx, err := b.CycloneDX()         // or b.SPDX()
//
// A caller that verified the pieces itself fills Evidence directly.
//
// mlbom is a composition package: it imports gate, signing and provenance.
package mlbom
