package dataread_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/dataread"
)

// dump reads path to the end and describes everything a caller can see:
// the schema, every value (floats by their bits, so -0 and the last bit
// of rounding count), or the error text.
func dump(t *testing.T, path string, opts dataread.Options, arrowCSV bool) string {
	t.Helper()
	return dumpWith(t, path, opts, arrowCSV, true)
}

// dumpValues is dump without the schema, which differs when text
// columns are read as dictionaries.
func dumpValues(t *testing.T, path string, opts dataread.Options) string {
	t.Helper()
	return dumpWith(t, path, opts, false, false)
}

func dumpWith(t *testing.T, path string, opts dataread.Options, arrowCSV, withSchema bool) string {
	t.Helper()
	defer dataread.SetArrowCSV(dataread.SetArrowCSV(arrowCSV))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts.Allocator = mem
	var b strings.Builder
	r, err := dataread.Open(context.Background(), path, &opts)
	if err != nil {
		return "open: " + err.Error()
	}
	defer r.Close()
	schema := ""
	if withSchema {
		schema = r.Schema().String()
	}
	fmt.Fprintln(&b, schema)
	row := 0
	for r.Next() {
		rec := r.Record()
		for i := range int(rec.NumRows()) {
			row++
			fmt.Fprintf(&b, "%d:", row)
			for _, col := range rec.Columns() {
				b.WriteByte(' ')
				switch {
				case col.IsNull(i):
					b.WriteString("<null>")
				case col.DataType().ID() == arrow.FLOAT64:
					fmt.Fprintf(&b, "%x", math.Float64bits(col.(*array.Float64).Value(i)))
				case col.DataType().ID() == arrow.FLOAT32:
					fmt.Fprintf(&b, "%x", math.Float32bits(col.(*array.Float32).Value(i)))
				default:
					b.WriteString(strconv.Quote(col.ValueStr(i)))
				}
			}
			b.WriteByte('\n')
		}
	}
	if err := r.Err(); err != nil {
		// How many rows arrive before an error depends on the batching,
		// which differs between the readers: compare the error alone.
		return fmt.Sprintf("%s\nerror: %v\n", schema, err)
	}
	return b.String()
}

// requireSame checks that the parallel reader and Arrow's agree on path.
// Arrow's reader runs with one-row batches: it reports the last error of
// a batch, the parallel reader the first in the file, which is the same
// when a batch holds one row.
func requireSame(t *testing.T, path string, opts dataread.Options) string {
	t.Helper()
	old := opts
	old.BatchSize = 1
	want := dump(t, path, old, true)
	for _, chunk := range []int{1 << 20, 64, 7} {
		prev := dataread.SetChunkBytes(chunk)
		for _, workers := range []int{1, 3} {
			opts.Workers = workers
			got := dump(t, path, opts, false)
			require.Equal(t, want, got, "%s, chunk %d, %d workers", path, chunk, workers)
		}
		dataread.SetChunkBytes(prev)
	}
	return want
}

func TestCSVParallelSameAsArrowOnTestdata(t *testing.T) {
	var files []string
	for _, g := range []string{"testdata/*.csv", "../../datafile/testdata/*.csv", "../../validation/testdata/*.csv"} {
		m, err := filepath.Glob(g)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.GreaterOrEqual(t, len(files), 10)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			requireSame(t, f, dataread.Options{})
			requireSame(t, f, dataread.Options{InferRows: 2, BatchSize: 3})
			requireSame(t, f, dataread.Options{InferRows: 1, MaxFieldBytes: 5, MaxLineBytes: 30})
		})
	}
}

