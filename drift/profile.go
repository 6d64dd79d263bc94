package drift

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// Kind is how a column is profiled and tested.
type Kind string

const (
	// Numeric columns: integers and floating point.
	Numeric Kind = "numeric"
	// Categorical columns: strings, booleans and dictionary-encoded strings.
	Categorical Kind = "categorical"
)

// ProfileOptions configure how data is summarised. The zero value is the
// default: a quantile sketch with K = DefaultSketchK and DefaultTopK
// categories per column.
type ProfileOptions struct {
	// SketchK is the quantile sketch's compactor capacity (default
	// DefaultSketchK). Larger K: smaller error, bigger profile.
	SketchK int `json:"sketch_k"`
	// Exact keeps every numeric value (no sketch compaction), so that
	// statistics are exact; memory then grows with the data.
	Exact bool `json:"exact,omitempty"`
	// TopK is how many categories are kept per categorical column
	// (default DefaultTopK).
	TopK int `json:"top_k"`
	// Columns, when set, restricts the profile to these columns. They
	// then define what a comparison against this profile looks at:
	// current data with more columns is accepted without listing the
	// others in CompareOptions.Ignore. A data reader can read only these
	// columns (datafile.Options.Columns).
	Columns []string `json:"columns,omitempty"`
	// Progress, when not nil, is called by ProfileReader after each record
	// batch with the rows profiled so far. It is not part of the profile.
	Progress func(rows int64) `json:"-"`
	// NoDigest skips the row digest, for a transient profile that is
	// compared and dropped (raw data against raw data): hashing every row
	// costs about as much as profiling it. Such a profile's Digest is "",
	// a report on it carries no digest, and it cannot be saved
	// (MarshalJSON fails). It is not part of the profile's options.
	NoDigest bool `json:"-"`
}

func (o ProfileOptions) normalized() ProfileOptions {
	o.Progress = nil
	o.NoDigest = false
	if o.Exact {
		o.SketchK = 0
	} else if o.SketchK <= 0 {
		o.SketchK = DefaultSketchK
	}
	if o.TopK <= 0 {
		o.TopK = DefaultTopK
	}
	return o
}

// Profile is a compact, mergeable summary of a dataset: per column counts,
// missing values, a quantile sketch (numeric) or category frequencies
// (categorical), and a digest of the rows it describes.
//
// A Profile is also the partial state of a distributed computation: build
// one per partition with NewProfile and AddRecord, then combine them with
// Merge, in any order and grouping. Counts, missing values, min/max,
// moments, categories (while exact) and the digest of the merged profile
// equal those of a profile of all the data; quantiles agree within the
// sketches' certified rank-error bound. An empty Profile (no records yet)
// merges with any profile, so it serves as the zero accumulator.
//
// Comparing production data against a reference Profile, instead of
// against the training data itself, means the training data never has to
// leave its store (a profile holds bins, quantiles and frequent
// categories, not rows) and the reference is summarised once instead of
// re-read for every comparison.
type Profile struct {
	opts    ProfileOptions
	rows    int64
	digest  rowsetDigest
	columns []*ColumnProfile
	// index maps a column name to its position.
	index map[string]int
	// noDigest skips the row digest (ProfileOptions.NoDigest; current
	// data in CompareReader, unless asked for): hashing every row costs
	// more than the comparison itself.
	noDigest bool
}

// ColumnProfile is the summary of one column.
type ColumnProfile struct {
	Name string
	Kind Kind
	// ArrowType is the Arrow type name of the column (e.g. "float64").
	ArrowType string
	// Count is the number of non-null values (NaN and ±Inf included).
	Count int64
	// Missing is the number of nulls.
	Missing int64
	// NaN, PosInf and NegInf count non-finite numeric values; they are not
	// in the sketch or the moments.
	NaN, PosInf, NegInf int64
	// Min, Max, Mean and M2 (sum of squared deviations) describe the
	// finite numeric values; merged with Chan et al.'s update.
	Min, Max, Mean, M2 float64
	// Sketch holds the finite numeric values.
	Sketch *QuantileSketch
	// Distinct counts the values of a numeric column exactly while it has
	// at most maxNumericDistinct of them (nil beyond), which decides
	// whether a numeric column is tested as categorical.
	Distinct map[float64]int64
	// Freq holds the categories of a categorical column.
	Freq *FrequencySketch

	// grid, for current data compared by CompareReader, replaces Sketch
	// and the moments.
	grid *gridAccumulator
}

