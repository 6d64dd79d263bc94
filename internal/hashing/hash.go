package hashing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"
)

// DefaultBufferSize is the read buffer of one worker. 256 KiB stays in a
// core's L2 cache between read(2) writing it and SHA-256 reading it: on
// a directory of 8 x 128 MiB files, 1 MiB buffers made mlsec hash 15%
// slower, and shards of one file are the same either way.
const DefaultBufferSize = 256 << 10

// Options control Hash.
type Options struct {
	// Algorithm is the content hash; the zero value means SHA256.
	Algorithm Algorithm
	// ShardSize, when positive, splits every file into pieces
	// [0,S), [S,2S), ... [kS,size) hashed independently (and in parallel).
	// An empty file then has no shard. Zero hashes whole files.
	ShardSize int64
	// Workers bounds the files or shards hashed at once; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// BufferSize is each worker's read buffer; 0 means DefaultBufferSize.
	BufferSize int
	// Progress, if set, is called with bytes hashed so far and the total,
	// from one goroutine at a time, with done never decreasing.
	Progress func(done, total int64)
	// Cache, if set, supplies digests of unchanged files and records new
	// ones. Use it only to produce (sign) a manifest, never to check one.
	Cache *Cache
}

// Digest is the hash of the bytes [Start, End) of File.
type Digest struct {
	File       File
	Start, End int64
	Sum        []byte
}

// Hash hashes files (whole, or in shards when opts.ShardSize > 0) with a
// bounded pool of workers. The digests come back in the order of files,
// and shards of a file by ascending offset, whatever order the workers
// finish in. A file whose size changes while it is hashed in shards is an
// error.
//
// Files listed by Walk are opened through an os.Root on the walked
// directory, by a path with no symbolic link in it, and must still be the
// file that a no-follow stat found just before: a directory swapped for a
// link never leads outside the root, and a file swapped for a link or a
// special file is refused. Files built by hand are opened by Path without
// following a final link.
func Hash(ctx context.Context, files []File, opts Options) ([]Digest, error) {
	if opts.Algorithm == "" {
		opts.Algorithm = SHA256
	}
	if _, err := opts.Algorithm.New(); err != nil {
		return nil, err
	}
	if opts.ShardSize < 0 {
		return nil, fmt.Errorf("hashing: negative shard size %d", opts.ShardSize)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	bufSize := opts.BufferSize
	if bufSize <= 0 {
		bufSize = DefaultBufferSize
	}

	var tasks []Digest
	var total int64
	for _, f := range files {
		total += f.Size
		if opts.ShardSize == 0 {
			tasks = append(tasks, Digest{File: f, End: f.Size})
			continue
		}
		for start := int64(0); start < f.Size; start += opts.ShardSize {
			tasks = append(tasks, Digest{File: f, Start: start, End: min(start+opts.ShardSize, f.Size)})
		}
	}
	if len(tasks) == 0 {
		return tasks, nil
	}
	workers = min(workers, len(tasks))

	// Hand out the largest pieces first so that one long piece does not
	// start last and leave the other workers idle.
	order := make([]int, len(tasks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(tasks[b].End-tasks[b].Start, tasks[a].End-tasks[a].Start)
	})

	roots := map[*rootDir]*os.Root{}
	defer func() {
		for _, r := range roots {
			r.Close()
		}
	}()
	for _, f := range files {
		if f.root == nil || roots[f.root] != nil {
			continue
		}
		r, err := f.root.reopen()
		if err != nil {
			return nil, err
		}
		roots[f.root] = r
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p := &progress{fn: opts.Progress, total: total}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			buf := make([]byte, bufSize)
			for i := range next {
				if err := hashOne(ctx, &tasks[i], roots, opts, buf, p, opts.ShardSize > 0); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, i := range order {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	p.finish()
	return tasks, nil
}

// hashOne hashes one file or shard into d.Sum.
func hashOne(ctx context.Context, d *Digest, roots map[*rootDir]*os.Root, opts Options, buf []byte, p *progress, sharded bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name := QuoteName(d.File.Name)
	f, err := open(roots, d.File)
	if errors.Is(err, ErrSymlink) || errors.Is(err, ErrNotRegular) {
		return &EntryError{Name: d.File.Name, Err: err}
	}
	if err != nil {
		return fmt.Errorf("hashing: %s: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("hashing: %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return &EntryError{Name: d.File.Name, Err: ErrNotRegular}
	}
	if sharded && info.Size() < d.End {
		return fmt.Errorf("hashing: %s: file shrank from %d to %d bytes while hashing", name, d.File.Size, info.Size())
	}
	stamp, stampOK := stampOf(info)
	if opts.Cache != nil && stampOK {
		if sum, ok := opts.Cache.lookup(d.File.Path, opts.Algorithm, d.Start, d.End, sharded, stamp); ok {
			if !sharded {
				d.End = info.Size()
			}
			d.Sum = sum
			p.add(d.End - d.Start)
			return nil
		}
	}
	began := time.Now()
	h, _ := opts.Algorithm.New()
	var r io.Reader = f
	if sharded {
		r = io.NewSectionReader(f, d.Start, d.End-d.Start)
	}
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := r.Read(buf)
		if k > 0 {
			h.Write(buf[:k])
			n += int64(k)
			p.add(int64(k))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("hashing: %s: %w", name, err)
		}
	}
	if sharded && n != d.End-d.Start {
		return fmt.Errorf("hashing: %s: file shrank while hashing", name)
	}
	if !sharded {
		d.End = n
	}
	d.Sum = h.Sum(nil)
	if opts.Cache != nil && stampOK {
		opts.Cache.store(d.File.Path, opts.Algorithm, d.Start, d.End, sharded, stamp, d.Sum, began)
	}
	return nil
}

// progress serialises calls to the callback.
type progress struct {
	mu          sync.Mutex
	fn          func(done, total int64)
	done, total int64
}

func (p *progress) add(n int64) {
	if p.fn == nil || n <= 0 {
		return
	}
	p.mu.Lock()
	p.done += n
	if p.done > p.total {
		p.total = p.done
	}
	p.fn(p.done, p.total)
	p.mu.Unlock()
}

// finish reports completion once more, so a caller sees done == total
// even when files shrank.
func (p *progress) finish() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	p.total = p.done
	p.fn(p.done, p.total)
	p.mu.Unlock()
}

// open opens f for reading; see Hash for the rules.
func open(roots map[*rootDir]*os.Root, f File) (*os.File, error) {
	r := roots[f.root]
	if r == nil {
		return os.OpenFile(f.Path, os.O_RDONLY|openNoFollow|openNonBlock, 0)
	}
	// f.rel holds no link of its own, but os.Root follows links that stay
	// inside it; a file swapped for one (or for a special file) after the
	// Lstat is caught by comparing identities.
	before, err := r.Lstat(f.rel)
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		if before.Mode()&fs.ModeSymlink != 0 {
			return nil, ErrSymlink
		}
		return nil, ErrNotRegular
	}
	file, err := r.OpenFile(f.rel, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, err
	}
	after, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	if a, ok := idOf(after); ok {
		if b, _ := idOf(before); a != b {
			file.Close()
			return nil, errors.New("file replaced while hashing")
		}
	}
	return file, nil
}
