package mlsecbeam

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/mlsec-dev/mlsec/datafile"
)

// readLocal streams the records of one local file to fn with the same
// reader the single-machine validation and drift commands use, so a
// file parses identically on a worker and on one machine. name is the
// file's name for errors (the original path when path is a local copy).
func readLocal(ctx context.Context, path, name, format string, schema *arrow.Schema, batchSize int, fn func(arrow.Record) error) error {
	opts := datafile.Options{Schema: schema, BatchSize: batchSize}
	if format != "" {
		f, err := datafile.ParseFormat(format)
		if err != nil {
			return fmt.Errorf("mlsecbeam: %s: %w", name, err)
		}
		opts.Format = f
	}
	wrap := func(err error) error {
		if path == name {
			return fmt.Errorf("mlsecbeam: %w", err)
		}
		return fmt.Errorf("mlsecbeam: %s: %w", name, err)
	}
	r, err := datafile.Open(ctx, path, opts)
	if err != nil {
		return wrap(err)
	}
	defer r.Release()
	for r.Next() {
		if err := fn(r.Record()); err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return wrap(err)
	}
	return nil
}