// maxNumericDistinct is how many distinct numeric values are tracked.
const maxNumericDistinct = 64

// finite returns the number of finite numeric values.
func (c *ColumnProfile) finite() int64 { return c.Count - c.NaN - c.PosInf - c.NegInf }

// Std returns the population standard deviation of the finite values.
func (c *ColumnProfile) Std() float64 {
	n := c.finite()
	if n <= 0 {
		return 0
	}
	return math.Sqrt(math.Max(c.M2/float64(n), 0))
}

// NewProfile returns an empty profile.
func NewProfile(opts ProfileOptions) *Profile {
	return &Profile{opts: opts.normalized(), index: map[string]int{}, noDigest: opts.NoDigest}
}

// Rows returns the number of rows profiled.
func (p *Profile) Rows() int64 { return p.rows }

// Options returns the options the profile was built with.
func (p *Profile) Options() ProfileOptions { return p.opts }

// Columns returns the column profiles in schema order. They must not be
// modified.
func (p *Profile) Columns() []*ColumnProfile { return p.columns }

// Column returns the profile of the named column, or nil.
func (p *Profile) Column(name string) *ColumnProfile {
	if i, ok := p.index[name]; ok {
		return p.columns[i]
	}
	return nil
}

// Digest returns the digest of the rows the profile describes,
// "sha256-rowset:" and 64 hex digits. See rowsetDigest.
func (p *Profile) Digest() string {
	if p.noDigest {
		return ""
	}
	return p.digest.String(p.schemaKey())
}

// schemaKey is the canonical description of the columns that enters the
// digest, so equal rows under different column names differ.
func (p *Profile) schemaKey() string {
	s := ""
	for _, c := range p.columns {
		s += strconv.Quote(c.Name) + ":" + c.ArrowType + ";"
	}
	return s
}

// ErrSchemaMismatch is returned (wrapped) when data or profiles with
// different columns or column types are combined or compared.
var ErrSchemaMismatch = errors.New("schema mismatch")

func kindOf(t arrow.DataType) (Kind, bool) {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64:
		return Numeric, true
	case arrow.STRING, arrow.LARGE_STRING, arrow.BOOL:
		return Categorical, true
	case arrow.DICTIONARY:
		d := t.(*arrow.DictionaryType)
		switch d.ValueType.ID() {
		case arrow.STRING, arrow.LARGE_STRING:
			return Categorical, true
		}
	}
	return "", false
}

func kindOfOK(t arrow.DataType, k Kind) bool {
	got, ok := kindOf(t)
	return ok && got == k
}

// typeName is the Arrow type name used in profiles; dictionary-encoded
// strings count as strings so that encodings of the same data compare.
func typeName(t arrow.DataType) string {
	if d, ok := t.(*arrow.DictionaryType); ok {
		return d.ValueType.String()
	}
	return t.String()
}

// chosenColumns reports whether the profile was made of chosen columns
// (ProfileOptions.Columns); then its columns are all that a comparison
// looks at, and other columns of the current data are not an error.
func (p *Profile) chosenColumns() bool { return len(p.opts.Columns) > 0 }

func (p *Profile) wanted(name string) bool {
	return len(p.opts.Columns) == 0 || slices.Contains(p.opts.Columns, name)
}