// randomCSV writes a CSV with typed columns and the awkward parts of the
// format: quoted fields with delimiters, doubled quotes and newlines,
// nulls, CRLF line ends, blank lines and a missing final newline.
func randomCSV(rng *rand.Rand, rows int) string {
	kinds := []string{"int", "float", "bool", "date", "ts", "str"}
	ncols := 1 + rng.IntN(6)
	cols := make([]string, ncols)
	var b strings.Builder
	if rng.IntN(10) == 0 {
		b.WriteString("\xEF\xBB\xBF")
	}
	eol := "\n"
	if rng.IntN(3) == 0 {
		eol = "\r\n"
	}
	for i := range cols {
		cols[i] = kinds[rng.IntN(len(kinds))]
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "c%d_%s", i, cols[i])
	}
	b.WriteString(eol)
	nulls := []string{"", "NA", "N/A", "null", "NULL", `""`}
	for r := range rows {
		if rng.IntN(20) == 0 {
			b.WriteString(eol) // a blank line
		}
		for i, k := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			if rng.IntN(8) == 0 && !(ncols == 1 && r == rows-1) {
				b.WriteString(nulls[rng.IntN(len(nulls))])
				continue
			}
			var v string
			switch k {
			case "int":
				v = strconv.FormatInt(rng.Int64N(1<<40)-1<<39, 10)
				if rng.IntN(10) == 0 {
					v = "+" + strings.TrimPrefix(v, "-")
				}
			case "float":
				v = randomFloatText(rng)
			case "bool":
				v = []string{"true", "false", "True", "FALSE"}[rng.IntN(4)]
			case "date":
				v = time.Unix(rng.Int64N(1e10)-5e9, 0).UTC().Format(time.DateOnly)
			case "ts":
				v = time.Unix(rng.Int64N(1e10)-5e9, rng.Int64N(1e9)).UTC().Format([]string{"2006-01-02 15:04:05", "2006-01-02T15:04:05.000000Z", "2006-01-02T15:04"}[rng.IntN(3)])
			case "str":
				v = randomText(rng)
			}
			if strings.ContainsAny(v, "\",\r\n") || rng.IntN(6) == 0 {
				v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
			}
			b.WriteString(v)
		}
		if r < rows-1 || rng.IntN(3) > 0 {
			b.WriteString(eol)
		}
	}
	return b.String()
}

func randomText(rng *rand.Rand) string {
	const alphabet = "abcXYZ 09,\"\n\r\t;é€"
	rs := []rune(alphabet)
	n := rng.IntN(12)
	var b strings.Builder
	for range n {
		b.WriteRune(rs[rng.IntN(len(rs))])
	}
	return b.String()
}

func randomFloatText(rng *rand.Rand) string {
	switch rng.IntN(8) {
	case 0:
		return strconv.FormatFloat(rng.NormFloat64()*1e6, 'g', -1, 64)
	case 1:
		return strconv.FormatFloat(math.Float64frombits(rng.Uint64()&^(0x7ff<<52)|uint64(rng.IntN(2046)+1)<<52), 'e', rng.IntN(20)-1, 64)
	case 2:
		return strconv.FormatFloat(rng.Float64(), 'f', rng.IntN(25), 64)
	case 3:
		return []string{"inf", "-Inf", "NaN", "1e308", "4.9e-324", "-0", "0.0", ".5", "5.", "1E+2", "+3.25", "0x1p-2", "1e-400", "2.2250738585072011e-308"}[rng.IntN(14)]
	default:
		return fmt.Sprintf("%d.%0*d", rng.IntN(100000)-50000, rng.IntN(4)+1, rng.IntN(1000))
	}
}

// mutate damages a CSV text the way broken files are damaged: a stray
// quote, a lost delimiter, an extra one, a cut-off end, a bad cell.
func mutate(rng *rand.Rand, s string) string {
	if len(s) < 2 {
		return s
	}
	i := rng.IntN(len(s))
	switch rng.IntN(6) {
	case 0:
		return s[:i] + `"` + s[i:]
	case 1:
		return s[:i] + "," + s[i:]
	case 2:
		if j := strings.IndexByte(s[i:], ','); j >= 0 {
			return s[:i+j] + s[i+j+1:]
		}
	case 3:
		return s[:i]
	case 4:
		return s[:i] + "x" + s[i:]
	case 5:
		return s[:i] + "\n" + s[i:]
	}
	return s
}

