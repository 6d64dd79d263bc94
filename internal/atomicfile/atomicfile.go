// Package atomicfile writes files so that a reader, or the file system
// after a crash, sees either the old content or the new, never a part of
// it: the content goes to a temporary file in the destination's directory,
// which is synced, given the caller's mode and renamed over the
// destination; the directory is then synced so the rename itself is
// durable. On any error the temporary file is removed and an existing
// destination is left untouched.
//
// Every package that writes a result file (profiles, reports, bundles,
// ciphertexts, keys, caches) writes it through this package.
package atomicfile

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Write writes path with the content fill writes, and mode perm (exactly
// perm: the process umask does not apply, so a report asked for as 0644 is
// readable by others and a key asked for as 0600 is not).
//
// An error returned by fill is returned unchanged, so the caller's own
// error text survives; the errors of the file operations name the
// temporary file or the directory they concern.
func Write(path string, perm fs.FileMode, fill func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	// Chmod before the content exists: a file asked for as 0600 is never
	// readable by others, not even while it is being written.
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WriteFile is [Write] of data.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// syncDir makes a rename in dir durable. Windows cannot open a directory
// for syncing; its rename is durable on its own (MoveFileEx with
// write-through), so there is nothing to do there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	if cerr := d.Close(); serr == nil {
		serr = cerr
	}
	return serr
}
