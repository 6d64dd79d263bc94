// Package pipeline is a Go service that uses mlsec the way any module
// outside the mlsec repository does: it requires github.com/mlsec-dev/mlsec
// in its go.mod and imports exported packages only (the Go toolchain refuses
// an internal/ import from another module). Its test runs the five jobs of
// an ML pipeline end to end: sign a model, record and verify provenance with
// the same key, validate a data file, compare it for drift, and encrypt and
// scan artifacts.
//
// Inside the mlsec repository, go.work points the requirement at the
// working tree; elsewhere the version in go.mod is downloaded.
package pipeline
