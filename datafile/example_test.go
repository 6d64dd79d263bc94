package datafile_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/mlsec-dev/mlsec/datafile"
)

// Open a file and read its records.
func ExampleOpen() {
	ctx := context.Background()
	r, err := datafile.Open(ctx, "testdata/good_people.parquet", nil)
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
	r, err := datafile.Open(ctx, "testdata/good_people.csv", &datafile.Options{Columns: []string{"score"}})
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
	_, err := datafile.Open(ctx, "testdata/good_people.csv", &datafile.Options{MaxColumns: 3})
	var le *datafile.LimitError
	if errors.As(err, &le) {
		fmt.Println("limit:", le.Limit, "max:", le.Max, "found:", le.Got)
	}
	// Output: limit: MaxColumns max: 3 found: 5
}
