package main

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mlsec-dev/mlsec/oci"
	"github.com/mlsec-dev/mlsec/signing"
)

func init() {
	register(&command{
		name:    "hash",
		args:    "MODEL",
		summary: "print the OMS manifest and root digest of a model (file or directory)",
		setup:   setupHash,
	})
	register(&command{
		name:    "sign",
		args:    "MODEL",
		summary: "sign a model (file or directory) in the OpenSSF Model Signing format",
		setup:   setupSign,
	})
	register(&command{
		name:    "verify",
		args:    "MODEL",
		summary: "verify a model against its OpenSSF Model Signing signature",
		setup:   setupVerify,
	})
}

// hashFlags are the flags that say how a model is hashed.
type hashFlags struct {
	method        string
	hash          string
	shardSize     int64
	ignore        stringList
	allowSymlinks bool
	workers       int
}

func (h *hashFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.method, "method", "files", "serialization: files (one digest per file) or shards (per byte range, parallel within files)")
	fs.StringVar(&h.hash, "hash", "sha256", "content hash: sha256, blake2b or blake3")
	fs.Int64Var(&h.shardSize, "shard-size", 0, fmt.Sprintf("shard size in bytes for --method shards (default %d)", signing.DefaultShardSize))
	fs.Var(&h.ignore, "ignore", "exclude `PATH` (relative to the current directory, inside the model); repeatable")
	fs.BoolVar(&h.allowSymlinks, "allow-symlinks", false, "hash symbolic links to files inside the model as those files")
	fs.IntVar(&h.workers, "workers", 0, "files or shards hashed at once (default: number of CPUs)")
}

func (h *hashFlags) options(model string) (signing.Options, error) {
	o := signing.Options{
		Method:        signing.Method(h.method),
		Hash:          signing.HashAlgorithm(h.hash),
		ShardSize:     h.shardSize,
		AllowSymlinks: h.allowSymlinks,
		Workers:       h.workers,
	}
	switch o.Method {
	case signing.MethodFiles, signing.MethodShards:
	default:
		return o, usageError("--method %q: want files or shards", h.method)
	}
	switch o.Hash {
	case signing.SHA256, signing.BLAKE2b, signing.BLAKE3:
	default:
		return o, usageError("--hash %q: want sha256, blake2b or blake3", h.hash)
	}
	if h.shardSize != 0 && o.Method != signing.MethodShards {
		return o, usageError("--shard-size needs --method shards")
	}
	if h.shardSize < 0 {
		return o, usageError("--shard-size must be positive")
	}
	var err error
	if o.IgnorePaths, err = modelRelative(model, h.ignore, false); err != nil {
		return o, err
	}
	return o, nil
}

// modelRelative turns paths given on the command line (relative to the
// current directory) into paths relative to the model root. A path outside
// the model is an error, or dropped when drop is set (a signature file
// written beside the model needs no excluding).
func modelRelative(model string, paths []string, drop bool) ([]string, error) {
	root, err := filepath.Abs(model)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			if drop {
				continue
			}
			return nil, usageError("--ignore %s: not inside the model %s", p, model)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}

func oneModel(args []string) (string, error) {
	if len(args) != 1 {
		return "", usageError("want exactly one MODEL (a file or directory), got %d arguments", len(args))
	}
	return args[0], nil
}

func setupHash(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var hf hashFlags
	hf.register(fs)
	return func(ctx context.Context, args []string) error {
		model, err := oneModel(args)
		if err != nil {
			return err
		}
		o, err := hf.options(model)
		if err != nil {
			return err
		}
		bar := e.progress("hashing")
		o.Progress = bar.bytesFunc()
		m, err := signing.HashModel(ctx, model, o)
		bar.finish()
		if err != nil {
			return err
		}
		root := m.RootDigest().String()
		if e.json {
			type res struct {
				Name      string `json:"name"`
				Algorithm string `json:"algorithm"`
				Digest    string `json:"digest"`
			}
			out := struct {
				Model     string `json:"model"`
				Method    string `json:"method"`
				Hash      string `json:"hash"`
				ShardSize int64  `json:"shard_size,omitempty"`
				Resources []res  `json:"resources"`
				Root      string `json:"root"`
			}{Model: m.Name, Method: string(m.Serialization.Method), Hash: string(m.Serialization.Hash), ShardSize: m.Serialization.ShardSize, Root: root, Resources: []res{}}
			for _, r := range m.Resources {
				out.Resources = append(out.Resources, res{r.Name, r.Algorithm, hex.EncodeToString(r.Digest)})
			}
			return e.printJSON(out)
		}
		for _, r := range m.Resources {
			fmt.Fprintf(e.stdout, "%x  %s\n", r.Digest, quoteName(r.Name))
		}
		fmt.Fprintln(e.stdout, root)
		return nil
	}
}

