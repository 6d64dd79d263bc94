package validation

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A NaN or infinite bound would make a between check pass or fail
// vacuously (every comparison with NaN is false): suites refuse them.
func TestParseSuiteRefusesNonFiniteNumbers(t *testing.T) {
	for _, v := range []string{".nan", ".NaN", ".inf", "-.inf", "+.Inf"} {
		t.Run("fail_"+v, func(t *testing.T) {
			src := "name: t\nchecks:\n  - type: expect_column_values_to_be_between\n    column: age\n    kwargs: {min_value: " + v + ", max_value: 10}\n"
			_, err := ParseSuite("nonfinite.yaml", []byte(src))
			require.Error(t, err)
			require.ErrorContains(t, err, "nonfinite.yaml")
		})
	}
}
