package signing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/hashing"
)

// Method is how a model is split into resources.
type Method string

const (
	// MethodFiles hashes each file whole: one resource per file. A single
	// large file is one sequential stream, bound to one core; use
	// MethodShards (or BLAKE3) for speed on huge files.
	MethodFiles Method = "files"
	// MethodShards hashes each file in ShardSize pieces, named
	// "path:start:end", all in parallel.
	//
	// An empty file has no byte range and so no shard: OMS v1.0 lists
	// shards [0,S), [S,2S), ... up to the file's size, none for size 0,
	// and the reference tool does the same. A shards signature therefore
	// says nothing about empty files: adding or removing one does not
	// change it. [Result.EmptyFiles] lists those that verification saw;
	// use MethodFiles when empty files matter (a marker file whose mere
	// presence changes how a model loads, for instance).
	MethodShards Method = "shards"
)

// HashAlgorithm is the content hash of resources.
type HashAlgorithm string

const (
	SHA256  HashAlgorithm = "sha256"
	BLAKE2b HashAlgorithm = "blake2b" // BLAKE2b-512
	BLAKE3  HashAlgorithm = "blake3"
)

func (h HashAlgorithm) size() int { return hashing.Algorithm(h).Size() }

// DefaultShardSize is the shard size of OMS and the reference tool:
// 1,000,000,000 bytes.
const DefaultShardSize = 1_000_000_000

// DefaultIgnorePaths are excluded from every model, at its top level
// only, as the reference tool does.
var DefaultIgnorePaths = []string{".git", ".gitattributes", ".github", ".gitignore"}

// Options say how a model is enumerated and hashed.
type Options struct {
	// Method defaults to MethodFiles.
	Method Method
	// Hash defaults to SHA256.
	Hash HashAlgorithm
	// ShardSize is used by MethodShards; 0 means DefaultShardSize.
	ShardSize int64
	// IgnorePaths are slash-separated paths relative to the model root,
	// excluded with everything under them; DefaultIgnorePaths are always
	// added. Signing records them in the signature, and verifying applies
	// the recorded ones again.
	IgnorePaths []string
	// AllowSymlinks hashes a link to a file inside the model as that file.
	// Links out of the model, or loops, are always errors.
	AllowSymlinks bool
	// Workers bounds parallel hashing; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, receives bytes hashed so far and the total.
	Progress func(done, total int64)
}

// Serialization records how a manifest was computed (the OMS predicate's
// "serialization" object).
type Serialization struct {
	Method        Method
	Hash          HashAlgorithm
	ShardSize     int64 // MethodShards only
	AllowSymlinks bool
	IgnorePaths   []string
}

// Resource is the digest of one file, or one shard of a file.
type Resource struct {
	// Name is the slash-separated path relative to the model root, or
	// "path:start:end" for a shard.
	Name string
	// Algorithm is the hash name as recorded in the signature.
	Algorithm string
	Digest    []byte
}

// Manifest is the list of resource digests of a model.
type Manifest struct {
	// Name is the model's name (the subject name in a signature).
	Name          string
	Serialization Serialization
	// Resources are in canonical order: sorted by Name, byte-wise.
	Resources []Resource
}

// RootDigest is the SHA-256 of the concatenated raw resource digests, in
// order: the digest of the model as a whole, recorded as the signature's
// subject. OMS fixes its algorithm to SHA-256 whatever [Options.Hash]
// hashes the files with, and [Digest.Algorithm] says so, so that a caller
// records it under its real name (in provenance: pass [Digest.String] to
// provenance's AddOutputOMS or AddInputOMS).
func (m *Manifest) RootDigest() Digest {
	return Digest{Algorithm: string(SHA256), Value: rootDigest(m.Resources)}
}

// Digest is a hash value with the name of the algorithm that computed it,
// as in-toto digest sets and OMS name it ("sha256", "blake2b", "blake3").
type Digest struct {
	Algorithm string
	Value     []byte
}

// Hex is the value in lowercase hexadecimal.
func (d Digest) Hex() string { return hex.EncodeToString(d.Value) }

// String is "algorithm:hex", the form mlsec prints and provenance's
// AddOutputOMS accepts.
func (d Digest) String() string { return d.Algorithm + ":" + d.Hex() }

func rootDigest(rs []Resource) []byte {
	h := sha256.New()
	for _, r := range rs {
		h.Write(r.Digest)
	}
	return h.Sum(nil)
}

func (o *Options) normalize() error {
	if o.Method == "" {
		o.Method = MethodFiles
	}
	if o.Hash == "" {
		o.Hash = SHA256
	}
	if o.Method != MethodFiles && o.Method != MethodShards {
		return fmt.Errorf("signing: unknown method %q (want files or shards)", o.Method)
	}
	if o.Hash.size() == 0 {
		return fmt.Errorf("signing: unknown hash %q (want sha256, blake2b or blake3)", o.Hash)
	}
	if o.Method == MethodShards && o.ShardSize == 0 {
		o.ShardSize = DefaultShardSize
	}
	if o.ShardSize < 0 || (o.Method == MethodFiles && o.ShardSize != 0) {
		return fmt.Errorf("signing: shard size %d is only valid, and positive, with the shards method", o.ShardSize)
	}
	for _, p := range o.IgnorePaths {
		if err := checkIgnorePath(p); err != nil {
			return fmt.Errorf("signing: ignore path: %w", err)
		}
	}
	return nil
}

