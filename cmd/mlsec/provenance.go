package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/mlsec-dev/mlsec/provenance"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "provenance record",
		args:    "",
		summary: "record a pipeline step as SLSA provenance in a DSSE envelope (signed with --key)",
		setup:   setupProvenanceRecord,
	})
	register(&command{
		name:    "provenance verify",
		args:    "FILE...",
		summary: "verify provenance envelopes against keys and a policy (--quorum: a threshold met across them)",
		setup:   setupProvenanceVerify,
	})
	register(&command{
		name:    "provenance trace",
		args:    "DIGEST_OR_PATH",
		summary: "trace an artifact's lineage through a directory of attestations",
		setup:   setupProvenanceTrace,
	})
}

// buildTypeAliases lets the CLI say "training" for the mlsec build type URI.
var buildTypeAliases = map[string]string{
	"dataset":    provenance.BuildTypeDataset,
	"training":   provenance.BuildTypeTraining,
	"finetune":   provenance.BuildTypeFineTune,
	"evaluation": provenance.BuildTypeEvaluation,
}

func setupProvenanceRecord(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	builderID := fs.String("builder-id", "", "identity of the platform running the step (`URI`, required)")
	buildType := fs.String("build-type", "", "buildType `URI`, or dataset, training, finetune, evaluation (required)")
	var subjects, subjectDigests, inputs, inputDigests, params, internal, env stringList
	fs.Var(&subjects, "subject", "an output file or directory (`PATH`, repeatable)")
	fs.Var(&subjectDigests, "subject-digest", "an output known by digest, `NAME=ALG:HEX` (repeatable), e.g. a model's OMS root digest")
	fs.Var(&inputs, "input", "an input file or directory, `NAME=PATH` (repeatable)")
	fs.Var(&inputDigests, "input-digest", "an input known by digest, `NAME=ALG:HEX` (repeatable; NAME may be a URI)")
	fs.Var(&params, "param", "an external parameter, `KEY=VALUE` (repeatable; KEY.SUB nests)")
	fs.Var(&internal, "internal-param", "a platform-chosen parameter, `KEY=VALUE` (repeatable)")
	fs.Var(&env, "env", "record the value of environment variable `NAME` (repeatable; nothing else from the environment is read)")
	invocation := fs.String("invocation-id", "", "the run's `ID`")
	config := fs.String("config", "", "the step's configuration `FILE`, recorded by digest")
	key := fs.String("key", "", "private key `PEM` to sign with; unsigned without it")
	out := fs.String("out", "", "write the envelope to `FILE` (.intoto.jsonl: JSON Lines, .sigstore.json: Sigstore bundle, else DSSE JSON; required)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 0 {
			return usageError("takes no arguments")
		}
		if *builderID == "" || *buildType == "" || *out == "" {
			return usageError("--builder-id, --build-type and --out are required")
		}
		bt := *buildType
		if u, ok := buildTypeAliases[bt]; ok {
			bt = u
		}
		if len(subjects)+len(subjectDigests) == 0 {
			return usageError("at least one --subject or --subject-digest is required")
		}
		// One meter per path hashed; the recorder reports into the current.
		var bar *progressMeter
		rec := provenance.NewRecorder(*builderID, bt, provenance.RecorderOptions{Progress: func(done, total int64) { bar.byteCount(done, total) }})
		if *invocation != "" {
			rec.SetInvocationID(*invocation)
		}
		rec.SetBuilderVersion("mlsec", buildVersion())
		for _, p := range params {
			k, v, ok := strings.Cut(p, "=")
			if !ok || k == "" {
				return usageError("--param %q: want KEY=VALUE", p)
			}
			rec.SetParameter(k, v)
		}
		for _, p := range internal {
			k, v, ok := strings.Cut(p, "=")
			if !ok || k == "" {
				return usageError("--internal-param %q: want KEY=VALUE", p)
			}
			rec.SetInternalParameter(k, v)
		}
		if len(env) > 0 {
			rec.RecordEnv(env...)
		}
		if *config != "" {
			if err := rec.SetConfigFile(ctx, *config); err != nil {
				return err
			}
		}
		for _, in := range inputs {
			name, path, ok := strings.Cut(in, "=")
			if !ok || name == "" || path == "" {
				return usageError("--input %q: want NAME=PATH", in)
			}
			bar = e.progress("hashing input " + name)
			_, err := rec.AddInputPath(ctx, name, path)
			bar.finish()
			if err != nil {
				return err
			}
		}
		for _, in := range inputDigests {
			name, dg, ok := strings.Cut(in, "=")
			if !ok || name == "" {
				return usageError("--input-digest %q: want NAME=ALG:HEX", in)
			}
			d, err := provenance.ParseDigest(dg)
			if err != nil {
				return usageError("--input-digest %q: %v", in, err)
			}
			rd := provenance.ResourceDescriptor{Name: name, Digest: d}
			if strings.Contains(name, "://") {
				rd = provenance.ResourceDescriptor{URI: name, Digest: d}
			}
			rec.AddInput(rd)
		}
		for _, sd := range subjectDigests {
			name, dg, ok := strings.Cut(sd, "=")
			if !ok || name == "" {
				return usageError("--subject-digest %q: want NAME=ALG:HEX", sd)
			}
			d, err := provenance.ParseDigest(dg)
			if err != nil {
				return usageError("--subject-digest %q: %v", sd, err)
			}
			rec.AddOutput(provenance.ResourceDescriptor{Name: name, Digest: d})
		}
		for _, s := range subjects {
			bar = e.progress("hashing subject " + s)
			_, err := rec.AddOutputPath(ctx, filepath.ToSlash(filepath.Clean(s)), s)
			bar.finish()
			if err != nil {
				return err
			}
		}
		st, err := rec.Finish()
		if err != nil {
			return err
		}
		var envl *dsse.Envelope
		signed := "unsigned"
		if *key != "" {
			sv, err := loadSigner(ctx, *key)
			if err != nil {
				return err
			}
			if envl, err = provenance.Sign(ctx, st, sv); err != nil {
				return err
			}
			pub, err := sv.PublicKey()
			if err != nil {
				return err
			}
			signed = "signed by key " + provenance.KeyID(pub)[:16]
		} else if envl, err = provenance.Unsigned(st); err != nil {
			return err
		}
		data, err := encodeEnvelope(*out, envl)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*out, data, 0o644); err != nil {
			return fmt.Errorf("%s: %w", *out, err)
		}
		if e.json {
			return e.printJSON(st)
		}
		_, err = fmt.Fprintf(e.stdout, "%s: %d subject(s), %d input(s), %s\n", *out, len(st.Subject), len(st.Predicate.BuildDefinition.ResolvedDependencies), signed)
		return err
	}
}

