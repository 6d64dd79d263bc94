// Package finite checks the numbers a caller configures (thresholds,
// shares, bounds, sketch parameters) before they are used. NaN compares
// false with everything, so a NaN threshold silently turns a gate off
// ("p < NaN" is never true) and an infinite one makes it meaningless;
// every package rejects such values through this one check, with an
// error that names the setting.
package finite

import (
	"fmt"
	"math"
)

// Check returns an error naming what unless v is a finite number.
func Check(what string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s is %v: want a finite number", what, v)
	}
	return nil
}

// InRange returns an error naming what unless v is finite and lo <= v <= hi
// (loOpen makes the lower bound exclusive: lo < v).
func InRange(what string, v, lo, hi float64, loOpen bool) error {
	if err := Check(what, v); err != nil {
		return err
	}
	if v < lo || loOpen && v == lo || v > hi {
		open := "["
		if loOpen {
			open = "("
		}
		return fmt.Errorf("%s is %v: want a number in %s%v, %v]", what, v, open, lo, hi)
	}
	return nil
}

// NonNegative returns an error naming what unless v is finite and >= 0.
func NonNegative(what string, v float64) error {
	if err := Check(what, v); err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("%s is %v: want a number >= 0", what, v)
	}
	return nil
}
