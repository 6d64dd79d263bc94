package validation_test

// The GX compatibility harness: Great Expectations' own expectation test
// definitions (testdata/gx, see its README) are run through mlsec. Each GX
// test case becomes a one-check suite over an Arrow record built from the
// case's data dict with the column types GX's pandas backend gives it, and
// mlsec's verdict is compared with GX's: success true/false, or a GX
// exception, which must be mlsec refusing the suite (a *SuiteError, exit 2
// in the CLI). Where the definitions give them, unexpected_count (the
// length of GX's COMPLETE unexpected_list), the first unexpected row
// indices and observed_value must match too.
//
// Cases where mlsec deliberately differs are listed, with the reason, in
// testdata/gx/known_differences.json; GX.md beside the package is the
// same list for readers. The test fails when a listed case starts to
// agree (so the list shrinks) and when an unlisted case disagrees.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/validation"
)

type gxFile struct {
	ExpectationType string      `json:"expectation_type"`
	Datasets        []gxDataset `json:"datasets"`
}

type gxDataset struct {
	Name            string                       `json:"dataset_name"`
	Data            json.RawMessage              `json:"data"`
	Schemas         map[string]map[string]string `json:"schemas"`
	OnlyFor         []string                     `json:"only_for"`
	SuppressTestFor []string                     `json:"suppress_test_for"`
	Tests           []gxTest                     `json:"tests"`
}

type gxTest struct {
	Title           string         `json:"title"`
	Tolerance       *float64       `json:"tolerance"` // GX compares observed numbers with this relative tolerance
	OnlyFor         []string       `json:"only_for"`
	SuppressTestFor []string       `json:"suppress_test_for"`
	In              map[string]any `json:"in"`
	Out             map[string]any `json:"out"`
}

// appliesToPandas follows GX's test generator: only_for lists the
// backends a case is for ("pandas", or a pandas version range that the
// current pandas satisfies), suppress_test_for the ones it is not for.
func appliesToPandas(only, suppress []string) bool {
	for _, s := range suppress {
		if s == "pandas" {
			return false
		}
	}
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if o == "pandas" || o == "pandas>=024" {
			return true
		}
	}
	return false
}

// gxVerdict is what a side said about a case.
type gxVerdict string

const (
	vPass    gxVerdict = "success"
	vFail    gxVerdict = "failure"
	vRefused gxVerdict = "exception" // GX raised; mlsec refused the suite
	vErrored gxVerdict = "errored"   // mlsec ran the suite, the check could not be evaluated
)

type gxCase struct {
	id   string // file#dataset#title
	typ  string
	ds   gxDataset
	test gxTest
}

func loadGXCases(t *testing.T) []gxCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "gx", "expect_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []gxCase
	ids := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var gf gxFile
		require.NoError(t, json.Unmarshal(b, &gf), f)
		for _, ds := range gf.Datasets {
			if !appliesToPandas(ds.OnlyFor, ds.SuppressTestFor) {
				continue
			}
			for _, tc := range ds.Tests {
				if !appliesToPandas(tc.OnlyFor, tc.SuppressTestFor) {
					continue
				}
				// A few titles repeat within a dataset: number the repeats.
				id := gf.ExpectationType + "#" + ds.Name + "#" + tc.Title
				ids[id]++
				if n := ids[id]; n > 1 {
					id += fmt.Sprintf("#%d", n)
				}
				out = append(out, gxCase{id: id, typ: gf.ExpectationType, ds: ds, test: tc})
			}
		}
	}
	return out
}