func TestCSVParallelSameAsArrowOnRandomFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	n := 300
	if testing.Short() {
		n = 60
	}
	seen := map[string]int{}
	for i := range n {
		text := randomCSV(rng, 1+rng.IntN(40))
		if i%3 == 1 {
			text = mutate(rng, text)
		}
		p := filepath.Join(dir, fmt.Sprintf("r%03d.csv", i))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		opts := dataread.Options{InferRows: 1 + rng.IntN(50)}
		if i%5 == 4 {
			opts.MaxFieldBytes = int64(1 + rng.IntN(20))
			opts.MaxLineBytes = int64(1 + rng.IntN(80))
		}
		if i%7 == 6 {
			opts.Columns = []string{"c0_" + strings.SplitN(strings.SplitN(strings.TrimPrefix(text, "\xEF\xBB\xBF"), ",", 2)[0], "_", 2)[1]}
		}
		out := requireSame(t, p, opts)
		for _, k := range []string{"in quoted-field", "bare \" in non-quoted-field", "wrong number of fields", "is not a valid", "MaxFieldBytes", "MaxLineBytes"} {
			if strings.Contains(out, k) {
				seen[k]++
			}
		}
		if !strings.Contains(out, "error: ") {
			seen["good"]++
		}
	}
	// The random files reach every kind of outcome.
	require.Len(t, seen, 7, "%v", seen)
}

func TestParseFloat64MatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := []string{"", "-", "+", ".", "e5", "1e", "1e+", "-0", "+0", "0", "00", "0.0", "-0.0", ".5", "5.", "-.5",
		"1.5e3", "1.5E-3", "9007199254740993", "9007199254740992", "9007199254740991.5", "123456789012345678901234567890",
		"1e22", "1e23", "1e-22", "1e-23", "8.988465674311579e+307", "1.7976931348623157e308", "1.7976931348623159e308",
		"4.9e-324", "2e-324", "2.2250738585072011e-308", "0.1", "0.2", "0.3", "3.14159265358979323846", "1_000", "1,5",
		"inf", "-Infinity", "NaN", "nan", "0x1p-2", "0x1.8p1", " 1", "1 ", "1.2.3", "1e1000", "1e-1000", "--1", "1e0010",
		"0000000000000000000000000001", "1.0000000000000000000000001", "99999999999999999999", "0.000000000000000000000000001"}
	for range 200000 {
		switch rng.IntN(4) {
		case 0:
			inputs = append(inputs, strconv.FormatFloat(math.Float64frombits(rng.Uint64()), 'g', -1, 64))
		case 1:
			inputs = append(inputs, strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(60)-30)), 'e', rng.IntN(22), 64))
		case 2:
			inputs = append(inputs, randomFloatText(rng))
		case 3:
			digits := make([]byte, 1+rng.IntN(24))
			for i := range digits {
				digits[i] = "0123456789.e-+"[rng.IntN(14)]
			}
			inputs = append(inputs, string(digits))
		}
	}
	for _, s := range inputs {
		want, werr := strconv.ParseFloat(s, 64)
		got, gerr := dataread.ParseFloat64([]byte(s))
		if werr != nil {
			require.Error(t, gerr, "%q", s)
			require.Equal(t, werr.Error(), gerr.Error(), "%q", s)
			continue
		}
		require.NoError(t, gerr, "%q", s)
		if math.IsNaN(want) {
			require.True(t, math.IsNaN(got), "%q", s)
			continue
		}
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%q: %v, want %v", s, got, want)
	}
}

