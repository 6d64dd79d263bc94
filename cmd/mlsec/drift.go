package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/provenance"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "drift profile",
		args:    "DATA...",
		summary: "summarise data files into a mergeable drift reference profile (JSON)",
		setup:   driftProfileCmd,
	})
	register(&command{
		name:    "drift compare",
		args:    "--reference PROFILE|DATA DATA...",
		summary: "test data for drift against a reference; exit 1 when the dataset drifted",
		setup:   driftCompareCmd,
	})
}

// profileFlags are the profiling options both commands take.
type profileFlags struct {
	sketchK int
	topK    int
	exact   bool
	columns string
}

func (p *profileFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&p.sketchK, "sketch-k", drift.DefaultSketchK, "quantile sketch capacity K (rank error about log2(n/K)/(2K))")
	fs.IntVar(&p.topK, "top-k", drift.DefaultTopK, "categories kept per categorical column")
	fs.BoolVar(&p.exact, "exact", false, "keep every numeric value (exact statistics; memory grows with the data)")
	fs.StringVar(&p.columns, "columns", "", "comma-separated columns to profile (default all)")
}

func (p *profileFlags) options() (drift.ProfileOptions, error) {
	if p.sketchK < 4 || p.sketchK > 1<<20 {
		return drift.ProfileOptions{}, usageError("--sketch-k %d out of range 4..%d", p.sketchK, 1<<20)
	}
	if p.topK < 1 || p.topK > 1<<20 {
		return drift.ProfileOptions{}, usageError("--top-k %d out of range 1..%d", p.topK, 1<<20)
	}
	o := drift.ProfileOptions{SketchK: p.sketchK, TopK: p.topK, Exact: p.exact}
	if p.columns != "" {
		for _, c := range strings.Split(p.columns, ",") {
			if c = strings.TrimSpace(c); c != "" {
				o.Columns = append(o.Columns, c)
			}
		}
	}
	return o, nil
}

// profileFiles profiles data files (one dataset, read in sequence).
func profileFiles(ctx context.Context, e *env, label string, paths []string, opts drift.ProfileOptions, limits *readLimits) (*drift.Profile, error) {
	// Read only the chosen columns: the others are never decoded. Text
	// columns arrive as dictionaries, counted by index (same profile).
	ropts := limits.options()
	ropts.Columns = opts.Columns
	ropts.DictionaryStrings = true
	r, err := datafile.OpenAll(ctx, paths, ropts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	bar := e.progress(label)
	opts.Progress = bar.rowsFunc(r, paths)
	p, err := drift.ProfileReader(ctx, r, opts)
	bar.finish()
	if err != nil {
		if r.Path() != "" && !strings.Contains(err.Error(), r.Path()) {
			return nil, fmt.Errorf("%s: %w", r.Path(), err)
		}
		return nil, err
	}
	if p.Rows() == 0 {
		return nil, fmt.Errorf("%s: no rows", strings.Join(paths, ", "))
	}
	return p, nil
}

func driftProfileCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var pf profileFlags
	pf.register(fs)
	limits := addReadLimits(fs)
	out := fs.String("o", "", "write the profile to this file (required)")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 {
			return usageError("no data files given")
		}
		if *out == "" {
			return usageError("-o PROFILE is required")
		}
		opts, err := pf.options()
		if err != nil {
			return err
		}
		p, err := profileFiles(ctx, e, "profiling", args, opts, limits)
		if err != nil {
			return err
		}
		if err := p.WriteFile(*out); err != nil {
			return err
		}
		if e.json {
			return e.printJSON(map[string]any{"profile": *out, "rows": p.Rows(), "columns": len(p.Columns()), "digest": p.Digest()})
		}
		fmt.Fprintf(e.stdout, "profiled %d rows, %d columns into %s\ndigest %s\n", p.Rows(), len(p.Columns()), *out, p.Digest())
		return nil
	}
}

// outPath is a flag naming an output file, "-" for stdout. It replaces
// the global boolean --json of drift compare, so `--json report.json`
// writes the JSON report to a file and `--json -` to stdout.
type outPath struct{ path *string }

func (o outPath) String() string {
	if o.path == nil {
		return ""
	}
	return *o.path
}
func (o outPath) Set(s string) error {
	if s == "" {
		return errors.New("empty path")
	}
	*o.path = s
	return nil
}

