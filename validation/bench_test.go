package validation_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/mlsec-dev/mlsec/validation"
)

// benchRecord is one batch of n rows: an int64 and a float64 column, the
// float column with 1% nulls.
func benchRecord(n int) arrow.Record {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	ib, fb := b.Field(0).(*array.Int64Builder), b.Field(1).(*array.Float64Builder)
	for i := 0; i < n; i++ {
		ib.Append(int64(i % 100))
		if i%100 == 99 {
			fb.AppendNull()
		} else {
			fb.Append(float64(i%1000) / 10)
		}
	}
	return b.NewRecord()
}

// BenchmarkRowChecks measures simple row-level checks (not null, between,
// in set) over Arrow buffers, reported as cell checks per second.
func BenchmarkRowChecks(b *testing.B) {
	const rows = 1 << 16
	rec := benchRecord(rows)
	defer rec.Release()
	for _, tc := range []struct {
		name  string
		check validation.Check
	}{
		{"not_null/float64", validation.Check{Type: "expect_column_values_to_not_be_null", Kwargs: map[string]any{"column": "f", "mostly": 0.5}}},
		{"between/int64", validation.Check{Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "i", "min_value": 0, "max_value": 99}}},
		{"between/float64", validation.Check{Type: "expect_column_values_to_be_between", Kwargs: map[string]any{"column": "f", "min_value": 0, "max_value": 100}}},
		{"in_set/int64", validation.Check{Type: "expect_column_values_to_be_in_set", Kwargs: map[string]any{"column": "i", "value_set": intSet(100)}}},
		{"mean/float64", validation.Check{Type: "expect_column_mean_to_be_between", Kwargs: map[string]any{"column": "f", "min_value": 0}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := suiteOf(b, []validation.Check{tc.check})
			p, err := validation.NewPlan(s, rec.Schema(), validation.Options{})
			if err != nil {
				b.Fatal(err)
			}
			st := p.NewState(0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.Update(st, rec); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if r := p.Finalize(st); r.Checks[0].Error != "" || !r.Checks[0].Success {
				b.Fatalf("%+v", r.Checks[0])
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mcells/s")
		})
	}
}

func intSet(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// BenchmarkValidate runs the loans gate (17 checks incl. duplicates,
// label conflicts, PII regexes) over the Parquet test file.
func BenchmarkValidate(b *testing.B) {
	s, err := validation.LoadSuite("testdata/loans_gate.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		r := openFuzzData(b)
		res, err := validation.Validate(context.Background(), s, r, validation.Options{})
		r.Close()
		if err != nil || !res.Success {
			b.Fatal(err, fmt.Sprint(res))
		}
	}
	b.ReportMetric(2000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
