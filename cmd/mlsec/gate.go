package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
)

const defaultGateID = "https://mlsec-dev.github.io/mlsec/gate"

func init() {
	register(&command{
		name:    "gate",
		args:    "[MODEL | oci://REF]",
		summary: "decide whether a model may deploy: verify all its evidence, apply a data or Rego policy, optionally sign a VSA (exit 1 = denied)",
		setup:   setupGate,
	})
	register(&command{
		name:    "gate sign-policy",
		args:    "POLICY",
		summary: "approve a gate policy (Rego or YAML): sign an in-toto statement over its digest, for mlsec gate --policy-signature",
		setup:   setupGateSignPolicy,
	})
	register(&command{
		name:    "gate verify-vsa",
		args:    "VSA",
		summary: "check a verification summary (VSA) the gate signed: trusted key, the model's digest, PASSED",
		setup:   setupGateVerifyVSA,
	})
}

func setupGate(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	policy := fs.String("policy", "", "the policy `FILE`: Rego (.rego) or a provenance policy (YAML/JSON) (required)")
	policyDigest := fs.String("policy-digest", "", "refuse a policy whose digest is not `sha256:HEX`")
	policySig := fs.String("policy-signature", "", "the policy's approval `FILE` (mlsec gate sign-policy), verified with --policy-key")
	provPolicySig := fs.String("provenance-policy-signature", "", "the approval `FILE` of --provenance-policy, verified with --policy-key (required with it)")
	var policyKeys stringList
	fs.Var(&policyKeys, "policy-key", "a public key `PEM` trusted to approve policies: the policy must carry a --policy-signature by one (repeatable)")
	cosign := fs.Bool("cosign", false, "evaluate the Rego policy as cosign verify-attestation --policy does (data.signature.allow per attestation)")
	predType := fs.String("predicate-type", "", "with --cosign, evaluate only attestations of this predicate type `URI`")
	provPolicy := fs.String("provenance-policy", "", "with a Rego policy, the provenance policy `FILE` that says which builders and keys to trust")
	var keys stringList
	fs.Var(&keys, "key", "trusted public key `PEM`: verifies the OMS signature, and attestations when no policy names builders (repeatable)")
	atts := fs.String("attestations", "", "the attestation store: a `DIR` (or file) of DSSE envelopes")
	sigPath := fs.String("signature", "", "the model's OMS signature `FILE` (default MODEL.sig)")
	subject := fs.String("subject", "", "the model's digest `ALG:HEX`, when no MODEL is given")
	allowGaps := fs.Bool("allow-gaps", false, "accept chain inputs with no provenance")
	allowUnsigned := fs.Bool("allow-unsigned", false, "do not require an OMS signature (data policy)")
	requireDrift := fs.Bool("require-drift", false, "require a drift verdict about the model's inputs: a signed drift attestation (mlsec drift compare --attest-key) (data policy)")
	var datasets stringList
	fs.Var(&datasets, "dataset", "an input `NAME` of the model's provenance that must have a PASSED test result (repeatable)")
	evOut := fs.String("evidence-out", "", "write the evidence document to `FILE`")
	vsaKey := fs.String("vsa-key", "", "sign a VSA of the decision with this private key `PEM`")
	vsaOut := fs.String("vsa-out", "", "write the VSA envelope to `FILE` (with --vsa-key)")
	verifierID := fs.String("verifier-id", defaultGateID, "the gate's identity `URI` in the VSA")
	var rf registryFlags
	rf.register(fs)
	return func(ctx context.Context, args []string) error {
		if *policy == "" {
			return usageError("--policy is required")
		}
		if len(args) > 1 {
			return usageError("want at most one MODEL, got %d arguments", len(args))
		}
		if (*vsaKey == "") != (*vsaOut == "") {
			return usageError("--vsa-key and --vsa-out go together")
		}
		if *atts == "" && len(args) == 0 {
			return usageError("give --attestations DIR, a MODEL, or both")
		}
		var verifiers []signature.Verifier
		for _, k := range keys {
			v, err := loadVerifier(ctx, k)
			if err != nil {
				return err
			}
			verifiers = append(verifiers, v)
		}
		pt, err := policyTrust(ctx, *policyDigest, *policySig, policyKeys)
		if err != nil {
			return err
		}
		rego := strings.HasSuffix(*policy, ".rego")
		var decider gate.Decider
		trust := gate.Trust{Provenance: &provenance.Policy{}}
		if rego {
			src, err := readPolicy(*policy)
			if err != nil {
				return err
			}
			opts := gate.RegoOptions{Cosign: *cosign, PredicateType: *predType, Digest: pt.Digest, Keys: pt.Keys, Signature: pt.Signature}
			if decider, err = gate.NewRegoPolicy(ctx, *policy, src, opts); err != nil {
				return err
			}
			if *provPolicy != "" {
				// The provenance policy says which keys to trust: when
				// policies must be approved, it must be too.
				ppt, err := policyTrust(ctx, "", *provPolicySig, policyKeys)
				if err != nil {
					return err
				}
				src, err := readPolicy(*provPolicy)
				if err != nil {
					return err
				}
				if err := gate.VerifyPolicy(ctx, *provPolicy, src, ppt); err != nil {
					return err
				}
				if trust.Provenance, err = provenance.ParsePolicy(src, filepath.Dir(*provPolicy)); err != nil {
					return fmt.Errorf("%s: %w", *provPolicy, err)
				}
			} else if *provPolicySig != "" {
				return usageError("--provenance-policy-signature without --provenance-policy")
			}
		} else {
			if *cosign || *provPolicy != "" || *provPolicySig != "" {
				return usageError("--cosign and --provenance-policy are for a Rego policy")
			}
			decider = gate.DataPolicy{AllowGaps: *allowGaps, AllowUnsigned: *allowUnsigned, RequireDrift: *requireDrift, Datasets: datasets, URI: *policy}
			// The bytes checked are the bytes parsed: the file is read once.
			src, err := readPolicy(*policy)
			if err != nil {
				return err
			}
			if err := gate.VerifyPolicy(ctx, *policy, src, pt); err != nil {
				return err
			}
			if trust.Provenance, err = provenance.ParsePolicy(src, filepath.Dir(*policy)); err != nil {
				return fmt.Errorf("%s: %w", *policy, err)
			}
		}
		if len(trust.Provenance.Builders) == 0 {
			if len(verifiers) == 0 {
				return usageError("nothing is trusted: give --key, or a policy that names builders")
			}
			trust.Provenance.Builders = []provenance.TrustedBuilder{{ID: "*", Verifiers: verifiers}}
		}
		if len(verifiers) > 0 {
			trust.Model.Key = verifiers[0]
		}

		src := gate.Sources{}
		if *subject != "" {
			d, err := provenance.ParseDigest(*subject)
			if err != nil {
				return usageError("--subject: %v", err)
			}
			src.Subject = d
		}
		if *atts != "" {
			a, err := provenance.ReadAttestations(*atts)
			if err != nil {
				return err
			}
			src.Attestations = a
		}
		if len(args) == 1 && strings.HasPrefix(args[0], oci.Scheme) {
			// A model in a registry: its signature and in-toto evidence
			// are its referrers; a --signature file is one more.
			remote, atts, err := remoteModel(ctx, &rf, e, args[0])
			if err != nil {
				return err
			}
			if *sigPath != "" {
				sig, err := signing.ReadSignature(ctx, *sigPath)
				if err != nil {
					return err
				}
				remote.Signatures = append([]gate.RemoteBlob{{Source: *sigPath, Data: sig}}, remote.Signatures...)
			}
			src.Remote = remote
			src.Attestations = append(src.Attestations, atts...)
		} else if len(args) == 1 {
			src.Model = args[0]
			path := *sigPath
			if path == "" {
				path = strings.TrimSuffix(args[0], "/") + ".sig"
			}
			if _, err := os.Stat(path); err == nil || *sigPath != "" {
				sig, err := signing.ReadSignature(ctx, path)
				if err != nil {
					return err
				}
				src.ModelSignature, src.SignatureSource = sig, path
			}
		}
		// Hashing the model's files is the long part of collecting.
		bar := e.progress("verifying model")
		trust.Model.Progress = bar.bytesFunc()
		ev, err := gate.Collect(ctx, src, trust)
		bar.finish()
		if err != nil {
			return err
		}
		d := decider.Decide(ctx, ev)
		if *evOut != "" {
			b, err := json.MarshalIndent(ev, "", "  ")
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(*evOut, append(b, '\n'), 0o644); err != nil {
				return err
			}
		}
		if *vsaKey != "" {
			signer, err := loadSigner(ctx, *vsaKey)
			if err != nil {
				return err
			}
			env, err := gate.SignVSA(ctx, d, ev, gate.VSAOptions{Verifier: *verifierID}, signer)
			if err != nil {
				return err
			}
			b, err := provenance.MarshalEnvelope(env)
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(*vsaOut, b, 0o644); err != nil {
				return err
			}
		}
		if e.json {
			if err := e.printJSON(d); err != nil {
				return err
			}
		} else {
			verdict := "ALLOWED"
			if !d.Allowed {
				verdict = "DENIED"
			}
			fmt.Fprintf(e.stdout, "%s %s (%s): %d attestation(s) verified, %d rejected; policy %s sha256:%.16s\n",
				verdict, ev.Subject.Name, digestString(ev.Subject.Digest), len(ev.Attestations), len(ev.Rejected),
				d.Policy.URI, d.Policy.Digest["sha256"])
			for _, v := range d.Violations {
				fmt.Fprintf(e.stdout, "  %s\n", v)
			}
			if *vsaOut != "" {
				fmt.Fprintf(e.stdout, "VSA written to %s\n", *vsaOut)
			}
		}
		if !d.Allowed {
			return checkFailed(fmt.Errorf("denied: %d violation(s)", len(d.Violations)))
		}
		return nil
	}
}