func TestParseInt64MatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	inputs := []string{"", "-", "+", "0", "-0", "+7", "007", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "999999999999999999", "9999999999999999999", "1_0", "1.0", " 1", "0x10", "1e3"}
	for range 100000 {
		switch rng.IntN(3) {
		case 0:
			inputs = append(inputs, strconv.FormatInt(int64(rng.Uint64()), 10))
		case 1:
			inputs = append(inputs, strconv.FormatInt(rng.Int64N(1e6)-5e5, 10))
		case 2:
			digits := make([]byte, 1+rng.IntN(21))
			for i := range digits {
				digits[i] = "0123456789-+x"[rng.IntN(13)]
			}
			inputs = append(inputs, string(digits))
		}
	}
	for _, s := range inputs {
		want, werr := strconv.ParseInt(s, 10, 64)
		got, gerr := dataread.ParseInt64([]byte(s))
		if werr != nil {
			require.Error(t, gerr, "%q", s)
			require.Equal(t, werr.Error(), gerr.Error(), "%q", s)
			continue
		}
		require.NoError(t, gerr, "%q", s)
		require.Equal(t, want, got, "%q", s)
	}
}

func TestParseDate32MatchesTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	inputs := []string{"0000-01-01", "0000-02-29", "0001-02-29", "1900-02-29", "2000-02-29", "2024-02-29", "2023-02-29",
		"1970-01-01", "1969-12-31", "9999-12-31", "2024-13-01", "2024-00-10", "2024-04-31", "2024-04-00", "2024-4-01",
		"2024-04-1", "+024-01-01", "2024/01/01", "2024-01-01 ", "20240101", ""}
	for range 100000 {
		y, m, d := rng.IntN(10000), rng.IntN(14), rng.IntN(33)
		inputs = append(inputs, fmt.Sprintf("%04d-%02d-%02d", y, m, d))
	}
	for _, s := range inputs {
		tm, werr := time.Parse(time.DateOnly, s)
		got, ok := dataread.ParseDate32([]byte(s))
		require.Equal(t, werr == nil, ok, "%q", s)
		if ok {
			require.Equal(t, int32(arrow.Date32FromTime(tm)), got, "%q", s)
		}
	}
}

// FuzzCSVParallelSameAsArrow checks the two readers agree on any input.
func FuzzCSVParallelSameAsArrow(f *testing.F) {
	addSeeds(f, "*.csv")
	f.Add([]byte("a,b\n\"x\r\ny\",1\r\n\r\n\"\"\"\",2\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "data.csv")
		require.NoError(t, os.WriteFile(p, data, 0o600))
		opts := dataread.Options{InferRows: 3, MaxFieldBytes: 40, MaxLineBytes: 100}
		requireSame(t, p, opts)
		plain := dumpValues(t, p, opts)
		opts.DictionaryStrings = true
		require.Equal(t, plain, dumpValues(t, p, opts))
	})
}

