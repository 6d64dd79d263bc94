package main

import (
	"context"
	"fmt"
	"path/filepath"
)

// candidate is a trained model on its way to serving, with the evidence
// the gate checks.
type candidate struct {
	name      string
	dir       string   // model directory (model.json, config.json)
	dataset   *dataset // what it was trained on
	hp        Hyperparameters
	metrics   Metrics
	metricsAt string // metrics.json, a byproduct of training
	signature string // OMS signature bundle, "" when unsigned
	training  string // signed training provenance, "" when not recorded
	serving   string // the serving batch the gate checks for drift
}

// trainModel reads the dataset back from its files, fits the model and
// saves the model directory.
func (p *pipeline) trainModel(ctx context.Context, name string, ds *dataset, dir string) (*candidate, error) {
	c := &candidate{name: name, dir: dir, dataset: ds, hp: defaultHyperparameters}
	var err error
	p.r.step("train "+name, func() (Verdict, string) {
		var loans []Loan
		loans, err = readLoans(ctx, ds.files)
		if err != nil {
			return Fail, err.Error()
		}
		var m *Model
		m, c.metrics, err = train(loans, c.hp)
		if err != nil {
			return Fail, err.Error()
		}
		cfg := ModelConfig{Name: name, ModelType: "logistic_regression", Label: "default", Threshold: 0.5, Hyperparameters: c.hp}
		if err = saveModel(dir, m, cfg); err != nil {
			return Fail, err.Error()
		}
		c.metricsAt = filepath.Join(filepath.Dir(dir), name+".metrics.json")
		if err = writeJSON(c.metricsAt, c.metrics); err != nil {
			return Fail, err.Error()
		}
		return Pass, fmt.Sprintf("logistic regression on %d rows: hold-out accuracy %.3f, AUC %.3f (default rate %.1f%%)",
			c.metrics.TrainRows, c.metrics.Accuracy, c.metrics.AUC, 100*c.metrics.DefaultRate)
	})
	return c, err
}
