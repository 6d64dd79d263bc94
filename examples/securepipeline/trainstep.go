package main

import (
	"context"
	"fmt"
	"path/filepath"
)

// candidate is a trained model on its way to serving, with the evidence
// the gate checks.
type candidate struct {
	id        string // names its attestation files; "" for the clean model
	name      string
	dir       string   // model directory (model.json, config.json)
	dataset   *dataset // what it was trained on
	hp        Hyperparameters
	metrics   Metrics
	metricsAt string // metrics.json, a byproduct of training
	signature string // OMS signature bundle, "" when unsigned
	training  string // signed training provenance, "" when not recorded
}

// trainModel reads the dataset back from its files, fits the model and
// saves the model directory. env is the serving environment written into
// the model's config (it should hold names of secrets, never values).
func (p *pipeline) trainModel(ctx context.Context, name string, ds *dataset, dir string, env map[string]string) (*candidate, string, error) {
	c := &candidate{name: name, dir: dir, dataset: ds, hp: defaultHyperparameters}
	loans, err := readLoans(ctx, ds.files)
	if err != nil {
		return nil, "", err
	}
	m, met, err := train(loans, c.hp)
	if err != nil {
		return nil, "", err
	}
	c.metrics = met
	cfg := ModelConfig{Name: name, ModelType: "logistic_regression", Label: "default", Threshold: 0.5,
		Hyperparameters: c.hp, ServingEnv: env}
	if err := saveModel(dir, m, cfg); err != nil {
		return nil, "", err
	}
	c.metricsAt = filepath.Join(filepath.Dir(dir), name+".metrics.json")
	if err := writeJSON(c.metricsAt, c.metrics); err != nil {
		return nil, "", err
	}
	return c, fmt.Sprintf("logistic regression on %d rows of %s: hold-out accuracy %.3f, AUC %.3f -> %s",
		c.metrics.TrainRows, ds.name, c.metrics.Accuracy, c.metrics.AUC, p.rel(dir)), nil
}
