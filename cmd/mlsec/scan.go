package main

import (
	"context"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlsec-dev/mlsec/modelscan"
)

func init() {
	register(&command{
		name:    "scan",
		args:    "PATH...",
		summary: "decide whether model files are safe to load, without loading them (exit 1 when any is not)",
		setup:   setupScan,
	})
}

func setupScan(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var allow stringList
	fs.Var(&allow, "allow", "also allow this pickle global, as module.name (repeatable)")
	attest := fs.String("attest", "", "also write the verdict to `FILE` as an unsigned in-toto test-result statement about the scanned files")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 {
			return usageError("want PATH...")
		}
		var opts modelscan.Options
		for _, a := range allow {
			i := strings.LastIndex(a, ".")
			if i <= 0 || i == len(a)-1 {
				return usageError("--allow %q: want module.name", a)
			}
			opts.Allow = append(opts.Allow, modelscan.Global{Module: a[:i], Name: a[i+1:]})
		}
		results := []*modelscan.Result{}
		var skipped []string
		bar := e.progress("scanning")
		scanned := func(d iofs.DirEntry) {
			if bar == nil {
				return
			}
			var size int64
			if fi, err := d.Info(); err == nil {
				size = fi.Size()
			}
			bar.fileDone(size)
		}
		for _, root := range args {
			st, err := os.Stat(root)
			if err != nil {
				return err
			}
			if !st.IsDir() {
				res, err := modelscan.ScanFile(ctx, root, opts)
				if err != nil {
					return err
				}
				scanned(iofs.FileInfoToDirEntry(st))
				results = append(results, res)
				continue
			}
			// In a directory, files of no model format (configs, tokenizers,
			// READMEs) are listed as skipped; a file named alone is judged.
			err = filepath.WalkDir(root, func(path string, d iofs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.Type().IsRegular() {
					return nil
				}
				res, err := modelscan.ScanFile(ctx, path, opts)
				if err != nil {
					return err
				}
				scanned(d)
				if res.Format == "unknown" {
					skipped = append(skipped, path)
					return nil
				}
				results = append(results, res)
				return nil
			})
			if err != nil {
				return err
			}
		}
		bar.finish()
		unsafe := 0
		for _, r := range results {
			if !r.Safe() {
				unsafe++
			}
		}
		if *attest != "" {
			paths := make([]string, len(results))
			for i, r := range results {
				paths[i] = r.File
			}
			subj, err := modelscan.FileSubjects(paths...)
			if err != nil {
				return err
			}
			if err := writeJSONAtomic(*attest, modelscan.NewStatement(results, subj, opts)); err != nil {
				return err
			}
		}
		if e.json {
			if err := e.printJSON(struct {
				Results []*modelscan.Result `json:"results"`
				Skipped []string            `json:"skipped,omitempty"`
				Safe    bool                `json:"safe"`
			}{results, skipped, unsafe == 0}); err != nil {
				return err
			}
		} else {
			for _, r := range results {
				if r.Safe() {
					fmt.Fprintf(e.stdout, "%s: safe (%s)\n", r.File, r.Format)
					continue
				}
				for _, f := range r.Findings {
					fmt.Fprintln(e.stdout, f.String())
				}
			}
		}
		if unsafe > 0 {
			return checkFailed(fmt.Errorf("%d of %d file(s) not safe to load", unsafe, len(results)))
		}
		return nil
	}
}
