// Command gate is the mlsec data gate as an Apache Beam pipeline: it
// validates a dataset against a suite and, in the same pass over the data,
// either profiles it into a reference profile or compares it with one and
// reports drift. The same binary runs on the local runner (prism), on
// Dataflow, Flink or Spark; only the runner flags change.
//
//	go run ./examples/gate --runner=prism \
//	    --input='data/*.parquet' --suite=gate.yaml --out=out
//	go run ./examples/gate --runner=prism \
//	    --input='data/*.parquet' --suite=gate.yaml --reference=out/profile.json --out=out
//
// It writes out/validation.json (the result mlsec validate --report
// writes) and out/profile.json or out/drift.json.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/validation"

	mlsecbeam "github.com/mlsec-dev/mlsec/beam"
)

var (
	input     = flag.String("input", "", "file pattern of the dataset (CSV or Parquet; gs://... on Dataflow)")
	format    = flag.String("format", "", "data format (default: from the file extension)")
	suitePath = flag.String("suite", "", "validation suite (YAML or JSON)")
	reference = flag.String("reference", "", "reference drift profile; when set, report drift against it instead of writing a profile")
	out       = flag.String("out", "", "directory (or gs://bucket/prefix) for the JSON outputs")
)

// config is one run of the gate.
type config struct {
	Input, Format, Suite, Reference, Out string
}

func main() {
	flag.Parse()
	beam.Init()
	cfg := config{Input: *input, Format: *format, Suite: *suitePath, Reference: *reference, Out: *out}
	if err := run(context.Background(), cfg); err != nil {
		slog.Error("gate failed", "err", err)
		os.Exit(1)
	}
}

// build adds the gate to a pipeline.
func build(s beam.Scope, cfg config) error {
	if cfg.Input == "" || cfg.Suite == "" || cfg.Out == "" {
		return errors.New("gate: --input, --suite and --out are required")
	}
	suite, err := validation.LoadSuite(cfg.Suite)
	if err != nil {
		return err
	}
	out := strings.TrimSuffix(cfg.Out, "/")
	batches := mlsecbeam.ReadFiles(s, cfg.Input, mlsecbeam.ReadOptions{Format: cfg.Format})
	res, err := mlsecbeam.ValidateDataset(s, suite, batches, validation.Options{})
	if err != nil {
		return err
	}
	mlsecbeam.WriteJSON(s, out+"/validation.json", res)
	if cfg.Reference != "" {
		ref := mlsecbeam.ReadProfile(s, cfg.Reference)
		report := mlsecbeam.CompareToProfile(s, ref, batches, drift.ProfileOptions{}, drift.CompareOptions{})
		mlsecbeam.WriteJSON(s, out+"/drift.json", report)
	} else {
		mlsecbeam.WriteJSON(s, out+"/profile.json", mlsecbeam.ProfileDataset(s, batches, drift.ProfileOptions{}))
	}
	return nil
}

func run(ctx context.Context, cfg config) error {
	p, s := beam.NewPipelineWithRoot()
	if err := build(s, cfg); err != nil {
		return err
	}
	if err := beamx.Run(ctx, p); err != nil {
		return fmt.Errorf("gate: pipeline: %w", err)
	}
	return nil
}
