package gate

import (
	"container/list"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"hash"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/validation"
)

// VerifyCache remembers the outcome of verifying an attestation, so that
// deciding again over the same store (the next deployment of the same
// model, an admission retry) does not verify the same signatures again.
//
// An entry is keyed by the digest of the envelope (and of its Sigstore
// bundle, when keyless) together with the digest of the trust it was
// verified under: the policy, its keys (the public keys themselves, also
// those read from key files and those behind a KMS verifier), the trusted
// root and the subjects asked about. Change any of them and the entry no
// longer applies. Outcomes under a policy with maxAge are never cached:
// they depend on the clock.
//
// It is bounded (least recently used entries are dropped first) and safe
// for concurrent use; share one across decisions with [Trust].Cache. Its
// entries are read-only: Collect never modifies what it got from the cache.
type VerifyCache struct {
	max          int
	mu           sync.Mutex
	ll           *list.List // front: most recently used
	entries      map[[32]byte]*list.Element
	hits, misses atomic.Int64
}

// DefaultCacheEntries is the bound NewVerifyCache applies to a size <= 0.
const DefaultCacheEntries = 100_000

type cacheEntry struct {
	key      [32]byte
	verified *provenance.Verified
	err      *provenance.VerificationError
	// envDigest is the envelope's digest, the evidence digest a VSA names.
	envDigest provenance.DigestSet
	// testResult is the verified payload decoded as a test result, once.
	testResult atomic.Pointer[validation.Statement]
}

// NewVerifyCache returns an empty cache of at most maxEntries outcomes
// (DefaultCacheEntries when maxEntries <= 0). An outcome holds the
// verified statement's bytes, so the memory bound is maxEntries times the
// size of a statement.
func NewVerifyCache(maxEntries int) *VerifyCache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	return &VerifyCache{max: maxEntries, ll: list.New(), entries: map[[32]byte]*list.Element{}}
}

// CacheStats counts the lookups of a VerifyCache.
type CacheStats struct {
	Entries      int
	Hits, Misses int64
}

// Stats reports the number of entries and of lookups that hit and missed.
func (c *VerifyCache) Stats() CacheStats {
	c.mu.Lock()
	n := c.ll.Len()
	c.mu.Unlock()
	return CacheStats{Entries: n, Hits: c.hits.Load(), Misses: c.misses.Load()}
}

func (c *VerifyCache) get(key [32]byte) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	c.ll.MoveToFront(el)
	return el.Value.(*cacheEntry), true
}

func (c *VerifyCache) put(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.key]; ok {
		el.Value = e
		c.ll.MoveToFront(el)
		return
	}
	c.entries[e.key] = c.ll.PushFront(e)
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.entries, old.Value.(*cacheEntry).key)
	}
}

// minChunk is the fewest attestations a worker verifies at a time: below
// it, starting a goroutine costs more than it saves.
const minChunk = 16

// verify verifies atts against p as provenance's Attestations.Verify does,
// with the outcomes already in the cache taken from it and the others
// verified by a bounded pool of workers. The results are in the order of
// atts, whatever order the workers finish in.
func (c *collector) verify(atts provenance.Attestations, p *provenance.Policy, opts provenance.VerifyOptions) (provenance.AttestationResults, error) {
	out := make(provenance.AttestationResults, len(atts))
	var keys [][32]byte
	misses := make([]int, 0, len(atts))
	if tk, ok := trustKey(c.cache, p, opts); ok {
		keys = make([][32]byte, len(atts))
		for i, a := range atts {
			keys[i] = entryKey(tk, a)
			if e, ok := c.cache.get(keys[i]); ok {
				out[i] = cachedResult(a, e)
				c.entries[a.Source] = e
				continue
			}
			misses = append(misses, i)
		}
	} else {
		for i := range atts {
			misses = append(misses, i)
		}
	}
	if len(misses) == 0 {
		return out, nil
	}

	fresh := make([]*cacheEntry, len(atts))
	workers := max(c.workers, 1)
	size := max(minChunk, (len(misses)+4*workers-1)/(4*workers))
	var chunks [][]int
	for lo := 0; lo < len(misses); lo += size {
		chunks = append(chunks, misses[lo:min(lo+size, len(misses))])
	}
	workers = min(workers, len(chunks))
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	for range workers {
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= len(chunks) {
					return
				}
				idx := chunks[n]
				sub := make(provenance.Attestations, len(idx))
				for j, i := range idx {
					sub[j] = atts[i]
				}
				rs, err := sub.Verify(ctx, p, opts)
				if err != nil {
					errOnce.Do(func() { first = err; cancel() })
					return
				}
				for j, i := range idx {
					out[i] = rs[j]
					var key [32]byte
					if keys != nil {
						key = keys[i]
					}
					fresh[i] = newEntry(key, rs[j])
					if keys != nil {
						c.cache.put(fresh[i])
					}
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		// The caller's cancellation, not the one that stopped the others.
		if err := c.ctx.Err(); err != nil {
			return nil, err
		}
		return nil, first
	}
	for _, i := range misses {
		c.entries[atts[i].Source] = fresh[i]
	}
	return out, nil
}

func newEntry(key [32]byte, r provenance.AttestationResult) *cacheEntry {
	e := &cacheEntry{key: key, verified: r.Verified}
	if r.Verified != nil {
		e.envDigest = envelopeDigest(r.Attestation)
	}
	if r.Err != nil {
		// Attestations.Verify returns only verification errors per
		// attestation; anything else stopped the whole set.
		e.err, _ = r.Err.(*provenance.VerificationError)
	}
	return e
}

// cachedResult is a cached outcome for attestation a: an error names a's
// source, not that of the envelope first verified with the same bytes.
func cachedResult(a provenance.Attestation, e *cacheEntry) provenance.AttestationResult {
	r := provenance.AttestationResult{Attestation: a, Verified: e.verified}
	if e.err != nil {
		ve := *e.err
		ve.Input = a.Source
		r.Err = &ve
	}
	return r
}

// trustKey is the digest of everything a verification outcome depends on
// besides the envelope: the policy with its key material, the trusted root,
// the predicate type and subjects. ok is false when the outcome must not
// be cached: no cache, a policy with maxAge (the outcome depends on the
// clock), or key material that cannot be read (verification will say why).
func trustKey(c *VerifyCache, p *provenance.Policy, opts provenance.VerifyOptions) ([32]byte, bool) {
	var k [32]byte
	if c == nil || p == nil || p.MaxAge != 0 {
		return k, false
	}
	h := sha256.New()
	pj, err := json.Marshal(p)
	if err != nil {
		return k, false
	}
	field(h, []byte("mlsec gate verify cache v1"))
	field(h, pj)
	for _, b := range p.Builders {
		field(h, []byte(b.ID))
		for _, key := range b.Keys {
			if key.File == "" {
				continue
			}
			// The file's content, not its name: a key replaced on disk
			// is another trust.
			pem, err := os.ReadFile(key.File)
			if err != nil {
				return k, false
			}
			field(h, pem)
		}
		for _, v := range b.Verifiers {
			if v == nil {
				return k, false
			}
			pub, err := v.PublicKey()
			if err != nil {
				return k, false
			}
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				return k, false
			}
			field(h, der)
		}
	}
	field(h, opts.TrustedRoot)
	field(h, []byte(opts.PredicateType))
	for _, s := range opts.Subjects {
		field(h, []byte(canonical(s)))
	}
	copy(k[:], h.Sum(nil))
	return k, true
}

