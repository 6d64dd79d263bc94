package validation_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mlsec-dev/mlsec/datafile"
	"github.com/mlsec-dev/mlsec/validation"
)

func ExampleValidate() {
	ctx := context.Background()
	suite, err := validation.LoadSuite("testdata/loans_gate.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := datafile.Open(ctx, "testdata/loans_poisoned.parquet", datafile.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	res, err := validation.Validate(ctx, suite, r, validation.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, res.Statistics.Failed, "checks failed")
	for _, c := range res.Checks {
		if c.ID == "poison.label_conflicts" {
			fmt.Println(c.Message)
		}
	}
	// Output:
	// FAILED 11 checks failed
	// 134 rows in 67 groups of identical features carry different labels (ratio 0.0606335, want [-inf, 0])
}

func ExampleParseSuite() {
	_, err := validation.ParseSuite("gate.yaml", []byte(`
name: gate
checks:
  - type: expect_column_values_to_be_betwen
    kwargs: {column: age, max_value: 120}
`))
	fmt.Println(err)
	// Output: validation: suite "gate.yaml": check 0: type: unknown check type "expect_column_values_to_be_betwen" (did you mean "expect_column_values_to_be_between"?)
}

func ExamplePlan() {
	ctx := context.Background()
	suite, _ := validation.LoadSuite("testdata/loans_gate.yaml")
	files := []string{"testdata/loans_clean.parquet", "testdata/loans_clean.arrow"}
	// Two partitions validated separately (as two workers would) ...
	var states []*validation.State
	var plan *validation.Plan
	var offset int64
	for _, f := range files {
		r, err := datafile.Open(ctx, f, datafile.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		if plan == nil {
			plan, _ = validation.NewPlan(suite, r.Schema(), validation.Options{})
		}
		st := plan.NewState(offset)
		for r.Next() {
			if err := plan.Update(st, r.Record()); err != nil {
				fmt.Println(err)
				return
			}
		}
		r.Close()
		offset += st.Rows
		states = append(states, st)
	}
	// ... merged and finalised once.
	merged := plan.NewState(0)
	for _, st := range states {
		_ = merged.Merge(st)
	}
	res := plan.Finalize(merged)
	fmt.Println(res.Rows, res.Status)
	for _, c := range res.Checks {
		if c.Status != validation.CheckPassed {
			fmt.Println(c.Name())
		}
	}
	// Output:
	// 4000 FAILED
	// id.unique
	// poison.duplicates
}

func openFuzzData(tb testing.TB) *datafile.Reader {
	r, err := datafile.Open(context.Background(), "testdata/loans_clean.parquet", datafile.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
