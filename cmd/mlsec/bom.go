package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/internal/atomicfile"
	"github.com/mlsec-dev/mlsec/mlbom"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
	"github.com/sigstore/sigstore/pkg/signature"
)

func init() {
	register(&command{
		name:    "bom",
		args:    "MODEL",
		summary: "write an ML bill of materials (CycloneDX 1.6 or SPDX 3.0.1) from a verified model and its verified attestations",
		setup:   setupBOM,
	})
}

func setupBOM(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	format := fs.String("format", "cyclonedx", "cyclonedx (CycloneDX 1.6 JSON) or spdx (SPDX 3.0.1 JSON-LD)")
	out := fs.String("o", "", "write the BOM to `FILE` (required)")
	key := fs.String("key", "", "public key the model is signed with; also trusted for attestations from any builder unless --policy is given")
	sigPath := fs.String("signature", "", "the model's signature `FILE` (required)")
	attDir := fs.String("attestations", "", "`DIR` (or file) of attestations: the model's training provenance, its datasets' provenance and validation results")
	attestKey := fs.String("attest-key", "", "also sign the BOM as an in-toto statement about the model with this private key `REF`")
	attestOut := fs.String("attest-out", "", "write the signed BOM statement (DSSE envelope) to `FILE` (with --attest-key)")
	policyPath := fs.String("policy", "", "provenance policy `FILE` the model's training provenance must verify under (default: --key for any builder); validation results must be signed by --key")
	upstreamPath := fs.String("upstream-policy", "", "provenance policy `FILE` for the provenance of the model's inputs, such as dataset builds (default: the builders of --policy)")
	return func(ctx context.Context, args []string) error {
		model, err := oneModel(args)
		if err != nil {
			return err
		}
		switch {
		case *out == "":
			return usageError("-o FILE is required")
		case *key == "":
			return usageError("--key is required: the model's signature must verify")
		case *sigPath == "":
			return usageError("--signature is required")
		case *format != "cyclonedx" && *format != "spdx":
			return usageError("--format %q: want cyclonedx or spdx", *format)
		case (*attestKey == "") != (*attestOut == ""):
			return usageError("--attest-key and --attest-out go together")
		}
		verifier, err := loadVerifier(ctx, *key)
		if err != nil {
			return err
		}
		// The gate gathers and verifies the evidence; the BOM is made
		// from what it verified, so both judge attestations alike.
		byKey := &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Verifiers: []signature.Verifier{verifier}}}}
		trust := gate.Trust{Provenance: byKey, Attestations: byKey, Model: signing.VerifyOptions{Key: verifier}}
		if *policyPath != "" {
			if trust.Provenance, err = provenance.LoadPolicy(*policyPath); err != nil {
				return err
			}
		}
		if *upstreamPath != "" {
			if trust.Upstream, err = provenance.LoadPolicy(*upstreamPath); err != nil {
				return err
			}
		}
		if trust.Model.IgnorePaths, err = modelRelative(model, []string{*sigPath}, true); err != nil {
			return err
		}
		src := gate.Sources{Model: model, SignatureSource: *sigPath}
		if src.ModelSignature, err = signing.ReadSignature(ctx, *sigPath); err != nil {
			return err
		}
		if *attDir != "" {
			if src.Attestations, err = provenance.ReadAttestations(*attDir); err != nil {
				return err
			}
		}
		evidence, err := gate.Collect(ctx, src, trust)
		if err != nil {
			return err
		}
		ev, err := mlbom.FromGate(evidence)
		if err != nil {
			return checkFailed(err)
		}
		b, err := mlbom.Derive(ev)
		if err != nil {
			return err
		}
		render, predicate := b.CycloneDX, mlbom.PredicateCycloneDX
		if *format == "spdx" {
			render, predicate = b.SPDX, mlbom.PredicateSPDX
		}
		doc, err := render()
		if err != nil {
			return err
		}
		var envelope []byte
		if *attestKey != "" {
			st, err := b.Statement(predicate, doc)
			if err != nil {
				return err
			}
			signer, err := loadSigner(ctx, *attestKey)
			if err != nil {
				return err
			}
			env, err := provenance.SignPayload(ctx, st, signer)
			if err != nil {
				return err
			}
			if envelope, err = provenance.MarshalEnvelope(env); err != nil {
				return err
			}
		}
		if err := atomicfile.WriteFile(*out, doc, 0o644); err != nil {
			return err
		}
		if envelope != nil {
			if err := atomicfile.WriteFile(*attestOut, envelope, 0o644); err != nil {
				return err
			}
		}
		if e.json {
			return e.printJSON(map[string]any{"model": model, "format": *format, "bom": *out,
				"datasets": len(b.Datasets), "runs": len(b.Runs), "files": len(b.Model.Files)})
		}
		fmt.Fprintf(e.stdout, "wrote %s BOM of %s to %s: %d files, %d datasets, %d training runs\n",
			*format, model, *out, len(b.Model.Files), len(b.Datasets), len(b.Runs))
		return nil
	}
}
