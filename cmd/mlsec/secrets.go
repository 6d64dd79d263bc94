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
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			kek := fs.String("kek", "", "key-encryption key URI: awskms://..., pkcs11:..., insecure-keyfile:PATH (development only)")
			aad := fs.String("aad", "", "associated data binding the ciphertext to its context, e.g. dataset=orders;version=7")
			return func(ctx context.Context, args []string) error {
				if len(args) != 2 {
					return usageError("want IN OUT")
				}
				if *kek == "" {
					return usageError("--kek is required")
				}
				k, err := secrets.OpenKEK(ctx, *kek)
				if err != nil {
					return err
				}
				if err := secrets.EncryptFile(ctx, args[0], args[1], k, []byte(*aad)); err != nil {
					return err
				}
				if e.json {
					return e.printJSON(map[string]string{"input": args[0], "output": args[1], "kek": k.URI()})
				}
				return nil
			}
		},
	})
	register(&command{
		name:    "secrets decrypt",
		args:    "IN OUT",
		summary: "decrypt an envelope file with any of the given KEKs (--kek URI, repeatable)",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
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
				return cryptoCheck(secrets.DecryptFile(ctx, args[0], args[1], []byte(*aad), ks...))
			}
		},
	})
	register(&command{
		name:    "secrets rewrap",
		args:    "FILE...",
		summary: "re-wrap the data keys of envelope files under a new KEK, without re-encrypting the data",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
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
				toKEK, err := secrets.OpenKEK(ctx, *to)
				if err != nil {
					return err
				}
				for _, f := range args {
					if err := secrets.Rewrap(ctx, f, toKEK, fromKEKs...); err != nil {
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
		},
	})
	register(&command{
		name:    "secrets scan",
		args:    "PATH...",
		summary: "scan files and directories for leaked credentials (exit 1 when any is found)",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var allow stringList
			fs.Var(&allow, "allow-path", "glob of paths to skip, e.g. 'testdata/*' (repeatable)")
			return func(ctx context.Context, args []string) error {
				if len(args) == 0 {
					return usageError("want PATH...")
				}
				opts := &secrets.ScanOptions{Allowlist: secrets.Allowlist{Paths: allow}}
				all := []secrets.Finding{}
				var errs []error
				for _, p := range args {
					f, err := secrets.ScanPath(ctx, p, opts)
					all = append(all, f...)
					if err != nil {
						errs = append(errs, err)
					}
				}
				if e.json {
					if err := e.printJSON(map[string]any{"findings": all}); err != nil {
						return err
					}
				} else {
					for _, f := range all {
						fmt.Fprintln(e.stdout, f)
					}
				}
				if err := errors.Join(errs...); err != nil {
					return err
				}
				if len(all) > 0 {
					return checkFailed(fmt.Errorf("%d credential(s) found", len(all)))
				}
				return nil
			}
		},
	})
	register(&command{
		name:    "secrets dev-keyfile",
		args:    "OUT",
		summary: "create a local AES key file for development and tests (NOT for production) and print its KEK URI",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
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
		},
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
