package provenance

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheckJSON compares the fast duplicate-key and depth check with the
// tokenizer-based reference on input encoding/json accepts.
func FuzzCheckJSON(f *testing.F) {
	for _, glob := range []string{"testdata/statement/*.json", "testdata/envelope/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"a":1,"\u0061":2}`))
	f.Add([]byte(`{"a":{"b":[{"c":"\"}","c":1}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		fast := checkJSON("x", data)
		ref := checkJSONTokens("x", data)
		for _, sentinel := range []error{ErrDuplicateKey, ErrTooLarge} {
			if errors.Is(fast, sentinel) != errors.Is(ref, sentinel) {
				t.Fatalf("%s: fast %v, reference %v", data, fast, ref)
			}
		}
		if (fast == nil) != (ref == nil) {
			t.Fatalf("%s: fast %v, reference %v", data, fast, ref)
		}
	})
}
