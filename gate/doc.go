// Package gate decides whether a model may be deployed, once, over all the
// evidence about it together, and records the decision as a signed
// verdict later steps check cheaply.
//
// It composes the independent mlsec packages. [Collect] gathers the
// evidence about one model digest from an attestation store (DSSE
// envelopes read with provenance.ReadAttestations) and, when given, the
// model directory: it verifies the OMS signature (signing.Verify), the
// provenance chain back to the raw data (each statement under a
// provenance.Policy), the in-toto test results and drift reports
// (drift.PredicateReportV1) about the chain's inputs, and scans the
// model's files (modelscan, secrets); a model that is not on disk (in an
// OCI registry, [RemoteModel]) is judged on its manifest and attached
// signatures. The result is one
// [Evidence] document with a published JSON Schema ([EvidenceSchema],
// version v1) in which every item names the attestation it came from;
// attestations that failed verification are listed as rejected, never used.
// The attestations are verified in parallel by a bounded pool of workers
// (Trust.Workers), the document always in the same order; a [VerifyCache]
// in Trust.Cache remembers each outcome by envelope and trust digest, so
// deciding again over the same store verifies no signature twice.
//
// A [Decider] judges the document: [DataPolicy] (the strict zero value
// requires everything) or a Rego policy ([NewRegoPolicy]), evaluated in a
// sandbox with no network or runtime access. A [Decision] lists every
// [Violation] by rule, message and evidence item; an error or an undefined
// result is a denial. [SignVSA] turns the decision into a SLSA
// Verification Summary Attestation over the model digest, naming the
// policy and evidence digests; [VerifyVSA] checks one.
//
// A policy is trust material too: [VerifyPolicy] refuses one that is not
// the pinned digest or, when approver keys are given, carries no approval
// ([SignPolicy]: an in-toto statement over the policy's digest) signed by
// one of them.
//
// The shortest real use:
//
//	atts, err := provenance.ReadAttestations("attestations")
//	if err != nil { ... }
//	pol, err := provenance.LoadPolicy("deploy-policy.yaml")
//	if err != nil { ... }
//	sig, err := signing.ReadSignature(ctx, "model.sig")
//	if err != nil { ... }
//	ev, err := gate.Collect(ctx, gate.Sources{Attestations: atts, Model: "model", ModelSignature: sig},
//		gate.Trust{Provenance: pol, Model: signing.VerifyOptions{Key: verifier}})
//	if err != nil { ... }                  // bad input, not a denial
//	d := gate.DataPolicy{}.Decide(ctx, ev)
//	if !d.Allowed { ... }                  // d.Violations say why
//	vsa, err := gate.SignVSA(ctx, d, ev, gate.VSAOptions{Verifier: "https://ci.example.com/gate"}, signer)
package gate
