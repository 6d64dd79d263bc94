package drift

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mlsec-dev/mlsec/internal/finite"
)

// Test names a drift test. The auto-selected ones and their default
// thresholds follow Evidently's defaults so results look familiar.
type Test string

const (
	// TestAuto picks a test per column (see Compare).
	TestAuto Test = ""
	// Numeric tests.
	TestKS              Test = "ks"               // p-value; default α 0.05
	TestWasserstein     Test = "wasserstein"      // W1 in data units; default 0.1
	TestWassersteinNorm Test = "wasserstein_norm" // W1 / max(σ_ref, 0.001); default 0.1
	TestAndersonDarling Test = "anderson_darling" // p-value; default α 0.05 (exact mode only)
	// Tests on binned (numeric) or category (categorical) frequencies.
	TestPSI            Test = "psi"             // default 0.1
	TestJensenShannon  Test = "jensenshannon"   // distance, natural log; default 0.1
	TestJensenShannon2 Test = "jensenshannon2"  // distance, log base 2; default 0.1
	TestHellinger      Test = "hellinger"       // default 0.1
	TestKL             Test = "kl"              // KL(ref‖cur), nats; default 0.1
	TestTotalVariation Test = "total_variation" // default 0.1
	TestLInf           Test = "linf"            // default 0.1
	TestChiSquare      Test = "chisquare"       // p-value; default α 0.05
	TestZ              Test = "z"               // p-value; default α 0.05 (two categories)
)

// testInfo describes a test: its default threshold and whether the
// threshold is on a p-value (drift when p < α) or on a distance (drift
// when d ≥ t).
type testInfo struct {
	threshold float64
	pvalue    bool
	numeric   bool // needs an ordered numeric column
}

var tests = map[Test]testInfo{
	TestKS:              {0.05, true, true},
	TestWasserstein:     {0.1, false, true},
	TestWassersteinNorm: {0.1, false, true},
	TestAndersonDarling: {0.05, true, true},
	TestPSI:             {0.1, false, false},
	TestJensenShannon:   {0.1, false, false},
	TestJensenShannon2:  {0.1, false, false},
	TestHellinger:       {0.1, false, false},
	TestKL:              {0.1, false, false},
	TestTotalVariation:  {0.1, false, false},
	TestLInf:            {0.1, false, false},
	TestChiSquare:       {0.05, true, false},
	TestZ:               {0.05, true, false},
}

