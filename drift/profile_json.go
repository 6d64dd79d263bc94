package drift

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
)

// ProfileFormat and ProfileVersion identify the JSON profile format.
const (
	ProfileFormat  = "mlsec.drift.profile"
	ProfileVersion = 1
)

// maxProfileColumns bounds the number of columns accepted when parsing.
const maxProfileColumns = 100000

type profileJSON struct {
	Format  string         `json:"format"`
	Version int            `json:"version"`
	Rows    int64          `json:"rows"`
	Digest  string         `json:"digest"`
	Rowset  string         `json:"rowset_sum"`
	Options ProfileOptions `json:"options"`
	Columns []columnJSON   `json:"columns"`
}

type distinctJSON struct {
	Value float64 `json:"value"`
	Count int64   `json:"count"`
}

type columnJSON struct {
	Name        string           `json:"name"`
	Kind        Kind             `json:"kind"`
	ArrowType   string           `json:"arrow_type"`
	Count       int64            `json:"count"`
	Missing     int64            `json:"missing"`
	NaN         int64            `json:"nan,omitempty"`
	PosInf      int64            `json:"pos_inf,omitempty"`
	NegInf      int64            `json:"neg_inf,omitempty"`
	Min         *float64         `json:"min,omitempty"`
	Max         *float64         `json:"max,omitempty"`
	Mean        *float64         `json:"mean,omitempty"`
	M2          *float64         `json:"m2,omitempty"`
	Sketch      *QuantileSketch  `json:"sketch,omitempty"`
	Distinct    *[]distinctJSON  `json:"distinct,omitempty"`
	Frequencies *FrequencySketch `json:"frequencies,omitempty"`
	// Histogram is derived from the sketch for readers of the file (the
	// reference-fitted bins); it is not read back.
	Histogram *Histogram `json:"histogram,omitempty"`
}

// MarshalJSON encodes the profile (see doc.go for the format).
func (p *Profile) MarshalJSON() ([]byte, error) {
	if p.noDigest {
		return nil, errors.New("drift: a profile built without its row digest (ProfileOptions.NoDigest) cannot be saved")
	}
	j := profileJSON{
		Format: ProfileFormat, Version: ProfileVersion, Rows: p.rows,
		Digest: p.Digest(), Rowset: p.digest.hex(), Options: p.opts,
		Columns: []columnJSON{},
	}
	for _, c := range p.columns {
		cj := columnJSON{Name: c.Name, Kind: c.Kind, ArrowType: c.ArrowType, Count: c.Count, Missing: c.Missing,
			NaN: c.NaN, PosInf: c.PosInf, NegInf: c.NegInf, Sketch: c.Sketch, Frequencies: c.Freq}
		if c.Kind == Numeric {
			if c.finite() > 0 {
				mn, mx, mean, m2 := c.Min, c.Max, c.Mean, c.M2
				cj.Min, cj.Max, cj.Mean, cj.M2 = &mn, &mx, &mean, &m2
				h := numericHistogram(c, nil)
				h.Current = nil
				cj.Histogram = h
			}
			if c.Distinct != nil {
				d := make([]distinctJSON, 0, len(c.Distinct))
				for v, k := range c.Distinct {
					d = append(d, distinctJSON{v, k})
				}
				slices.SortFunc(d, func(a, b distinctJSON) int {
					if a.Value < b.Value {
						return -1
					}
					return 1
				})
				cj.Distinct = &d
			}
		}
		j.Columns = append(j.Columns, cj)
	}
	return json.Marshal(j)
}

// ProfileError reports a malformed profile.
type ProfileError struct {
	// Source names the profile (a file name), when known.
	Source string
	Err    error
}

func (e *ProfileError) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("drift: profile %s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("drift: profile: %v", e.Err)
}

func (e *ProfileError) Unwrap() error { return e.Err }

// ParseProfile decodes and validates a JSON profile. Every count must be
// consistent (sketch weights add up to the column's finite values,
// category counts to its values) and the digest must match the row-set
// sum and columns; otherwise a *ProfileError says what is wrong.
func ParseProfile(b []byte) (*Profile, error) {
	p, err := parseProfile(b)
	if err != nil {
		return nil, &ProfileError{Err: err}
	}
	return p, nil
}

