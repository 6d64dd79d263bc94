package main

import (
	"context"
	"fmt"
	"os"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/csv"

	"github.com/mlsec-dev/mlsec/drift"
)

// featureColumns are the columns a serving request carries: everything
// but the id and the label, which serving data does not have.
var featureColumns = []string{"age", "income", "loan_amount", "term", "credit_score", "employment_years", "purpose", "state"}

// driftOptions is the gate's drift rule: automatic test choice per column
// (Wasserstein for numeric columns, Jensen-Shannon for categorical ones at
// this size) and dataset drift when a quarter of the features drift, since
// a credit model cannot shrug off two of its eight inputs moving.
var driftOptions = drift.CompareOptions{DriftShare: 0.25}

// profileReference builds the reference drift profile of the training
// data: one profile per Parquet file, merged, as partitions would be.
func (p *pipeline) profileReference(ctx context.Context, ds *dataset) (string, error) {
	opts := drift.ProfileOptions{Columns: featureColumns}
	ref := drift.NewProfile(opts)
	for _, f := range ds.files {
		part := drift.NewProfile(opts)
		err := readParquetFile(ctx, f, part.AddRecord)
		if err == nil {
			err = ref.Merge(part)
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
	}
	p.reference = p.path("profiles", "reference-"+ds.name+".json")
	if err := os.MkdirAll(p.path("profiles"), 0o755); err != nil {
		return "", err
	}
	if err := ref.WriteFile(p.reference); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d rows x %d features, merged from %d partition profiles -> %s",
		ref.Rows(), len(ref.Columns()), len(ds.files), p.rel(p.reference)), nil
}

// servingSchema is the schema of a serving batch (no label).
var servingSchema = func() *arrow.Schema {
	var fields []arrow.Field
	for _, f := range loanSchema.Fields() {
		if f.Name != "default" {
			fields = append(fields, f)
		}
	}
	return arrow.NewSchema(fields, nil)
}()

// profileCSV profiles a serving batch, a CSV file without labels.
func profileCSV(ctx context.Context, path string) (*drift.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f, servingSchema, csv.WithHeader(true), csv.WithChunk(4096))
	defer r.Release()
	prof, err := drift.ProfileReader(ctx, r, drift.ProfileOptions{Columns: featureColumns})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return prof, nil
}

// checkDrift compares a serving batch with the reference profile, writes
// the HTML and JSON reports under name, and returns the report.
func (p *pipeline) checkDrift(ctx context.Context, batch, name string) (*drift.Report, string, error) {
	ref, err := drift.ReadProfileFile(p.reference)
	if err != nil {
		return nil, "", err
	}
	cur, err := profileCSV(ctx, batch)
	if err != nil {
		return nil, "", err
	}
	rep, err := drift.Compare(ref, cur, driftOptions)
	if err != nil {
		return nil, "", err
	}
	html := p.path("reports", "drift-"+name+".html")
	if err := os.MkdirAll(p.path("reports"), 0o755); err != nil {
		return nil, "", err
	}
	if err := rep.WriteHTMLFile(html); err != nil {
		return nil, "", err
	}
	if err := rep.WriteJSONFile(p.path("reports", "drift-"+name+".json")); err != nil {
		return nil, "", err
	}
	return rep, html, nil
}