func setupSign(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var hf hashFlags
	hf.register(fs)
	key := fs.String("key", "", "private key: a PEM `FILE` (password of an encrypted key in $MLSEC_KEY_PASSWORD)")
	cert := fs.String("cert", "", "signing certificate PEM `FILE` for the certificate method (must be for --key)")
	var chain stringList
	fs.Var(&chain, "cert-chain", "PEM `FILE` of intermediate certificates to include, leaf to root; repeatable")
	sigPath := fs.String("signature", "model.sig", "write the signature to `FILE`")
	cache := fs.String("cache", "", "reuse digests of unchanged files from `FILE` and update it (signing only)")
	return func(ctx context.Context, args []string) error {
		model, err := oneModel(args)
		if err != nil {
			return err
		}
		if *key == "" {
			return usageError("--key is required")
		}
		if len(chain) > 0 && *cert == "" {
			return usageError("--cert-chain needs --cert")
		}
		o, err := hf.options(model)
		if err != nil {
			return err
		}
		sigIgnore, err := modelRelative(model, []string{*sigPath}, true)
		if err != nil {
			return err
		}
		o.IgnorePaths = append(o.IgnorePaths, sigIgnore...)
		if *cache != "" {
			c, err := modelRelative(model, []string{*cache}, true)
			if err != nil {
				return err
			}
			o.IgnorePaths = append(o.IgnorePaths, c...)
		}
		signer, err := loadSigner(ctx, *key)
		if err != nil {
			return err
		}
		so := signing.SignOptions{Options: o, CachePath: *cache}
		if *cert != "" {
			if so.Certificates, err = readCertificates(append([]string{*cert}, chain...)...); err != nil {
				return err
			}
		}
		bar := e.progress("hashing")
		so.Progress = bar.bytesFunc()
		b, err := signing.Sign(ctx, model, signer, so)
		bar.finish()
		if err != nil {
			return err
		}
		if err := signing.WriteSignature(*sigPath, b); err != nil {
			return err
		}
		if e.json {
			return e.printJSON(map[string]string{"model": model, "signature": *sigPath})
		}
		fmt.Fprintf(e.stdout, "signed %s: signature written to %s\n", model, *sigPath)
		return nil
	}
}

func setupVerify(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	key := fs.String("key", "", "public key: a PEM `FILE`")
	var trust stringList
	fs.Var(&trust, "cert-chain", "PEM `FILE` of trusted root certificates for the certificate method; repeatable")
	sigPath := fs.String("signature", "", "the signature `FILE` (required)")
	var ignore stringList
	fs.Var(&ignore, "ignore", "also exclude `PATH` (relative to the current directory, inside the model); repeatable")
	trustedRoot := fs.String("trusted-root", "", "Sigstore trusted_root.json `FILE` for keyless signatures (verified offline; needs --identity and --identity-provider)")
	identity := fs.String("identity", "", "keyless: the signer's exact certificate identity (email or URI)")
	issuer := fs.String("identity-provider", "", "keyless: the exact OpenID Connect issuer URL of --identity")
	unsigned := fs.Bool("ignore-unsigned-files", false, "check only the files the signature lists; do not report added files")
	workers := fs.Int("workers", 0, "files or shards hashed at once (default: number of CPUs)")
	var rf registryFlags
	rf.register(fs)
	return func(ctx context.Context, args []string) error {
		model, err := oneModel(args)
		if err != nil {
			return err
		}
		// oci://host/repo@sha256:... verifies a model in a registry (the
		// attached signature, or --signature).
		inRegistry := strings.HasPrefix(model, oci.Scheme)
		if *sigPath == "" && !inRegistry {
			return usageError("--signature is required")
		}
		methods := 0
		for _, set := range []bool{*key != "", len(trust) > 0, *trustedRoot != ""} {
			if set {
				methods++
			}
		}
		if methods != 1 {
			return usageError("give exactly one of --key, --cert-chain and --trusted-root")
		}
		if (*trustedRoot != "") != (*identity != "" && *issuer != "") || (*trustedRoot == "" && (*identity != "" || *issuer != "")) {
			return usageError("--trusted-root goes with --identity and --identity-provider")
		}
		o := signing.VerifyOptions{IgnoreUnsignedFiles: *unsigned, Workers: *workers}
		if inRegistry {
			// Paths inside a model in a registry are given as they are
			// titled: slash-separated, relative to the model root.
			o.IgnorePaths = ignore
		} else if o.IgnorePaths, err = modelRelative(model, ignore, false); err != nil {
			return err
		}
		if !inRegistry {
			sigIgnore, err := modelRelative(model, []string{*sigPath}, true)
			if err != nil {
				return err
			}
			o.IgnorePaths = append(o.IgnorePaths, sigIgnore...)
		}
		switch {
		case *key != "":
			if o.Key, err = loadVerifier(ctx, *key); err != nil {
				return err
			}
		case *trustedRoot != "":
			tr, err := signing.ReadTrustMaterial(ctx, *trustedRoot)
			if err != nil {
				return fmt.Errorf("trusted root: %w", err)
			}
			o.Sigstore = &signing.Sigstore{TrustedRoot: tr, Identity: *identity, Issuer: *issuer}
		default:
			certs, err := readCertificates(trust...)
			if err != nil {
				return err
			}
			o.Roots = x509.NewCertPool()
			for _, c := range certs {
				o.Roots.AddCert(c)
			}
		}
		if inRegistry {
			by := "key " + *key
			if o.Sigstore != nil {
				by = "keyless identity " + *identity + " (" + *issuer + ")"
			}
			return verifyOCI(ctx, e, model, &rf, *sigPath, o, by)
		}
		b, err := signing.ReadSignature(ctx, *sigPath)
		if err != nil {
			return err
		}
		bar := e.progress("verifying")
		o.Progress = bar.bytesFunc()
		res, err := signing.Verify(ctx, model, b, o)
		bar.finish()
		if err != nil {
			return verifyFailure(e, err)
		}
		root := res.Manifest.RootDigest().String()
		by := "key " + *key
		switch {
		case o.Sigstore != nil:
			by = "keyless identity " + *identity + " (" + *issuer + ")"
		case res.Certificate != nil:
			by = "certificate " + res.Certificate.Subject.String()
		}
		if e.json {
			out := map[string]any{"verified": true, "model": model, "root": root, "resources": len(res.Manifest.Resources), "signer": by, "legacy": res.Legacy}
			if len(res.EmptyFiles) > 0 {
				out["empty_files"] = res.EmptyFiles
			}
			return e.printJSON(out)
		}
		if len(res.EmptyFiles) > 0 {
			// OMS shards cannot cover an empty file; say so rather than
			// let "verified" suggest they were checked.
			names := make([]string, len(res.EmptyFiles))
			for i, n := range res.EmptyFiles {
				names[i] = quoteName(n)
			}
			fmt.Fprintf(e.stderr, "mlsec verify: note: %d empty files are not covered by a shards signature (sign with --method files to cover them): %s\n",
				len(names), strings.Join(names, ", "))
		}
		if res.Legacy {
			root = "(legacy v0.2 signature, no root digest)"
		}
		fmt.Fprintf(e.stdout, "verified %s: %d resources, %s, signed by %s\n", quoteName(model), len(res.Manifest.Resources), root, by)
		return nil
	}
}