// entryKey is the cache key of attestation a under trust tk: its
// envelope's fields (not the file's bytes, so the same envelope in another
// carrier is the same entry) and its bundle.
func entryKey(tk [32]byte, a provenance.Attestation) [32]byte {
	h := sha256.New()
	h.Write(tk[:])
	if env := a.Envelope; env != nil {
		field(h, []byte(env.PayloadType))
		field(h, []byte(env.Payload))
		for _, s := range env.Signatures {
			field(h, []byte(s.KeyID))
			field(h, []byte(s.Sig))
		}
	} else {
		field(h, []byte("no envelope"))
	}
	field(h, a.Bundle)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// field writes b length-prefixed, so that no two sequences of fields hash
// alike.
func field(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// claimIndex finds the attestations that claim a subject without decoding
// every envelope for every question: each envelope's claims are read once
// (in parallel, nothing verified: like provenance's Attestations.About, it
// only picks what to verify), indexed by digest value, and a candidate is
// kept when one of its subjects matches (provenance.DigestSet.Matches).
type claimIndex struct {
	store    provenance.Attestations
	subjects [][]provenance.DigestSet
	byKey    map[string][]int // predicateType|alg:value -> positions in store
}

func newClaimIndex(ctx context.Context, store provenance.Attestations, workers int) *claimIndex {
	type head struct {
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest provenance.DigestSet `json:"digest"`
		} `json:"subject"`
	}
	ix := &claimIndex{store: store, subjects: make([][]provenance.DigestSet, len(store)), byKey: map[string][]int{}}
	types := make([]string, len(store))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(workers, 1), max(len(store)/minChunk, 1)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(store) || ctx.Err() != nil {
					return
				}
				env := store[i].Envelope
				if env == nil || env.PayloadType != provenance.PayloadType {
					continue
				}
				body, err := env.DecodeB64Payload()
				if err != nil {
					continue
				}
				var hd head
				if json.Unmarshal(body, &hd) != nil {
					continue
				}
				types[i] = hd.PredicateType
				for _, s := range hd.Subject {
					ix.subjects[i] = append(ix.subjects[i], s.Digest)
				}
			}
		})
	}
	wg.Wait()
	for i, subs := range ix.subjects {
		for _, d := range subs {
			for alg, v := range d {
				k := types[i] + "|" + alg + ":" + strings.ToLower(v)
				if l := ix.byKey[k]; len(l) == 0 || l[len(l)-1] != i {
					ix.byKey[k] = append(l, i)
				}
			}
		}
	}
	return ix
}

// about is what store.About(predicateType, subject) returns, in store
// order.
func (ix *claimIndex) about(predicateType string, subject provenance.DigestSet) provenance.Attestations {
	seen := map[int]bool{}
	var pos []int
	for alg, v := range subject {
		for _, i := range ix.byKey[predicateType+"|"+alg+":"+strings.ToLower(v)] {
			if !seen[i] && slices.ContainsFunc(ix.subjects[i], func(d provenance.DigestSet) bool { return d.Matches(subject, nil) }) {
				seen[i] = true
				pos = append(pos, i)
			}
		}
	}
	slices.Sort(pos)
	out := make(provenance.Attestations, len(pos))
	for j, i := range pos {
		out[j] = ix.store[i]
	}
	return out
}

// defaultWorkers is the size of the worker pool when Trust.Workers is 0.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