// encodeEnvelope picks the carrier from the file name.
func encodeEnvelope(name string, env *dsse.Envelope) ([]byte, error) {
	switch {
	case strings.HasSuffix(name, ".jsonl"):
		var b strings.Builder
		if err := provenance.WriteJSONL(&b, env); err != nil {
			return nil, err
		}
		return []byte(b.String()), nil
	case strings.HasSuffix(name, ".sigstore.json"):
		if len(env.Signatures) != 1 {
			return nil, usageError("%s: a Sigstore bundle holds exactly one signature: give --key", name)
		}
		return provenance.MarshalBundle(env, "")
	}
	b, err := provenance.MarshalEnvelope(env)
	return append(b, '\n'), err
}

// policyFlags are the trust flags verify and trace share.
type policyFlags struct {
	keys      stringList
	policy    *string
	builderID *string
	threshold *int
	// keyless: a trusted identity, as mlsec verify names its parts.
	trustedRoot *string
	id          provenance.TrustedIdentity
}

func addPolicyFlags(fs *flag.FlagSet) *policyFlags {
	p := &policyFlags{}
	fs.Var(&p.keys, "key", "trusted public key `PEM` (repeatable)")
	p.policy = fs.String("policy", "", "policy `FILE` (YAML or JSON)")
	p.builderID = fs.String("builder-id", "", "accept only statements from this builder `ID`")
	p.threshold = fs.Int("threshold", 1, "how many of the --key keys must sign")
	p.trustedRoot = fs.String("trusted-root", "", "Sigstore trusted_root.json `FILE` for keyless bundles (verified offline)")
	fs.StringVar(&p.id.SAN, "identity", "", "keyless: the signer's exact certificate identity (`SAN`: email or workflow URI)")
	fs.StringVar(&p.id.SANRegexp, "identity-regexp", "", "keyless: a regular expression (`RE`, anchored) the certificate identity must match")
	fs.StringVar(&p.id.Issuer, "identity-provider", "", "keyless: the exact OpenID Connect `ISSUER` URL of the identity")
	fs.StringVar(&p.id.SourceRepository, "source-repository", "", "keyless: the source repository `URL` the certificate must name")
	fs.StringVar(&p.id.SourceRef, "source-ref", "", "keyless: the source `REF` the certificate must name (refs/heads/main)")
	fs.StringVar(&p.id.BuildSignerURI, "signer-workflow", "", "keyless: the signing workflow `URI` the certificate must name (for a reusable workflow, the reusable one)")
	fs.StringVar(&p.id.BuildSignerDigest, "signer-digest", "", "keyless: the signing workflow's commit `SHA`")
	fs.StringVar(&p.id.RunnerEnvironment, "runner-environment", "", "keyless: github-hosted or self-hosted (`ENV`)")
	fs.StringVar(&p.id.BuildTrigger, "build-trigger", "", "keyless: the `EVENT` that triggered the build (push, release, ...)")
	return p
}

