package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"

	"github.com/mlsec-dev/mlsec/secrets"
)

func init() {
	register(&command{
		name:    "secrets encrypt",
		args:    "IN OUT",
		summary: "envelope-encrypt a file under a KMS/HSM key (--kek URI)",
		setup:   setupSecretsEncrypt,
	})
	register(&command{
		name:    "secrets decrypt",
		args:    "IN OUT",
		summary: "decrypt an envelope file with any of the given KEKs (--kek URI, repeatable)",
		setup:   setupSecretsDecrypt,
	})
	register(&command{
		name:    "secrets rewrap",
		args:    "FILE...",
		summary: "re-wrap the data keys of envelope files under a new KEK, without re-encrypting the data",
		setup:   setupSecretsRewrap,
	})
	register(&command{
		name:    "secrets scan",
		args:    "PATH...",
		summary: "scan files and directories for leaked credentials (exit 1 when any is found)",
		setup:   setupSecretsScan,
	})
	register(&command{
		name:    "secrets dev-keyfile",
		args:    "OUT",
		summary: "create a local AES key file for development and tests (NOT for production) and print its KEK URI",
		setup:   setupSecretsDevKeyfile,
	})
}

// cryptoCheck maps a wrong key or a failed authentication to exit 1 (the
// check failed); other errors stay exit 2 (bad input).
func cryptoCheck(err error) error {
	var ke *secrets.KeyError
	var ie *secrets.IntegrityError
	if errors.As(err, &ke) || errors.As(err, &ie) {
		return checkFailed(err)
	}
	return err
}

// setupSecretsScan streams findings as each file is done; paths it could
// not scan are listed on stderr (and in the JSON), and one named on the
// command line that is not a file or a directory (a pipe, a device) is an
// error: a scan never says clean about what it did not read.
func setupSecretsScan(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var allow stringList
	fs.Var(&allow, "allow-path", "glob of paths to skip, e.g. 'testdata/*' (repeatable)")
	maxPerFile := fs.Int("max-findings-per-file", secrets.DefaultMaxFindingsPerFile, "findings reported per file; the rest are counted (negative: no limit)")
	baseline := fs.String("baseline", "", "baseline `FILE` of reviewed findings: report only findings not in it")
	writeBaseline := fs.String("write-baseline", "", "write every finding of this scan to baseline `FILE` (fingerprints, never the secrets) and exit 0")
	noTestDocs := fs.Bool("exclude-test-docs", false, "drop findings in test and documentation paths (they are reported, marked, by default)")
	decodeDepth := fs.Int("decode-depth", secrets.DefaultDecodeDepth, "levels of nested base64/hex/percent encoding to decode (0: none)")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 {
			return usageError("want PATH...")
		}
		if *maxPerFile == 0 {
			return usageError("--max-findings-per-file must not be 0")
		}
		if *decodeDepth < 0 {
			return usageError("--decode-depth must not be negative")
		}
		opts := secrets.ScanOptions{Allowlist: secrets.Allowlist{Paths: allow}, MaxFindingsPerFile: *maxPerFile,
			DecodeDepth: *decodeDepth, ExcludeTestAndDocs: *noTestDocs}
		if *decodeDepth == 0 {
			opts.DecodeDepth = -1
		}
		if *baseline != "" {
			b, err := secrets.ReadBaseline(*baseline)
			if err != nil {
				return err
			}
			opts.Baseline = b
		}
		var recorded []secrets.Finding
		if *writeBaseline != "" {
			// The new baseline holds every current finding, including
			// those the old one already held.
			opts.Baseline = nil
		}
		var (
			all     = []secrets.Finding{}
			skipped []secrets.Skipped
			omitted []secrets.Omitted
			found   int
			errs    []error

			baselined, excluded int
		)
		bar := e.progress("scanning")
		if bar != nil {
			opts.Progress = func(_ string, size int64) { bar.fileDone(size) }
		}
		emit := func(f secrets.Finding) error {
			if *writeBaseline != "" {
				recorded = append(recorded, f)
			}
			found++
			if e.json {
				all = append(all, f)
				return nil
			}
			bar.hide()
			_, err := fmt.Fprintln(e.stdout, f)
			return err
		}
		for _, p := range args {
			sum, err := secrets.ScanPathFunc(ctx, p, opts, emit)
			if err != nil {
				errs = append(errs, err)
			}
			if sum == nil {
				continue
			}
			for _, o := range sum.Omitted {
				found += o.Count
				if !e.json {
					bar.hide()
					fmt.Fprintf(e.stdout, "%s: %d more finding(s) not shown (limit %d per file)\n", o.Path, o.Count, *maxPerFile)
				}
			}
			omitted = append(omitted, sum.Omitted...)
			baselined += sum.Baselined
			excluded += sum.Excluded
			for _, sk := range sum.Skipped {
				// A path named on the command line is already an error.
				if !errors.Is(err, secrets.ErrNotScanned) {
					bar.hide()
					fmt.Fprintln(e.stderr, sk)
				}
			}
			skipped = append(skipped, sum.Skipped...)
		}
		bar.finish()
		if e.json {
			out := struct {
				Findings  []secrets.Finding `json:"findings"`
				Skipped   []secrets.Skipped `json:"skipped,omitempty"`
				Omitted   []secrets.Omitted `json:"omitted,omitempty"`
				Baselined int               `json:"baselined,omitempty"`
				Excluded  int               `json:"excluded,omitempty"`
			}{all, skipped, omitted, baselined, excluded}
			if err := e.printJSON(out); err != nil {
				return err
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if baselined > 0 {
			fmt.Fprintf(e.stderr, "%d finding(s) already in the baseline not shown\n", baselined)
		}
		if excluded > 0 {
			fmt.Fprintf(e.stderr, "%d finding(s) in test or documentation paths not shown\n", excluded)
		}
		if *writeBaseline != "" {
			b := secrets.NewBaseline(recorded)
			if err := secrets.WriteBaseline(*writeBaseline, b); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "baseline: %d finding(s) written to %s\n", b.Len(), *writeBaseline)
			return nil
		}
		if found > 0 {
			return checkFailed(fmt.Errorf("%d credential(s) found", found))
		}
		return nil
	}
}