// gxRecord builds the case's data dict as one Arrow record, typed the way
// GX's pandas backend types it: the dataset's pandas schema where given,
// else pandas' inference (integers with a null become float64).
func gxRecord(ds gxDataset) (arrow.Record, error) {
	// Column order is the dict's order, which the schema checks look at.
	dec := json.NewDecoder(strings.NewReader(string(ds.Data)))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var names []string
	cols := map[string][]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name := tok.(string)
		var vals []any
		if err := dec.Decode(&vals); err != nil {
			return nil, fmt.Errorf("column %s: %w", name, err)
		}
		names = append(names, name)
		cols[name] = vals
	}
	pd := ds.Schemas["pandas"]
	var fields []arrow.Field
	var arrs []arrow.Array
	mem := memory.DefaultAllocator
	rows := -1
	for _, n := range names {
		vals := cols[n]
		if rows < 0 {
			rows = len(vals)
		} else if len(vals) != rows {
			return nil, fmt.Errorf("column %s has %d values, not %d", n, len(vals), rows)
		}
		dt, err := gxColumnType(pd[n], vals)
		if errors.Is(err, errMixed) {
			u, err := gxObjectColumn(vals)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", n, err)
			}
			fields = append(fields, arrow.Field{Name: n, Type: u.DataType(), Nullable: true})
			arrs = append(arrs, u)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", n, err)
		}
		b := array.NewBuilder(mem, dt)
		for _, v := range vals {
			if err := appendGX(b, v); err != nil {
				return nil, fmt.Errorf("column %s: %w", n, err)
			}
		}
		fields = append(fields, arrow.Field{Name: n, Type: dt, Nullable: true})
		arrs = append(arrs, b.NewArray())
	}
	if rows < 0 {
		rows = 0
	}
	return array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(rows)), nil
}

var errMixed = errors.New("values of several kinds (a pandas object column)")

// gxObjectColumn builds a pandas object column holding values of several
// kinds (numbers, strings, booleans) as Arrow's equivalent, a dense
// union with one child per kind; a null is a null of the first child.
func gxObjectColumn(vals []any) (arrow.Array, error) {
	mem := memory.DefaultAllocator
	kinds := []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean}
	kindOf := func(v any) int {
		switch v := v.(type) {
		case json.Number:
			if _, err := v.Int64(); err == nil && !strings.ContainsAny(v.String(), ".eE") {
				return 0
			}
			return 1
		case string:
			return 2
		case bool:
			return 3
		}
		return -1
	}
	used := map[int]int{} // kind -> child index
	var order []int
	for _, v := range vals {
		if k := kindOf(v); k >= 0 && used[k] == 0 {
			order = append(order, k)
			used[k] = len(order)
		}
	}
	builders := make([]array.Builder, len(order))
	for i, k := range order {
		builders[i] = array.NewBuilder(mem, kinds[k])
	}
	ids := array.NewInt8Builder(mem)
	offs := array.NewInt32Builder(mem)
	for _, v := range vals {
		child := 0
		if k := kindOf(v); k >= 0 {
			child = used[k] - 1
		} else if v != nil {
			return nil, fmt.Errorf("%v: not a number, string or boolean", v)
		}
		ids.Append(int8(child))
		offs.Append(int32(builders[child].Len()))
		if err := appendGX(builders[child], v); err != nil {
			return nil, err
		}
	}
	children := make([]arrow.Array, len(builders))
	codes := make([]arrow.UnionTypeCode, len(builders))
	for i, b := range builders {
		children[i] = b.NewArray()
		codes[i] = arrow.UnionTypeCode(i)
	}
	return array.NewDenseUnionFromArrays(ids.NewArray(), offs.NewArray(), children, codes...)
}

func gxColumnType(pandas string, vals []any) (arrow.DataType, error) {
	if pandas == "object" {
		// An object column of one kind of value is typed by it; of several,
		// it is a union (gxObjectColumn).
		pandas = ""
	}
	switch pandas {
	case "int", "int64", "Int64Dtype":
		return arrow.PrimitiveTypes.Int64, nil
	case "float", "float64":
		return arrow.PrimitiveTypes.Float64, nil
	case "str", "string", "object":
		return arrow.BinaryTypes.String, nil
	case "bool":
		return arrow.FixedWidthTypes.Boolean, nil
	case "datetime64", "datetime64[ns]":
		return &arrow.TimestampType{Unit: arrow.Nanosecond}, nil
	case "timestamp": // GX's data carries a zone ("...Z"): pandas makes it tz-aware
		return &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, nil
	case "":
	default:
		return nil, fmt.Errorf("pandas type %q not mapped", pandas)
	}
	var ints, floats, strs, bools, other, nulls int
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			nulls++
		case json.Number:
			if _, err := v.Int64(); err == nil && !strings.ContainsAny(v.String(), ".eE") {
				ints++
			} else {
				floats++
			}
		case string:
			strs++
		case bool:
			bools++
		default:
			other++
		}
	}
	switch {
	case other > 0:
		return arrow.BinaryTypes.String, nil // lists, objects: written as JSON text
	case ints+floats+strs+bools == 0:
		return arrow.Null, nil // all None: pandas' object column of nulls
	case strs > 0 && ints+floats+bools == 0:
		return arrow.BinaryTypes.String, nil
	case bools > 0 && ints+floats+strs == 0:
		return arrow.FixedWidthTypes.Boolean, nil
	case strs+bools > 0:
		return nil, errMixed
	case floats > 0 || nulls > 0:
		return arrow.PrimitiveTypes.Float64, nil // pandas: an int column with a null is float64
	default:
		return arrow.PrimitiveTypes.Int64, nil
	}
}