// isDataFile reports whether path names a data file (by extension) rather
// than a profile.
func isDataFile(path string) bool {
	_, err := datafile.FormatOf(path)
	return err == nil
}

func driftCompareCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var pf profileFlags
	pf.register(fs)
	limits := addReadLimits(fs)
	var jsonOut string
	if f := fs.Lookup("json"); f != nil {
		f.Value = outPath{&jsonOut}
		f.DefValue = ""
		f.Usage = "write the JSON report to this file (- for stdout)"
	}
	ref := fs.String("reference", "", "reference profile (.json) or reference data file(s), comma-separated (required)")
	htmlOut := fs.String("html", "", "write the HTML report to this file")
	threshold := fs.Float64("threshold", 0, "threshold for every column: p-value α for p-value tests, distance for distances (default: each test's own)")
	test := fs.String("test", "auto", "test for every column: auto or one of "+testNames())
	var columnTests stringList
	fs.Var(&columnTests, "column", "per-column override NAME=TEST[:THRESHOLD] (repeatable)")
	var ignore stringList
	fs.Var(&ignore, "ignore", "column not to compare (repeatable)")
	correction := fs.String("correction", "none", "multiple-testing correction across p-value tests: none, bonferroni, bh")
	share := fs.Float64("drift-share", 0.5, "dataset drift when at least this share of tested columns drifted")
	digest := fs.Bool("digest", false, "also compute the row digests of the data files compared, shown in the report (slower)")
	attest := fs.String("attest", "", "also write the report to `FILE` as an in-toto statement about the current data files (predicate "+drift.PredicateReportV1+")")
	attestKey := fs.String("attest-key", "", "sign the --attest statement with this private key `PEM` (or KMS/PKCS#11 reference): a DSSE envelope a gate verifies")
	return func(ctx context.Context, args []string) error {
		// --json here names an output; progress stays off with it too.
		if jsonOut != "" {
			e.json = true
		}
		if *ref == "" {
			return usageError("--reference PROFILE|DATA is required")
		}
		if *attestKey != "" && *attest == "" {
			return usageError("--attest-key signs the --attest statement: give --attest FILE")
		}
		if len(args) == 0 {
			return usageError("no current data files given")
		}
		opts := drift.CompareOptions{Threshold: *threshold, DriftShare: *share, Correction: drift.Correction(*correction), Ignore: ignore, DigestCurrent: *digest}
		// Negated comparisons, so that NaN (false in every comparison)
		// is refused too: a NaN share or threshold would turn the gate off.
		if !(*share > 0 && *share <= 1) {
			return usageError("--drift-share %v out of range (0, 1]", *share)
		}
		if !(*threshold >= 0) || math.IsInf(*threshold, 1) {
			return usageError("--threshold %v: want a finite number >= 0", *threshold)
		}
		var err error
		if opts.Test, err = drift.ParseTest(*test); err != nil {
			return usageError("--test: %v", err)
		}
		for _, ct := range columnTests {
			name, spec, ok := strings.Cut(ct, "=")
			if !ok || name == "" {
				return usageError("--column %q: want NAME=TEST[:THRESHOLD]", ct)
			}
			tname, th, hasTh := strings.Cut(spec, ":")
			var c drift.ColumnTest
			if c.Test, err = drift.ParseTest(tname); err != nil {
				return usageError("--column %q: %v", ct, err)
			}
			if hasTh {
				if c.Threshold, err = strconv.ParseFloat(th, 64); err != nil || !(c.Threshold > 0) || math.IsInf(c.Threshold, 1) {
					return usageError("--column %q: bad threshold %q", ct, th)
				}
			}
			if opts.Columns == nil {
				opts.Columns = map[string]drift.ColumnTest{}
			}
			opts.Columns[name] = c
		}
		if err := opts.Validate(); err != nil {
			return usageError("%v", err)
		}
		popts, err := pf.options()
		if err != nil {
			return err
		}
		var refProfile *drift.Profile
		refPaths := strings.Split(*ref, ",")
		if isDataFile(refPaths[0]) {
			// Raw reference: exact mode on both sides.
			popts.Exact = true
			// Both profiles are transient: their row digests only
			// when asked for.
			popts.NoDigest = !*digest
			if refProfile, err = profileFiles(ctx, e, "profiling reference", refPaths, popts, limits); err != nil {
				return err
			}
		} else {
			if len(refPaths) > 1 {
				return usageError("--reference: give one profile, or data files")
			}
			if refProfile, err = drift.ReadProfileFile(refPaths[0]); err != nil {
				return err
			}
			ro := refProfile.Options()
			popts.SketchK, popts.TopK = ro.SketchK, ro.TopK
			if ro.Exact {
				popts.Exact = true
			}
		}
		var rep *drift.Report
		if popts.Exact || len(popts.Columns) > 0 {
			popts.NoDigest = !*digest
			cur, err := profileFiles(ctx, e, "profiling current", args, popts, limits)
			if err != nil {
				return err
			}
			if rep, err = drift.Compare(refProfile, cur, opts); err != nil {
				return err
			}
		} else {
			// Profile vs data: one pass, current values counted into the
			// reference's grid.
			// A reference of chosen columns compares only those, so only
			// they are read; otherwise every column is, so that a column
			// the reference lacks is reported.
			ropts := limits.options()
			ropts.DictionaryStrings = true
			if chosen := refProfile.Options().Columns; len(chosen) > 0 {
				ropts.Columns = chosen
			}
			r, err := datafile.OpenAll(ctx, args, ropts)
			if err != nil {
				return err
			}
			bar := e.progress("comparing")
			opts.Progress = bar.rowsFunc(r, args)
			rep, err = drift.CompareReader(ctx, refProfile, r, opts)
			bar.finish()
			r.Close()
			if err != nil {
				if !strings.Contains(err.Error(), args[0]) {
					err = fmt.Errorf("%s: %w", strings.Join(args, ", "), err)
				}
				return err
			}
		}
		if *htmlOut != "" {
			if err := rep.WriteHTMLFile(*htmlOut); err != nil {
				return err
			}
		}
		if *attest != "" {
			// Written whatever the verdict: a drifted report is evidence too.
			if err := writeDriftAttestation(ctx, *attest, *attestKey, rep, args); err != nil {
				return err
			}
		}
		switch jsonOut {
		case "":
			printDriftSummary(e.stdout, rep)
		case "-":
			if err := rep.WriteJSON(e.stdout); err != nil {
				return err
			}
		default:
			if err := rep.WriteJSONFile(jsonOut); err != nil {
				return err
			}
			printDriftSummary(e.stdout, rep)
		}
		if rep.Dataset.Drifted {
			return checkFailed(fmt.Errorf("dataset drift: %d of %d tested columns drifted (share %.2f ≥ %.2f)",
				rep.Dataset.DriftedColumns, rep.Dataset.TestedColumns, rep.Dataset.Share, rep.Dataset.DriftShare))
		}
		return nil
	}
}

