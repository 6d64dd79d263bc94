package mlsecbeam

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/stretchr/testify/require"
)

// colStats is a small mergeable computation that exercises the combine
// plumbing independently of the validation and drift packages: exact
// counts, sums and extremes whose merged value is known exactly.
type colStats struct {
	Rows      int64            `json:"rows"`
	Nulls     map[string]int64 `json:"nulls"`
	AmountSum float64          `json:"amount_sum"`
	AmountMin float64          `json:"amount_min"`
	AmountMax float64          `json:"amount_max"`
	Countries map[string]int64 `json:"countries"`
	IDSum     int64            `json:"id_sum"`
}

// parquetTestSchema is testSchema as Parquet stores it: the columns
// without nulls are written as required.
var parquetTestSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "country", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "label", Type: arrow.PrimitiveTypes.Int64},
}, nil)

func newColStats() *colStats {
	return &colStats{Nulls: map[string]int64{}, Countries: map[string]int64{}, AmountMin: 1e300, AmountMax: -1e300}
}

func (c *colStats) Add(rec arrow.Record) error {
	if !sameFields(rec.Schema(), testSchema) && !sameFields(rec.Schema(), parquetTestSchema) {
		return errors.New("unexpected schema " + rec.Schema().String())
	}
	c.Rows += rec.NumRows()
	for i, f := range rec.Schema().Fields() {
		c.Nulls[f.Name] += int64(rec.Column(i).NullN())
	}
	ids := rec.Column(0).(*array.Int64)
	amt := rec.Column(1).(*array.Float64)
	cty := rec.Column(2).(*array.String)
	for i := 0; i < int(rec.NumRows()); i++ {
		c.IDSum += ids.Value(i)
		if amt.IsValid(i) {
			v := amt.Value(i)
			c.AmountSum += v
			c.AmountMin = min(c.AmountMin, v)
			c.AmountMax = max(c.AmountMax, v)
		}
		if cty.IsValid(i) {
			c.Countries[cty.Value(i)]++
		}
	}
	return nil
}

func (c *colStats) Merge(o partial) error {
	d := o.(*colStats)
	c.Rows += d.Rows
	c.IDSum += d.IDSum
	c.AmountSum += d.AmountSum
	c.AmountMin = min(c.AmountMin, d.AmountMin)
	c.AmountMax = max(c.AmountMax, d.AmountMax)
	for k, v := range d.Nulls {
		c.Nulls[k] += v
	}
	for k, v := range d.Countries {
		c.Countries[k] += v
	}
	return nil
}

func (c *colStats) MarshalBinary() ([]byte, error) { return json.Marshal(c) }

func decodeColStats(b []byte) (colStats, error) {
	c := newColStats()
	err := json.Unmarshal(b, c)
	return *c, err
}

func init() {
	registerKind("test.colstats", partialKind{
		new: func([]byte) (partial, error) { return newColStats(), nil },
		unmarshal: func(_, state []byte) (partial, error) {
			c := newColStats()
			return c, json.Unmarshal(state, c)
		},
	})
	register.Function1x2(decodeColStats)
}

func TestCombinePlumbingEqualsSingleMachine(t *testing.T) {
	rows := genRows(4000, 1, 0)
	want := newColStats()
	all := toRecord(rows)
	require.NoError(t, want.Add(all))

	sources := map[string]func(s beam.Scope, parts [][]testRow) beam.PCollection{
		"csv": func(s beam.Scope, parts [][]testRow) beam.PCollection {
			return ReadFiles(s, writeParts(t, "csv", parts), ReadOptions{Schema: testSchema, BatchSize: 333})
		},
		"parquet": func(s beam.Scope, parts [][]testRow) beam.PCollection {
			return ReadFiles(s, writeParts(t, "parquet", parts), ReadOptions{BatchSize: 500})
		},
		"records": func(s beam.Scope, parts [][]testRow) beam.PCollection {
			recs := make([]arrow.Record, len(parts))
			for i, p := range parts {
				recs[i] = toRecord(p)
			}
			return FromRecords(s, recs...)
		},
		"rows": func(s beam.Scope, parts [][]testRow) beam.PCollection {
			return FromRows(s, beam.CreateList(s, rows), 257)
		},
	}
	for _, pt := range partitionings {
		for name, source := range sources {
			t.Run(pt.name+"/"+name, func(t *testing.T) {
				p, s := beam.NewPipelineWithRoot()
				batches := source(s, split(rows, pt.sizes...))
				state := mergedState(s, "test.colstats", nil, batches)
				var got colStats
				runToJSON(t, p, s, beam.ParDo(s, decodeColStats, state), &got)
				require.Equal(t, want.Rows, got.Rows)
				require.Equal(t, want.IDSum, got.IDSum)
				require.Equal(t, want.Nulls, got.Nulls)
				require.Equal(t, want.Countries, got.Countries)
				require.Equal(t, want.AmountMin, got.AmountMin)
				require.Equal(t, want.AmountMax, got.AmountMax)
				// Float addition is not associative: the merged sum may
				// differ from the one-pass sum in the last bits only.
				require.InEpsilon(t, want.AmountSum, got.AmountSum, 1e-12)
			})
		}
	}
}

func TestMergedStateOfEmptyInput(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	state := mergedState(s, "test.colstats", nil, FromRecords(s))
	var got colStats
	runToJSON(t, p, s, beam.ParDo(s, decodeColStats, state), &got)
	require.Zero(t, got.Rows)
}

// sameFields reports whether two schemas have the same field names, types
// and nullability, ignoring metadata (Parquet adds field ids).
func sameFields(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Nullable != fb.Nullable || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}
