package secrets

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/mlsec-dev/mlsec/internal/dataread"
)

// isColumnar reports whether p is a compressed columnar file (Parquet,
// Arrow IPC) whose strings are not visible as text, so it is decoded.
func isColumnar(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".parquet", ".pq", ".arrow", ".feather", ".arrows":
		return true
	}
	return false
}

// scanColumnar decodes a Parquet or Arrow file and scans every string and
// binary cell. A finding's Line is the 1-based row and Column the 1-based
// column index; Field names the column.
func (s *scanner) scanColumnar(ctx context.Context, osPath, name string, sink *findingSink) error {
	r, err := dataread.Open(ctx, osPath, nil)
	if err != nil {
		return fmt.Errorf("secrets: scan %s: %w", name, err)
	}
	defer r.Close()
	row := 0
	for r.Next() {
		rec := r.Record()
		for c := 0; c < int(rec.NumCols()); c++ {
			col := rec.Column(c)
			field := rec.Schema().Field(c).Name
			cell := cellReader(col)
			if cell == nil {
				continue
			}
			for i := 0; i < col.Len(); i++ {
				if col.IsNull(i) {
					continue
				}
				v := cell(i)
				for _, m := range s.set.FindDecoded(v, s.depth) {
					if sink.full() {
						sink.omitted++
						continue
					}
					f := makeFinding(name, row+i+1, c+1, m, v)
					f.Field = field
					sink.list = append(sink.list, f)
				}
			}
		}
		row += int(rec.NumRows())
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("secrets: scan %s: %w", name, err)
	}
	return nil
}

// cellReader returns a function giving the bytes of cell i of a string or
// binary column, or nil for other types.
func cellReader(col arrow.Array) func(int) []byte {
	switch a := col.(type) {
	case *array.String:
		return func(i int) []byte { return []byte(a.Value(i)) }
	case *array.LargeString:
		return func(i int) []byte { return []byte(a.Value(i)) }
	case *array.Binary:
		return a.Value
	case *array.LargeBinary:
		return a.Value
	case *array.Dictionary:
		if arrow.IsBaseBinary(a.Dictionary().DataType().ID()) {
			return func(i int) []byte { return []byte(a.ValueStr(i)) }
		}
	}
	return nil
}