func appendGX(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%v is not an integer", v)
		}
		i, err := n.Int64()
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil || f != math.Trunc(f) {
				return fmt.Errorf("%v is not an integer", v)
			}
			i = int64(f)
		}
		b.Append(i)
	case *array.Float64Builder:
		switch v := v.(type) {
		case json.Number:
			f, err := v.Float64()
			if err != nil {
				return err
			}
			b.Append(f)
		case string: // "NaN", "Infinity" as pandas reads them
			switch strings.ToLower(v) {
			case "nan":
				b.Append(math.NaN())
			case "inf", "infinity":
				b.Append(math.Inf(1))
			case "-inf", "-infinity":
				b.Append(math.Inf(-1))
			default:
				return fmt.Errorf("%q is not a float", v)
			}
		default:
			return fmt.Errorf("%v is not a float", v)
		}
	case *array.StringBuilder:
		switch v := v.(type) {
		case string:
			b.Append(v)
		case json.Number:
			b.Append(v.String())
		default:
			js, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b.Append(string(js))
		}
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%v is not a boolean", v)
		}
		b.Append(x)
	case *array.TimestampBuilder:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%v is not a timestamp", v)
		}
		ts, err := parseGXTime(s)
		if err != nil {
			return err
		}
		b.Append(arrow.Timestamp(ts.UnixNano()))
	default:
		return fmt.Errorf("no builder for %T", b)
	}
	return nil
}

func parseGXTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "Jan 02 2006 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO-8601 time", s)
}

// gxKwargs are the case's "in" minus GX's presentation arguments.
func gxKwargs(in map[string]any) map[string]any {
	k := map[string]any{}
	for n, v := range in {
		switch n {
		case "result_format", "catch_exceptions", "include_config":
			continue
		}
		k[n] = v
	}
	return k
}

func gxExpected(out map[string]any) gxVerdict {
	if _, ok := out["traceback_substring"]; ok {
		return vRefused
	}
	if s, ok := out["success"].(bool); ok {
		if s {
			return vPass
		}
		return vFail
	}
	return vRefused
}

// gxOutcome runs one case through mlsec.
type gxOutcome struct {
	verdict gxVerdict
	why     string
	res     *validation.CheckResult
}

func runGXCase(c gxCase) gxOutcome {
	rec, err := gxRecord(c.ds)
	if err != nil {
		return gxOutcome{verdict: vErrored, why: "data: " + err.Error()}
	}
	defer rec.Release()
	suite := &validation.Suite{Name: "gx", Checks: []validation.Check{{Type: c.typ, Kwargs: gxKwargs(c.test.In)}}}
	rr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
	if err != nil {
		return gxOutcome{verdict: vErrored, why: err.Error()}
	}
	defer rr.Release()
	res, err := validation.Validate(ctx, suite, rr, validation.Options{RawSamples: true})
	if err != nil {
		var se *validation.SuiteError
		if errors.As(err, &se) {
			return gxOutcome{verdict: vRefused, why: err.Error()}
		}
		return gxOutcome{verdict: vErrored, why: err.Error()}
	}
	r := res.Checks[0]
	switch {
	case r.Status == validation.CheckError:
		return gxOutcome{verdict: vErrored, why: r.Error, res: &r}
	case r.Success:
		return gxOutcome{verdict: vPass, res: &r}
	default:
		return gxOutcome{verdict: vFail, why: r.Message, res: &r}
	}
}

