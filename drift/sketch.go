package drift

import "github.com/mlsec-dev/mlsec/internal/quantile"

// QuantileSketch summarises a numeric column so that the rank of any value
// can be estimated within a certified bound, in memory that grows only with
// log(n); it is the numeric state of a ColumnProfile and is mergeable.
// Validation's quantile checks use the same sketch, so both packages give
// the same quantiles of the same data.
//
// The algorithm is a deterministic compactor hierarchy: until N reaches K
// every answer is exact; beyond, the estimated rank of every value stays
// within RankErrorBound of the true one, about log2(N/K)/(2K)·N (0.3 % of N
// for N = 10⁷ and K = DefaultSketchK). K = 0 never compacts (exact mode).
type QuantileSketch = quantile.Sketch

// DefaultSketchK is the compactor capacity used by default.
const DefaultSketchK = quantile.DefaultK

// maxSketchK bounds K when parsing a profile, so a hostile file cannot
// make the parser allocate without limit.
const maxSketchK = quantile.MaxK

// NewQuantileSketch returns an empty sketch with compactor capacity k
// (even, ≥ 4; odd values round up); k = 0 makes an exact sketch.
func NewQuantileSketch(k int) *QuantileSketch { return quantile.New(k) }
