package hashing

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/mlsec-dev/mlsec/internal/atomicfile"
)

// stamp identifies one version of a file's content without reading it.
type stamp struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
	CTime int64  `json:"ctime"`
	Inode uint64 `json:"inode"`
	Dev   uint64 `json:"dev"`
}

type cacheEntry struct {
	Stamp  stamp  `json:"stamp"`
	Digest string `json:"digest"`
}

// cacheVersion is bumped whenever the key or entry layout changes.
const cacheVersion = 1

// Cache remembers digests of files keyed by their path, the algorithm,
// the byte range, and the file's size, modification time, inode and
// change time, so that re-hashing an unchanged file is skipped. Any change
// of the stamp (including a rename onto the path or chmod/touch, which
// move ctime) invalidates an entry. It is meant for producing a manifest
// again after a small edit; a verifier must never trust it, since whoever
// can write the cache file can make it lie.
//
// A Cache is safe for concurrent use.
type Cache struct {
	path    string
	mu      sync.Mutex
	entries map[string]cacheEntry
	dirty   bool
	hits    int
}

type cacheFile struct {
	Version int                   `json:"version"`
	Entries map[string]cacheEntry `json:"entries"`
}

// OpenCache loads the cache stored at path; a missing file gives an empty
// cache, and an unreadable or outdated one is discarded (it is only ever
// an optimisation).
func OpenCache(path string) (*Cache, error) {
	c := &Cache{path: path, entries: map[string]cacheEntry{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hashing: cache: %w", err)
	}
	var cf cacheFile
	if json.Unmarshal(b, &cf) == nil && cf.Version == cacheVersion && cf.Entries != nil {
		c.entries = cf.Entries
	}
	return c, nil
}

// Hits is the number of digests served from the cache so far.
func (c *Cache) Hits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// Save writes the cache back atomically (temporary file and rename), if
// it changed.
func (c *Cache) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	b, err := json.Marshal(cacheFile{Version: cacheVersion, Entries: c.entries})
	if err != nil {
		return fmt.Errorf("hashing: cache: %w", err)
	}
	if err := atomicfile.WriteFile(c.path, b, 0o600); err != nil {
		return fmt.Errorf("hashing: cache: %w", err)
	}
	c.dirty = false
	return nil
}

func cacheKey(path string, alg Algorithm, start, end int64, sharded bool) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	k := string(alg) + "\x00" + path
	if sharded {
		k += "\x00" + strconv.FormatInt(start, 10) + ":" + strconv.FormatInt(end, 10)
	}
	return k
}

func (c *Cache) lookup(path string, alg Algorithm, start, end int64, sharded bool, st stamp) ([]byte, bool) {
	k := cacheKey(path, alg, start, end, sharded)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.Stamp != st {
		return nil, false
	}
	sum, err := hex.DecodeString(e.Digest)
	if err != nil || len(sum) != alg.Size() {
		return nil, false
	}
	c.hits++
	return sum, true
}

// racyWindow: a file modified this close to when its hashing began may be
// modified again within the same timestamp tick, so its digest is not kept.
const racyWindow = time.Second

func (c *Cache) store(path string, alg Algorithm, start, end int64, sharded bool, st stamp, sum []byte, began time.Time) {
	last := max(st.MTime, st.CTime)
	if began.UnixNano()-last < int64(racyWindow) {
		return
	}
	k := cacheKey(path, alg, start, end, sharded)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[k] = cacheEntry{Stamp: st, Digest: hex.EncodeToString(sum)}
	c.dirty = true
}
