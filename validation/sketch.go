package validation

import "github.com/mlsec-dev/mlsec/internal/quantile"

// Sketch is the mergeable quantile sketch a numeric check keeps in its
// State: the one drift's profiles use (drift.QuantileSketch), so both
// packages give the same quantiles of the same data. It is exact up to
// sketchK values; beyond, every rank it answers is within its certified
// RankErrorBound. It encodes to JSON and gob.
type Sketch = quantile.Sketch

// sketchK is the compactor capacity of validation's sketches: medians,
// quantiles and IQR bounds are exact while a column (all partitions
// merged) holds fewer than sketchK values.
const sketchK = 8192

func newSketch() *Sketch { return quantile.New(sketchK) }