// init sets the columns up from the first record's schema.
func (p *Profile) init(s *arrow.Schema) error {
	for _, f := range s.Fields() {
		if !p.wanted(f.Name) {
			continue
		}
		if _, dup := p.index[f.Name]; dup {
			return fmt.Errorf("drift: column %q appears twice", f.Name)
		}
		k, ok := kindOf(f.Type)
		if !ok {
			return fmt.Errorf("drift: column %q: unsupported Arrow type %s (numeric, string, bool and dictionary<string> are supported; choose columns with ProfileOptions.Columns)", f.Name, f.Type)
		}
		c := &ColumnProfile{Name: f.Name, Kind: k, ArrowType: typeName(f.Type)}
		if k == Numeric {
			c.Sketch = NewQuantileSketch(p.opts.SketchK)
			c.Distinct = map[float64]int64{}
			c.Min, c.Max = math.Inf(1), math.Inf(-1)
		} else {
			c.Freq = NewFrequencySketch(p.opts.TopK)
		}
		p.index[f.Name] = len(p.columns)
		p.columns = append(p.columns, c)
	}
	for _, name := range p.opts.Columns {
		if _, ok := p.index[name]; !ok {
			return fmt.Errorf("drift: column %q not in the data", name)
		}
	}
	if len(p.columns) == 0 {
		return errors.New("drift: the data has no columns")
	}
	return nil
}

// AddRecord adds the rows of rec. The first record fixes the columns;
// later records must have the same columns with the same types.
func (p *Profile) AddRecord(rec arrow.Record) error {
	s := rec.Schema()
	if len(p.columns) == 0 {
		if err := p.init(s); err != nil {
			return err
		}
	}
	cols := make([]arrow.Array, len(p.columns))
	for i, c := range p.columns {
		idx := s.FieldIndices(c.Name)
		if len(idx) != 1 {
			return fmt.Errorf("drift: %w: column %q missing from a record batch", ErrSchemaMismatch, c.Name)
		}
		f := s.Field(idx[0])
		if tn := typeName(f.Type); tn != c.ArrowType && !(c.grid != nil && kindOfOK(f.Type, c.Kind)) {
			return fmt.Errorf("drift: %w: column %q is %s in one record batch and %s in another", ErrSchemaMismatch, c.Name, c.ArrowType, tn)
		}
		cols[i] = rec.Column(idx[0])
	}
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	enc := make([]cellEncoder, len(cols))
	for i, a := range cols {
		var err error
		if enc[i], err = p.columns[i].add(a); err != nil {
			return err
		}
	}
	if !p.noDigest {
		p.digest.addRows(n, enc)
	}
	p.rows += int64(n)
	return nil
}

// ProfileReader profiles every record of rr, reporting to opts.Progress.
func ProfileReader(ctx context.Context, rr array.RecordReader, opts ProfileOptions) (*Profile, error) {
	progress := opts.Progress
	p := NewProfile(opts)
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := p.AddRecord(rr.Record()); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(p.rows)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) { // pqarrow ends with io.EOF
		return nil, err
	}
	return p, nil
}

// cellEncoder appends the canonical encoding of a column's row i to a
// row's bytes: directly from f64 for a float64 column without nulls (the
// common case, without a function call per cell), otherwise with enc.
type cellEncoder struct {
	f64 []float64
	enc func(b []byte, i int) []byte
}

// appendFloatCell appends the encoding of a non-null number: the byte 1
// and the big-endian bits, −0 as +0 and one NaN.
func appendFloatCell(b []byte, x float64) []byte {
	switch {
	case x != x:
		x = math.NaN()
	case x == 0:
		x = 0
	}
	b = append(b, 1)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(x))
}

// floats gives the numeric values of a column as float64 (nil-safe).
func numericValues(a arrow.Array) (func(i int) float64, error) {
	switch a := a.(type) {
	case *array.Float64:
		v := a.Float64Values()
		return func(i int) float64 { return v[i] }, nil
	case *array.Float32:
		v := a.Float32Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Int64:
		v := a.Int64Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Int32:
		v := a.Int32Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Int16:
		v := a.Int16Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Int8:
		v := a.Int8Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Uint64:
		v := a.Uint64Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Uint32:
		v := a.Uint32Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Uint16:
		v := a.Uint16Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Uint8:
		v := a.Uint8Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	}
	return nil, fmt.Errorf("unsupported numeric array %T", a)
}

