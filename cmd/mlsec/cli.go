package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Exit codes; see the package documentation.
const (
	exitOK     = 0
	exitFailed = 1
	exitBad    = 2
)

// command is one mlsec subcommand. Each lives in its own file and adds
// itself to commands from an init function, so commands stay independent.
type command struct {
	// name is the words that select the command, e.g. "drift compare".
	name string
	// args is the synopsis after the name and flags, e.g. "MODEL".
	args string
	// summary is one line for `mlsec help`.
	summary string
	// flags declares the command's flags on fs and returns the function
	// that runs it with the positional arguments.
	setup func(fs *flag.FlagSet, env *env) func(ctx context.Context, args []string) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("mlsec: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// env is what a command sees of the world, so tests can replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// json is set by the --json flag every command has.
	json bool
	// terminal reports whether stderr is a terminal (for progress bars).
	terminal bool
	// quiet is set by --quiet: nothing but the error line is written.
	quiet bool
	// forceProgress is set by --progress: progress is shown even when
	// stderr is not a terminal (a CI log), as whole lines.
	forceProgress bool
	// now is the clock of progress meters (nil: time.Now).
	now func() time.Time
	// lastMeter is the progress meter made last, finished by run.
	lastMeter *progressMeter
}

func newEnv() *env {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		e.terminal = true
	}
	return e
}

// printJSON writes v as indented JSON to stdout.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// exitError carries the exit code a command's error maps to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// checkFailed marks err as "the check ran and failed" (exit 1).
func checkFailed(err error) error { return &exitError{code: exitFailed, err: err} }

// usageError reports bad usage (exit 2).
func usageError(format string, a ...any) error {
	return &exitError{code: exitBad, err: fmt.Errorf(format, a...)}
}

// run executes the command selected by args and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		printHelp(e.stderr)
		return exitBad
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return run(ctx, append(args[1:], "--help"), e)
		}
		printHelp(e.stdout)
		return exitOK
	}
	c, rest := lookup(args)
	if c == nil {
		fmt.Fprintf(e.stderr, "mlsec: unknown command %q; run 'mlsec help'\n", strings.Join(args[:min(len(args), 2)], " "))
		return exitBad
	}
	fs := flag.NewFlagSet("mlsec "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.BoolVar(&e.json, "json", false, "write machine-readable JSON to stdout")
	fs.BoolVar(&e.quiet, "quiet", false, "write nothing but errors; the exit status tells the outcome")
	fs.BoolVar(&e.forceProgress, "progress", false, "show progress on stderr even when it is not a terminal (e.g. in CI logs)")
	runFn := c.setup(fs, e)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: mlsec %s [flags] %s\n\n%s\n\nflags:\n", c.name, c.args, c.summary)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		// flag has already printed the error and the usage.
		return exitBad
	}
	errOut := e.stderr
	if e.quiet {
		// Discarded, not skipped: a command writes as usual, and --quiet
		// cannot be forgotten by one of them.
		e.stdout, e.stderr = io.Discard, io.Discard
	}
	err = runFn(ctx, pos)
	e.lastMeter.finish()
	if err != nil {
		var xe *exitError
		code := exitBad
		if errors.As(err, &xe) {
			code = xe.code
		}
		fmt.Fprintf(errOut, "mlsec %s: %v\n", c.name, err)
		if hint := limitHint(err, fs); hint != "" {
			fmt.Fprintln(errOut, hint)
		}
		return code
	}
	return exitOK
}

// lookup finds the command named by the longest prefix of args.
func lookup(args []string) (*command, []string) {
	for n := min(len(args), 3); n > 0; n-- {
		if c, ok := commands[strings.Join(args[:n], " ")]; ok {
			return c, args[n:]
		}
	}
	return nil, nil
}

// parseInterspersed parses flags that may appear before, between or after
// positional arguments (`mlsec verify MODEL --key k`), as users expect;
// everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		// fs.Parse stops at the first positional argument, or after a
		// "--" it consumed itself; tell the two apart by what precedes.
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `mlsec secures ML pipelines: sign and verify models, record provenance,
validate data, detect drift, and keep secrets out of artifacts.

usage: mlsec COMMAND [flags] [args]

commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Every command takes --help and --json.
Every command takes --quiet (only errors are written) and --progress (show
progress on stderr even when it is not a terminal; never with --json).
Exit status: 0 the check passed, 1 the check failed, 2 bad usage or input.
`)
}

// stringList is a repeatable string flag (--ignore a --ignore b).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