func setupSecretsEncrypt(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	kek := fs.String("kek", "", "key-encryption key URI: awskms://..., pkcs11:..., insecure-keyfile:PATH (development only)")
	aad := fs.String("aad", "", "associated data binding the ciphertext to its context, e.g. dataset=orders;version=7")
	return func(ctx context.Context, args []string) error {
		if len(args) != 2 {
			return usageError("want IN OUT")
		}
		if *kek == "" {
			return usageError("--kek is required")
		}
		k, err := secrets.OpenKEK(ctx, *kek, secrets.KEKOptions{})
		if err != nil {
			return err
		}
		bar := e.progress("encrypting")
		err = secrets.EncryptFileWith(ctx, args[0], args[1], k, []byte(*aad), secrets.FileOptions{Progress: bar.bytesFunc()})
		bar.finish()
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(map[string]string{"input": args[0], "output": args[1], "kek": k.URI()})
		}
		return nil
	}
}

func setupSecretsDecrypt(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var keks stringList
	fs.Var(&keks, "kek", "key-encryption key URI (repeat during a rotation: old and new)")
	aad := fs.String("aad", "", "associated data given at encryption")
	return func(ctx context.Context, args []string) error {
		if len(args) != 2 {
			return usageError("want IN OUT")
		}
		if len(keks) == 0 {
			return usageError("at least one --kek is required")
		}
		ks, err := secrets.OpenKEKs(ctx, keks...)
		if err != nil {
			return err
		}
		bar := e.progress("decrypting")
		err = secrets.DecryptFileWith(ctx, args[0], args[1], []byte(*aad), secrets.FileOptions{Progress: bar.bytesFunc()}, ks...)
		bar.finish()
		return cryptoCheck(err)
	}
}

func setupSecretsRewrap(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var from stringList
	fs.Var(&from, "from", "current key-encryption key URI (repeatable)")
	to := fs.String("to", "", "new key-encryption key URI")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 {
			return usageError("want FILE...")
		}
		if len(from) == 0 || *to == "" {
			return usageError("--from and --to are required")
		}
		fromKEKs, err := secrets.OpenKEKs(ctx, from...)
		if err != nil {
			return err
		}
		toKEK, err := secrets.OpenKEK(ctx, *to, secrets.KEKOptions{})
		if err != nil {
			return err
		}
		for i, f := range args {
			bar := e.progress("rewrapping")
			bar.setFile(i+1, len(args))
			err := secrets.RewrapWith(ctx, f, secrets.FileOptions{Progress: bar.bytesFunc()}, toKEK, fromKEKs...)
			bar.finish()
			if err != nil {
				return cryptoCheck(err)
			}
			if !e.json {
				fmt.Fprintf(e.stdout, "rewrapped %s\n", f)
			}
		}
		if e.json {
			return e.printJSON(map[string]any{"rewrapped": args, "kek": toKEK.URI()})
		}
		return nil
	}
}

func setupSecretsDevKeyfile(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("want OUT")
		}
		if _, err := os.Stat(args[0]); err == nil {
			return usageError("%s exists; not overwriting a key", args[0])
		} else if !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
		uri, err := secrets.GenerateInsecureKeyFile(args[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, "warning: this key is stored in cleartext; use it for development and tests only")
		if e.json {
			return e.printJSON(map[string]string{"kek": uri})
		}
		_, err = fmt.Fprintln(e.stdout, uri)
		return err
	}
}