// verifyFailure maps a verification error to exit 1 (the model or its
// signature failed the check) or 2 (unreadable input), listing every
// differing file.
func verifyFailure(e *env, err error) error {
	var me *signing.MismatchError
	var be *signing.BundleError
	var ue *signing.UnhashableError
	switch {
	case errors.As(err, &me):
		if e.json {
			_ = e.printJSON(map[string]any{"verified": false, "changed": nonNil(me.Changed), "missing": nonNil(me.Missing), "unsigned": nonNil(me.Extra)})
		} else {
			// Names are quoted when they hold a newline or another
			// control character, so a file name cannot forge a line.
			for _, n := range me.Changed {
				fmt.Fprintf(e.stdout, "changed   %s\n", quoteName(n))
			}
			for _, n := range me.Missing {
				fmt.Fprintf(e.stdout, "missing   %s\n", quoteName(n))
			}
			for _, n := range me.Extra {
				fmt.Fprintf(e.stdout, "unsigned  %s\n", quoteName(n))
			}
		}
		return checkFailed(err)
	case errors.As(err, &be):
		if e.json {
			_ = e.printJSON(map[string]any{"verified": false, "rule": be.Rule, "error": be.Err.Error()})
		}
		return checkFailed(err)
	case errors.As(err, &ue):
		// The model holds something its signature cannot cover. A model
		// path that is itself a device or a pipe is no UnhashableError:
		// unreadable input, exit 2.
		return checkFailed(err)
	}
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// readCertificates reads every CERTIFICATE block of the PEM files, in order.
func readCertificates(paths ...string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, p := range paths {
		data, err := signing.ReadTrustMaterial(context.Background(), p)
		if err != nil {
			return nil, fmt.Errorf("certificate: %w", err)
		}
		n := 0
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificate %s: %w", p, err)
			}
			out = append(out, c)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("certificate %s: no PEM certificate found", p)
		}
	}
	return out, nil
}

// quoteName shows a file name on one line of output: as it is when it is
// printable, Go-quoted when it holds a newline or another control
// character (or starts with a quote), so a name cannot forge a line.
func quoteName(name string) string {
	if name != "" && name[0] != '"' && utf8.ValidString(name) && !strings.ContainsFunc(name, func(r rune) bool {
		return !unicode.IsPrint(r) && r != ' '
	}) {
		return name
	}
	return strconv.Quote(name)
}
