package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/validation"
)

//go:embed loans_gate.yaml
var suiteYAML []byte

// loadSuite parses the quality-gate suite shipped with the example.
func loadSuite() (*validation.Suite, error) {
	return validation.ParseSuite("loans_gate.yaml", suiteYAML)
}

// validate runs the quality-gate suite over the dataset, one Parquet file
// at a time as separate workers would, merging their states; then it signs
// the outcome as an in-toto test-result attestation about the dataset
// version. A failed suite is a result, not an error.
func (p *pipeline) validate(ctx context.Context, ds *dataset) (string, error) {
	suite, err := loadSuite()
	if err != nil {
		return "", err
	}
	var plan *validation.Plan
	var merged *validation.State
	var offset int64
	for _, f := range ds.files {
		var st *validation.State
		err := readParquetFile(ctx, f, func(rec arrow.Record) error {
			if plan == nil {
				var err error
				if plan, err = validation.NewPlan(suite, rec.Schema(), validation.Options{}); err != nil {
					return err
				}
				merged = plan.NewState(0)
			}
			if st == nil {
				st = plan.NewState(offset)
			}
			return plan.Update(st, rec)
		})
		if err == nil && st != nil {
			offset += st.Rows
			err = merged.Merge(st)
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
	}
	if plan == nil {
		return "", fmt.Errorf("dataset %s has no rows", ds.name)
	}
	res := plan.Finalize(merged)
	if err := writeJSON(p.path("reports", "validation-"+ds.name+".json"), res); err != nil {
		return "", err
	}

	ds.valid = res.Success
	ds.failures = nil
	for _, c := range res.Checks {
		if c.Status != validation.CheckPassed {
			ds.failures = append(ds.failures, c.Name()+": "+c.Message)
		}
	}
	st := res.Statement([]validation.ResourceDescriptor{{Name: ds.name, Digest: ds.version}})
	ds.validation = p.path("attestations", "validation-"+ds.name+".intoto.json")
	if err := p.signInToto(ctx, st, ds.validation); err != nil {
		return "", err
	}
	return fmt.Sprintf("suite %s, %d checks over %d rows in %d partitions: %s (%d failed); signed test result -> %s",
		suite.Name, res.Statistics.Evaluated, res.Rows, len(ds.files), res.Status, res.Statistics.Failed+res.Statistics.Errored,
		p.rel(ds.validation)), nil
}

// signInToto signs any in-toto statement as a DSSE envelope.
func (p *pipeline) signInToto(ctx context.Context, st any, path string) error {
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	env, err := provenance.SignPayload(ctx, body, p.key.sv)
	if err != nil {
		return err
	}
	b, err := provenance.MarshalEnvelope(env)
	if err != nil {
		return err
	}
	return writeFile(path, b)
}
