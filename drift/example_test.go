package drift_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/mlsec-dev/mlsec/drift"
)

// batch builds a record with a numeric column "amount" and a categorical
// column "country" (in real use the records come from a file reader).
func batch(amounts []float64, countries []string) arrow.Record {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
		{Name: "country", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Float64Builder).AppendValues(amounts, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(countries, nil)
	return b.NewRecord()
}

func series(n int, start, step float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start + step*float64(i%100)
	}
	return out
}

func repeat(n int, vals ...string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = vals[i%len(vals)]
	}
	return out
}

// Profile the training data once, then compare production batches
// against the profile.
func Example() {
	train := batch(series(2000, 10, 1), repeat(2000, "DE", "FR", "US"))
	defer train.Release()
	ref := drift.NewProfile(drift.ProfileOptions{})
	if err := ref.AddRecord(train); err != nil {
		log.Fatal(err)
	}

	prod := batch(series(500, 40, 1), repeat(500, "DE", "FR", "US", "BR"))
	defer prod.Release()
	cur := drift.NewProfile(drift.ProfileOptions{})
	if err := cur.AddRecord(prod); err != nil {
		log.Fatal(err)
	}

	rep, err := drift.Compare(ref, cur, drift.CompareOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range rep.Columns {
		fmt.Printf("%s: %s = %.3f, drifted %v\n", c.Column, c.Test, c.Statistic, c.Drifted)
	}
	fmt.Println("dataset drift:", rep.Dataset.Drifted)
	// Output:
	// amount: wasserstein_norm = 1.039, drifted true
	// country: jensenshannon = 0.309, drifted true
	// dataset drift: true
}

// Profiles of partitions merge into the profile of the whole: this is
// the accumulator of a distributed (e.g. Beam) profiling job.
func ExampleProfile_Merge() {
	opts := drift.ProfileOptions{}
	parts := []arrow.Record{
		batch(series(300, 0, 1), repeat(300, "a", "b")),
		batch(series(700, 0, 1), repeat(700, "b", "c")),
	}
	total := drift.NewProfile(opts) // the empty profile is the zero accumulator
	for _, rec := range parts {
		p := drift.NewProfile(opts)
		if err := p.AddRecord(rec); err != nil {
			log.Fatal(err)
		}
		rec.Release()
		// A partition's state travels as JSON.
		wire, err := json.Marshal(p)
		if err != nil {
			log.Fatal(err)
		}
		q, err := drift.ParseProfile(wire)
		if err != nil {
			log.Fatal(err)
		}
		if err := total.Merge(q); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("rows:", total.Rows())
	fmt.Println("b:", total.Column("country").Freq.Count("b"))
	// Output:
	// rows: 1000
	// b: 500
}

// The statistics also work on plain samples.
func ExampleKS() {
	ref := []float64{0.1, 0.4, 0.5, 0.9, 1.3, 1.7}
	cur := []float64{1.1, 1.5, 1.8, 2.2, 2.4} // scipy.stats.ks_2samp: D 0.6667, p 0.1082
	r := drift.KS(ref, cur)
	fmt.Printf("D = %.3f, p = %.4f, exact %v\n", r.Statistic, r.PValue, r.Exact)
	// Output:
	// D = 0.667, p = 0.1082, exact true
}

func ExampleJensenShannon() {
	ref := []float64{50, 30, 20, 0}
	cur := []float64{40, 30, 20, 10} // a new category appears
	fmt.Printf("base 2: %.4f, natural log: %.4f\n",
		drift.JensenShannon(ref, cur, 2), drift.JensenShannon(ref, cur, 2.718281828459045))
	// Output:
	// base 2: 0.2324, natural log: 0.1935
}

// Compare production data against a stored reference profile in one pass.
func ExampleCompareReader() {
	train := batch(series(5000, 10, 1), repeat(5000, "DE", "FR", "US"))
	defer train.Release()
	ref := drift.NewProfile(drift.ProfileOptions{})
	if err := ref.AddRecord(train); err != nil {
		log.Fatal(err)
	}
	// In production the profile comes from drift.ReadProfileFile and the
	// records from a file or stream reader.
	// Shifted by half a unit: exact normed Wasserstein 0.5/28.87 = 0.0173;
	// the reference is sketched (5000 values > K), hence the estimate.
	prod := batch(series(1000, 10.5, 1), repeat(1000, "DE", "FR", "US"))
	defer prod.Release()
	rr, err := array.NewRecordReader(prod.Schema(), []arrow.Record{prod})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := drift.CompareReader(context.Background(), ref, rr, drift.CompareOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Mode, "mode; dataset drift:", rep.Dataset.Drifted)
	for _, c := range rep.Columns {
		fmt.Printf("%s: %s = %.4f\n", c.Column, c.Test, c.Statistic)
	}
	// Output:
	// profile mode; dataset drift: false
	// amount: wasserstein_norm = 0.0181
	// country: jensenshannon = 0.0005
}