// gxDetailMismatch compares the figures GX's case gives with mlsec's.
func gxDetailMismatch(c gxCase, o gxOutcome) string {
	if o.res == nil {
		return ""
	}
	out := c.test.Out
	if l, ok := out["unexpected_list"].([]any); ok {
		if int64(len(l)) != o.res.UnexpectedCount {
			return fmt.Sprintf("unexpected_count %d, GX %d", o.res.UnexpectedCount, len(l))
		}
	}
	if l, ok := out["unexpected_index_list"].([]any); ok && len(l) > 0 {
		// GX lists row indices for single-column cases; pairs and
		// compound keys list records, which mlsec does not echo.
		if _, ok := l[0].(float64); ok {
			var want []int64
			for _, x := range l {
				if f, ok := x.(float64); ok {
					want = append(want, int64(f))
				}
			}
			got := o.res.UnexpectedIndices
			n := min(len(got), len(want))
			if n == 0 || fmt.Sprint(got[:n]) != fmt.Sprint(want[:n]) {
				return fmt.Sprintf("unexpected indices %v, GX %v", got, want)
			}
		}
	}
	// The counts GX's result gives (COMPLETE and SUMMARY formats).
	if res, isMap := out["result"].(map[string]any); isMap {
		for _, f := range []struct {
			key string
			got float64
		}{
			{"element_count", float64(o.res.ElementCount)},
			{"missing_count", float64(o.res.MissingCount)},
			{"unexpected_count", float64(o.res.UnexpectedCount)},
			{"unexpected_percent", o.res.UnexpectedPercent},
		} {
			if w, ok := res[f.key].(float64); ok && !gxSameValue(w, f.got, 1e-6) {
				return fmt.Sprintf("%s %v, GX %v", f.key, f.got, w)
			}
		}
	}
	if l, ok := out["observed_value_list"].([]any); ok && c.test.Out["success"] != nil {
		// GX gives the names several pandas versions report: any will do.
		if !slices.ContainsFunc(l, func(w any) bool { return gxSameValue(w, o.res.Observed, 1e-6) }) {
			return fmt.Sprintf("observed_value %v, GX one of %v", o.res.Observed, l)
		}
	}
	ov, ok := out["observed_value"]
	if !ok {
		if r, isMap := out["result"].(map[string]any); isMap {
			ov, ok = r["observed_value"]
		}
	}
	if ok && c.test.Out["success"] != nil {
		tol := 1e-6
		if c.test.Tolerance != nil {
			tol = *c.test.Tolerance
		}
		if !gxSameValue(ov, o.res.Observed, tol) {
			return fmt.Sprintf("observed_value %v (%T), GX %v", o.res.Observed, o.res.Observed, ov)
		}
	}
	return ""
}

// gxSameValue compares an observed value with GX's; numbers agree within
// the relative tolerance tol (as GX's test runner uses the case's
// "tolerance").
func gxSameValue(want, got any, tol float64) bool {
	switch w := want.(type) {
	case float64:
		var g float64
		switch x := got.(type) {
		case float64:
			g = x
		case int64:
			g = float64(x)
		case int:
			g = float64(x)
		default:
			return false
		}
		return g == w || math.Abs(g-w) <= tol*math.Max(1, math.Abs(w))
	case []any:
		var gl []any
		b, _ := json.Marshal(got)
		if json.Unmarshal(b, &gl) != nil || len(gl) != len(w) {
			return false
		}
		for i := range w {
			if !gxSameValue(w[i], gl[i], tol) {
				return false
			}
		}
		return true
	case map[string]any:
		var gm map[string]any
		b, _ := json.Marshal(got)
		if json.Unmarshal(b, &gm) != nil {
			return false
		}
		for k, v := range w {
			if !gxSameValue(v, gm[k], tol) {
				return false
			}
		}
		return true
	case string:
		g := fmt.Sprint(got)
		if g == w {
			return true
		}
		wt, err1 := parseGXTime(w)
		gt, err2 := parseGXTime(g)
		return err1 == nil && err2 == nil && wt.Equal(gt)
	default:
		return fmt.Sprint(want) == fmt.Sprint(got)
	}
}

