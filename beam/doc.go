// Package mlsecbeam runs mlsec's dataset validation and drift profiling
// on Apache Beam, for datasets that outgrow one machine. The same suite,
// the same profile format and the same report come out of a pipeline on
// the local runner (prism), Dataflow, Flink or Spark as out of
// `mlsec validate` and `mlsec drift` on one machine.
//
// It is a separate Go module (github.com/mlsec-dev/mlsec/beam), so the
// core packages never pull Beam's dependency tree.
//
// The shortest real use validates and profiles Parquet files:
//
//	p, s := beam.NewPipelineWithRoot()
//	batches := mlsecbeam.ReadFiles(s, "gs://bucket/train/*.parquet", mlsecbeam.ReadOptions{})
//	res, err := mlsecbeam.ValidateDataset(s, suite, batches, validation.Options{})
//	mlsecbeam.WriteJSON(s, "gs://bucket/gate/validation.json", res)
//	prof := mlsecbeam.ProfileDataset(s, batches, drift.ProfileOptions{})
//	mlsecbeam.WriteJSON(s, "gs://bucket/gate/profile.json", prof)
//	err = beamx.Run(ctx, p)
//
// # Data in
//
// Transforms consume a PCollection of Batch: an Arrow record with its
// place in the dataset. ReadFiles matches a file pattern with Beam's
// fileio and reads each file on a worker with mlsec's own file reader
// (CSV, Parquet, and TSV, Arrow IPC, JSON Lines); FromRows turns a
// PCollection of structs a pipeline already has into batches; FromRecords
// wraps in-memory records. Batches travel between workers as Arrow IPC.
//
// # How results are combined
//
// Validation and profiling are computed from mergeable partial states
// (validation.State, drift.Profile). A CombineFn folds batches into a
// state on each worker (the runner lifts it before the shuffle) and
// merges the workers' states. Validation states are kept per source file
// and placed in sorted file order before the final merge, so row indices
// in results are dataset-wide, exactly as a single machine reading the
// sorted files reports them. The tests check that the distributed result
// equals the single-machine one for several partitionings: counts and
// exact metrics exactly, floating-point moments to rounding (1e-12
// relative), quantiles within the sketch's certified rank-error bound.
//
// # Known limits
//
// Rows from FromRows have no order, so their row indices (and
// monotonicity checks) follow the order the runner saw them. A file is
// the unit of parallelism: one huge file is read by one worker. Baseline
// files a suite names must be readable by the workers at the same path.
package mlsecbeam