func parseProfile(b []byte) (*Profile, error) {
	var j profileJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("not a valid profile: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the profile")
	}
	if j.Format != ProfileFormat {
		return nil, fmt.Errorf("format is %q, want %q", j.Format, ProfileFormat)
	}
	if j.Version != ProfileVersion {
		return nil, fmt.Errorf("unsupported version %d (this build reads version %d)", j.Version, ProfileVersion)
	}
	if j.Rows < 0 {
		return nil, errors.New("negative row count")
	}
	if len(j.Columns) > maxProfileColumns {
		return nil, errors.New("too many columns")
	}
	o := j.Options
	if o.SketchK < 0 || o.SketchK > maxSketchK || o.TopK <= 0 || o.TopK > maxTopK || (o.Exact != (o.SketchK == 0)) {
		return nil, errors.New("options out of range")
	}
	p := &Profile{opts: o, rows: j.Rows, index: map[string]int{}}
	raw, err := hex.DecodeString(j.Rowset)
	if err != nil || len(raw) != 32 {
		return nil, errors.New("rowset_sum must be 64 hex digits")
	}
	var acc [32]byte
	copy(acc[:], raw)
	for i := 0; i < 4; i++ {
		for k := 0; k < 8; k++ {
			p.digest[i] |= uint64(acc[31-8*i-k]) << (8 * k)
		}
	}
	for i, cj := range j.Columns {
		c, err := cj.column(o)
		if err != nil {
			return nil, fmt.Errorf("column %d (%q): %w", i, cj.Name, err)
		}
		if _, dup := p.index[c.Name]; dup {
			return nil, fmt.Errorf("column %q appears twice", c.Name)
		}
		if c.Count+c.Missing != j.Rows {
			return nil, fmt.Errorf("column %q: count %d + missing %d is not the %d rows", c.Name, c.Count, c.Missing, j.Rows)
		}
		p.index[c.Name] = len(p.columns)
		p.columns = append(p.columns, c)
	}
	if len(p.columns) == 0 && j.Rows != 0 {
		return nil, errors.New("rows but no columns")
	}
	if got := p.Digest(); got != j.Digest {
		return nil, fmt.Errorf("digest %q does not match its rows and columns (%q): the profile was altered", j.Digest, got)
	}
	return p, nil
}

func (cj columnJSON) column(o ProfileOptions) (*ColumnProfile, error) {
	if cj.Name == "" {
		return nil, errors.New("empty name")
	}
	if cj.ArrowType == "" {
		return nil, errors.New("no arrow_type")
	}
	if cj.Count < 0 || cj.Missing < 0 || cj.NaN < 0 || cj.PosInf < 0 || cj.NegInf < 0 {
		return nil, errors.New("negative count")
	}
	c := &ColumnProfile{Name: cj.Name, Kind: cj.Kind, ArrowType: cj.ArrowType, Count: cj.Count, Missing: cj.Missing}
	switch cj.Kind {
	case Categorical:
		if cj.Frequencies == nil || cj.Sketch != nil || cj.Distinct != nil || cj.NaN+cj.PosInf+cj.NegInf != 0 {
			return nil, errors.New("a categorical column needs frequencies and nothing numeric")
		}
		if cj.Frequencies.capacity != o.TopK {
			return nil, errors.New("frequencies capacity differs from options.top_k")
		}
		if cj.Frequencies.n != cj.Count {
			return nil, fmt.Errorf("frequencies count %d, column count %d", cj.Frequencies.n, cj.Count)
		}
		c.Freq = cj.Frequencies
		return c, nil
	case Numeric:
	default:
		return nil, fmt.Errorf("unknown kind %q", cj.Kind)
	}
	if cj.Sketch == nil || cj.Frequencies != nil {
		return nil, errors.New("a numeric column needs a sketch and no frequencies")
	}
	if cj.Sketch.K() != o.SketchK {
		return nil, errors.New("sketch k differs from options.sketch_k")
	}
	c.NaN, c.PosInf, c.NegInf = cj.NaN, cj.PosInf, cj.NegInf
	fin := cj.Count - cj.NaN - cj.PosInf - cj.NegInf
	if fin < 0 || cj.Sketch.N() != fin {
		return nil, fmt.Errorf("sketch holds %d values, the column %d finite ones", cj.Sketch.N(), fin)
	}
	c.Sketch = cj.Sketch
	c.Min, c.Max = math.Inf(1), math.Inf(-1)
	if fin > 0 {
		if cj.Min == nil || cj.Max == nil || cj.Mean == nil || cj.M2 == nil {
			return nil, errors.New("min, max, mean and m2 are required")
		}
		c.Min, c.Max, c.Mean, c.M2 = *cj.Min, *cj.Max, *cj.Mean, *cj.M2
		if !(c.Min <= c.Max) || math.IsInf(c.Min, 0) || math.IsInf(c.Max, 0) || math.IsNaN(c.Mean) || !(c.M2 >= 0) || math.IsInf(c.M2, 0) {
			return nil, errors.New("min, max, mean or m2 out of range")
		}
		for _, it := range c.Sketch.Items() {
			if it.V < c.Min || it.V > c.Max {
				return nil, errors.New("sketch item outside [min, max]")
			}
		}
	}
	if cj.Distinct != nil {
		if len(*cj.Distinct) > maxNumericDistinct {
			return nil, errors.New("too many distinct values")
		}
		c.Distinct = map[float64]int64{}
		var total int64
		for _, d := range *cj.Distinct {
			if d.Count <= 0 || d.Count > fin || math.IsNaN(d.Value) {
				return nil, errors.New("bad distinct value count")
			}
			if _, dup := c.Distinct[d.Value]; dup {
				return nil, errors.New("distinct value listed twice")
			}
			c.Distinct[d.Value] = d.Count
			total += d.Count
		}
		if total != fin {
			return nil, fmt.Errorf("distinct counts add up to %d, not %d", total, fin)
		}
	}
	return c, nil
}

// ReadProfileFile reads and validates a profile file.
func ReadProfileFile(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	p, err := parseProfile(b)
	if err != nil {
		return nil, &ProfileError{Source: path, Err: err}
	}
	return p, nil
}

// WriteFile writes the profile as indented JSON to path atomically (a
// temporary file in the same directory, synced, then a rename), mode
// 0644.
func (p *Profile) WriteFile(path string) error {
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return fmt.Errorf("drift: %s: %w", path, err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("drift: %s: %w", path, err)
	}
	return nil
}
