package mlsecbeam_test

import (
	"context"
	"log"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	mlsecbeam "github.com/mlsec-dev/mlsec/beam"
	"github.com/mlsec-dev/mlsec/drift"
	"github.com/mlsec-dev/mlsec/validation"
)

// Validate a dataset of Parquet files and profile it as a drift
// reference, in one pipeline.
func ExampleValidateDataset() {
	suite, err := validation.LoadSuite("gate.yaml")
	if err != nil {
		log.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	batches := mlsecbeam.ReadFiles(s, "data/train-*.parquet", mlsecbeam.ReadOptions{})
	res, err := mlsecbeam.ValidateDataset(s, suite, batches, validation.Options{})
	if err != nil {
		log.Fatal(err)
	}
	mlsecbeam.WriteJSON(s, "out/validation.json", res)
	mlsecbeam.WriteJSON(s, "out/profile.json", mlsecbeam.ProfileDataset(s, batches, drift.ProfileOptions{}))
	if err := beamx.Run(context.Background(), p); err != nil {
		log.Fatal(err)
	}
}

// Compare production data with a reference profile and write the report.
func ExampleCompareToProfile() {
	p, s := beam.NewPipelineWithRoot()
	current := mlsecbeam.ReadFiles(s, "data/serving-*.csv", mlsecbeam.ReadOptions{})
	ref := mlsecbeam.ReadProfile(s, "out/profile.json")
	report := mlsecbeam.CompareToProfile(s, ref, current, drift.ProfileOptions{}, drift.CompareOptions{})
	mlsecbeam.WriteJSON(s, "out/drift.json", report)
	if err := beamx.Run(context.Background(), p); err != nil {
		log.Fatal(err)
	}
}
