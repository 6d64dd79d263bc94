package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/signing"
)

func init() {
	register(&command{
		name:    "oci push",
		args:    "MODEL REF",
		summary: "push a model directory to an OCI registry as a ModelPack artifact (REF: [oci://]host/repo[:tag])",
		setup:   setupOCIPush,
	})
	register(&command{
		name:    "oci pull",
		args:    "REF DIR",
		summary: "pull a model from an OCI registry into an empty directory, checking every layer digest",
		setup:   setupOCIPull,
	})
	register(&command{
		name:    "oci sign",
		args:    "REF",
		summary: "sign a model in an OCI registry by digest, from its manifest alone, and attach the signature",
		setup:   setupOCISign,
	})
	register(&command{
		name:    "oci attach",
		args:    "REF FILE",
		summary: "attach evidence (a signature, provenance, a report) to a model in an OCI registry as a referrer",
		setup:   setupOCIAttach,
	})
	register(&command{
		name:    "oci discover",
		args:    "REF",
		summary: "list the evidence attached to a model in an OCI registry",
		setup:   setupOCIDiscover,
	})
}

// registryFlags say how to reach a registry.
type registryFlags struct {
	plainHTTP    bool
	dockerConfig string
	workers      int
	maxRatio     int64
}

func (r *registryFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&r.plainHTTP, "plain-http", false, "talk HTTP, not HTTPS, to a registry that is not on loopback (loopback registries always use HTTP)")
	fs.StringVar(&r.dockerConfig, "docker-config", "", "docker config.json `FILE` for credentials and credential helpers (default $DOCKER_CONFIG or ~/.docker)")
	fs.IntVar(&r.workers, "registry-workers", 0, "layers moved at once (default 4)")
	fs.Int64Var(&r.maxRatio, "max-unpack-ratio", 0, "refuse a tar or compressed layer that unpacks to more than `N` times its size plus 64 MiB (default 1100)")
}

func (r *registryFlags) open(ctx context.Context, ref string, e *env, what string) (*oci.Repository, *progressMeter, error) {
	bar := e.progress(what)
	repo, err := oci.Open(ctx, ref, oci.Options{PlainHTTP: r.plainHTTP, DockerConfig: r.dockerConfig, Workers: r.workers, Progress: bar.bytesFunc(), Archive: oci.ArchiveLimits{MaxRatio: r.maxRatio}})
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	return repo, bar, nil
}

func setupOCIPush(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var rf registryFlags
	rf.register(fs)
	name := fs.String("name", "", "model name recorded in the manifest (default: the directory's base name)")
	once := fs.Bool("single-pass", false, "read each file once, hashing it as it is sent (streamed upload); layers the registry holds are sent again")
	layout := fs.String("layout", "raw", "layer per file: raw (signs from the manifest alone), tar, tar+gzip or tar+zstd (ModelPack media types)")
	var ignore stringList
	fs.Var(&ignore, "ignore", "leave out `PATH` (relative to the current directory, inside the model); repeatable")
	return func(ctx context.Context, args []string) error {
		if len(args) != 2 {
			return usageError("want MODEL and REF, got %d arguments", len(args))
		}
		dir, ref := args[0], args[1]
		r, err := oci.ParseReference(ref)
		if err != nil {
			return usageError("%v", err)
		}
		if strings.HasPrefix(r.Reference, "sha256:") {
			return usageError("push REF %s: give a tag or none, not a digest", ref)
		}
		lay, err := oci.ParseLayout(*layout)
		if err != nil {
			return usageError("%v", err)
		}
		ig, err := modelRelative(dir, ignore, false)
		if err != nil {
			return err
		}
		repo, bar, err := rf.open(ctx, ref, e, "pushing")
		if err != nil {
			return err
		}
		m, err := repo.Push(ctx, dir, oci.PushOptions{Tag: r.Reference, Name: *name, Ignore: ig, Layout: lay, SinglePass: *once})
		bar.finish()
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(map[string]any{"repository": m.Repository, "tag": r.Reference, "digest": m.Descriptor.Digest, "files": len(m.Files)})
		}
		fmt.Fprintf(e.stdout, "pushed %s: %d files, %s@%s\n", quoteName(dir), len(m.Files), m.Repository, m.Descriptor.Digest)
		return nil
	}
}

