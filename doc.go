// Package mlsec is the root of the mlsec SDK for securing machine-learning
// pipelines. It holds no code of its own: import the package that does the
// job at hand.
//
//   - [github.com/mlsec-dev/mlsec/signing] signs and verifies models in the
//     OpenSSF Model Signing (OMS) v1.0 format.
//   - [github.com/mlsec-dev/mlsec/provenance] records, signs and verifies
//     in-toto / SLSA v1 provenance for datasets, training runs and models.
//   - [github.com/mlsec-dev/mlsec/validation] runs declarative, Arrow-native
//     data-quality gates, including checks that catch poisoning.
//   - [github.com/mlsec-dev/mlsec/drift] profiles reference data and tests
//     current data against it for distribution drift.
//   - [github.com/mlsec-dev/mlsec/secrets] does KMS/HSM-backed envelope
//     encryption, signing keys by reference, secret references, redaction
//     and credential scanning.
//   - [github.com/mlsec-dev/mlsec/datafile] opens CSV, TSV, Parquet, Arrow
//     IPC and JSON Lines files as Arrow record streams.
//   - [github.com/mlsec-dev/mlsec/modelscan] decides whether model files are
//     safe to load, without loading them.
//   - [github.com/mlsec-dev/mlsec/oci] keeps models in OCI registries and
//     signs, verifies and attaches evidence to them there, by digest.
//
// The packages never import one another: the caller composes them into a
// pipeline, as examples/securepipeline and cmd/mlsec do. oci is one layer
// up: it composes signing with a registry client.
package mlsec