type gxKnown struct {
	Case   string `json:"case"`
	Reason string `json:"reason"`
}

func TestGreatExpectationsDefinitions(t *testing.T) {
	cases := loadGXCases(t)
	var known []gxKnown
	b, err := os.ReadFile(filepath.Join("testdata", "gx", "known_differences.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &known))
	knownWhy := map[string]string{}
	for _, k := range known {
		require.NotEmpty(t, k.Reason, k.Case)
		knownWhy[k.Case] = k.Reason
	}

	var agree, verdicts int
	var mismatches []gxKnown
	var unexpected, fixed []string
	seen := map[string]bool{}
	for _, c := range cases {
		require.False(t, seen[c.id], "duplicate case id %s", c.id)
		seen[c.id] = true
		want := gxExpected(c.test.Out)
		o := runGXCase(c)
		mismatch := ""
		// A check mlsec could not evaluate fails the suite, as GX's
		// failure does; the result says why (CheckResult.Error).
		if o.verdict == vErrored && want == vFail && o.res != nil {
			o.verdict = vFail
		}
		if o.verdict == want {
			verdicts++
		}
		if o.verdict != want {
			mismatch = fmt.Sprintf("verdict %s, GX %s: %s", o.verdict, want, o.why)
		} else if d := gxDetailMismatch(c, o); d != "" {
			mismatch = d
		}
		if mismatch == "" {
			agree++
		}
		if mismatch != "" {
			mismatches = append(mismatches, gxKnown{Case: c.id, Reason: mismatch})
		}
		_, isKnown := knownWhy[c.id]
		switch {
		case mismatch != "" && !isKnown:
			unexpected = append(unexpected, c.id+": "+mismatch)
		case mismatch == "" && isKnown:
			fixed = append(fixed, c.id)
		}
	}
	for k := range knownWhy {
		require.True(t, seen[k], "known difference %q is not a case", k)
	}
	rate := 100 * float64(agree) / float64(len(cases))
	t.Logf("GX test definitions: %d of %d applicable cases give GX's verdict (%.1f %%); %d give its verdict and figures (%.1f %%)",
		verdicts, len(cases), 100*float64(verdicts)/float64(len(cases)), agree, rate)
	if *gxList {
		for _, m := range mismatches {
			t.Logf("DIFF %s\t%s", m.Case, m.Reason)
		}
	}
	sort.Strings(unexpected)
	sort.Strings(fixed)
	require.Empty(t, unexpected, "cases that differ from GX and are not in known_differences.json")
	require.Empty(t, fixed, "cases in known_differences.json that now agree with GX: remove them")
	require.GreaterOrEqual(t, rate, gxFloor, "share of GX cases with GX's verdict")
}

var gxList = flag.Bool("gx-list", false, "log every GX case that differs")

// gxFloor is the share of applicable GX cases that must agree.
const gxFloor = 99.0

// TestInferProposesNoSuiteGXRejects: a suite Infer proposes from any of
// the GX datasets (integers, floats with nulls, strings, booleans,
// timestamps, all-null and empty columns) compiles against the same
// data, so it has none of the misconfigurations GX raises for (crossed
// or missing bounds, a check whose type does not fit the column), and
// that data passes it.
func TestInferProposesNoSuiteGXRejects(t *testing.T) {
	seen := map[string]bool{}
	var tried int
	for _, c := range loadGXCases(t) {
		if seen[c.typ+c.ds.Name] {
			continue
		}
		seen[c.typ+c.ds.Name] = true
		rec, err := gxRecord(c.ds)
		if err != nil || rec.NumRows() == 0 {
			continue // mixed-type columns; Infer needs rows
		}
		rr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
		require.NoError(t, err)
		s, _, err := validation.Infer(ctx, rr, validation.InferOptions{})
		require.NoError(t, err, c.id)
		rr2, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
		require.NoError(t, err)
		res, err := validation.Validate(ctx, s, rr2, validation.Options{})
		require.NoError(t, err, "%s: inferred suite refused", c.id)
		require.True(t, res.Success, "%s: %+v", c.id, res.Checks)
		tried++
	}
	require.Greater(t, tried, 30)
}