func checkIgnorePath(p string) error {
	c := path.Clean(p)
	if c == "." {
		return fmt.Errorf("%q would exclude the whole model", p)
	}
	return hashing.CheckName(c)
}

// ignoreList is the sorted, de-duplicated union of the default and given
// ignore paths, as recorded in a signature.
func ignoreList(extra ...[]string) []string {
	var out []string
	out = append(out, DefaultIgnorePaths...)
	for _, e := range extra {
		for _, p := range e {
			out = append(out, path.Clean(p))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// HashModel computes the manifest of the model at modelPath (a file or a
// directory).
func HashModel(ctx context.Context, modelPath string, opts Options) (*Manifest, error) {
	return hashModel(ctx, modelPath, opts, nil)
}

func hashModel(ctx context.Context, modelPath string, opts Options, cache *hashing.Cache) (*Manifest, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	ignores := ignoreList(opts.IgnorePaths)
	files, err := hashing.Walk(ctx, modelPath, hashing.WalkOptions{Ignore: ignores, AllowSymlinks: opts.AllowSymlinks})
	if err != nil {
		return nil, modelErr(modelPath, err)
	}
	m := &Manifest{
		Name: modelName(modelPath),
		Serialization: Serialization{
			Method: opts.Method, Hash: opts.Hash, AllowSymlinks: opts.AllowSymlinks,
			IgnorePaths: ignores,
		},
	}
	ho := hashing.Options{Algorithm: hashing.Algorithm(opts.Hash), Workers: opts.Workers, Progress: opts.Progress, Cache: cache}
	if opts.Method == MethodShards {
		m.Serialization.ShardSize = opts.ShardSize
		ho.ShardSize = opts.ShardSize
	}
	ds, err := hashing.Hash(ctx, files, ho)
	if err != nil {
		return nil, modelErr(modelPath, err)
	}
	for _, d := range ds {
		name := d.File.Name
		if opts.Method == MethodShards {
			name = shardName(name, d.Start, d.End)
		}
		m.Resources = append(m.Resources, Resource{Name: name, Algorithm: string(opts.Hash), Digest: d.Sum})
	}
	// OMS v1.0 §5.2.1: sorted by name in code point order, which is the
	// byte order of UTF-8.
	slices.SortFunc(m.Resources, func(a, b Resource) int { return strings.Compare(a.Name, b.Name) })
	return m, nil
}

func shardName(file string, start, end int64) string {
	return file + ":" + strconv.FormatInt(start, 10) + ":" + strconv.FormatInt(end, 10)
}

// modelName is the subject name: the base name of the model path.
func modelName(modelPath string) string {
	if abs, err := filepath.Abs(modelPath); err == nil {
		modelPath = abs
	}
	return filepath.Base(modelPath)
}

// parseShardName splits "path:start:end" at its last two colons (OMS §6.3.2),
// so a path may itself contain colons.
func parseShardName(name string) (file string, start, end int64, err error) {
	j := strings.LastIndexByte(name, ':')
	if j < 0 {
		return "", 0, 0, errors.New("shard name is not path:start:end")
	}
	i := strings.LastIndexByte(name[:j], ':')
	if i < 0 {
		return "", 0, 0, errors.New("shard name is not path:start:end")
	}
	file = name[:i]
	start, err1 := parseOffset(name[i+1 : j])
	end, err2 := parseOffset(name[j+1:])
	if err1 != nil || err2 != nil || start >= end {
		return "", 0, 0, errors.New("shard name has an invalid byte range")
	}
	return file, start, end, nil
}

// parseOffset accepts only canonical decimal: no sign, no leading zero.
func parseOffset(s string) (int64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || s[0] == '+' || s[0] == '-' {
		return 0, errors.New("bad offset")
	}
	return strconv.ParseInt(s, 10, 64)
}

// checkResourceName rejects a resource name from a signature that could
// not have come from a model: an absolute path, a ".." or empty component,
// a NUL, invalid UTF-8. "." (the reference tool's name for a single-file
// model) is allowed.
func checkResourceName(name string, ser Serialization) error {
	file := name
	if ser.Method == MethodShards {
		f, start, end, err := parseShardName(name)
		if err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		if ser.ShardSize > 0 && (start%ser.ShardSize != 0 || end-start > ser.ShardSize) {
			return fmt.Errorf("%q: byte range does not fit shard size %d", name, ser.ShardSize)
		}
		file = f
	}
	if file == "." {
		return nil
	}
	if err := hashing.CheckName(file); err != nil {
		return fmt.Errorf("unsafe resource name: %w", err)
	}
	return nil
}
