package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"

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
	signer, err := dsse.NewEnvelopeSigner(p.key.dsse)
	if err != nil {
		return err
	}
	env, err := signer.SignPayload(ctx, provenance.PayloadType, body)
	if err != nil {
		return err
	}
	b, err := provenance.MarshalEnvelope(env)
	if err != nil {
		return err
	}
	return writeFile(path, b)
}

// trustedVerifierDSSE verifies DSSE envelopes with the trusted key.
func (p *pipeline) trustedVerifierDSSE() (*dsse.EnvelopeVerifier, error) {
	pub, err := os.ReadFile(p.path("policy", "pipeline.pub"))
	if err != nil {
		return nil, err
	}
	v, err := provenance.VerifierFromPEM(pub)
	if err != nil {
		return nil, err
	}
	return dsse.NewEnvelopeVerifier(v)
}

// trainedOn returns the dataset version that the model's training
// provenance names, from a statement signed by the trusted key. It does
// not apply the deploy policy (the provenance check does), so that the
// validation check judges the data on its own.
func (p *pipeline) trainedOn(ctx context.Context, store []attestation, model provenance.DigestSet) (provenance.DigestSet, error) {
	ev, err := p.trustedVerifierDSSE()
	if err != nil {
		return nil, err
	}
	for _, a := range about(store, provenance.PredicateSLSAProvenance, model) {
		if _, err := ev.Verify(ctx, a.env); err != nil {
			continue
		}
		payload, err := a.env.DecodeB64Payload()
		if err != nil {
			continue
		}
		st, err := provenance.ParseStatement(payload)
		if err != nil {
			continue
		}
		for _, dep := range st.Predicate.BuildDefinition.ResolvedDependencies {
			if dep.Name == datasetDep {
				return dep.Digest, nil
			}
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
	ev, err := p.trustedVerifierDSSE()
	if err != nil {
		return "", err
	}
	cands := about(store, validation.TestResultPredicateV1, ds)
	if len(cands) == 0 {
		return "", fmt.Errorf("dataset %s was never validated: no test result about it", short(ds))
	}
	var errs []string
	for _, a := range cands {
		if _, err := ev.Verify(ctx, a.env); err != nil {
			errs = append(errs, fmt.Sprintf("%s: signature: %v", p.rel(a.path), err))
			continue
		}
		// Only the verified payload is parsed.
		payload, err := a.env.DecodeB64Payload()
		if err != nil {
			return "", err
		}
		var st validation.Statement
		if err := json.Unmarshal(payload, &st); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", p.rel(a.path), err))
			continue
		}
		tr := st.Predicate
		if len(tr.Configuration) == 0 || tr.Configuration[0].Digest["sha256"] != pinned {
			errs = append(errs, fmt.Sprintf("%s: made with another suite than the pinned %s", p.rel(a.path), suite.Name))
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
