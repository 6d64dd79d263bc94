package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/validation"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "validate",
		args:    "DATA...",
		summary: "run a validation suite over data files (CSV, Parquet, Arrow, JSON Lines) as a quality gate",
		setup:   setupValidate,
	})
	register(&command{
		name:    "validate infer",
		args:    "DATA...",
		summary: "propose a validation suite (YAML) from a trusted dataset",
		setup:   setupValidateInfer,
	})
	register(&command{
		name:    "validate json",
		args:    "FILE...",
		summary: "validate JSON documents or JSON Lines files against a JSON Schema (no remote $ref)",
		setup:   setupValidateJSON,
	})
	register(&command{
		name:    "validate digest",
		args:    "SUITE | DATA...",
		summary: "print the digest of a suite (.yaml, .yml, .json) or the schema digest of data files",
		setup:   setupValidateDigest,
	})
}

func setupValidate(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	suitePath := fs.String("suite", "", "the suite `file` (YAML or JSON); required")
	report := fs.String("report", "", "write the full result as JSON to `file`")
	attest := fs.String("attest", "", "write an unsigned in-toto test-result statement to `file`")
	format := fs.String("format", "", "data format (csv, tsv, parquet, arrow, arrows, jsonl); default from the extension")
	limits := addReadLimits(fs)
	pin := fs.String("suite-digest", "", "refuse the suite unless its digest is `sha256:...`")
	raw := fs.Bool("raw-samples", false, "show raw unexpected values instead of hashes")
	return func(ctx context.Context, args []string) error {
		if *suitePath == "" {
			return usageError("--suite is required")
		}
		if len(args) == 0 {
			return usageError("give one or more data files")
		}
		suite, err := validation.LoadSuite(*suitePath)
		if err != nil {
			return err
		}
		// Read only the columns the suite's checks need.
		rr, err := openData(ctx, args, *format, limits, func(schema *arrow.Schema) []string {
			plan, err := validation.NewPlan(suite, schema, validation.Options{})
			if err != nil {
				return nil
			}
			return plan.Columns()
		})
		if err != nil {
			return err
		}
		defer rr.Close()
		bar := e.progress("validating")
		res, err := validation.Validate(ctx, suite, rr, validation.Options{SuiteDigest: *pin, RawSamples: *raw, Progress: bar.rowsFunc(rr, args)})
		bar.finish()
		if err != nil {
			return err
		}
		if *report != "" {
			if err := writeJSONAtomic(*report, res); err != nil {
				return err
			}
		}
		if *attest != "" {
			subj, err := validation.FileSubjects(args...)
			if err != nil {
				return err
			}
			if err := writeJSONAtomic(*attest, res.Statement(subj)); err != nil {
				return err
			}
		}
		if e.json {
			if err := e.printJSON(res); err != nil {
				return err
			}
		} else {
			printResult(e.stdout, res)
		}
		if !res.Success {
			return checkFailed(fmt.Errorf("suite %q failed: %s", suite.Name, failSummary(res)))
		}
		return nil
	}
}

func setupValidateInfer(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	name := fs.String("name", "inferred", "the suite's name")
	format := fs.String("format", "", "data format; default from the extension")
	limits := addReadLimits(fs)
	baseline := fs.String("baseline-out", "", "also write baseline metrics (for expect_column_stats_to_match_baseline) to `file`")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 {
			return usageError("give one or more data files")
		}
		rr, err := openData(ctx, args, *format, limits, nil)
		if err != nil {
			return err
		}
		defer rr.Close()
		bar := e.progress("reading")
		suite, metrics, err := validation.Infer(ctx, rr, validation.InferOptions{Name: *name, Progress: bar.rowsFunc(rr, args)})
		bar.finish()
		if err != nil {
			return err
		}
		if *baseline != "" {
			if err := writeJSONAtomic(*baseline, metrics); err != nil {
				return err
			}
		}
		if e.json {
			return e.printJSON(suite)
		}
		y, err := suite.MarshalYAML()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "# Proposed by mlsec validate infer; review every check before use.\n# suite digest after review: mlsec validate digest SUITE\n")
		_, err = e.stdout.Write(y)
		return err
	}
}