func setupOCIPull(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var rf registryFlags
	rf.register(fs)
	return func(ctx context.Context, args []string) error {
		if len(args) != 2 {
			return usageError("want REF and DIR, got %d arguments", len(args))
		}
		repo, bar, err := rf.open(ctx, args[0], e, "pulling")
		if err != nil {
			return err
		}
		m, err := repo.Pull(ctx, "", args[1])
		bar.finish()
		if err != nil {
			return ociFailure(err)
		}
		if e.json {
			return e.printJSON(map[string]any{"repository": m.Repository, "digest": m.Descriptor.Digest, "files": len(m.Files), "dir": args[1]})
		}
		fmt.Fprintf(e.stdout, "pulled %s@%s: %d files into %s\n", m.Repository, m.Descriptor.Digest, len(m.Files), quoteName(args[1]))
		return nil
	}
}

func setupOCISign(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var rf registryFlags
	rf.register(fs)
	key := fs.String("key", "", "private key: a PEM `FILE` or KMS/PKCS#11 URI (password of an encrypted key in $MLSEC_KEY_PASSWORD)")
	cert := fs.String("cert", "", "signing certificate PEM `FILE` for the certificate method (must be for --key)")
	var chain stringList
	fs.Var(&chain, "cert-chain", "PEM `FILE` of intermediate certificates to include, leaf to root; repeatable")
	out := fs.String("signature", "", "also write the signature to `FILE`")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("want exactly one REF, got %d arguments", len(args))
		}
		if *key == "" {
			return usageError("--key is required")
		}
		if len(chain) > 0 && *cert == "" {
			return usageError("--cert-chain needs --cert")
		}
		signer, err := loadSigner(ctx, *key)
		if err != nil {
			return err
		}
		var so signing.SignOptions
		if *cert != "" {
			if so.Certificates, err = readCertificates(append([]string{*cert}, chain...)...); err != nil {
				return err
			}
		}
		repo, _, err := rf.open(ctx, args[0], e, "")
		if err != nil {
			return err
		}
		res, err := repo.Sign(ctx, "", signer, so)
		if err != nil {
			return ociFailure(err)
		}
		if *out != "" {
			if err := signing.WriteSignature(*out, res.Bundle); err != nil {
				return err
			}
		}
		m := res.Model
		if e.json {
			return e.printJSON(map[string]any{"repository": m.Repository, "reference": m.Reference, "digest": m.Descriptor.Digest, "files": len(m.Files), "signature": res.Referrer.Digest})
		}
		fmt.Fprintf(e.stdout, "signed %s@%s (%s): %d files; signature attached as %s\n", m.Repository, m.Descriptor.Digest, m.Reference, len(m.Files), res.Referrer.Digest)
		return nil
	}
}

func setupOCIAttach(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var rf registryFlags
	rf.register(fs)
	at := fs.String("artifact-type", "", "what the evidence is (e.g. "+oci.ArtifactTypeInToto+" for a DSSE envelope; required)")
	mt := fs.String("media-type", "", "media type of FILE (default: the artifact type)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 2 {
			return usageError("want REF and FILE, got %d arguments", len(args))
		}
		if *at == "" {
			return usageError("--artifact-type is required")
		}
		data, err := readSmallFile(args[1])
		if err != nil {
			return err
		}
		repo, _, err := rf.open(ctx, args[0], e, "")
		if err != nil {
			return err
		}
		subject, err := repo.Resolve(ctx, "")
		if err != nil {
			return ociFailure(err)
		}
		d, err := repo.Attach(ctx, subject, oci.Attachment{ArtifactType: *at, MediaType: *mt, Data: data})
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(map[string]any{"subject": subject.Digest, "referrer": d.Digest, "artifact_type": *at})
		}
		fmt.Fprintf(e.stdout, "attached %s to %s@%s as %s\n", quoteName(args[1]), repo.Name(), subject.Digest, d.Digest)
		return nil
	}
}

