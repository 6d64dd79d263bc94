//go:build ignore

// gen writes the binary test files (Parquet, Arrow IPC file and stream)
// from good_people.csv, so every format holds the same rows.
//
//	go run gen.go
package main

import (
	"context"
	"log"
	"os"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/mlsec-dev/mlsec/internal/dataread"
)

func main() {
	ctx := context.Background()
	// Small batches so the binary files hold several record batches.
	r, err := dataread.Open(ctx, "good_people.csv", &dataread.Options{BatchSize: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	var recs []arrow.Record
	for r.Next() {
		rec := r.Record()
		rec.Retain()
		recs = append(recs, rec)
	}
	if r.Err() != nil {
		log.Fatal(r.Err())
	}
	schema := r.Schema()

	write := func(name string, fn func(*os.File) error) {
		f, err := os.Create(name)
		if err != nil {
			log.Fatal(err)
		}
		if err := fn(f); err != nil {
			log.Fatal(name, ": ", err)
		}
		f.Close() // the Parquet writer closes it itself
	}
	write("good_people.parquet", func(f *os.File) error {
		props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(5))
		w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.DefaultWriterProps())
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := w.WriteBuffered(rec); err != nil {
				return err
			}
		}
		return w.Close()
	})
	write("good_people.arrow", func(f *os.File) error {
		w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		return w.Close()
	})
	write("good_people.arrows", func(f *os.File) error {
		w := ipc.NewWriter(f, ipc.WithSchema(schema))
		for _, rec := range recs {
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		return w.Close()
	})
	// One big batch, to test slicing to the batch size.
	write("good_people_onebatch.arrows", func(f *os.File) error {
		cols := make([]arrow.Array, schema.NumFields())
		var n int64
		for i := range cols {
			parts := make([]arrow.Array, len(recs))
			for j, rec := range recs {
				parts[j] = rec.Column(i)
			}
			c, err := array.Concatenate(parts, memory.DefaultAllocator)
			if err != nil {
				return err
			}
			cols[i], n = c, int64(c.Len())
		}
		w := ipc.NewWriter(f, ipc.WithSchema(schema))
		if err := w.Write(array.NewRecord(schema, cols, n)); err != nil {
			return err
		}
		return w.Close()
	})
	// A file of the same dataset with another schema (an added column).
	write("fail_extra_column.parquet", func(f *os.File) error {
		fields := append(schema.Fields(), arrow.Field{Name: "extra", Type: arrow.PrimitiveTypes.Int64, Nullable: true})
		s2 := arrow.NewSchema(fields, nil)
		return writeExtra(f, s2, recs)
	})
	// A truncated Parquet file and an Arrow file with a damaged body.
	pq, _ := os.ReadFile("good_people.parquet")
	os.WriteFile("fail_truncated.parquet", pq[:len(pq)*2/3], 0o644)
	ar, _ := os.ReadFile("good_people.arrow")
	bad := append([]byte(nil), ar...)
	for i := 200; i < len(bad)-200 && i < 600; i++ {
		bad[i] ^= 0x5a
	}
	os.WriteFile("fail_corrupt.arrow", bad, 0o644)
	os.WriteFile("fail_truncated.arrows", mustRead("good_people.arrows")[:300], 0o644)
}

func mustRead(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func writeExtra(f *os.File, s2 *arrow.Schema, recs []arrow.Record) error {
	w, err := pqarrow.NewFileWriter(s2, f, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	for _, rec := range recs {
		cols := append([]arrow.Array(nil), rec.Columns()...)
		b := array.NewInt64Builder(memory.DefaultAllocator)
		for i := 0; i < int(rec.NumRows()); i++ {
			b.Append(int64(i))
		}
		cols = append(cols, b.NewArray())
		if err := w.WriteBuffered(array.NewRecord(s2, cols, rec.NumRows())); err != nil {
			return err
		}
	}
	return w.Close()
}
