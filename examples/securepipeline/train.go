package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// Hyperparameters of the logistic regression. They are recorded in the
// model's config and in the training provenance.
type Hyperparameters struct {
	LearningRate float64 `json:"learning_rate"`
	Epochs       int     `json:"epochs"`
	L2           float64 `json:"l2"`
	HoldOut      float64 `json:"hold_out_fraction"`
	Seed         uint64  `json:"seed"`
}

var defaultHyperparameters = Hyperparameters{LearningRate: 0.5, Epochs: 300, L2: 1e-3, HoldOut: 0.2, Seed: 7}

// Model is a logistic regression over standardised features. Everything a
// server needs to score an application is in it.
type Model struct {
	Format   string    `json:"format"`
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Std      []float64 `json:"std"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
}

// ModelConfig is the model directory's config.json: how the model was made
// and how to serve it.
type ModelConfig struct {
	Name            string          `json:"name"`
	ModelType       string          `json:"model_type"`
	Label           string          `json:"label"`
	Threshold       float64         `json:"threshold"`
	Hyperparameters Hyperparameters `json:"hyperparameters"`
	// ServingEnv is the environment of the serving container. It should
	// name secrets (env:NAME, a KMS-encrypted value), never hold them.
	ServingEnv map[string]string `json:"serving_env,omitempty"`
}

// Metrics are measured on the hold-out split.
type Metrics struct {
	Accuracy    float64 `json:"accuracy"`
	AUC         float64 `json:"auc"`
	DefaultRate float64 `json:"default_rate"`
	TrainRows   int     `json:"train_rows"`
	HoldOutRows int     `json:"hold_out_rows"`
}

const modelFormat = "mlsec-example/logistic-regression/v1"

// featureNames lists the model inputs; purpose is one-hot encoded and state
// is deliberately left out (a lender must not price by where people live).
func featureNames() []string {
	f := []string{"age", "log_income", "loan_amount", "term_60", "credit_score", "employment_years", "debt_to_income"}
	for _, p := range purposes {
		f = append(f, "purpose="+p.value)
	}
	return f
}

func features(l Loan) []float64 {
	term60 := 0.0
	if l.Term == 60 {
		term60 = 1
	}
	x := []float64{float64(l.Age), math.Log(l.Income), l.LoanAmount, term60,
		float64(l.CreditScore), float64(l.EmploymentYears), l.LoanAmount / l.Income}
	for _, p := range purposes {
		v := 0.0
		if l.Purpose == p.value {
			v = 1
		}
		x = append(x, v)
	}
	return x
}

// train fits the model with full-batch gradient descent on a seeded
// shuffle of loans, holding out a fraction for the metrics.
func train(loans []Loan, hp Hyperparameters) (*Model, Metrics, error) {
	if len(loans) < 10 {
		return nil, Metrics{}, fmt.Errorf("train: %d rows is too few", len(loans))
	}
	idx := make([]int, len(loans))
	for i := range idx {
		idx[i] = i
	}
	r := rand.New(rand.NewPCG(hp.Seed, 0x747261696e)) // "train"
	r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	nHold := int(float64(len(loans)) * hp.HoldOut)
	holdIdx, trainIdx := idx[:nHold], idx[nHold:]

	names := featureNames()
	d := len(names)
	X := make([][]float64, len(trainIdx))
	y := make([]float64, len(trainIdx))
	for i, j := range trainIdx {
		X[i] = features(loans[j])
		y[i] = float64(loans[j].Default)
	}
	m := &Model{Format: modelFormat, Features: names, Mean: make([]float64, d), Std: make([]float64, d), Weights: make([]float64, d)}
	for k := range d {
		var s, ss float64
		for _, x := range X {
			s += x[k]
		}
		m.Mean[k] = s / float64(len(X))
		for _, x := range X {
			ss += (x[k] - m.Mean[k]) * (x[k] - m.Mean[k])
		}
		m.Std[k] = math.Sqrt(ss / float64(len(X)))
		if m.Std[k] == 0 {
			m.Std[k] = 1
		}
	}
	Z := make([][]float64, len(X))
	for i, x := range X {
		Z[i] = m.standardise(x)
	}
	grad := make([]float64, d)
	n := float64(len(Z))
	for range hp.Epochs {
		clear(grad)
		var gb float64
		for i, z := range Z {
			e := sigmoid(dot(m.Weights, z)+m.Bias) - y[i]
			for k, v := range z {
				grad[k] += e * v
			}
			gb += e
		}
		for k := range m.Weights {
			m.Weights[k] -= hp.LearningRate * (grad[k]/n + hp.L2*m.Weights[k])
		}
		m.Bias -= hp.LearningRate * gb / n
	}

	hold := make([]Loan, len(holdIdx))
	for i, j := range holdIdx {
		hold[i] = loans[j]
	}
	met := evaluate(m, hold, 0.5)
	met.TrainRows = len(trainIdx)
	return m, met, nil
}

func (m *Model) standardise(x []float64) []float64 {
	z := make([]float64, len(x))
	for k, v := range x {
		z[k] = (v - m.Mean[k]) / m.Std[k]
	}
	return z
}

// Score returns the probability of default for one application.
func (m *Model) Score(l Loan) float64 {
	return sigmoid(dot(m.Weights, m.standardise(features(l))) + m.Bias)
}

func evaluate(m *Model, loans []Loan, threshold float64) Metrics {
	scores := make([]float64, len(loans))
	labels := make([]int64, len(loans))
	correct, positives := 0, 0
	for i, l := range loans {
		scores[i] = m.Score(l)
		labels[i] = l.Default
		pred := int64(0)
		if scores[i] >= threshold {
			pred = 1
		}
		if pred == l.Default {
			correct++
		}
		positives += int(l.Default)
	}
	return Metrics{
		Accuracy:    float64(correct) / float64(len(loans)),
		AUC:         auc(scores, labels),
		DefaultRate: float64(positives) / float64(len(loans)),
		HoldOutRows: len(loans),
	}
}

// auc is the area under the ROC curve, computed as the Mann-Whitney U
// statistic over score ranks (ties get their average rank).
func auc(scores []float64, labels []int64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum float64
	var pos, neg int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for _, k := range idx[i:j] {
			if labels[k] == 1 {
				rankSum += avg
			}
		}
		i = j
	}
	for _, l := range labels {
		if l == 1 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// saveModel writes the model directory: model.json (the weights) and
// config.json (how it was trained and is served).
func saveModel(dir string, m *Model, cfg ModelConfig) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "model.json"), m); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "config.json"), cfg)
}

func loadModel(dir string) (*Model, error) {
	b, err := os.ReadFile(filepath.Join(dir, "model.json"))
	if err != nil {
		return nil, err
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	if m.Format != modelFormat || len(m.Weights) != len(m.Features) || len(m.Mean) != len(m.Features) ||
		len(m.Std) != len(m.Features) || !slices.Equal(m.Features, featureNames()) {
		return nil, fmt.Errorf("model %s: not a %s model for these features", dir, modelFormat)
	}
	return &m, nil
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
}