func (f *policyFlags) keyless() bool { return f.id != provenance.TrustedIdentity{} }

func (f *policyFlags) given() bool { return len(f.keys) > 0 || *f.policy != "" || f.keyless() }

// trustedRootData reads --trusted-root, nil when not given.
func (f *policyFlags) trustedRootData() ([]byte, error) {
	if *f.trustedRoot == "" {
		return nil, nil
	}
	data, err := os.ReadFile(*f.trustedRoot)
	if err != nil {
		return nil, fmt.Errorf("--trusted-root: %w", err)
	}
	return data, nil
}

// load builds the policy: the --policy file, plus the --key keys trusted
// for --builder-id (or for any builder when there is no policy file).
func (f *policyFlags) load(ctx context.Context) (*provenance.Policy, error) {
	p := &provenance.Policy{}
	if *f.policy != "" {
		var err error
		if p, err = provenance.LoadPolicy(*f.policy); err != nil {
			return nil, err
		}
	}
	if len(f.keys) > 0 {
		id := *f.builderID
		if id == "" {
			if len(p.Builders) > 0 {
				return nil, usageError("--key with a policy that names builders needs --builder-id: which builder does the key sign for?")
			}
			id = "*"
		}
		b := provenance.TrustedBuilder{ID: id, Threshold: *f.threshold}
		for _, k := range f.keys {
			sv, err := loadVerifier(ctx, k)
			if err != nil {
				return nil, err
			}
			b.Verifiers = append(b.Verifiers, sv)
		}
		if *f.threshold < 1 || *f.threshold > len(b.Verifiers) {
			return nil, usageError("--threshold %d: want 1 to %d", *f.threshold, len(b.Verifiers))
		}
		p.Builders = append(p.Builders, b)
	}
	if f.keyless() {
		if (f.id.SAN == "") == (f.id.SANRegexp == "") || f.id.Issuer == "" {
			return nil, usageError("a keyless identity needs --identity-provider and one of --identity and --identity-regexp")
		}
		if *f.trustedRoot == "" {
			return nil, usageError("--identity goes with --trusted-root: keyless bundles are verified against a Sigstore trusted root")
		}
		id := *f.builderID
		if id == "" {
			id = "*"
		}
		p.Builders = append(p.Builders, provenance.TrustedBuilder{ID: id, Identities: []provenance.TrustedIdentity{f.id}})
	}
	if len(p.Builders) == 0 {
		return nil, usageError("give --key, --identity or --policy: nothing is trusted")
	}
	if *f.builderID != "" {
		p.RestrictToBuilder(*f.builderID)
	}
	return p, nil
}

// subjectDigest hashes the file or directory at arg, or parses ALG:HEX.
// A regular file is hashed with algs, the algorithms the statements name
// their subjects by (sha256 when none is given).
func subjectDigest(ctx context.Context, arg string, algs ...string) (provenance.DigestSet, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		if d, derr := provenance.ParseDigest(arg); derr == nil {
			return d, nil
		}
		return nil, err
	}
	if fi.Mode().IsRegular() && len(algs) > 0 {
		return provenance.DigestFile(ctx, arg, algs...)
	}
	return provenance.DigestPath(ctx, arg)
}

type verifyResult struct {
	File          string                     `json:"file"`
	Index         int                        `json:"index"`
	OK            bool                       `json:"ok"`
	PredicateType string                     `json:"predicateType,omitempty"`
	Identity      *provenance.SignerIdentity `json:"identity,omitempty"`
	Builder       string                     `json:"builder,omitempty"`
	BuildType     string                     `json:"buildType,omitempty"`
	Subjects      int                        `json:"subjects,omitempty"`
	Violations    []string                   `json:"violations,omitempty"`
}