func setupOCIDiscover(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var rf registryFlags
	rf.register(fs)
	at := fs.String("artifact-type", "", "list only referrers of this artifact type")
	save := fs.String("save", "", "also save each referrer's evidence, its subject and digests checked, as `DIR`/<digest>")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("want exactly one REF, got %d arguments", len(args))
		}
		repo, _, err := rf.open(ctx, args[0], e, "")
		if err != nil {
			return err
		}
		subject, err := repo.Resolve(ctx, "")
		if err != nil {
			return ociFailure(err)
		}
		refs, err := repo.Referrers(ctx, subject, *at)
		if err != nil {
			return err
		}
		if *save != "" {
			if err := os.MkdirAll(*save, 0o755); err != nil {
				return err
			}
			for _, r := range refs {
				data, _, err := repo.FetchEvidence(ctx, subject, r)
				if err != nil {
					return ociFailure(err)
				}
				if err := atomicfile.WriteFile(filepath.Join(*save, r.Digest.Encoded()), data, 0o644); err != nil {
					return err
				}
			}
		}
		if e.json {
			type ref struct {
				Digest       string `json:"digest"`
				ArtifactType string `json:"artifact_type"`
				Size         int64  `json:"size"`
			}
			out := []ref{}
			for _, r := range refs {
				out = append(out, ref{r.Digest.String(), r.ArtifactType, r.Size})
			}
			return e.printJSON(map[string]any{"subject": subject.Digest, "referrers": out})
		}
		fmt.Fprintf(e.stdout, "%s@%s\n", repo.Name(), subject.Digest)
		for _, r := range refs {
			fmt.Fprintf(e.stdout, "  %s  %s\n", r.Digest, r.ArtifactType)
		}
		return nil
	}
}

// readSmallFile reads an evidence file, refusing one larger than a
// registry referrer should hold.
func readSmallFile(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	if fi.Size() > 64<<20 {
		return nil, fmt.Errorf("%s: %d bytes, more than 64 MiB", p, fi.Size())
	}
	return os.ReadFile(p)
}

// ociFailure maps a registry answer that fails a check (content under the
// wrong digest, a layer that cannot be a file) to exit 1.
func ociFailure(err error) error {
	if isOCICheck(err) {
		return checkFailed(err)
	}
	return err
}

func isOCICheck(err error) bool {
	var de *oci.DigestError
	var le *oci.LayerError
	return errors.As(err, &de) || errors.As(err, &le)
}

// verifyOCI verifies a model in a registry: `mlsec verify oci://REF`.
func verifyOCI(ctx context.Context, e *env, ref string, rf *registryFlags, sigPath string, o signing.VerifyOptions, by string) error {
	repo, _, err := rf.open(ctx, ref, e, "")
	if err != nil {
		return err
	}
	vo := oci.VerifyOptions{VerifyOptions: o}
	if sigPath != "" {
		if vo.Bundle, err = signing.ReadSignature(ctx, sigPath); err != nil {
			return err
		}
	}
	res, err := repo.Verify(ctx, "", vo)
	if err != nil {
		if errors.Is(err, oci.ErrNoSignature) || isOCICheck(err) {
			return checkFailed(err)
		}
		return verifyFailure(e, err)
	}
	m := res.Model
	root := res.Manifest.RootDigest().String()
	if res.Certificate != nil {
		by = "certificate " + res.Certificate.Subject.String()
	}
	if e.json {
		out := map[string]any{"verified": true, "repository": m.Repository, "reference": m.Reference, "digest": m.Descriptor.Digest,
			"root": root, "resources": len(res.Manifest.Resources), "signer": by}
		if res.Signature.Digest != "" {
			out["signature"] = res.Signature.Digest
		}
		return e.printJSON(out)
	}
	resolved := ""
	if m.Reference != m.Descriptor.Digest.String() {
		resolved = fmt.Sprintf(" (%s resolved to this digest)", m.Reference)
	}
	fmt.Fprintf(e.stdout, "verified %s@%s%s: %d resources, %s, signed by %s\n", m.Repository, m.Descriptor.Digest, resolved, len(res.Manifest.Resources), root, by)
	return nil
}
