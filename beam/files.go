package mlsecbeam

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	// Local paths work out of the box; a pipeline reading gs:// or s3://
	// imports Beam's gcs or s3 filesystem package itself.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
)

func init() {
	register.DoFn3x1[context.Context, fileio.FileMetadata, func(Batch), error]((*readFileFn)(nil))
}

// ReadOptions control how ReadFiles parses the matched files.
type ReadOptions struct {
	// Format is "csv" or "parquet" (also "tsv", "arrow", "arrows" and
	// "jsonl", which mlsec's file reader supports as well). Empty means:
	// from each file's extension.
	Format string
	// Schema is the schema every file is read into. Give it for CSV: a
	// schema inferred per file could differ between files (a column that
	// is all integers in one file and has a decimal point in another), and
	// then partitions would not merge. Parquet files carry their own
	// schema; when Schema is set, each file's must equal it.
	Schema *arrow.Schema
	// BatchSize is the most rows per Batch (0: the reader's default).
	BatchSize int
}

// ReadFiles matches a file pattern on any filesystem Beam knows (a local
// glob, gs://bucket/dir/*.parquet once Beam's gcs package is imported)
// and reads every matched file as Batch elements. A file is the unit of
// parallelism: the matched files are redistributed across workers before
// they are read. A pattern that matches nothing is an error, so an empty
// dataset never passes validation by accident.
func ReadFiles(s beam.Scope, pattern string, opts ReadOptions) beam.PCollection {
	s = s.Scope("mlsec.ReadFiles")
	schema, err := encodeSchema(opts.Schema)
	if err != nil {
		panic(err)
	}
	matches := fileio.MatchFiles(s, pattern, fileio.MatchEmptyDisallow())
	matches = beam.Reshuffle(s, matches)
	return beam.ParDo(s, &readFileFn{Format: opts.Format, Schema: schema, BatchSize: opts.BatchSize}, matches)
}

// readFileFn reads one matched file into batches.
type readFileFn struct {
	Format    string
	Schema    []byte // Arrow IPC schema message, empty for none
	BatchSize int

	schema *arrow.Schema
}

func (f *readFileFn) Setup() error {
	s, err := decodeSchema(f.Schema)
	f.schema = s
	return err
}

func (f *readFileFn) ProcessElement(ctx context.Context, m fileio.FileMetadata, emit func(Batch)) error {
	path, cleanup, err := localCopy(ctx, m.Path)
	if err != nil {
		return err
	}
	defer cleanup()
	var row int64
	return readLocal(ctx, path, m.Path, f.Format, f.schema, f.BatchSize, func(rec arrow.Record) error {
		rec.Retain()
		emit(Batch{Record: rec, Source: m.Path, Row: row})
		row += rec.NumRows()
		return nil
	})
}

// localCopy returns a local path holding the file's bytes: the path itself
// for local files, otherwise a temporary copy (Parquet needs random access,
// which Beam's remote filesystems do not offer), removed by cleanup.
func localCopy(ctx context.Context, path string) (local string, cleanup func(), err error) {
	if !strings.Contains(path, "://") || strings.HasPrefix(path, "file://") {
		return strings.TrimPrefix(path, "file://"), func() {}, nil
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return "", nil, fmt.Errorf("mlsecbeam: %s: %w", path, err)
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, path)
	if err != nil {
		return "", nil, fmt.Errorf("mlsecbeam: %s: %w", path, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "mlsecbeam-*"+filepath.Ext(path))
	if err != nil {
		return "", nil, fmt.Errorf("mlsecbeam: %s: local copy: %w", path, err)
	}
	cleanup = func() { os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, rc); err != nil {
		tmp.Close()
		cleanup()
		return "", nil, fmt.Errorf("mlsecbeam: %s: local copy: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("mlsecbeam: %s: local copy: %w", path, err)
	}
	return tmp.Name(), cleanup, nil
}
