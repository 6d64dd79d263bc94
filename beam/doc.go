// Package mlsecbeam runs mlsec's dataset validation and drift profiling
// on Apache Beam, for datasets that outgrow one machine.
package mlsecbeam
