package dataread

import (
	"strconv"
	"unsafe"
)

// bstr views b as a string without copying; the string must not outlive
// b's contents (it is only handed to parsers that do not keep it).
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat64 returns the same value and error as strconv.ParseFloat(s,
// 64): scanFloat64's exact path when it takes the whole text, strconv
// otherwise.
func parseFloat64(b []byte) (float64, error) {
	if f, next, ok := scanFloat64(b, 0); ok && next == len(b) {
		return f, nil
	}
	return strconv.ParseFloat(bstr(b), 64)
}

// parseInt64 returns the same value and error as strconv.ParseInt(s, 10,
// 64): scanInt64's direct sum when it takes the whole text (up to 18
// digits cannot overflow), strconv otherwise.
func parseInt64(b []byte) (int64, error) {
	if v, next, ok := scanInt64(b, 0); ok && next == len(b) {
		return v, nil
	}
	return strconv.ParseInt(bstr(b), 10, 64)
}

// parseBool accepts what strconv.ParseBool accepts.
func parseBool(b []byte) (v, ok bool) {
	switch bstr(b) {
	case "1", "t", "T", "TRUE", "true", "True":
		return true, true
	case "0", "f", "F", "FALSE", "false", "False":
		return false, true
	}
	return false, false
}

// parseDate32 reads a YYYY-MM-DD date as days since 1970-01-01, the
// values time.Parse(time.DateOnly) accepts (four-digit year, two-digit
// month and day, a day that exists in that month).
func parseDate32(b []byte) (int32, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	var d [8]int
	for k, j := range [8]int{0, 1, 2, 3, 5, 6, 8, 9} {
		c := b[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		d[k] = int(c - '0')
	}
	y := d[0]*1000 + d[1]*100 + d[2]*10 + d[3]
	m := d[4]*10 + d[5]
	day := d[6]*10 + d[7]
	if m < 1 || m > 12 || day < 1 || day > daysIn(m, y) {
		return 0, false
	}
	return int32(daysFromCivil(y, m, day)), true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days from 1970-01-01 to y-m-d in the proleptic
// Gregorian calendar (the era-based algorithm from Howard Hinnant's
// "chrono-Compatible Low-Level Date Algorithms").
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// digitRun reads the decimal digits from b[i] on into v (v*10 + digit,
// modulo 2^64: callers bound the count) and returns v and the index of
// the first byte that is not a digit.
func digitRun(b []byte, i int, v uint64) (uint64, int) {
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c >= 10 {
			break
		}
		v = v*10 + uint64(c)
	}
	return v, i
}

// scanInt64 reads the integer that starts at b[i] and ends at the first
// byte that is not a digit, and returns it with that byte's index. ok is
// false unless the text is what parseInt64 sums directly (a sign and 1
// to 18 digits), so where ok is true the value is the one parseInt64,
// and strconv.ParseInt, give for b[i:next].
func scanInt64(b []byte, i int) (v int64, next int, ok bool) {
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	d0 := i
	u, i := digitRun(b, i, 0)
	if d := i - d0; d == 0 || d > 18 {
		return 0, i, false
	}
	v = int64(u)
	if neg {
		v = -v
	}
	return v, i, true
}

// scanFloat64 reads the decimal number (sign, digits, point, digits,
// exponent) that starts at b[i] and ends at the first byte that cannot
// continue it, and returns its value and that byte's index. ok is false
// unless the value is exact by Clinger's fast path: at most 19 digits
// (leading zeros included) making a mantissa no larger than 2^53, and a
// decimal exponent of at most 22 in size, so that the mantissa and the
// power of ten are exact in a float64 and one IEEE multiplication or
// division rounds correctly (strconv takes the same path first). Where
// ok is true the value is strconv.ParseFloat's for b[i:next]. Parsing
// while scanning reads each byte of a numeric field once.
func scanFloat64(b []byte, i int) (f float64, next int, ok bool) {
	n := len(b)
	neg := false
	if i < n && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	d0 := i
	mant, i := digitRun(b, i, 0)
	digits := i - d0
	exp := 0
	if i < n && b[i] == '.' {
		f0 := i + 1
		mant, i = digitRun(b, f0, mant)
		digits += i - f0
		exp = f0 - i
	}
	if digits == 0 || digits > 19 || mant > 1<<53 {
		return 0, i, false
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < n && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		e0 := i
		var e uint64
		e, i = digitRun(b, i, 0)
		if i == e0 || i-e0 > 4 {
			return 0, i, false
		}
		if eneg {
			exp -= int(e)
		} else {
			exp += int(e)
		}
	}
	f = float64(mant)
	switch {
	case mant == 0 || exp == 0:
	case exp > 0 && exp <= 22:
		f *= pow10[exp]
	case exp < 0 && exp >= -22:
		f /= pow10[-exp]
	default:
		return 0, i, false
	}
	if neg {
		f = -f
	}
	return f, i, true
}
