package validation

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeJSONStrict(t *testing.T) {
	for _, ok := range []string{`{}`, `[]`, `{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}`, ` 1 `, `"x"`, `null`} {
		_, err := decodeJSONStrict([]byte(ok))
		require.NoError(t, err, ok)
	}
	for bad, want := range map[string]string{
		`{"a": 1, "a": 2}`:             `duplicate JSON key: key "a"`,
		`{"x": {"a": 1, "\u0061": 2}}`: `duplicate JSON key: key "a"`,
		`[{"k": [], "k": []}]`:         `duplicate JSON key: key "k"`,
		`{"a": 1} {"b": 2}`:            "data after the JSON value",
		`{"a": `:                       "unexpected end of JSON",
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1): "nested deeper",
	} {
		_, err := decodeJSONStrict([]byte(bad))
		require.ErrorContains(t, err, want, bad)
	}
}

// A baseline file with a key given twice is refused even when its digest
// is pinned: the reviewer reads the first value, the run would use the
// second.
func TestBaselineDuplicateKeys(t *testing.T) {
	dir := t.TempDir()
	b := []byte(`{"rows": 10, "columns": {"age": {"type": "int64", "count": 10, "null_fraction": 0, "mean": 40, "std": 5, "mean": 90}}}`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "base.json"), b, 0o644))
	sum := sha256.Sum256(b)
	_, err := loadBaseline(dir, "base.json", "sha256:"+hex.EncodeToString(sum[:]))
	require.ErrorContains(t, err, `duplicate JSON key: key "mean"`)
}
