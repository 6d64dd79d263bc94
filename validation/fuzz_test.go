package validation_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsec-dev/mlsec/validation"
)

// FuzzParseSuite feeds arbitrary documents to the suite parser: it must
// return a suite or a *SuiteError, never panic, and a parsed suite must
// compile against a real schema without panicking either.
func FuzzParseSuite(f *testing.F) {
	for _, glob := range []string{"testdata/*.yaml", "testdata/*.json", "testdata/suites/*"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if strings.Contains(p, "baseline") || strings.Contains(p, "golden") {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	r := openFuzzData(f)
	schema := r.Schema()
	r.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := validation.ParseSuite("fuzz.yaml", data)
		if err != nil {
			var se *validation.SuiteError
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *SuiteError: %v", err)
			}
			return
		}
		if len(s.Checks) == 0 {
			t.Fatal("a suite without checks parsed")
		}
		p, err := validation.NewPlan(s, schema, validation.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res := p.Finalize(p.NewState(0))
		if res.Success {
			t.Fatal("a suite passed on no data")
		}
	})
}