func setupProvenanceVerify(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	pf := addPolicyFlags(fs)
	var subjects stringList
	fs.Var(&subjects, "subject", "an artifact (`PATH`, or ALG:HEX) that must be a subject (repeatable); a file is hashed with the algorithm the statements use")
	predicateType := fs.String("predicate-type", "", "the statements' predicate type `URI` (default SLSA provenance v1; e.g. https://slsa.dev/provenance/v0.2)")
	quorum := fs.Bool("quorum", false, "meet the threshold across the FILEs: separate attestations of one statement, each trusted signer counted once")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 {
			return usageError("want one or more envelope FILEs")
		}
		if !pf.given() {
			return usageError("give --key, --identity or --policy: nothing is trusted")
		}
		policy, err := pf.load(ctx)
		if err != nil {
			return err
		}
		root, err := pf.trustedRootData()
		if err != nil {
			return err
		}
		atts, err := provenance.ReadAttestations(args...)
		if err != nil {
			return err
		}
		algs := atts.SubjectAlgorithms()
		var want []provenance.DigestSet
		for _, s := range subjects {
			d, err := subjectDigest(ctx, s, algs...)
			if err != nil {
				return fmt.Errorf("--subject: %w", err)
			}
			want = append(want, d)
		}
		opts := provenance.VerifyOptions{Subjects: want, TrustedRoot: root, PredicateType: *predicateType}
		var (
			outcomes provenance.AttestationResults
			q        *provenance.Quorum
			qerr     error
		)
		if *quorum {
			q, outcomes, qerr = atts.VerifyQuorum(ctx, policy, opts)
			if _, ok := errors.AsType[*provenance.QuorumError](qerr); qerr != nil && !ok {
				return qerr
			}
		} else if outcomes, err = atts.Verify(ctx, policy, opts); err != nil {
			return err
		}
		var results []verifyResult
		failed := 0
		for _, o := range outcomes {
			r := verifyResult{File: o.File, Index: o.Index}
			var ve *provenance.VerificationError
			switch {
			case o.Verified != nil:
				r.OK, r.PredicateType, r.Identity, r.Subjects = true, o.Verified.PredicateType, o.Verified.Identity, len(o.Verified.Subject)
				if st := o.Verified.Statement; st != nil {
					r.Builder, r.BuildType = st.Predicate.RunDetails.Builder.ID, st.Predicate.BuildDefinition.BuildType
				}
			case errors.As(o.Err, &ve):
				failed++
				for _, vi := range ve.Violations {
					r.Violations = append(r.Violations, vi.Error())
				}
			default:
				return o.Err
			}
			results = append(results, r)
			if e.json {
				continue
			}
			if r.OK {
				by := ""
				if id := r.Identity; id != nil {
					by = fmt.Sprintf(", signed by %s (%s)", id.SAN, id.Issuer)
					if id.SourceRepository != "" {
						by += fmt.Sprintf(" from %s at %s", id.SourceRepository, id.SourceRef)
					}
				}
				// Under --quorum one attestation is one vote, not a verdict.
				word := "verified"
				if *quorum {
					word = "counted"
				}
				if r.Builder != "" {
					fmt.Fprintf(e.stdout, "%s: %s: builder %s, buildType %s, %d subject(s)%s\n", o.Source, word, r.Builder, r.BuildType, r.Subjects, by)
				} else {
					fmt.Fprintf(e.stdout, "%s: %s: %s, %d subject(s)%s\n", o.Source, word, r.PredicateType, r.Subjects, by)
				}
			} else {
				fmt.Fprintf(e.stdout, "%s: FAILED\n", o.Source)
				for _, v := range r.Violations {
					fmt.Fprintf(e.stdout, "  %s\n", v)
				}
			}
		}
		if *quorum {
			return reportQuorum(e, results, q, qerr)
		}
		if e.json {
			if err := e.printJSON(results); err != nil {
				return err
			}
		}
		if failed > 0 {
			return checkFailed(fmt.Errorf("%d of %d envelope(s) failed verification", failed, len(outcomes)))
		}
		return nil
	}
}