func testNames() string {
	var s []string
	for _, t := range drift.Tests() {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}

func printDriftSummary(w io.Writer, rep *drift.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "COLUMN\tTEST\tSTATISTIC\tP-VALUE\tTHRESHOLD\tVERDICT\n")
	for _, c := range rep.Columns {
		p := "-"
		if c.PValue != nil {
			p = strconv.FormatFloat(*c.PValue, 'g', 4, 64)
		}
		verdict := "ok"
		switch {
		case c.Status != drift.StatusTested:
			verdict = "skipped: " + c.Note
		case c.Drifted:
			verdict = "DRIFT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4g\t%s\t%g\t%s\n", c.Column, c.Test, c.Statistic, p, c.Threshold, verdict)
	}
	tw.Flush()
	d := rep.Dataset
	state := "no dataset drift"
	if d.Drifted {
		state = "DATASET DRIFT"
	}
	fmt.Fprintf(w, "%s: %d of %d tested columns drifted (%s mode)\n", state, d.DriftedColumns, d.TestedColumns, rep.Mode)
}

// writeDriftAttestation writes rep as an in-toto statement about the
// current data files, signed as a DSSE envelope when key is given.
func writeDriftAttestation(ctx context.Context, path, key string, rep *drift.Report, files []string) error {
	subj, err := drift.FileSubjects(files...)
	if err != nil {
		return err
	}
	st := rep.Statement(subj...)
	if key == "" {
		return writeJSONAtomic(path, st)
	}
	signer, err := loadSigner(ctx, key)
	if err != nil {
		return err
	}
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	env, err := provenance.SignPayload(ctx, body, signer)
	if err != nil {
		return err
	}
	b, err := provenance.MarshalEnvelope(env)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o644)
}