// maxPolicyFile bounds a policy file, as provenance bounds its own.
const maxPolicyFile = 1 << 20

// readPolicy reads a policy file of at most maxPolicyFile bytes.
func readPolicy(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("policy %s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPolicyFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPolicyFile {
		return nil, fmt.Errorf("policy %s: over the %d-byte limit", path, maxPolicyFile)
	}
	return b, nil
}

// policyTrust turns the --policy-digest, --policy-signature and
// --policy-key flags into what the policy must satisfy.
func policyTrust(ctx context.Context, digest, sigFile string, keys []string) (gate.PolicyTrust, error) {
	var pt gate.PolicyTrust
	if digest != "" {
		d, err := provenance.ParseDigest(digest)
		if err != nil {
			return pt, usageError("--policy-digest: %v", err)
		}
		pt.Digest = d
	}
	if sigFile != "" && len(keys) == 0 {
		return pt, usageError("--policy-signature needs --policy-key to verify it with")
	}
	for _, k := range keys {
		v, err := loadVerifier(ctx, k)
		if err != nil {
			return pt, err
		}
		pt.Keys = append(pt.Keys, v)
	}
	if sigFile != "" {
		b, err := readPolicy(sigFile)
		if err != nil {
			return pt, err
		}
		envs, err := provenance.ReadEnvelopes(sigFile, b)
		if err != nil {
			return pt, err
		}
		if len(envs) != 1 {
			return pt, fmt.Errorf("%s: want one signature envelope, found %d", sigFile, len(envs))
		}
		pt.Signature = envs[0]
	}
	return pt, nil
}

