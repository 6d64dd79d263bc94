package validation

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// FuzzRowCondition feeds arbitrary text to the row_condition parser and
// evaluates what parses on a record with a column of every kind: parsing
// and compiling return errors, never panic, and evaluation panics only
// with the row-level comparison error pandas also raises.
func FuzzRowCondition(f *testing.F) {
	for _, s := range []string{`x == 1`, `s != "a" & x > -2.5e3`, `~(flag | x.isnull())`, "`s` in ['a', \"b\"]",
		`1 < x <= 3 or not s.notna()`, `col("x") > 1 AND col("s").notNull()`, `m < 3`, `ts > "2020-01-01"`} {
		f.Add(s, false)
		f.Add(s, true)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Second}, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(
		`[{"x": 1, "s": "a", "flag": true, "ts": "2020-01-01 00:00:00"}, {"x": null, "s": null, "flag": null, "ts": null}]`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string, gx bool) {
		parser := "pandas"
		if gx {
			parser = "great_expectations"
		}
		tree, err := parseCondition(src, parser)
		if err != nil {
			return
		}
		c := &compiler{schema: schema}
		fn, err := c.condition(tree)
		if err != nil {
			return
		}
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(error); !ok || !errors.As(e, new(errCondition)) {
					panic(r)
				}
			}
		}()
		if sel := fn(rec); len(sel) != int(rec.NumRows()) {
			t.Fatalf("%d selections for %d rows", len(sel), rec.NumRows())
		}
	})
}