// TestScanNumbersMatchStrconv checks the scanners that parse a numeric
// field while finding its end: wherever one accepts the text before a
// terminator, the value is strconv's for exactly that text, and the
// terminator is the first byte that is not part of it.
func TestScanNumbersMatchStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	suffixes := []string{"", ",", "\n", "\r\n", "x", `"`, "e5", ".", "-", " "}
	var inputs []string
	for range 100000 {
		switch rng.IntN(4) {
		case 0:
			inputs = append(inputs, strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(30)-15)), 'f', rng.IntN(20), 64))
		case 1:
			inputs = append(inputs, randomFloatText(rng))
		case 2:
			inputs = append(inputs, strconv.FormatInt(int64(rng.Uint64())>>rng.IntN(64), 10))
		case 3:
			digits := make([]byte, 1+rng.IntN(24))
			for i := range digits {
				digits[i] = "0123456789.-+"[rng.IntN(13)]
			}
			inputs = append(inputs, string(digits))
		}
	}
	accepted := map[string]int{}
	for _, s := range inputs {
		b := []byte(s + suffixes[rng.IntN(len(suffixes))])
		if f, next, ok := dataread.ScanFloat64(b, 0); ok {
			accepted["float"]++
			want, err := strconv.ParseFloat(string(b[:next]), 64)
			require.NoError(t, err, "%q", b[:next])
			require.Equal(t, math.Float64bits(want), math.Float64bits(f), "%q", b[:next])
			if next < len(b) {
				_, err := strconv.ParseFloat(string(b[:next+1]), 64)
				require.True(t, err != nil || b[next] == 'e' || b[next] == 'E', "%q: stopped before %q", b, b[next])
			}
		}
		if v, next, ok := dataread.ScanInt64(b, 0); ok {
			accepted["int"]++
			want, err := strconv.ParseInt(string(b[:next]), 10, 64)
			require.NoError(t, err, "%q", b[:next])
			require.Equal(t, want, v, "%q", b[:next])
			if next < len(b) {
				require.False(t, b[next] >= '0' && b[next] <= '9', "%q: stopped before a digit", b)
			}
		}
	}
	// The common shapes take the fast path, so the checks above ran.
	require.Greater(t, accepted["float"], len(inputs)/2, "%v", accepted)
	require.Greater(t, accepted["int"], len(inputs)/5, "%v", accepted)
	for _, s := range []string{"57.123", "-0.125954", "0", "+3.25", ".5", "5."} {
		_, next, ok := dataread.ScanFloat64([]byte(s+","), 0)
		require.True(t, ok && next == len(s), "%q", s)
	}
}

// TestCSVParallelQuotedRuns reads files where runs of records have
// fields to unquote (doubled quotes, newlines inside quotes) between runs
// of plain and simply quoted ones, so that the one-pass record parser
// succeeds, gives up, and stops trying within a chunk; every reading must
// still be Arrow's.
func TestCSVParallelQuotedRuns(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name,score\n")
	for i := range 600 {
		switch {
		case i < 100 || i >= 400:
			fmt.Fprintf(&b, "%d,\"city %d, north\",%d.5\n", i, i%7, i)
		case i%50 == 0:
			fmt.Fprintf(&b, "%d,plain,\"%d\"\r\n", i, i)
		case i%2 == 0:
			fmt.Fprintf(&b, "%d,\"said \"\"%d\"\"\",%d\n", i, i, i)
		default:
			fmt.Fprintf(&b, "%d,\"two\nlines\",NA\n", i)
		}
	}
	p := filepath.Join(t.TempDir(), "runs.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o600))
	out := requireSame(t, p, dataread.Options{})
	require.Contains(t, out, `"said \"252\""`)
	require.Contains(t, out, `"two\nlines"`)
	require.Contains(t, out, `"city 3, north"`)
	requireSame(t, p, dataread.Options{Columns: []string{"score"}})
}

// TestCSVDictionaryStrings reads every testdata CSV and random CSVs
// (some damaged) with DictionaryStrings: text columns become
// dictionary<int32, utf8>, and every value, null and error is what the
// plain reading gives.
func TestCSVDictionaryStrings(t *testing.T) {
	files, err := filepath.Glob("testdata/*.csv")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(11, 12))
	dir := t.TempDir()
	for i := range 80 {
		text := randomCSV(rng, 1+rng.IntN(40))
		if i%3 == 1 {
			text = mutate(rng, text)
		}
		p := filepath.Join(dir, fmt.Sprintf("r%03d.csv", i))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		files = append(files, p)
	}
	dicts := 0
	for _, f := range files {
		for _, chunk := range []int{1 << 20, 7} {
			prev := dataread.SetChunkBytes(chunk)
			plain := dumpValues(t, f, dataread.Options{})
			dict := dumpValues(t, f, dataread.Options{DictionaryStrings: true})
			dataread.SetChunkBytes(prev)
			require.Equal(t, plain, dict, f)
			if s, err := dataread.ReadSchema(context.Background(), f, &dataread.Options{DictionaryStrings: true}); err == nil && strings.Contains(s.String(), "dictionary<values=utf8, indices=int32") {
				dicts++
			}
		}
	}
	require.Greater(t, dicts, len(files), "text columns were read as dictionaries")
}