func setupGateSignPolicy(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	key := fs.String("key", "", "the approver's private key `PEM` (or KMS/PKCS#11 reference) (required)")
	out := fs.String("out", "", "write the approval to `FILE` (default POLICY.sig.json)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("want one POLICY file")
		}
		if *key == "" {
			return usageError("--key is required")
		}
		src, err := readPolicy(args[0])
		if err != nil {
			return err
		}
		signer, err := loadSigner(ctx, *key)
		if err != nil {
			return err
		}
		env, err := gate.SignPolicy(ctx, args[0], src, signer)
		if err != nil {
			return err
		}
		b, err := provenance.MarshalEnvelope(env)
		if err != nil {
			return err
		}
		path := *out
		if path == "" {
			path = args[0] + ".sig.json"
		}
		if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "approval of %s written to %s\n", args[0], path)
		return nil
	}
}

// remoteModel reads what a gate needs of a model in a registry, without
// its layers: the manifest's file list, the OMS signatures and the in-toto
// envelopes attached to it as referrers.
func remoteModel(ctx context.Context, rf *registryFlags, e *env, ref string) (*gate.RemoteModel, provenance.Attestations, error) {
	repo, _, err := rf.open(ctx, ref, e, "fetching evidence")
	if err != nil {
		return nil, nil, err
	}
	m, err := repo.Fetch(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	sm, err := m.SigningManifest()
	if err != nil {
		return nil, nil, err
	}
	at := oci.Scheme + repo.Name() + "@" + m.Descriptor.Digest.String()
	rm := &gate.RemoteModel{Location: at, Name: m.Name, Manifest: sm}
	sigs, err := repo.Referrers(ctx, m.Descriptor, oci.ArtifactTypeSignature)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range sigs {
		data, _, err := repo.FetchEvidence(ctx, m.Descriptor, d)
		if err != nil {
			return nil, nil, err
		}
		rm.Signatures = append(rm.Signatures, gate.RemoteBlob{Source: at + " referrer " + d.Digest.String(), Data: data})
	}
	refs, err := repo.Referrers(ctx, m.Descriptor, oci.ArtifactTypeInToto)
	if err != nil {
		return nil, nil, err
	}
	var atts provenance.Attestations
	for _, d := range refs {
		data, _, err := repo.FetchEvidence(ctx, m.Descriptor, d)
		if err != nil {
			return nil, nil, err
		}
		source := at + " referrer " + d.Digest.String()
		envs, err := provenance.ReadEnvelopes(source, data)
		if err != nil {
			return nil, nil, err
		}
		for i, env := range envs {
			s := source
			if len(envs) > 1 {
				s = fmt.Sprintf("%s[%d]", source, i)
			}
			atts = append(atts, provenance.Attestation{File: source, Index: i, Source: s, Envelope: env})
		}
	}
	return rm, atts, nil
}

func digestString(d provenance.DigestSet) string {
	for _, alg := range []string{"sha256", "sha384", "sha512", "dirHash"} {
		if v, ok := d[alg]; ok {
			return alg + ":" + v
		}
	}
	for alg, v := range d {
		return alg + ":" + v
	}
	return ""
}

func setupGateVerifyVSA(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var keys stringList
	fs.Var(&keys, "key", "trusted gate public key `PEM` (repeatable, required)")
	subject := fs.String("subject", "", "the model: a `DIR` (its OMS root digest) or ALG:HEX (required)")
	verifierID := fs.String("verifier-id", "", "require this verifier `URI`")
	policyDigest := fs.String("policy-digest", "", "require this policy digest `sha256:HEX`")
	maxAge := fs.Duration("max-age", 0, "refuse a VSA older than this `DURATION`")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("want one VSA file")
		}
		if len(keys) == 0 || *subject == "" {
			return usageError("--key and --subject are required")
		}
		opts := gate.VerifyVSAOptions{Verifier: *verifierID, MaxAge: *maxAge}
		for _, k := range keys {
			v, err := loadVerifier(ctx, k)
			if err != nil {
				return err
			}
			opts.Keys = append(opts.Keys, v)
		}
		if st, err := os.Stat(*subject); err == nil && (st.IsDir() || st.Mode().IsRegular()) {
			m, err := signing.HashModel(ctx, *subject, signing.Options{})
			if err != nil {
				return err
			}
			r := m.RootDigest()
			opts.Subject = provenance.DigestSet{r.Algorithm: r.Hex()}
		} else if opts.Subject, err = provenance.ParseDigest(*subject); err != nil {
			return usageError("--subject %q: neither a model path nor ALG:HEX", *subject)
		}
		if *policyDigest != "" {
			d, err := provenance.ParseDigest(*policyDigest)
			if err != nil {
				return usageError("--policy-digest: %v", err)
			}
			opts.Policy = d
		}
		b, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		env, err := gate.ParseVSA(b)
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		st, err := gate.VerifyVSA(ctx, env, opts)
		var ve *gate.VSAError
		if errors.As(err, &ve) {
			return checkFailed(fmt.Errorf("%s: %w", args[0], err))
		}
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(st)
		}
		p := st.Predicate
		fmt.Fprintf(e.stdout, "%s: %s by %s at %s, policy %s sha256:%.16s, %d input attestation(s)\n",
			args[0], p.VerificationResult, p.Verifier.ID, p.TimeVerified.Format(time.RFC3339),
			p.Policy.URI, p.Policy.Digest["sha256"], len(p.InputAttestations))
		return nil
	}
}
