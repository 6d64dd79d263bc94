package secrets

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFileAtomic writes path through fill into a temporary file in the
// same directory and renames it into place only when fill succeeds, so a
// failure (a tampered or truncated ciphertext, a KMS error) never leaves a
// partial file behind.
func writeFileAtomic(path string, perm os.FileMode, fill func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("secrets: %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("secrets: %s: %w", path, err)
	}
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("secrets: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("secrets: %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("secrets: %s: %w", path, err)
	}
	return nil
}
