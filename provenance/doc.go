// Package provenance records, signs and verifies where ML artifacts come
// from: SLSA Provenance v1 in in-toto Statement v1, signed as DSSE
// envelopes, for each step of a pipeline (dataset build, training,
// fine-tune, evaluation), chained by digests so that a deploy gate can
// trace a model back to the raw files it was trained on.
//
// A step records what it consumed and produced with a Recorder, and signs
// the resulting Statement with sigstore's signature.SignerVerifier, the key
// value model signing takes too (a key file, a KMS or an HSM key, as
// secrets.LoadSigner returns it; [SignDSSE] takes DSSE signers instead):
//
//	signer, _ := secrets.LoadSigner(ctx, "awskms:///alias/ml-provenance", secrets.KeyOptions{})
//	rec := provenance.NewRecorder("https://ci.example.com/trainer", provenance.BuildTypeTraining, provenance.RecorderOptions{})
//	rec.SetParameter("seed", 42)
//	rec.AddInputPath(ctx, "reviews", "data/reviews")   // a dataset version: dirHash of its manifest
//	rec.AddOutputPath(ctx, "model.safetensors", "out/model.safetensors")
//	st, _ := rec.Finish()
//	env, _ := provenance.Sign(ctx, st, signer)
//
// A consumer verifies the envelope against a Policy (data, loadable from
// YAML or JSON, or built in Go: both go through [Policy.Validate]) and the
// artifact at hand:
//
//	policy, _ := provenance.LoadPolicy("policy.yaml")
//	v, err := provenance.Verify(ctx, env, policy, provenance.VerifyOptions{Subjects: []provenance.DigestSet{modelDigest}})
//
// Verify checks the payloadType, then the signatures, then, on the verified
// bytes only, every policy rule, and reports every violated rule as a
// *Violation inside a *VerificationError. Each rule is a step of its own,
// named by a Rule constant. Verify reads SLSA provenance by default and any
// other in-toto predicate type named in VerifyOptions.PredicateType (a
// test result, say), whose predicate the caller decodes from
// Verified.Payload.
//
// A deploy gate or an auditor works on a store of attestations: it reads
// them, picks those about its artifact, verifies each, and traces the
// lineage through the statements that verified:
//
//	store, _ := provenance.ReadAttestations("attestations")
//	results, err := store.About(provenance.PredicateSLSAProvenance, modelDigest).
//		Verify(ctx, policy, provenance.VerifyOptions{Subjects: []provenance.DigestSet{modelDigest}})
//	lineage := results.Trace(modelDigest)
//
// Trace follows verified statements from an artifact down to its sources
// and reports gaps and breaks in the chain.
//
// Provenance signed keyless, as npm, PyPI and GitHub artifact attestations
// publish it (a short-lived Fulcio certificate naming the workflow, logged
// in Rekor), is verified offline by [VerifyBundle] or [Attestations.Verify]
// against a Sigstore trusted root in VerifyOptions.TrustedRoot, with the
// identities a TrustedBuilder trusts (issuer, SAN, workflow claims; see
// [TrustedIdentity]); keys and identities count toward one threshold, and
// Verified.Identity names who signed. A trusted root without a
// transparency log (GitHub's instance, which signs private repositories'
// attestations) is verified by RFC 3161 timestamps instead. [DigestFile]
// hashes an artifact with the algorithm its statement uses (npm: sha512).
//
// A threshold (k of n keys and identities) may also be met by separate
// attestations of one statement, each signed by a different trusted
// signer, as when a rebuilder's or a reviewer's attestation stands beside
// the builder's: [Attestations.VerifyQuorum] counts distinct signers
// across them, requires their statements to agree, and fails with a
// *QuorumError naming how many signers it found against how many the
// policy requires.
//
// Dataset versions are content-addressed: BuildManifest hashes every file
// in parallel with bounded memory, and the root digest is the in-toto
// dirHash of the files, independent of their order. DiffManifests compares
// two versions.
//
// The JSON written uses the standards' field names exactly (`_type`,
// `predicateType`, `buildDefinition`, ...). Envelopes are read and written
// as a DSSE JSON envelope, as `.intoto.jsonl` lines, or inside a Sigstore
// bundle (v0.1 to v0.3 read, v0.3 written). The buildType URIs mlsec owns, and the JSON Schemas of their
// externalParameters, are in the buildtypes directory of this package.
//
// # Files
//
// Each job of the package has its own files:
//
//   - statement model: statement.go (Statement, SLSA predicate, DigestSet),
//     parse.go (ParseStatement), buildtypes.go and buildtypes/ (mlsec's
//     buildType URIs and their externalParameters schemas).
//   - recording: recorder.go (Recorder, DigestPath).
//   - envelope I/O: envelope.go (Sign, DSSE JSON, JSON Lines and Sigstore
//     bundle carriers, ReadEnvelopes), strictjson.go (duplicate-key, size
//     and depth limits on untrusted JSON).
//   - dataset manifests: dataset.go (BuildManifest, DiffManifests).
//   - policy: policy.go (Policy, ParsePolicy, Validate), policy.schema.json,
//     policy_keys.go (loading a policy's keys, the only place keys become
//     verifiers).
//   - verification: verify.go (Verify, Verified, VerificationError and the
//     Rule names), verify_rules.go (one function per rule step),
//     verify_set.go (Attestations: read, select and verify a store),
//     verify_quorum.go (a threshold met across attestations),
//     keyless.go (keyless bundles, TrustedIdentity; the sigstore-go step
//     is internal/sigstorekeyless, shared with signing), digest_file.go
//     (DigestFile, subject algorithms).
//   - lineage: lineage.go (Trace), lineage_render.go (text and Graphviz).
//   - errors.go: the sentinel errors and FormatError shared by all jobs.
package provenance
