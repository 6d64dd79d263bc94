package main

import (
	"context"
	"fmt"
)

// dataset is a dataset the pipeline ingested, with the evidence about it.
type dataset struct {
	name  string
	dir   string   // folder of Parquet files
	files []string // the files, in order
	rows  int

	version    string // content-addressed version ("sha256:…"), "" when not computed
	provenance string // signed dataset-build provenance, "" when not recorded
	validation string // signed test-result attestation, "" when not validated
	valid      bool   // the validation suite passed
}

// ingest writes the raw dataset files, records the dataset's version and
// signs the provenance of the dataset build.
func (p *pipeline) ingest(ctx context.Context, name string, loans []Loan) (*dataset, error) {
	ds := &dataset{name: name, dir: p.path("data", "raw", name), rows: len(loans)}
	var werr error
	p.r.step("ingest "+name, func() (Verdict, string) {
		ds.files, werr = writeParquet(ds.dir, loans, 10000)
		if werr != nil {
			return Fail, werr.Error()
		}
		detail := fmt.Sprintf("%d rows in %d Parquet files", len(loans), len(ds.files))
		return Unavailable, detail + "; dataset version and provenance: provenance package not available"
	})
	return ds, werr
}