// quorumResult is the JSON of a k-of-n decision across attestations.
type quorumResult struct {
	OK          bool     `json:"ok"`
	Builder     string   `json:"builder,omitempty"`
	Found       int      `json:"found"`
	Required    int      `json:"required"`
	Signers     []string `json:"signers,omitempty"`
	Sources     []string `json:"sources,omitempty"`
	Disagreeing []string `json:"disagreeing,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// reportQuorum prints the decision of --quorum: the attestations, each
// verified with one trusted signer sufficing, decide together.
func reportQuorum(e *env, results []verifyResult, q *provenance.Quorum, qerr error) error {
	var r quorumResult
	if q != nil {
		r = quorumResult{OK: true, Builder: q.Builder, Found: len(q.Signers), Required: q.Required, Signers: q.Signers, Sources: q.Sources}
	} else {
		qe, _ := errors.AsType[*provenance.QuorumError](qerr)
		r = quorumResult{Builder: qe.Builder, Found: qe.Found, Required: qe.Required, Signers: qe.Signers, Disagreeing: qe.Disagreeing, Error: qe.Error()}
	}
	if e.json {
		if err := e.printJSON(struct {
			Attestations []verifyResult `json:"attestations"`
			Quorum       quorumResult   `json:"quorum"`
		}{results, r}); err != nil {
			return err
		}
	} else if r.OK {
		fmt.Fprintf(e.stdout, "quorum: verified: %d of %d required distinct trusted signers of %q: %s\n", r.Found, r.Required, r.Builder, strings.Join(r.Signers, ", "))
	} else {
		fmt.Fprintf(e.stdout, "quorum: FAILED: %s\n", strings.TrimPrefix(r.Error, "provenance: "))
	}
	if !r.OK {
		return checkFailed(qerr)
	}
	return nil
}

func setupProvenanceTrace(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	dir := fs.String("attestations", "", "`DIR` of attestations (.json, .intoto.jsonl, .sigstore.json; required)")
	pf := addPolicyFlags(fs)
	format := fs.String("format", "text", "output `FORMAT`: text, json or dot")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 || *dir == "" {
			return usageError("want --attestations DIR and one DIGEST_OR_PATH")
		}
		if e.json {
			*format = "json"
		}
		if *format != "text" && *format != "json" && *format != "dot" {
			return usageError("--format %q: want text, json or dot", *format)
		}
		var err error
		var policy *provenance.Policy
		var root []byte
		if pf.given() {
			if policy, err = pf.load(ctx); err != nil {
				return err
			}
			if root, err = pf.trustedRootData(); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(e.stderr, "warning: no --key, --identity or --policy: signatures are not verified, the lineage is not evidence")
		}
		atts, err := provenance.ReadAttestations(*dir)
		if err != nil {
			return err
		}
		// A file is hashed as the statements name their subjects (npm:
		// sha512), so that keyless attestations of the ecosystem are found.
		target, err := subjectDigest(ctx, args[0], atts.SubjectAlgorithms()...)
		if err != nil {
			return fmt.Errorf("%s: neither a file nor a digest (ALG:HEX): %w", args[0], err)
		}
		var l *provenance.Lineage
		if policy != nil {
			outcomes, err := atts.Verify(ctx, policy, provenance.VerifyOptions{TrustedRoot: root})
			if err != nil {
				return err
			}
			for _, o := range outcomes.Failed() {
				fmt.Fprintf(e.stderr, "skipped: %v\n", o.Err)
			}
			l = outcomes.Trace(target)
		} else {
			statements, err := unverifiedStatements(e, atts)
			if err != nil {
				return err
			}
			l = provenance.Trace(statements, target)
		}
		switch *format {
		case "json":
			err = e.printJSON(l)
		case "dot":
			err = l.WriteDOT(e.stdout)
		default:
			err = l.WriteText(e.stdout)
		}
		if err != nil {
			return err
		}
		switch {
		case l.Root.Status != provenance.StatusAttested:
			return checkFailed(fmt.Errorf("no attestation in %s produced %s", *dir, target))
		case len(l.Breaks) > 0:
			return checkFailed(fmt.Errorf("%d break(s) in the lineage", len(l.Breaks)))
		}
		return nil
	}
}

// unverifiedStatements parses the SLSA statements of atts without checking
// a signature, for a trace run without keys (which says it is not
// evidence).
func unverifiedStatements(e *env, atts provenance.Attestations) ([]*provenance.Statement, error) {
	var statements []*provenance.Statement
	for _, a := range atts {
		if a.Envelope.PayloadType != provenance.PayloadType {
			fmt.Fprintf(e.stderr, "skipped: %s: payloadType %q\n", a.Source, a.Envelope.PayloadType)
			continue
		}
		body, err := a.Envelope.DecodeB64Payload()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Source, err)
		}
		st, err := provenance.ParseStatement(body)
		if err != nil {
			fmt.Fprintf(e.stderr, "skipped: %s: %v\n", a.Source, err)
			continue
		}
		statements = append(statements, st)
	}
	return statements, nil
}
