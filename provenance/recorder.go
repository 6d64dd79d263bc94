package provenance

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mlsec-dev/mlsec/internal/hashing"
)

// Recorder collects what a pipeline step consumed and produced while it
// runs, and turns it into a Statement when the step finishes. It records
// only what the caller hands it: no environment variable, host detail or
// secret is captured unless the caller names it (RecordEnv). A Recorder is
// safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	now      func() time.Time
	progress func(done, total int64)
	st       Statement
	started  time.Time
	finished bool
}

// RecorderOptions configures a Recorder. The zero value is the default.
type RecorderOptions struct {
	// Clock gives the times of startedOn and finishedOn (default:
	// time.Now).
	Clock func() time.Time
	// Progress, when set, is called by the Add*Path methods with the bytes
	// hashed so far and the total of the path being hashed, one path at a
	// time, so a caller can show progress over large inputs.
	Progress func(done, total int64)
}

// NewRecorder starts recording a step run by builderID (the platform's
// identity, e.g. "https://ci.example.com/trainer") of kind buildType (one
// of the BuildType constants, or a URI the caller owns).
func NewRecorder(builderID, buildType string, opts RecorderOptions) *Recorder {
	r := &Recorder{now: opts.Clock, progress: opts.Progress}
	if r.now == nil {
		r.now = time.Now
	}
	r.started = r.now().UTC()
	r.st = Statement{
		Type:          StatementType,
		PredicateType: PredicateSLSAProvenance,
		Predicate: Provenance{
			BuildDefinition: BuildDefinition{BuildType: buildType, ExternalParameters: map[string]any{}},
			RunDetails:      RunDetails{Builder: Builder{ID: builderID}, Metadata: &BuildMetadata{}},
		},
	}
	return r
}

// SetInvocationID records the run's identifier (e.g. a CI job URL).
func (r *Recorder) SetInvocationID(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Predicate.RunDetails.Metadata.InvocationID = id
}

// SetBuilderVersion records the version of a component of the builder.
func (r *Recorder) SetBuilderVersion(component, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := &r.st.Predicate.RunDetails.Builder
	if b.Version == nil {
		b.Version = map[string]string{}
	}
	b.Version[component] = version
}

// SetParameter records an external parameter: something the caller chose
// (hyperparameters, seed, entrypoint). A key with dots ("hyperparameters.lr")
// sets a field of a nested object.
func (r *Recorder) SetParameter(key string, value any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	setPath(r.st.Predicate.BuildDefinition.ExternalParameters, key, value)
}

// SetInternalParameter records a platform-chosen setting (scheduler,
// accelerator type), which verifiers need not check.
func (r *Recorder) SetInternalParameter(key string, value any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bd := &r.st.Predicate.BuildDefinition
	if bd.InternalParameters == nil {
		bd.InternalParameters = map[string]any{}
	}
	setPath(bd.InternalParameters, key, value)
}

func setPath(m map[string]any, key string, value any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = value
}

// RecordEnv records the values of the named environment variables as the
// internal parameter "env". Only names the caller lists are read; a name
// that is unset is recorded as absent, not as empty.
func (r *Recorder) RecordEnv(names ...string) {
	vals := map[string]any{}
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok {
			vals[n] = v
		}
	}
	r.SetInternalParameter("env", vals)
}

// SetConfigFile hashes the step's configuration file and records it as
// the external parameter "config" ({uri, digest}).
func (r *Recorder) SetConfigFile(ctx context.Context, path string) error {
	d, err := DigestPath(ctx, path)
	if err != nil {
		return err
	}
	r.SetParameter("config", map[string]any{"uri": path, "digest": map[string]any(toAny(d))})
	return nil
}

func toAny(d DigestSet) map[string]any {
	m := make(map[string]any, len(d))
	for k, v := range d {
		m[k] = v
	}
	return m
}

// AddInput records a resolved dependency given by URI and digest.
func (r *Recorder) AddInput(d ResourceDescriptor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bd := &r.st.Predicate.BuildDefinition
	bd.ResolvedDependencies = append(bd.ResolvedDependencies, d)
}

// AddInputPath hashes the file or directory at path and records it as a
// resolved dependency named name: a file by its sha256, a directory (a
// dataset version) by the dirHash root digest of its manifest.
func (r *Recorder) AddInputPath(ctx context.Context, name, path string) (ResourceDescriptor, error) {
	d, err := describePath(ctx, name, path, r.progress)
	if err != nil {
		return d, err
	}
	r.AddInput(d)
	return d, nil
}

// AddInputOMS records a model known by its OpenSSF Model Signing root
// digest (the subject of its OMS signature), so provenance and model
// signature bind to the same bytes. root is "algorithm:hex", as signing's
// Manifest.RootDigest().String() gives it, recorded under that algorithm;
// bare hex is taken as sha256, the algorithm OMS v1.0 uses.
func (r *Recorder) AddInputOMS(name, root string) error {
	d, err := omsDescriptor(name, root)
	if err != nil {
		return err
	}
	r.AddInput(d)
	return nil
}

