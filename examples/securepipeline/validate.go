package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

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
				if plan, err = validation.NewPlan(suite, rec.Schema(), nil); err != nil {
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

// trainedOn returns the dataset version that the model's training
// provenance names, from a statement signed by the trusted key. It does
// not apply the deploy policy (the provenance check does), so that the
// validation check judges the data on its own.
func (p *pipeline) trainedOn(ctx context.Context, store provenance.Attestations, model provenance.DigestSet) (provenance.DigestSet, error) {
	results, err := store.About(provenance.PredicateSLSAProvenance, model).Verify(ctx, p.keyPolicy(), provenance.VerifyOptions{})
	if err != nil {
		return nil, err
	}
	for _, v := range results.Verified() {
		if ds := datasetOf(v.Statement); ds != nil {
			return ds, nil
		}
	}
	return nil, fmt.Errorf("no training provenance signed by the trusted key names the model (%s) and its dataset", short(model))
}

// checkValidation requires a test-result attestation about the dataset
// version the model was trained on, signed by the trusted key, made with
// the pinned suite, and PASSED.
func (p *pipeline) checkValidation(ctx context.Context, c *candidate) (string, error) {
	store, err := p.loadStore()
	if err != nil {
		return "", err
	}
	md, err := p.modelDigest(ctx, c.dir)
	if err != nil {
		return "", err
	}
	ds, err := p.trainedOn(ctx, store, md)
	if err != nil {
		return "", err
	}
	suite, err := validation.LoadSuite(p.path("policy", "loans_gate.yaml"))
	if err != nil {
		return "", err
	}
	pinned := strings.TrimPrefix(suite.Digest(), "sha256:")
	results, err := store.About(validation.TestResultPredicateV1, ds).Verify(ctx, p.keyPolicy(),
		provenance.VerifyOptions{PredicateType: validation.TestResultPredicateV1, Subjects: []provenance.DigestSet{ds}})
	if err != nil {
		return "", err
	}
	if len(results) == 0 {
		return "", fmt.Errorf("dataset %s was never validated: no test result about it", short(ds))
	}
	var errs []string
	for _, r := range results {
		if r.Err != nil {
			for _, v := range violations(r.Err) {
				errs = append(errs, p.rel(r.File)+": "+v)
			}
			continue
		}
		// Only the verified payload is read.
		var st validation.Statement
		if err := json.Unmarshal(r.Verified.Payload, &st); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", p.rel(r.File), err))
			continue
		}
		tr := st.Predicate
		if len(tr.Configuration) == 0 || tr.Configuration[0].Digest["sha256"] != pinned {
			errs = append(errs, fmt.Sprintf("%s: made with another suite than the pinned %s", p.rel(r.File), suite.Name))
			continue
		}
		if tr.Result != string(validation.StatusPassed) {
			errs = append(errs, fmt.Sprintf("dataset %s %s suite %s: failed %s", short(ds), tr.Result, suite.Name,
				strings.Join(tr.FailedTests, ", ")))
			continue
		}
		return fmt.Sprintf("dataset %s PASSED suite %s (pinned sha256:%.12s…), %d checks; signed by the trusted key",
			short(ds), suite.Name, pinned, len(tr.PassedTests)), nil
	}
	return "", fmt.Errorf("%s", joinReasons(errs))
}
