package datafile_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/mlsec-dev/mlsec/datafile"
)

// Open a file and read its records.
func ExampleOpen() {
	ctx := context.Background()
	r, err := datafile.Open(ctx, "testdata/good_people.parquet", datafile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	var rows int64
	for r.Next() {
		rows += r.Record().NumRows()
	}
	if err := r.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Schema().NumFields(), "columns,", rows, "rows")
	// Output: 5 columns, 10 rows
}

// Read only the columns a check needs; the others are never decoded.
func ExampleOptions_columns() {
	ctx := context.Background()
	r, err := datafile.Open(ctx, "testdata/good_people.csv", datafile.Options{Columns: []string{"score"}})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println(r.Schema().Field(0).Name, r.Schema().Field(0).Type)
	// Output: score float64
}

// A resource limit names the option that raises it.
func ExampleLimitError() {
	ctx := context.Background()
	_, err := datafile.Open(ctx, "testdata/good_people.csv", datafile.Options{MaxColumns: 3})
	var le *datafile.LimitError
	if errors.As(err, &le) {
		fmt.Println("limit:", le.Limit, "max:", le.Max, "found:", le.Got)
	}
	// Output: limit: MaxColumns max: 3 found: 5
}

// Show how far through its files a reader is: BytesRead ends at the sum
// of the files' sizes, so the share done and a time estimate follow.
func ExampleReader_BytesRead() {
	ctx := context.Background()
	paths := []string{"testdata/good_people.csv", "testdata/good_people.parquet"}
	var total int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			log.Fatal(err)
		}
		total += fi.Size()
	}
	r, err := datafile.OpenAll(ctx, paths, datafile.Options{Columns: []string{"id", "score"}})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		// A progress display would draw here, or read r.BytesRead()
		// from a ticker goroutine.
		_ = float64(r.BytesRead()) / float64(total)
	}
	if err := r.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.0f%% of %d bytes\n", 100*float64(r.BytesRead())/float64(total), total)
	// Output: 100% of 2308 bytes
}