// Tests lists the test names Compare accepts.
func Tests() []Test {
	out := make([]Test, 0, len(tests))
	for t := range tests {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// ParseTest validates a test name.
func ParseTest(s string) (Test, error) {
	t := Test(strings.ToLower(strings.TrimSpace(s)))
	if t == "auto" {
		return TestAuto, nil
	}
	if _, ok := tests[t]; !ok {
		return "", fmt.Errorf("unknown drift test %q (known: %v)", s, Tests())
	}
	return t, nil
}

// Correction is a multiple-testing correction over the columns tested
// with a p-value test.
type Correction string

const (
	CorrectionNone       Correction = "none"
	CorrectionBonferroni Correction = "bonferroni"
	// CorrectionBH controls the false discovery rate (Benjamini–Hochberg).
	CorrectionBH Correction = "bh"
)

// ColumnTest overrides the test and/or threshold of one column.
type ColumnTest struct {
	Test Test `json:"test,omitempty"`
	// Threshold, when non-zero, replaces the test's default threshold.
	Threshold float64 `json:"threshold,omitempty"`
}

// CompareOptions configure Compare. The zero value uses automatic test
// choice, default thresholds, no correction and a drift share of 0.5.
type CompareOptions struct {
	// Columns overrides tests and thresholds per column name.
	Columns map[string]ColumnTest `json:"columns,omitempty"`
	// Test, when set, is used for every column without an override.
	Test Test `json:"test,omitempty"`
	// Threshold, when non-zero, replaces the default threshold of every
	// column without its own.
	Threshold float64 `json:"threshold,omitempty"`
	// DriftShare is the share of drifted columns at or above which the
	// dataset has drifted (default 0.5).
	DriftShare float64 `json:"drift_share"`
	// Correction applies to p-value tests across columns (default none).
	Correction Correction `json:"correction"`
	// Ignore lists columns not to compare.
	Ignore []string `json:"ignore,omitempty"`
	// DigestCurrent makes CompareReader compute the current data's row
	// digest (Profile.Digest) for the report. It is off by default
	// because SHA-256 of every row costs several times the comparison.
	DigestCurrent bool `json:"digest_current,omitempty"`
	// Progress, when not nil, is called by CompareReader after each
	// record batch with the rows read so far.
	Progress func(rows int64) `json:"-"`
}

// Validate reports the first setting of o that makes no sense: a NaN or
// infinite threshold or drift share (NaN compares false with everything,
// so it would silently report real drift as none), a negative threshold,
// a drift share outside [0, 1]. [Compare] and [CompareReader] call it;
// a command line can call it to refuse bad flags before reading data.
func (o *CompareOptions) Validate() error {
	if err := finite.NonNegative("drift: threshold", o.Threshold); err != nil {
		return err
	}
	if err := finite.InRange("drift: drift share", o.DriftShare, 0, 1, false); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(o.Columns)) {
		if err := finite.NonNegative(fmt.Sprintf("drift: column %q: threshold", name), o.Columns[name].Threshold); err != nil {
			return err
		}
	}
	return nil
}

// Column verdict statuses.
const (
	StatusTested  = "tested"
	StatusSkipped = "skipped"
)

// ColumnResult is the verdict on one column.
type ColumnResult struct {
	Column string `json:"column"`
	Kind   Kind   `json:"kind"`
	Test   Test   `json:"test"`
	// Auto is true when the test was chosen automatically.
	Auto bool `json:"auto"`
	// Status is "tested" or "skipped" (see Note for why).
	Status    string  `json:"status"`
	Statistic float64 `json:"statistic"`
	// PValue is set for p-value tests; AdjustedPValue after a correction.
	PValue         *float64 `json:"p_value"`
	AdjustedPValue *float64 `json:"adjusted_p_value,omitempty"`
	Threshold      float64  `json:"threshold"`
	// ThresholdKind is "p_value" (drift when p < threshold) or
	// "distance" (drift when statistic ≥ threshold).
	ThresholdKind string `json:"threshold_kind"`
	Drifted       bool   `json:"drifted"`
	// Severity is how far past its threshold the column is: statistic /
	// threshold for distances, ln p / ln α for p-values; ≥ 1 is drift.
	Severity float64 `json:"severity"`
	// ErrorBound, in profile mode, bounds |Statistic − exact statistic|
	// for KS (the sum of the two sketches' normalised rank errors) and
	// Wasserstein (that sum times the range of the data).
	ErrorBound *float64 `json:"error_bound,omitempty"`
	Note       string   `json:"note,omitempty"`
	// Metrics holds the other distances on the same histogram, for
	// context (psi, jensenshannon, jensenshannon2, hellinger,
	// total_variation, linf and for numeric columns ks and
	// wasserstein_norm).
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	Reference ColumnSummary      `json:"reference"`
	Current   ColumnSummary      `json:"current"`
	// UnseenCategories counts categories of the current data that the
	// reference never had (categorical columns, exact reference).
	UnseenCategories int `json:"unseen_categories,omitempty"`
	// Distribution is the binned distribution behind the histogram
	// tests and the chart (at most 30 buckets).
	Distribution *Histogram `json:"distribution,omitempty"`
}

// ColumnSummary describes one side of a column.
type ColumnSummary struct {
	Count        int64   `json:"count"`
	Missing      int64   `json:"missing"`
	MissingShare float64 `json:"missing_share"`
	NaN          int64   `json:"nan,omitempty"`
	Mean         float64 `json:"mean,omitempty"`
	Std          float64 `json:"std,omitempty"`
	Distinct     int     `json:"distinct,omitempty"`
	// SketchRankError is the sketch's normalised rank-error bound (0
	// when exact).
	SketchRankError float64 `json:"sketch_rank_error,omitempty"`
}

// DatasetResult is the dataset-level verdict.
type DatasetResult struct {
	Columns        int     `json:"columns"`
	TestedColumns  int     `json:"tested_columns"`
	DriftedColumns int     `json:"drifted_columns"`
	Share          float64 `json:"share"`
	DriftShare     float64 `json:"drift_share"`
	Drifted        bool    `json:"drifted"`
}

// Side identifies one of the two datasets in a report.
type Side struct {
	Rows int64 `json:"rows"`
	// Digest is the row digest (Profile.Digest); empty, and absent from
	// the JSON, for current data compared by CompareReader without
	// CompareOptions.DigestCurrent.
	Digest string `json:"digest,omitempty"`
	// Exact is true when every numeric column was kept exactly.
	Exact bool `json:"exact"`
}

// ReportFormat and ReportVersion identify the JSON report shape.
const (
	ReportFormat  = "mlsec.drift.report"
	ReportVersion = 1
)

// Report is the outcome of Compare; its JSON encoding is the documented,
// stable report shape (see doc.go).
type Report struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Mode is "exact" (every statistic computed on all values) or
	// "profile" (at least one side summarised by a sketch).
	Mode       string         `json:"mode"`
	Reference  Side           `json:"reference"`
	Current    Side           `json:"current"`
	Correction Correction     `json:"correction"`
	Dataset    DatasetResult  `json:"dataset"`
	Columns    []ColumnResult `json:"columns"`
}

