package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/mlsec-dev/mlsec/provenance"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "dataset version",
		args:    "DIR",
		summary: "hash a dataset into a content-addressed manifest; print its root digest",
		setup:   setupDatasetVersion,
	})
	register(&command{
		name:    "dataset diff",
		args:    "OLD NEW",
		summary: "compare two dataset versions (manifest files or directories); exit 1 when they differ",
		setup:   setupDatasetDiff,
	})
}

func setupDatasetVersion(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	out := fs.String("out", "", "write the manifest JSON to `FILE`")
	var ignore stringList
	fs.Var(&ignore, "ignore", "leave out this `PATH` under DIR (repeatable)")
	workers := fs.Int("workers", 0, "files hashed at once (default: number of CPUs)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError("want one DIR")
		}
		opts := provenance.ManifestOptions{Ignore: ignore, Workers: *workers}
		bar := e.progress("hashing")
		opts.Progress = bar.bytesFunc()
		m, err := provenance.BuildManifest(ctx, args[0], opts)
		bar.finish()
		if err != nil {
			return err
		}
		data, err := m.Marshal()
		if err != nil {
			return err
		}
		if *out != "" {
			if err := atomicfile.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
				return fmt.Errorf("%s: %w", *out, err)
			}
		}
		if e.json {
			_, err := e.stdout.Write(append(data, '\n'))
			return err
		}
		fmt.Fprintf(e.stdout, "%s  %d file(s), %d bytes\n", m.Root, len(m.Files), m.Size)
		if *out == "" {
			for _, f := range m.Files {
				fmt.Fprintf(e.stdout, "%s  %12d  %s\n", f.Digest["sha256"], f.Size, f.Path)
			}
		}
		return nil
	}
}

// loadManifest reads a manifest file, or versions a directory.
func loadManifest(ctx context.Context, e *env, arg string) (*provenance.Manifest, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		bar := e.progress("hashing " + arg)
		defer bar.finish()
		return provenance.BuildManifest(ctx, arg, provenance.ManifestOptions{Progress: bar.bytesFunc()})
	}
	return provenance.LoadManifest(arg)
}

func setupDatasetDiff(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if len(args) != 2 {
			return usageError("want OLD and NEW")
		}
		a, err := loadManifest(ctx, e, args[0])
		if err != nil {
			return err
		}
		b, err := loadManifest(ctx, e, args[1])
		if err != nil {
			return err
		}
		d := provenance.DiffManifests(a, b)
		if e.json {
			err = e.printJSON(d)
		} else {
			err = d.WriteText(e.stdout)
		}
		if err != nil {
			return err
		}
		if !d.Empty() {
			return checkFailed(fmt.Errorf("the versions differ"))
		}
		return nil
	}
}
