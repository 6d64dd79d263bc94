// Package validation is mlsec's data quality gate: declarative suites of
// checks run over Arrow record streams (CSV, Parquet, Arrow IPC, JSON
// Lines), including checks that catch poisoning and tampering, and JSON
// Schema validation of JSON documents.
//
// A suite is YAML or JSON, validated against the published JSON Schema
// (suite.schema.json, SuiteJSONSchema) before use. Check types carry
// Great Expectations' names where GX has the check
// (expect_column_values_to_be_between, ...), plus poisoning signals:
// duplicate rows, conflicting labels, label proportions against a pinned
// baseline, z-score and IQR outliers, statistics shift against a baseline
// file pinned by SHA-256, PII (email, phone, Luhn-checked cards,
// mod-97-checked IBANs, US SSNs) and credentials in text (the rules of
// the secrets scanner, see [DetectCredential]). [CheckTypes] lists them
// all with their arguments; CHECKS.md beside the source is the same
// catalogue as a page, kept equal to the code by a test.
//
// A Suite built in Go is checked the same way ([Suite.Validate], which
// NewPlan calls) and its kwargs may use Go's own types (int, []string,
// ...): it behaves exactly as the same suite written in YAML. A key given
// twice in a suite or a baseline file is an error, never a silent
// override.
//
// JSON Schemas ([CompileJSONSchema], and inline in a suite) resolve
// references in a closed world: no network, no file outside
// JSONSchemaOptions.AllowDir whatever $id says, regular files only, at
// most MaxSchemaBytes each and MaxSchemaDocuments in all.
//
// The shortest real use:
//
//	suite, err := validation.LoadSuite("gate.yaml")
//	r, err := datafile.Open(ctx, "train.parquet", datafile.Options{}) // any array.RecordReader
//	res, err := validation.Validate(ctx, suite, r, validation.Options{})
//	if !res.Success { /* block the pipeline */ }
//
// Great Expectations suites run unchanged: GX's own expectation test
// definitions are test vectors of this package, GX type names (int, str,
// object, datetime64, ...) are accepted, and a misconfigured check
// (crossed or missing bounds, a column type that does not fit) refuses
// the suite with a *SuiteError naming the check and the argument, where
// GX raises. GX.md beside the source gives the measured agreement, the
// type-name table and every remaining difference. Where GX passes
// vacuously (no bounds, a null value_set), Suite.FailClosed refuses.
// GX's row_condition (pandas or great_expectations syntax) restricts a
// check to some rows; mlsec parses a small, bounded subset of that syntax
// (comparisons, and/or/not, in lists, null tests) and never evaluates
// code.
//
// The gate fails closed: a check that cannot be evaluated (a missing
// column, a wrong type), a suite that evaluated nothing, or data without
// rows is a failure. Unexpected values in results are redacted
// ("sha256:<16 hex>") unless Options.RawSamples; PII and credential
// checks never record values. A suite can pin the data schema
// (schema_digest, see SchemaDigest) and be pinned itself
// (Options.SuiteDigest, Suite.Digest). Result.Statement exports the
// outcome as an in-toto test-result statement for signing.
//
// # Distributed validation
//
// Every check is computed from a mergeable State. A distributed engine
// compiles a Plan once per schema and, per partition:
//
//	plan, _ := validation.NewPlan(suite, schema, validation.Options{})
//	st := plan.NewState(firstRowIndexOfPartition)
//	for each record: plan.Update(st, rec)
//	ship st (JSON or gob; only exported fields)
//
// then merges the states in any order and tree shape (State.Merge is
// associative and commutative) and calls plan.Finalize(merged), which
// returns the same Result a single machine computes. Row indices are
// dataset-wide when each partition's offset is its first row's index.
// Monotonicity checks need partitions to be contiguous row ranges.
// Quantiles (median, quantile, IQR without pinned quartiles) are exact
// up to 4096 values per column and sketched beyond; uniqueness, duplicate
// and label-conflict states grow with the number of distinct values.
package validation
