package mlsecbeam

import (
	"fmt"
	"reflect"
	"sort"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

// partial is the mergeable state of one whole-dataset computation
// (validation metrics, a drift profile) over the batches one worker saw.
// Merge must be associative and commutative: Beam merges partitions in
// whatever order and grouping the runner chooses.
type partial interface {
	Add(rec arrow.Record) error
	Merge(other partial) error
	MarshalBinary() ([]byte, error)
}

// partialKind builds and decodes the partial state of one computation.
// config is the computation's serialised configuration (a suite, profile
// options), carried by the CombineFn to every worker.
type partialKind struct {
	new       func(config []byte) (partial, error)
	unmarshal func(config, state []byte) (partial, error)
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]partialKind{}
)

// registerKind makes a computation available to combineFn. It is called
// from init functions, so every worker binary knows the same kinds.
func registerKind(name string, k partialKind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[name]; dup {
		panic("mlsecbeam: duplicate partial kind " + name)
	}
	kinds[name] = k
}

func lookupKind(name string) (partialKind, error) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	k, ok := kinds[name]
	if !ok {
		names := make([]string, 0, len(kinds))
		for n := range kinds {
			names = append(names, n)
		}
		sort.Strings(names)
		return partialKind{}, fmt.Errorf("mlsecbeam: unknown computation %q (known: %v)", name, names)
	}
	return k, nil
}

// accumulator is the CombineFn's accumulator: a live partial state, or
// the encoded state of another worker, decoded on first use (the coder
// does not know the computation's configuration; the CombineFn does).
type accumulator struct {
	p     partial
	state []byte
}

func init() {
	beam.RegisterCoder(reflect.TypeOf((*accumulator)(nil)), encodeAccumulator, decodeAccumulator)
	register.Combiner3[*accumulator, Batch, []byte](&combineFn{})
}

func encodeAccumulator(a *accumulator) ([]byte, error) {
	if a.p == nil {
		return a.state, nil
	}
	b, err := a.p.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("mlsecbeam: encode partial state: %w", err)
	}
	return b, nil
}

func decodeAccumulator(b []byte) (*accumulator, error) {
	return &accumulator{state: b}, nil
}

// combineFn folds batches into the partial state of the computation Kind
// and merges the partial states of all workers. Its output is the merged
// state, encoded; a computation-specific step turns it into a result.
type combineFn struct {
	Kind   string
	Config []byte

	kind partialKind
}

func (f *combineFn) Setup() error {
	k, err := lookupKind(f.Kind)
	f.kind = k
	return err
}

func (f *combineFn) live(a *accumulator) (partial, error) {
	if a.p != nil {
		return a.p, nil
	}
	var err error
	if len(a.state) == 0 {
		a.p, err = f.kind.new(f.Config)
	} else {
		a.p, err = f.kind.unmarshal(f.Config, a.state)
	}
	if err != nil {
		return nil, fmt.Errorf("mlsecbeam: %s: %w", f.Kind, err)
	}
	a.state = nil
	return a.p, nil
}

func (f *combineFn) CreateAccumulator() (*accumulator, error) {
	p, err := f.kind.new(f.Config)
	if err != nil {
		return nil, fmt.Errorf("mlsecbeam: %s: %w", f.Kind, err)
	}
	return &accumulator{p: p}, nil
}

func (f *combineFn) AddInput(a *accumulator, b Batch) (*accumulator, error) {
	p, err := f.live(a)
	if err != nil {
		return nil, err
	}
	if err := p.Add(b.Record); err != nil {
		return nil, fmt.Errorf("mlsecbeam: %s: %w", f.Kind, err)
	}
	return a, nil
}

func (f *combineFn) MergeAccumulators(a, b *accumulator) (*accumulator, error) {
	pa, err := f.live(a)
	if err != nil {
		return nil, err
	}
	pb, err := f.live(b)
	if err != nil {
		return nil, err
	}
	if err := pa.Merge(pb); err != nil {
		return nil, fmt.Errorf("mlsecbeam: %s: merge: %w", f.Kind, err)
	}
	return a, nil
}

func (f *combineFn) ExtractOutput(a *accumulator) ([]byte, error) {
	if _, err := f.live(a); err != nil {
		return nil, err
	}
	return encodeAccumulator(a)
}

// combineBatches combines every batch of col into one merged partial
// state of the computation kind: a PCollection holding one []byte.
func combineBatches(s beam.Scope, kind string, config []byte, col beam.PCollection) beam.PCollection {
	if _, err := lookupKind(kind); err != nil {
		panic(err)
	}
	return beam.Combine(s, &combineFn{Kind: kind, Config: config}, col)
}

func init() {
	register.DoFn3x1[[]byte, func(*[]byte) bool, func([]byte), error]((*singleStateFn)(nil))
}

// mergedState combines every batch of col into exactly one encoded
// partial state. Beam's global Combine emits nothing for an empty input;
// here an empty input yields the empty state, so an empty dataset still
// produces a result (and fails the checks that expect rows) instead of
// silently producing no result at all.
func mergedState(s beam.Scope, kind string, config []byte, col beam.PCollection) beam.PCollection {
	combined := combineBatches(s, kind, config, col)
	return beam.ParDo(s, &singleStateFn{Kind: kind, Config: config}, beam.Impulse(s), beam.SideInput{Input: combined})
}

type singleStateFn struct {
	Kind   string
	Config []byte
}

func (f *singleStateFn) ProcessElement(_ []byte, states func(*[]byte) bool, emit func([]byte)) error {
	var state, next []byte
	n := 0
	for states(&next) {
		state = next
		n++
	}
	switch n {
	case 1:
		emit(state)
		return nil
	case 0:
		k, err := lookupKind(f.Kind)
		if err != nil {
			return err
		}
		p, err := k.new(f.Config)
		if err != nil {
			return fmt.Errorf("mlsecbeam: %s: %w", f.Kind, err)
		}
		b, err := p.MarshalBinary()
		if err != nil {
			return fmt.Errorf("mlsecbeam: %s: %w", f.Kind, err)
		}
		emit(b)
		return nil
	default:
		return fmt.Errorf("mlsecbeam: %s: global combine produced %d results, want 1", f.Kind, n)
	}
}
