package mlsecbeam

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/mlsec-dev/mlsec/drift"
)

// maxProfileBytes bounds a reference profile file read by ReadProfile.
const maxProfileBytes = 256 << 20

func init() {
	// Profiles and reports travel as their documented JSON forms; a
	// profile is re-validated (counts, digest) whenever it is decoded.
	beam.RegisterCoder(reflect.TypeOf((*drift.Profile)(nil)), encodeProfile, decodeProfile)
	beam.RegisterCoder(reflect.TypeOf((*drift.Report)(nil)), encodeReport, decodeReport)
	registerKind(profileKind, partialKind{new: newProfilePartial, unmarshal: unmarshalProfilePartial})
	register.Function1x2(decodeProfile)
	register.DoFn3x1[*drift.Profile, func(**drift.Profile) bool, func(*drift.Report), error](&compareFn{})
	register.DoFn3x1[context.Context, []byte, func(*drift.Profile), error](&readProfileFn{})
	register.Iter1[*drift.Profile]()
	register.Emitter1[*drift.Profile]()
	register.Emitter1[*drift.Report]()
}

const profileKind = "drift.profile"

func encodeProfile(p *drift.Profile) ([]byte, error) { return json.Marshal(p) }

func decodeProfile(b []byte) (*drift.Profile, error) { return drift.ParseProfile(b) }

func encodeReport(r *drift.Report) ([]byte, error) { return json.Marshal(r) }

func decodeReport(b []byte) (*drift.Report, error) {
	r := new(drift.Report)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("mlsecbeam: decode drift report: %w", err)
	}
	return r, nil
}

// profilePartial adapts drift.Profile, which is its own mergeable partial
// state, to the combine plumbing.
type profilePartial struct{ p *drift.Profile }

func newProfilePartial(config []byte) (partial, error) {
	var opts drift.ProfileOptions
	if err := json.Unmarshal(config, &opts); err != nil {
		return nil, fmt.Errorf("profile options: %w", err)
	}
	return &profilePartial{drift.NewProfile(opts)}, nil
}

func unmarshalProfilePartial(_, state []byte) (partial, error) {
	p, err := drift.ParseProfile(state)
	if err != nil {
		return nil, err
	}
	return &profilePartial{p}, nil
}

func (pp *profilePartial) Add(rec arrow.Record) error     { return pp.p.AddRecord(rec) }
func (pp *profilePartial) Merge(o partial) error          { return pp.p.Merge(o.(*profilePartial).p) }
func (pp *profilePartial) MarshalBinary() ([]byte, error) { return json.Marshal(pp.p) }

// ProfileDataset profiles every batch of batches into one reference
// *drift.Profile: each worker profiles the batches it reads, a CombineFn
// merges the workers' profiles (drift.Profile.Merge is associative and
// commutative), and the result is the profile a single machine computes
// over the same rows: counts, missing values, moments, min/max,
// categories and the row-set digest exactly, quantiles within the
// sketches' certified rank-error bound. An empty input yields the empty
// profile.
func ProfileDataset(s beam.Scope, batches beam.PCollection, opts drift.ProfileOptions) beam.PCollection {
	s = s.Scope("mlsec.ProfileDataset")
	cfg, err := json.Marshal(opts)
	if err != nil {
		panic(fmt.Errorf("mlsecbeam: ProfileDataset: %w", err))
	}
	return beam.ParDo(s, decodeProfile, mergedState(s, profileKind, cfg, batches))
}

// CompareToProfile profiles the current data (batches) as ProfileDataset
// does and compares it with the reference profile, a PCollection holding
// one *drift.Profile (from ReadProfile, or ProfileDataset over the
// training data in the same pipeline). It emits one *drift.Report, the
// report drift.Compare gives for the same two profiles on one machine.
// opts must be the options the reference was profiled with.
func CompareToProfile(s beam.Scope, reference, batches beam.PCollection, opts drift.ProfileOptions, cmp drift.CompareOptions) beam.PCollection {
	s = s.Scope("mlsec.CompareToProfile")
	current := ProfileDataset(s, batches, opts)
	cfg, err := json.Marshal(cmp)
	if err != nil {
		panic(fmt.Errorf("mlsecbeam: CompareToProfile: %w", err))
	}
	return beam.ParDo(s, &compareFn{Options: cfg}, current, beam.SideInput{Input: reference})
}

type compareFn struct {
	Options []byte // drift.CompareOptions as JSON
}

func (f *compareFn) ProcessElement(current *drift.Profile, refs func(**drift.Profile) bool, emit func(*drift.Report)) error {
	var ref, next *drift.Profile
	n := 0
	for refs(&next) {
		ref = next
		n++
	}
	if n != 1 {
		return fmt.Errorf("mlsecbeam: CompareToProfile: want exactly one reference profile, got %d", n)
	}
	var opts drift.CompareOptions
	if err := json.Unmarshal(f.Options, &opts); err != nil {
		return fmt.Errorf("mlsecbeam: compare options: %w", err)
	}
	rep, err := drift.Compare(ref, current, opts)
	if err != nil {
		return fmt.Errorf("mlsecbeam: %w", err)
	}
	emit(rep)
	return nil
}

// ReadProfile reads a reference profile file (as written by
// drift.Profile.WriteFile or `mlsec drift profile`) from any filesystem
// Beam knows, validating it as drift.ParseProfile does. The file is read
// on a worker, so the path must be reachable from the workers.
func ReadProfile(s beam.Scope, path string) beam.PCollection {
	s = s.Scope("mlsec.ReadProfile")
	return beam.ParDo(s, &readProfileFn{Path: path}, beam.Impulse(s))
}

type readProfileFn struct {
	Path string
}

func (f *readProfileFn) ProcessElement(ctx context.Context, _ []byte, emit func(*drift.Profile)) error {
	fs, err := filesystem.New(ctx, f.Path)
	if err != nil {
		return fmt.Errorf("mlsecbeam: %s: %w", f.Path, err)
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, f.Path)
	if err != nil {
		return fmt.Errorf("mlsecbeam: %s: %w", f.Path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxProfileBytes+1))
	if err != nil {
		return fmt.Errorf("mlsecbeam: %s: %w", f.Path, err)
	}
	if len(b) > maxProfileBytes {
		return fmt.Errorf("mlsecbeam: %s: profile larger than %d bytes", f.Path, maxProfileBytes)
	}
	p, err := drift.ParseProfile(b)
	if err != nil {
		return fmt.Errorf("mlsecbeam: %s: %w", f.Path, err)
	}
	emit(p)
	return nil
}
