package main

import (
	"context"
	"fmt"

	"github.com/mlsec-dev/mlsec/provenance"
)

// dataset is a dataset the pipeline ingested, with the evidence about it.
type dataset struct {
	name  string
	dir   string   // folder of Parquet files
	files []string // the files, in order
	rows  int

	version    provenance.DigestSet // content-addressed version (dirHash of the manifest)
	manifest   string               // the manifest file
	provenance string               // signed dataset-build provenance
	validation string               // signed test-result attestation, "" when not validated
	valid      bool                 // the validation suite passed
	failures   []string             // the checks that failed, when not valid
}

// ingest writes the raw dataset files, records the dataset's version (the
// root digest of its manifest) and signs the provenance of the build.
func (p *pipeline) ingest(ctx context.Context, name string, loans []Loan, seed uint64) (*dataset, string, error) {
	ds := &dataset{name: name, dir: p.path("data", "raw", name), rows: len(loans)}
	var err error
	if ds.files, err = writeParquet(ds.dir, loans, 10000); err != nil {
		return nil, "", err
	}
	if err = p.recordDataset(ctx, ds, seed); err != nil {
		return nil, "", err
	}
	return ds, fmt.Sprintf("%d rows in %d Parquet files, version %s; signed provenance -> %s",
		len(loans), len(ds.files), short(ds.version), p.rel(ds.provenance)), nil
}
