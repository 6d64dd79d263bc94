package finite

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name string
		v    float64
		ok   bool
	}{
		{"good_zero", 0, true},
		{"good_negative", -3.5, true},
		{"good_tiny", math.SmallestNonzeroFloat64, true},
		{"good_max", math.MaxFloat64, true},
		{"fail_nan", math.NaN(), false},
		{"fail_pos_inf", math.Inf(1), false},
		{"fail_neg_inf", math.Inf(-1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check("--threshold", tc.v)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "--threshold")
			require.ErrorContains(t, err, "want a finite number")
		})
	}
}

func TestInRange(t *testing.T) {
	cases := []struct {
		name   string
		v      float64
		loOpen bool
		ok     bool
	}{
		{"good_inside", 0.5, true, true},
		{"good_top", 1, true, true},
		{"good_closed_bottom", 0, false, true},
		{"fail_open_bottom", 0, true, false},
		{"fail_below", -0.1, false, false},
		{"fail_above", 1.01, false, false},
		{"fail_nan", math.NaN(), false, false},
		{"fail_inf", math.Inf(1), false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := InRange("drift share", tc.v, 0, 1, tc.loOpen)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, "drift share")
			}
		})
	}
}

func TestNonNegative(t *testing.T) {
	require.NoError(t, NonNegative("x", 0))
	require.NoError(t, NonNegative("x", 2))
	require.ErrorContains(t, NonNegative("x", -1), "want a number >= 0")
	require.ErrorContains(t, NonNegative("x", math.NaN()), "finite")
	require.ErrorContains(t, NonNegative("x", math.Inf(1)), "finite")
}