func setupValidateJSON(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	schema := fs.String("schema", "", "the JSON Schema `file`; required")
	allow := fs.String("allow-dir", "", "directory local $ref files may come from (default: none)")
	return func(ctx context.Context, args []string) error {
		if *schema == "" {
			return usageError("--schema is required")
		}
		if len(args) == 0 {
			return usageError("give one or more JSON or JSON Lines files")
		}
		js, err := validation.CompileJSONSchema(*schema, validation.JSONSchemaOptions{AllowDir: *allow})
		if err != nil {
			return err
		}
		var reports []*validation.JSONReport
		invalid := 0
		// Files done of total and their bytes: one file is one call.
		bar := e.progress("validating")
		sizes := make([]int64, len(args))
		var total, done int64
		for i, a := range args {
			if fi, err := os.Stat(a); err == nil && fi.Mode().IsRegular() {
				sizes[i] = fi.Size()
				total += sizes[i]
			}
		}
		for i, a := range args {
			bar.setFile(i+1, len(args))
			rep, err := js.ValidateFile(ctx, a)
			if err != nil {
				return err
			}
			done += sizes[i]
			bar.byteCount(done, total)
			reports = append(reports, rep)
			if !rep.Valid() {
				invalid++
			}
		}
		bar.finish()
		if e.json {
			if err := e.printJSON(reports); err != nil {
				return err
			}
		} else {
			for _, rep := range reports {
				if rep.Valid() {
					fmt.Fprintf(e.stdout, "ok      %s (%d documents)\n", rep.File, rep.Documents)
					continue
				}
				fmt.Fprintf(e.stdout, "INVALID %s (%d of %d documents)\n", rep.File, rep.Invalid, rep.Documents)
				for _, er := range rep.Errors {
					fmt.Fprintf(e.stdout, "        %s\n", er)
				}
			}
		}
		if invalid > 0 {
			return checkFailed(fmt.Errorf("%d of %d files have documents not valid against %s", invalid, len(args), *schema))
		}
		return nil
	}
}

func setupValidateDigest(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	format := fs.String("format", "", "data format; default from the extension")
	limits := addReadLimits(fs)
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 {
			return usageError("give a suite or data files")
		}
		switch strings.ToLower(filepath.Ext(args[0])) {
		case ".yaml", ".yml", ".json":
			if len(args) != 1 {
				return usageError("give one suite")
			}
			s, err := validation.LoadSuite(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, s.Digest())
			return nil
		}
		rr, err := openData(ctx, args, *format, limits, nil)
		if err != nil {
			return err
		}
		defer rr.Close()
		fmt.Fprintln(e.stdout, validation.SchemaDigest(rr.Schema()))
		return nil
	}
}

// openData opens the data files as one stream. columns, when not nil,
// chooses the columns to read from the first file's schema (nil from it:
// every column).
func openData(ctx context.Context, paths []string, format string, limits *readLimits, columns func(*arrow.Schema) []string) (*datafile.Reader, error) {
	opts := limits.options()
	if format != "" {
		f, err := datafile.ParseFormat(format)
		if err != nil {
			return nil, usageError("%v", err)
		}
		opts.Format = f
	}
	if columns != nil {
		schema, err := datafile.ReadSchema(ctx, paths[0], opts)
		if err != nil {
			return nil, err
		}
		opts.Columns = columns(schema)
	}
	return datafile.OpenAll(ctx, paths, opts)
}

// printResult writes the verdict and a table of the checks that did not pass.
func printResult(w io.Writer, res *validation.Result) {
	fmt.Fprintf(w, "%s  suite %q  %d rows  %d checks: %d passed, %d warned, %d failed, %d errored\n",
		res.Status, res.Suite, res.Rows, len(res.Checks), res.Statistics.Passed, res.Statistics.Warned, res.Statistics.Failed, res.Statistics.Errored)
	if res.Reason != "" {
		fmt.Fprintf(w, "reason: %s\n", res.Reason)
	}
	var bad []validation.CheckResult
	for _, c := range res.Checks {
		if c.Status != validation.CheckPassed {
			bad = append(bad, c)
		}
	}
	if len(bad) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSTATUS\tCHECK\tCOLUMN\tDETAIL")
	for _, c := range bad {
		col, _ := c.Kwargs["column"].(string)
		if col == "" {
			col = "-"
		}
		detail := c.Message
		if c.Error != "" {
			detail = c.Error
		}
		name := c.Type
		if c.ID != "" {
			name = c.ID + " (" + c.Type + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.Index, c.Status, name, col, detail)
	}
	tw.Flush()
}

func failSummary(res *validation.Result) string {
	if res.Reason != "" {
		return res.Reason
	}
	return fmt.Sprintf("%d checks failed", res.Statistics.Failed)
}

// writeJSONAtomic writes v as indented JSON, mode 0644, atomically, so a
// crash never leaves half a report.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}
