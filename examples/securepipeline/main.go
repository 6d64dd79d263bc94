// Command securepipeline runs mlsec's end-to-end example: a loan-default
// model goes from raw data to a serving folder through a pipeline whose
// every artifact is validated, profiled, recorded in signed provenance and
// signed, and a deploy gate (the gate package) that decides over all of it
// and signs its verdict. It then replays six attacks on that pipeline and
// shows the gate stopping each one, with the reason.
//
// Usage:
//
//	go run ./examples/securepipeline [-out DIR] [-seed N] [-rows N]
//
// It exits 0 when the clean model was deployed and every attack was caught
// for the expected reason, 1 otherwise, 2 on bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("securepipeline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config{}
	fs.StringVar(&cfg.out, "out", "", "output folder, created if absent and must be empty (default: a fresh temporary folder)")
	fs.Uint64Var(&cfg.seed, "seed", 42, "seed of the synthetic data")
	fs.IntVar(&cfg.rows, "rows", 20000, "rows in the training dataset")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || cfg.rows < 1000 {
		fmt.Fprintln(stderr, "securepipeline: takes no arguments, and -rows must be at least 1000")
		return 2
	}
	out, err := prepareOut(cfg.out)
	if err != nil {
		fmt.Fprintf(stderr, "securepipeline: %v\n", err)
		return 2
	}
	cfg.out = out

	p := newPipeline(cfg, stdout)
	if err := p.run(ctx); err != nil {
		fmt.Fprintf(stderr, "securepipeline: %v\n", err)
		return 1
	}
	if !p.ok() {
		return 1
	}
	return 0
}

// prepareOut returns the output folder: dir, which must be absent or
// empty, or a fresh temporary folder.
func prepareOut(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "mlsec-demo-")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("output folder %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("output folder %s: %w", dir, err)
	}
	if len(entries) != 0 {
		return "", fmt.Errorf("output folder %s is not empty", dir)
	}
	return dir, nil
}