// Compare tests every column of the current profile against the same
// column of the reference and returns per-column verdicts and the dataset
// verdict. Both profiles must have the same columns with the same types.
//
// Automatic test choice (Evidently's rules; n is the reference's
// non-missing count and u the number of distinct values in reference and
// current together):
//
//   - numeric with u > 5: n ≤ 1000 → KS (p < 0.05); n > 1000 → Wasserstein
//     normed by the reference std (≥ 0.1);
//   - categorical, or numeric with u ≤ 5: n ≤ 1000 → chi-square (p < 0.05),
//     or the Z-test for two proportions (p < 0.05) when u ≤ 2; n > 1000 →
//     Jensen–Shannon distance, natural log (≥ 0.1). Evidently's 0.1 in
//     natural log equals 0.120 in base 2.
//
// Degenerate columns never produce NaN: a column with no non-missing value
// on either side is skipped (with a note); constant columns compare as any
// other (Wasserstein normed divides by max(σ, 0.001), like Evidently);
// Anderson–Darling needs raw values (exact mode) and at least two distinct
// values, and is skipped otherwise.
func Compare(ref, cur *Profile, opts CompareOptions) (*Report, error) {
	if ref == nil || cur == nil {
		return nil, errors.New("drift: compare needs two profiles")
	}
	if ref.rows == 0 || len(ref.columns) == 0 {
		return nil, errors.New("drift: the reference has no rows")
	}
	if cur.rows == 0 || len(cur.columns) == 0 {
		return nil, errors.New("drift: the current data has no rows")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.DriftShare == 0 {
		opts.DriftShare = 0.5
	}
	if opts.Correction == "" {
		opts.Correction = CorrectionNone
	}
	switch opts.Correction {
	case CorrectionNone, CorrectionBonferroni, CorrectionBH:
	default:
		return nil, fmt.Errorf("drift: unknown correction %q (none, bonferroni, bh)", opts.Correction)
	}
	if opts.Test != TestAuto {
		if _, ok := tests[opts.Test]; !ok {
			return nil, fmt.Errorf("drift: unknown test %q", opts.Test)
		}
	}
	for name, ct := range opts.Columns {
		if ref.Column(name) == nil {
			return nil, fmt.Errorf("drift: override for column %q, which is not in the reference", name)
		}
		if _, ok := tests[ct.Test]; !ok && ct.Test != TestAuto {
			return nil, fmt.Errorf("drift: column %q: unknown test %q", name, ct.Test)
		}
	}
	// Schemas must agree.
	for _, rc := range ref.columns {
		if slices.Contains(opts.Ignore, rc.Name) {
			continue
		}
		cc := cur.Column(rc.Name)
		if cc == nil {
			return nil, fmt.Errorf("drift: %w: column %q is in the reference but not in the current data", ErrSchemaMismatch, rc.Name)
		}
		if cc.Kind != rc.Kind {
			return nil, fmt.Errorf("drift: %w: column %q is %s (%s) in the reference and %s (%s) in the current data", ErrSchemaMismatch, rc.Name, rc.Kind, rc.ArrowType, cc.Kind, cc.ArrowType)
		}
	}
	for _, cc := range cur.columns {
		// A reference profiled with ProfileOptions.Columns defines what is
		// compared: the current data's other columns are not an error.
		if ref.Column(cc.Name) == nil && !slices.Contains(opts.Ignore, cc.Name) && !ref.chosenColumns() {
			return nil, fmt.Errorf("drift: %w: column %q is in the current data but not in the reference", ErrSchemaMismatch, cc.Name)
		}
	}

	rep := &Report{
		Format: ReportFormat, Version: ReportVersion, Mode: "exact",
		Reference:  Side{Rows: ref.rows, Digest: ref.Digest(), Exact: ref.exact()},
		Current:    Side{Rows: cur.rows, Digest: cur.Digest(), Exact: cur.exact()},
		Correction: opts.Correction,
	}
	if !rep.Reference.Exact || !rep.Current.Exact {
		rep.Mode = "profile"
	}
	var sketches []*QuantileSketch
	for _, rc := range ref.columns {
		if !slices.Contains(opts.Ignore, rc.Name) {
			sketches = append(sketches, rc.Sketch, cur.Column(rc.Name).Sketch)
		}
	}
	sortSketches(sketches)
	for _, rc := range ref.columns {
		if slices.Contains(opts.Ignore, rc.Name) {
			continue
		}
		rep.Columns = append(rep.Columns, compareColumn(rc, cur.Column(rc.Name), opts))
	}
	applyCorrection(rep.Columns, opts.Correction)
	d := &rep.Dataset
	d.Columns = len(rep.Columns)
	d.DriftShare = opts.DriftShare
	for _, c := range rep.Columns {
		if c.Status == StatusTested {
			d.TestedColumns++
			if c.Drifted {
				d.DriftedColumns++
			}
		}
	}
	if d.TestedColumns > 0 {
		d.Share = float64(d.DriftedColumns) / float64(d.TestedColumns)
		d.Drifted = d.Share >= opts.DriftShare
	}
	slices.SortStableFunc(rep.Columns, func(a, b ColumnResult) int {
		if a.Drifted != b.Drifted {
			if a.Drifted {
				return -1
			}
			return 1
		}
		if a.Severity != b.Severity {
			if a.Severity > b.Severity {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Column, b.Column)
	})
	return rep, nil
}

// sortSketches sorts the sketches' items (which the tests then read from
// their cache) on all cores: in exact mode this sort of every value is
// most of a comparison's work. Each sketch is sorted by one goroutine; a
// sketch listed twice (a profile compared with itself) once.
func sortSketches(list []*QuantileSketch) {
	seen := make(map[*QuantileSketch]bool, len(list))
	var todo []*QuantileSketch
	for _, s := range list {
		if s != nil && !seen[s] {
			seen[s] = true
			todo = append(todo, s)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	if workers < 2 {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(todo)); i = next.Add(1) - 1 {
				todo[i].Items()
			}
		}()
	}
	wg.Wait()
}

// exact reports whether every numeric sketch and category summary is exact.
func (p *Profile) exact() bool {
	for _, c := range p.columns {
		if c.grid != nil {
			return false // Wasserstein from the grid is approximate
		}
		if c.Sketch != nil && !c.Sketch.Exact() {
			return false
		}
		if c.Freq != nil && !c.Freq.Exact() {
			return false
		}
	}
	return true
}

func summarize(c *ColumnProfile) ColumnSummary {
	s := ColumnSummary{Count: c.Count, Missing: c.Missing, NaN: c.NaN}
	if t := c.Count + c.Missing; t > 0 {
		s.MissingShare = float64(c.Missing) / float64(t)
	}
	if c.Kind == Numeric {
		s.Mean, s.Std = c.Mean, c.Std()
		s.SketchRankError = c.rankError()
		if c.Distinct != nil {
			s.Distinct = len(c.Distinct)
		}
	} else {
		s.Distinct = len(c.Freq.counts)
	}
	return s
}

// distinctUnion returns the number of distinct values in both columns
// together, or maxNumericDistinct+1 when unknown (many).
func distinctUnion(r, c *ColumnProfile) int {
	many := maxNumericDistinct + 1
	if r.Kind == Numeric {
		if r.Distinct == nil || c.Distinct == nil {
			return many
		}
		n := len(r.Distinct)
		for v := range c.Distinct {
			if _, ok := r.Distinct[v]; !ok {
				n++
			}
		}
		return n
	}
	if !r.Freq.Exact() || !c.Freq.Exact() {
		return many
	}
	n := len(r.Freq.counts)
	for v := range c.Freq.counts {
		if _, ok := r.Freq.counts[v]; !ok {
			n++
		}
	}
	return n
}

func autoTest(r, c *ColumnProfile) Test {
	u := distinctUnion(r, c)
	n := r.Count
	if r.Kind == Numeric && u > 5 {
		if n <= 1000 {
			return TestKS
		}
		return TestWassersteinNorm
	}
	if n <= 1000 {
		if u <= 2 {
			return TestZ
		}
		return TestChiSquare
	}
	return TestJensenShannon
}

func compareColumn(r, c *ColumnProfile, opts CompareOptions) ColumnResult {
	res := ColumnResult{Column: r.Name, Kind: r.Kind, Reference: summarize(r), Current: summarize(c), Status: StatusTested}
	ct := opts.Columns[r.Name]
	test := ct.Test
	if test == TestAuto {
		test = opts.Test
	}
	if test == TestAuto {
		test = autoTest(r, c)
		res.Auto = true
	}
	info := tests[test]
	res.Test = test
	res.Threshold = info.threshold
	if opts.Threshold != 0 {
		res.Threshold = opts.Threshold
	}
	if ct.Threshold != 0 {
		res.Threshold = ct.Threshold
	}
	res.ThresholdKind = "distance"
	if info.pvalue {
		res.ThresholdKind = "p_value"
	}

	// Values usable by the tests: finite numbers, or any category.
	rn, cn := r.Count, c.Count
	if r.Kind == Numeric {
		rn, cn = r.finite(), c.finite()
		if info.numeric || test == TestPSI || test == TestKL || test == TestJensenShannon ||
			test == TestJensenShannon2 || test == TestHellinger || test == TestTotalVariation || test == TestLInf {
			// Histogram tests on numeric columns also count NaN and ±Inf
			// buckets, so they need any non-missing value.
			if !info.numeric {
				rn, cn = r.Count, c.Count
			}
		}
	}
	if rn == 0 || cn == 0 {
		res.Status = StatusSkipped
		side := "reference"
		if rn != 0 {
			side = "current data"
		}
		res.Note = "no non-missing values in the " + side + "; the column is not tested"
		if r.Kind == Numeric && r.Count+c.Count > 0 {
			res.Note = "no finite values in the " + side + "; the column is not tested"
		}
		if r.Kind == Numeric && r.finite() > 0 {
			res.Distribution = numericHistogram(r, c)
		}
		return res
	}
	if info.numeric && r.Kind != Numeric {
		res.Status = StatusSkipped
		res.Note = fmt.Sprintf("test %s needs a numeric column", test)
		return res
	}

	// The histogram: reference-fitted bins for numeric columns tested
	// numerically or by binned distances; categories for categorical
	// columns and low-cardinality numeric ones.
	var h *Histogram
	categoricalView := r.Kind == Categorical || (!info.numeric && r.Distinct != nil && c.Distinct != nil && distinctUnion(r, c) <= 5)
	if categoricalView {
		h = categoricalHistogram(r, c)
		if r.Kind == Categorical && r.Freq.Exact() {
			for _, l := range h.Labels[:len(h.Labels)-1] {
				if r.Freq.counts[l] == 0 && c.Freq.counts[l] > 0 {
					res.UnseenCategories++
				}
			}
		}
	} else {
		h = numericHistogram(r, c)
	}
	res.Metrics = map[string]float64{}
	if h != nil {
		res.Metrics["psi"] = PSI(h.Reference, h.Current)
		res.Metrics["jensenshannon"] = JensenShannon(h.Reference, h.Current, math.E)
		res.Metrics["jensenshannon2"] = JensenShannon(h.Reference, h.Current, 2)
		res.Metrics["hellinger"] = Hellinger(h.Reference, h.Current)
		res.Metrics["kl"] = KL(h.Reference, h.Current)
		res.Metrics["total_variation"] = TotalVariation(h.Reference, h.Current)
		res.Metrics["linf"] = LInf(h.Reference, h.Current)
	}
	var ri, ci []wv
	var errKS, errW float64
	if r.Kind == Numeric {
		rv, cv := r.view(), c.view()
		if rv.n() > 0 && cv.n() > 0 {
			ri, ci = rv.it, cv.it
			errKS = r.rankError() + c.rankError()
			d, w := ksWasserstein(ri, ci)
			res.Metrics["ks"] = d
			res.Metrics["wasserstein"] = w
			res.Metrics["wasserstein_norm"] = w / math.Max(r.Std(), 0.001)
			if c.grid != nil {
				errW = c.grid.crossingBound(rv)
			}
		}
	}
	setBound := func(b float64) {
		if errKS > 0 || errW > 0 || c.grid != nil {
			res.ErrorBound = &b
		}
	}
	var p float64
	hasP := false
	switch test {
	case TestKS:
		res.Statistic = res.Metrics["ks"]
		p, _ = ksPValue(res.Statistic, int(rn), int(cn))
		hasP = true
		setBound(errKS)
		if r.Distinct != nil && c.Distinct != nil {
			res.Note = "few distinct values (ties): the KS p-value assumes continuous data and is conservative"
		}
	case TestWasserstein, TestWassersteinNorm:
		lo, hi := math.Min(r.Min, c.Min), math.Max(r.Max, c.Max)
		b := errKS*(hi-lo) + errW
		res.Statistic = res.Metrics["wasserstein"]
		if test == TestWassersteinNorm {
			res.Statistic = res.Metrics["wasserstein_norm"]
			b /= math.Max(r.Std(), 0.001)
			if r.Std() < 0.001 {
				res.Note = "reference standard deviation below 0.001: the distance is divided by 0.001"
			}
		}
		setBound(b)
	case TestAndersonDarling:
		if !r.Sketch.Exact() || c.Sketch == nil || !c.Sketch.Exact() {
			res.Status = StatusSkipped
			res.Note = "Anderson–Darling needs every value (exact mode); profile the data with Exact"
			break
		}
		ad := andersonDarlingSorted(unweight(ri), unweight(ci))
		if !ad.Defined {
			res.Status = StatusSkipped
			res.Note = "Anderson–Darling needs at least 4 values and 2 distinct values"
			break
		}
		res.Statistic, p, hasP = ad.Statistic, ad.PValue, true
		res.Note = "p-value interpolated from Scholz & Stephens' table: floored at 0.001, capped at 0.25"
	case TestChiSquare:
		cs := ChiSquare(h.Reference, h.Current)
		res.Statistic, p, hasP = cs.Statistic, cs.PValue, true
	case TestZ:
		// Successes: the most frequent reference category.
		hits := 0
		for i := range h.Reference {
			if h.Reference[i] > h.Reference[hits] {
				hits = i
			}
		}
		z := ZTestProportions(h.Reference[hits], sum(h.Reference), h.Current[hits], sum(h.Current))
		res.Statistic, p, hasP = z.Statistic, z.PValue, true
		res.Note = fmt.Sprintf("share of %q compared", h.Labels[hits])
		if len(h.Labels) > 3 || (len(h.Labels) == 3 && h.Reference[2]+h.Current[2] > 0) {
			res.Note += "; the column has more than two categories, the others count as failures"
		}
	default:
		res.Statistic = res.Metrics[string(test)]
	}
	if res.Status == StatusSkipped {
		res.Distribution = h.forDisplay(30)
		return res
	}
	if hasP {
		pp := p
		res.PValue = &pp
	}
	res.Distribution = h.forDisplay(30)
	decide(&res)
	return res
}

func unweight(it []wv) []float64 {
	var out []float64
	for _, e := range it {
		for k := int64(0); k < e.W; k++ {
			out = append(out, e.V)
		}
	}
	return out
}

// decide sets Drifted and Severity from the statistic or (adjusted)
// p-value and the threshold.
func decide(res *ColumnResult) {
	if res.Status != StatusTested {
		return
	}
	if res.PValue != nil {
		p := *res.PValue
		if res.AdjustedPValue != nil {
			p = *res.AdjustedPValue
		}
		res.Drifted = p < res.Threshold
		a := math.Min(math.Max(res.Threshold, 1e-300), 1-1e-12)
		res.Severity = math.Log(math.Max(p, 1e-300)) / math.Log(a)
		return
	}
	res.Drifted = res.Statistic >= res.Threshold
	if res.Threshold > 0 {
		res.Severity = res.Statistic / res.Threshold
	} else if res.Statistic > 0 {
		res.Severity = math.MaxFloat64
	}
}

// applyCorrection adjusts the p-values of the tested p-value columns and
// re-decides them. Bonferroni multiplies each p by m; Benjamini–Hochberg
// uses the step-up adjusted p-values min_{j≥i} m·p_(j)/j (capped at 1).
func applyCorrection(cols []ColumnResult, corr Correction) {
	if corr == CorrectionNone {
		return
	}
	var idx []int
	for i, c := range cols {
		if c.Status == StatusTested && c.PValue != nil {
			idx = append(idx, i)
		}
	}
	m := float64(len(idx))
	if m <= 1 {
		return
	}
	switch corr {
	case CorrectionBonferroni:
		for _, i := range idx {
			a := math.Min(1, *cols[i].PValue*m)
			cols[i].AdjustedPValue = &a
		}
	case CorrectionBH:
		slices.SortStableFunc(idx, func(a, b int) int {
			pa, pb := *cols[a].PValue, *cols[b].PValue
			switch {
			case pa < pb:
				return -1
			case pa > pb:
				return 1
			}
			return 0
		})
		next := 1.0
		for k := len(idx) - 1; k >= 0; k-- {
			i := idx[k]
			a := math.Min(next, *cols[i].PValue*m/float64(k+1))
			next = a
			cols[i].AdjustedPValue = &a
		}
	}
	for _, i := range idx {
		decide(&cols[i])
	}
}
