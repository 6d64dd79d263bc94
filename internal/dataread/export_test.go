package dataread

// SetArrowCSV switches between the parallel CSV reader and Arrow's, for
// the differential test; it returns the previous setting.
func SetArrowCSV(on bool) bool {
	old := useArrowCSV
	useArrowCSV = on
	return old
}

// ParseFloat64, ParseInt64 and ParseDate32 expose the fast paths to the
// tests that check them against the standard library.
var (
	ParseFloat64 = parseFloat64
	ParseInt64   = parseInt64
	ParseDate32  = parseDate32
)

// SetChunkBytes sets the parallel reader's chunk size and returns the
// previous one.
func SetChunkBytes(n int) int {
	old := csvChunkBytes
	csvChunkBytes = n
	return old
}

// ScanFloat64 and ScanInt64 expose the scanners that parse numbers in
// place, for the same check.
var (
	ScanFloat64 = scanFloat64
	ScanInt64   = scanInt64
)
