package mlsecbeam

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func(*[]byte) bool, error]((*writeFileFn)(nil))
	register.DoFn2x1[beam.T, func([]byte), error]((*marshalJSONFn)(nil))
	register.Iter1[[]byte]()
	register.Emitter1[[]byte]()
}

// WriteJSON writes the single element of col (a validation result, a
// profile, a drift report) as indented JSON to path, on any filesystem
// Beam knows. A local file is written atomically (temporary file and
// rename), so a failed pipeline never leaves a half-written result. A
// collection with more or fewer than one element is an error.
func WriteJSON(s beam.Scope, path string, col beam.PCollection) {
	s = s.Scope("mlsec.WriteJSON")
	docs := beam.ParDo(s, &marshalJSONFn{}, col)
	beam.ParDo0(s, &writeFileFn{Path: path}, beam.Impulse(s), beam.SideInput{Input: docs})
}

type marshalJSONFn struct{}

func (*marshalJSONFn) ProcessElement(v beam.T, emit func([]byte)) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("mlsecbeam: WriteJSON: %w", err)
	}
	emit(append(b, '\n'))
	return nil
}

type writeFileFn struct {
	Path string
}

func (f *writeFileFn) ProcessElement(ctx context.Context, _ []byte, docs func(*[]byte) bool) error {
	var doc, extra []byte
	n := 0
	for docs(&extra) {
		if n == 0 {
			doc = extra
		}
		n++
	}
	if n != 1 {
		return fmt.Errorf("mlsecbeam: WriteJSON %s: want exactly one element, got %d", f.Path, n)
	}
	return writeFile(ctx, f.Path, doc)
}

func writeFile(ctx context.Context, path string, data []byte) error {
	if !strings.Contains(path, "://") || strings.HasPrefix(path, "file://") {
		return writeLocalAtomic(strings.TrimPrefix(path, "file://"), data)
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return fmt.Errorf("mlsecbeam: %s: %w", path, err)
	}
	defer fs.Close()
	// Object stores publish an object only when the upload completes,
	// which is as atomic as a rename.
	w, err := fs.OpenWrite(ctx, path)
	if err != nil {
		return fmt.Errorf("mlsecbeam: %s: %w", path, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("mlsecbeam: %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mlsecbeam: %s: %w", path, err)
	}
	return nil
}

// writeLocalAtomic writes path as the core's internal/atomicfile does
// (temporary file in the same directory, fsync, mode 0644, rename, fsync of
// the directory). It is the one copy of that writer outside the core, on
// purpose: this module is versioned apart from the core and may use only
// the core's exported API, since an internal package can change between
// core versions and break a build that pairs this module with a newer core.
func writeLocalAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("mlsecbeam: %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("mlsecbeam: %s: %w", path, err)
		}
	}()
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