func stringValues(a arrow.Array) (func(i int) string, error) {
	switch a := a.(type) {
	case *array.String:
		return a.Value, nil
	case *array.LargeString:
		return a.Value, nil
	case *array.Boolean:
		return func(i int) string { return strconv.FormatBool(a.Value(i)) }, nil
	case *array.Dictionary:
		get, err := stringValues(a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(i int) string { return get(a.GetValueIndex(i)) }, nil
	}
	return nil, fmt.Errorf("unsupported categorical array %T", a)
}

// blockSum returns the sum, minimum and maximum of xs (not empty), and
// whether every value is finite and none is −0 (values the general path
// would keep unchanged).
func blockSum(xs []float64) (s, lo, hi float64, plain bool) {
	const expMask = 0x7ff << 52
	lo, hi = xs[0], xs[0]
	var odd uint64
	for _, x := range xs {
		s += x
		// No NaN or −0 reaches here on the plain path, so plain
		// comparisons give what math.Min and math.Max would.
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
		u := math.Float64bits(x)
		if u&expMask == expMask || u == 1<<63 {
			odd++
		}
	}
	return s, lo, hi, odd == 0
}

// addBlock adds finite values (−0 folded) with their sum, minimum and
// maximum to the sketch and the moments: the block's moments by two
// passes (no division per value), folded into the column with Chan et
// al.'s update.
func (c *ColumnProfile) addBlock(xs []float64, s, lo, hi float64) {
	mean := s / float64(len(xs))
	m2 := 0.0
	for _, x := range xs {
		d := x - mean
		m2 += d * d
	}
	c.Sketch.AddSlice(xs)
	c.mergeMoments(int64(len(xs)), mean, m2, lo, hi)
}

// add profiles one column's values and returns its cell encoder for the
// row digest.
func (c *ColumnProfile) add(a arrow.Array) (cellEncoder, error) {
	n := a.Len()
	hasNulls := a.NullN() > 0
	if c.Kind == Numeric {
		get, err := numericValues(a)
		if err != nil {
			return cellEncoder{}, fmt.Errorf("drift: column %q: %w", c.Name, err)
		}
		buf := make([]float64, 0, min(n, 4096))
		flush := func() {
			if len(buf) == 0 {
				return
			}
			if c.grid != nil {
				if len(c.grid.grid) > 0 {
					c.grid.add(buf) // finite values only
				}
				buf = buf[:0]
				return
			}
			s, lo, hi, _ := blockSum(buf)
			c.addBlock(buf, s, lo, hi)
			buf = buf[:0]
		}
		var f64 []float64
		if fa, ok := a.(*array.Float64); ok {
			f64 = fa.Float64Values()
		}
		if c.grid != nil && len(c.grid.grid) > 0 && f64 != nil && !hasNulls && c.Distinct == nil {
			// CompareReader's common case: the grid reads the Arrow
			// buffer itself, without copying values into buf.
			nan, posInf, negInf := c.grid.add(f64)
			c.Count += int64(n)
			c.NaN += nan
			c.PosInf += posInf
			c.NegInf += negInf
			return cellEncoder{f64: f64}, nil
		}
		start := 0
		if f64 != nil && !hasNulls && c.grid == nil && c.Distinct == nil {
			// Exact and sketch profiles of plain finite values add the
			// Arrow buffer block by block, as flush would have (same
			// blocks, so the same sums), without copying it into buf.
			// The first block holding a NaN, an infinity or −0 sends the
			// rest of the array down the general path.
			for ; start < n; start += cap(buf) {
				blk := f64[start:min(start+cap(buf), n)]
				s, lo, hi, plain := blockSum(blk)
				if !plain {
					break
				}
				c.Count += int64(len(blk))
				c.addBlock(blk, s, lo, hi)
			}
		}
		for i := start; i < n; i++ {
			if hasNulls && a.IsNull(i) {
				c.Missing++
				continue
			}
			var x float64
			if f64 != nil {
				x = f64[i]
			} else {
				x = get(i)
			}
			if math.IsNaN(x) || math.IsInf(x, 0) {
				c.Count++
				switch {
				case math.IsNaN(x):
					c.NaN++
				case x > 0:
					c.PosInf++
				default:
					c.NegInf++
				}
				continue
			}
			if x == 0 {
				x = 0 // fold −0 into +0
			}
			if c.Distinct != nil {
				c.Distinct[x]++
				if len(c.Distinct) > maxNumericDistinct {
					c.Distinct = nil
				}
			}
			buf = append(buf, x)
			if len(buf) == cap(buf) {
				c.Count += int64(len(buf))
				flush()
			}
		}
		c.Count += int64(len(buf))
		flush()
		if f64 != nil && !hasNulls {
			return cellEncoder{f64: f64}, nil
		}
		return cellEncoder{enc: func(b []byte, i int) []byte {
			if hasNulls && a.IsNull(i) {
				return append(b, 0)
			}
			return appendFloatCell(b, get(i))
		}}, nil
	}
	get, err := stringValues(a)
	if err != nil {
		return cellEncoder{}, fmt.Errorf("drift: column %q: %w", c.Name, err)
	}
	if d, ok := a.(*array.Dictionary); ok && c.Freq.roomFor(d.Dictionary().Len()) {
		// Count by index, then each category once: while no reduction
		// can happen the sketch ends the same whatever the order.
		counts := make([]int64, d.Dictionary().Len())
		for i := 0; i < n; i++ {
			if hasNulls && a.IsNull(i) {
				c.Missing++
				continue
			}
			counts[d.GetValueIndex(i)]++
		}
		dget, _ := stringValues(d.Dictionary())
		for k, m := range counts {
			if m > 0 {
				c.Count += m
				c.Freq.addN(dget(k), m)
			}
		}
	} else {
		for i := 0; i < n; i++ {
			if hasNulls && a.IsNull(i) {
				c.Missing++
				continue
			}
			c.Count++
			c.Freq.Add(get(i))
		}
	}
	return cellEncoder{enc: func(b []byte, i int) []byte {
		if hasNulls && a.IsNull(i) {
			return append(b, 0)
		}
		s := get(i)
		b = append(b, 1)
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		return append(b, s...)
	}}, nil
}

// mergeMoments folds a chunk's (n, mean, M2, min, max) into the column
// (Chan, Golub & LeVeque 1979), in a form symmetric in the two parts so
// that merging is exactly commutative.
func (c *ColumnProfile) mergeMoments(n int64, mean, m2, lo, hi float64) {
	if n == 0 {
		return
	}
	na := c.finite() - n // finite values before this chunk
	if na <= 0 {
		c.Mean, c.M2 = mean, m2
	} else {
		fa, fb := float64(na), float64(n)
		t := fa + fb
		d := mean - c.Mean
		c.Mean = (fa*c.Mean + fb*mean) / t
		c.M2 = (c.M2 + m2) + d*d*(fa*fb/t)
	}
	c.Min, c.Max = math.Min(c.Min, lo), math.Max(c.Max, hi)
}

// Merge adds the profile o (of other rows with the same columns) to p.
// See Profile for what is exact after a merge.
func (p *Profile) Merge(o *Profile) error {
	po, oo := p.opts, o.opts
	if po.SketchK != oo.SketchK || po.TopK != oo.TopK || !slices.Equal(po.Columns, oo.Columns) {
		return fmt.Errorf("drift: profiles built with different options (sketch_k %d/%d, top_k %d/%d) cannot be merged", po.SketchK, oo.SketchK, po.TopK, oo.TopK)
	}
	if len(o.columns) == 0 {
		p.rows += o.rows
		return nil
	}
	if len(p.columns) == 0 {
		c := o.Clone()
		c.rows += p.rows
		c.noDigest = c.noDigest || p.noDigest
		*p = *c
		return nil
	}
	if len(p.columns) != len(o.columns) {
		return fmt.Errorf("drift: %w: profiles have %d and %d columns", ErrSchemaMismatch, len(p.columns), len(o.columns))
	}
	for i, c := range p.columns {
		d := o.columns[i]
		if c.Name != d.Name || c.ArrowType != d.ArrowType {
			return fmt.Errorf("drift: %w: column %d is %q (%s) in one profile and %q (%s) in the other", ErrSchemaMismatch, i, c.Name, c.ArrowType, d.Name, d.ArrowType)
		}
	}
	for i, c := range p.columns {
		if err := c.merge(o.columns[i]); err != nil {
			return fmt.Errorf("drift: column %q: %w", c.Name, err)
		}
	}
	p.rows += o.rows
	p.digest.add(o.digest)
	// A part without a digest leaves the whole without one.
	p.noDigest = p.noDigest || o.noDigest
	return nil
}

func (c *ColumnProfile) merge(d *ColumnProfile) error {
	c.Missing += d.Missing
	if c.Kind == Categorical {
		c.Count += d.Count
		return c.Freq.Merge(d.Freq)
	}
	if err := c.Sketch.Merge(d.Sketch); err != nil {
		return err
	}
	if c.Distinct != nil && d.Distinct != nil {
		for v, k := range d.Distinct {
			c.Distinct[v] += k
		}
		if len(c.Distinct) > maxNumericDistinct {
			c.Distinct = nil
		}
	} else {
		c.Distinct = nil
	}
	nb := d.finite()
	c.Count += d.Count
	c.NaN += d.NaN
	c.PosInf += d.PosInf
	c.NegInf += d.NegInf
	c.mergeMoments(nb, d.Mean, d.M2, d.Min, d.Max)
	return nil
}

// Clone returns a deep copy of p.
func (p *Profile) Clone() *Profile {
	c := &Profile{opts: p.opts, rows: p.rows, digest: p.digest, index: map[string]int{}, noDigest: p.noDigest}
	c.opts.Columns = slices.Clone(p.opts.Columns)
	for i, col := range p.columns {
		cc := *col
		if col.Sketch != nil {
			cc.Sketch = col.Sketch.Clone()
		}
		if col.Freq != nil {
			cc.Freq = col.Freq.Clone()
		}
		if col.Distinct != nil {
			cc.Distinct = make(map[float64]int64, len(col.Distinct))
			for k, v := range col.Distinct {
				cc.Distinct[k] = v
			}
		}
		c.columns = append(c.columns, &cc)
		c.index[col.Name] = i
	}
	return c
}

// rowsetDigest is an order-independent, mergeable digest of a multiset of
// rows: the sum modulo 2^256 of the SHA-256 of each row's canonical
// encoding (an additive multiset hash, Bellare & Micciancio 1997, "AdHash").
// Two profiles of the same rows, in any order or partitioning, have the
// same digest, and the digest of a merge is the sum of the parts. It
// identifies data; it is not a commitment against an adversary who crafts
// rows (additive hashes of this width admit generalised-birthday
// collisions), so bind files with a file digest when that matters.
//
// Row encoding: for each profiled column in order, a null is the byte 0;
// a value is the byte 1 followed by, for numbers, the big-endian IEEE-754
// bits of the value as float64 (−0 as +0, one NaN), and for categories the
// big-endian uint64 length and the UTF-8 bytes ("true"/"false" for
// booleans).
type rowsetDigest [4]uint64 // little-endian limbs

func (d *rowsetDigest) addHash(h [32]byte) {
	var c uint64
	for i := 0; i < 4; i++ {
		limb := binary.BigEndian.Uint64(h[24-8*i:])
		d[i], c = bits.Add64(d[i], limb, c)
	}
}

func (d *rowsetDigest) add(o rowsetDigest) {
	var c uint64
	for i := 0; i < 4; i++ {
		d[i], c = bits.Add64(d[i], o[i], c)
	}
}

func (d *rowsetDigest) addRows(n int, enc []cellEncoder) {
	buf := make([]byte, 0, 16*len(enc))
	for i := 0; i < n; i++ {
		buf = buf[:0]
		for _, e := range enc {
			if e.f64 != nil {
				buf = appendFloatCell(buf, e.f64[i])
			} else {
				buf = e.enc(buf, i)
			}
		}
		d.addHash(sha256.Sum256(buf))
	}
}

func (d rowsetDigest) bytes() [32]byte {
	var b [32]byte
	for i := 0; i < 4; i++ {
		binary.BigEndian.PutUint64(b[24-8*i:], d[i])
	}
	return b
}

func (d rowsetDigest) hex() string {
	b := d.bytes()
	return hex.EncodeToString(b[:])
}

func (d rowsetDigest) String(schema string) string {
	h := sha256.New()
	h.Write([]byte("mlsec-drift-rowset-v1\n" + schema + "\n"))
	b := d.bytes()
	h.Write(b[:])
	return "sha256-rowset:" + hex.EncodeToString(h.Sum(nil))
}
