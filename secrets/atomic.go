package secrets

import (
	"fmt"
	"io"
	"os"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
)

// writeFileAtomic writes path through fill with [atomicfile.Write], so a
// failure (a tampered or truncated ciphertext, a KMS error) never leaves a
// partial file behind. fill's errors come back as they are; those of the
// file operations get the package prefix and the path.
func writeFileAtomic(path string, perm os.FileMode, fill func(io.Writer) error) error {
	var fillErr error
	err := atomicfile.Write(path, perm, func(w io.Writer) error {
		fillErr = fill(w)
		return fillErr
	})
	if err != nil && err != fillErr {
		return fmt.Errorf("secrets: %s: %w", path, err)
	}
	return err
}