// TestCSVDictionaryStringsChoosesCategories: with DictionaryStrings, a
// text column whose inference sample holds at most 64 distinct values
// is read as a dictionary, one with more stays utf8, numbers stay
// numbers, and a given schema is read as given.
func TestCSVDictionaryStringsChoosesCategories(t *testing.T) {
	var b strings.Builder
	b.WriteString("color,name,n,empty\n")
	for i := range 500 {
		fmt.Fprintf(&b, "c%d,name%d,%d,\n", i%64, i, i)
	}
	p := filepath.Join(t.TempDir(), "cats.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o600))
	s, err := dataread.ReadSchema(context.Background(), p, &dataread.Options{DictionaryStrings: true})
	require.NoError(t, err)
	require.Equal(t, "dictionary<values=utf8, indices=int32, ordered=false>", s.Field(0).Type.String())
	require.Equal(t, arrow.STRING, s.Field(1).Type.ID())
	require.Equal(t, arrow.INT64, s.Field(2).Type.ID())
	require.Equal(t, arrow.STRING, s.Field(3).Type.ID(), "a column of nulls has no categories")

	// 65 values in the sample: text.
	require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(b.String(), "c0,name64,", "c64,name64,")), 0o600))
	s, err = dataread.ReadSchema(context.Background(), p, &dataread.Options{DictionaryStrings: true})
	require.NoError(t, err)
	require.Equal(t, arrow.STRING, s.Field(0).Type.ID())

	// A given schema is read as given, dictionary or not.
	given := arrow.NewSchema([]arrow.Field{
		{Name: "color", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "name", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "empty", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	r, err := dataread.Open(context.Background(), p, &dataread.Options{Schema: given, DictionaryStrings: true})
	require.NoError(t, err)
	defer r.Close()
	rows := 0
	for r.Next() {
		rec := r.Record()
		require.True(t, arrow.TypeEqual(given.Field(1).Type, rec.Column(1).DataType()))
		require.Equal(t, arrow.STRING, rec.Column(0).DataType().ID())
		d := rec.Column(1).(*array.Dictionary)
		require.Equal(t, fmt.Sprintf("name%d", rows), d.Dictionary().(*array.String).Value(d.GetValueIndex(0)))
		rows += int(rec.NumRows())
	}
	require.NoError(t, r.Err())
	require.Equal(t, 500, rows)
}

// TestCSVDictionaryStringsMixedFormats: a dataset of a CSV and a Parquet
// file is read without dictionaries (the Parquet file's text columns are
// utf8), so every file shares the first one's schema; two CSV files get
// dictionaries.
func TestCSVDictionaryStringsMixedFormats(t *testing.T) {
	opts := &dataread.Options{DictionaryStrings: true}
	count := func(paths ...string) (*arrow.Schema, int) {
		r, err := dataread.OpenAll(context.Background(), paths, opts)
		require.NoError(t, err)
		defer r.Close()
		rows := 0
		for r.Next() {
			rows += int(r.Record().NumRows())
		}
		require.NoError(t, r.Err())
		return r.Schema(), rows
	}
	_, one := count("testdata/good_people.csv")
	require.Greater(t, one, 0)
	s, n := count("testdata/good_people.csv", "testdata/good_people.parquet")
	require.Greater(t, n, one)
	require.NotContains(t, s.String(), "dictionary")
	s, n = count("testdata/good_people.csv", "testdata/good_people.csv")
	require.Equal(t, 2*one, n)
	require.Contains(t, s.String(), "dictionary<values=utf8, indices=int32")
}
