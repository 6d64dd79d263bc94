package main

import (
	"context"
	"flag"
	"fmt"

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
	var policies stringList
	fs.Var(&policies, "policy", "provenance policy `FILE` an SLSA provenance attestation may verify under (repeatable; default: --key for any builder); validation results must be signed by --key")
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
		o := signing.VerifyOptions{Key: verifier}
		if o.IgnorePaths, err = modelRelative(model, []string{*sigPath}, true); err != nil {
			return err
		}
		sig, err := signing.ReadSignature(ctx, *sigPath)
		if err != nil {
			return err
		}
		res, err := signing.Verify(ctx, model, sig, o)
		if err != nil {
			return verifyFailure(e, err)
		}
		ev := mlbom.Evidence{Model: res.Manifest, Signer: "key " + *key}
		if *attDir != "" {
			atts, err := provenance.ReadAttestations(*attDir)
			if err != nil {
				return err
			}
			opts := mlbom.CollectOptions{}
			for _, p := range policies {
				pol, err := provenance.LoadPolicy(p)
				if err != nil {
					return err
				}
				opts.Policies = append(opts.Policies, pol)
			}
			// Validation results are trusted when the model's key signed them.
			byKey := &provenance.Policy{Builders: []provenance.TrustedBuilder{{ID: "*", Verifiers: []signature.Verifier{verifier}}}}
			opts.TestResultPolicies = []*provenance.Policy{byKey}
			if len(opts.Policies) == 0 {
				opts.Policies = []*provenance.Policy{byKey}
			}
			if ev, err = mlbom.Collect(ctx, res.Manifest, ev.Signer, atts, opts); err != nil {
				return checkFailed(err)
			}
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