// AddOutput records an artifact the step produced (a subject).
func (r *Recorder) AddOutput(d ResourceDescriptor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Subject = append(r.st.Subject, d)
}

// AddOutputPath hashes the file or directory at path and records it as a
// subject named name.
func (r *Recorder) AddOutputPath(ctx context.Context, name, path string) (ResourceDescriptor, error) {
	d, err := describePath(ctx, name, path, r.progress)
	if err != nil {
		return d, err
	}
	r.AddOutput(d)
	return d, nil
}

// AddOutputOMS records a produced model by its OMS root digest, given as
// for AddInputOMS.
func (r *Recorder) AddOutputOMS(name, root string) error {
	d, err := omsDescriptor(name, root)
	if err != nil {
		return err
	}
	r.AddOutput(d)
	return nil
}

// AddByproduct records a byproduct (metrics, evaluation report, log).
func (r *Recorder) AddByproduct(d ResourceDescriptor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rd := &r.st.Predicate.RunDetails
	rd.Byproducts = append(rd.Byproducts, d)
}

// AddByproductPath hashes a byproduct file and records it by digest.
func (r *Recorder) AddByproductPath(ctx context.Context, name, path string) (ResourceDescriptor, error) {
	d, err := describePath(ctx, name, path, r.progress)
	if err != nil {
		return d, err
	}
	r.AddByproduct(d)
	return d, nil
}

// Finish stamps finishedOn, checks the external parameters against the
// build type's schema (for mlsec build types) and returns the Statement.
func (r *Recorder) Finish() (*Statement, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return nil, fmt.Errorf("provenance: recorder: Finish called twice")
	}
	st := r.st
	started, finished := r.started, r.now().UTC()
	st.Predicate.RunDetails.Metadata.StartedOn = &started
	st.Predicate.RunDetails.Metadata.FinishedOn = &finished
	if err := ValidateExternalParameters(st.Predicate.BuildDefinition.BuildType, st.Predicate.BuildDefinition.ExternalParameters); err != nil {
		return nil, err
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	r.finished = true
	return &st, nil
}

// DigestPath returns the digest of a file (sha256) or of a directory (the
// dirHash root digest of its dataset manifest).
func DigestPath(ctx context.Context, path string) (DigestSet, error) {
	d, err := describePath(ctx, "", path, nil)
	return d.Digest, err
}

func describePath(ctx context.Context, name, path string, progress func(done, total int64)) (ResourceDescriptor, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return ResourceDescriptor{}, fmt.Errorf("provenance: %w", err)
	}
	if name == "" {
		name = path
	}
	if fi.IsDir() {
		m, err := BuildManifest(ctx, path, ManifestOptions{Progress: progress})
		if err != nil {
			return ResourceDescriptor{}, err
		}
		return m.Descriptor(name), nil
	}
	files, err := hashing.Walk(ctx, path, hashing.WalkOptions{})
	if err != nil {
		return ResourceDescriptor{}, fmt.Errorf("provenance: %s: %w", path, err)
	}
	ds, err := hashing.Hash(ctx, files, hashing.Options{Algorithm: hashing.SHA256, Progress: progress})
	if err != nil {
		return ResourceDescriptor{}, fmt.Errorf("provenance: %s: %w", path, err)
	}
	return ResourceDescriptor{Name: name, Digest: DigestSet{"sha256": hex.EncodeToString(ds[0].Sum)}}, nil
}

// omsRootHexLen are the hash algorithms of OMS v1.0 and the hex length of
// their digests.
var omsRootHexLen = map[string]int{"sha256": 64, "blake2b": 128, "blake3": 64}

func omsDescriptor(name, root string) (ResourceDescriptor, error) {
	alg, value, ok := strings.Cut(root, ":")
	if !ok {
		alg, value = "sha256", root
	}
	if _, known := omsRootHexLen[alg]; !known {
		return ResourceDescriptor{}, fmt.Errorf("provenance: OMS root digest of %q: unknown algorithm %q", name, alg)
	}
	d := DigestSet{alg: strings.ToLower(value)}
	if len(d[alg]) != omsRootHexLen[alg] {
		return ResourceDescriptor{}, fmt.Errorf("provenance: OMS root digest of %q: %d hex digits, want %d", name, len(d[alg]), omsRootHexLen[alg])
	}
	if err := d.validate(); err != nil {
		return ResourceDescriptor{}, fmt.Errorf("provenance: OMS root digest of %q: %w", name, err)
	}
	return ResourceDescriptor{Name: name, Digest: d, Annotations: map[string]any{"mlsec_digestKind": "oms-root"}}, nil
}
