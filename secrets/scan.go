package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/mlsec-dev/mlsec/internal/credrules"
	"github.com/mlsec-dev/mlsec/internal/docread"
)

// A Finding is one credential found by [Scan]. It never holds the
// credential itself: Match is redacted and Fingerprint is a digest.
type Finding struct {
	Path        string `json:"path"`
	Line        int    `json:"line"`   // 1-based
	Column      int    `json:"column"` // 1-based, in bytes
	Rule        string `json:"rule"`
	Description string `json:"description"`
	// Match shows at most the first four characters of the secret.
	Match string `json:"match"`
	// Fingerprint is the first 16 hex digits of SHA-256(secret), to track
	// one leaked credential across files without revealing it.
	Fingerprint string `json:"fingerprint"`
	// Field is the column name in a Parquet or Arrow file, where Line is
	// the row and Column the column index (both 1-based).
	Field string `json:"field,omitempty"`
	// Encoding, for a secret found by decoding, is the chain of encodings
	// it was stored under, outermost first ("base64", "base64/hex"); Line
	// and Column are where the encoded run starts.
	Encoding string `json:"encoding,omitempty"`
	// PathKind is "test" or "docs" when the path looks like a test or
	// documentation file ([PathKind]), so that a caller can set aside
	// findings there; the rules are the same everywhere.
	PathKind string `json:"path_kind,omitempty"`
}

func (f Finding) String() string {
	var tail string
	if f.Encoding != "" {
		tail += " [encoded: " + f.Encoding + "]"
	}
	if f.PathKind != "" {
		tail += " [" + f.PathKind + " path]"
	}
	if f.Field != "" {
		return fmt.Sprintf("%s: row %d, column %q: %s (%s): %s%s", f.Path, f.Line, f.Field, f.Rule, f.Description, f.Match, tail)
	}
	return fmt.Sprintf("%s:%d:%d: %s (%s): %s%s", f.Path, f.Line, f.Column, f.Rule, f.Description, f.Match, tail)
}

// Allowlist suppresses findings that are known not to be leaks.
type Allowlist struct {
	// Paths are path.Match patterns on the slash-separated path of a file
	// or on its base name (e.g. "testdata/*", "*.lock").
	Paths []string
	// Regexes are matched against the secret of a finding.
	Regexes []*regexp.Regexp
	// Stopwords suppress a finding whose secret contains one of them
	// (case-insensitive), in addition to the built-in placeholder words.
	Stopwords []string
}

// AllowComment on a line suppresses findings on that line.
const AllowComment = credrules.AllowComment

// DefaultMaxFindingsPerFile is the per-file bound on reported findings
// when [ScanOptions.MaxFindingsPerFile] is zero.
const DefaultMaxFindingsPerFile = 1000

// ScanOptions configure a scan. The zero value uses [DefaultRules], every
// CPU, no allowlist and [DefaultMaxFindingsPerFile].
type ScanOptions struct {
	Rules     []Rule
	Allowlist Allowlist
	// Workers is the number of files scanned at once (default GOMAXPROCS).
	Workers int
	// Progress, when set, is called after each file with its size, from
	// one goroutine at a time.
	Progress func(path string, size int64)
	// MaxFindingsPerFile bounds the findings reported for one file; the
	// rest are only counted ([ScanSummary.Omitted]), so a file full of
	// key-shaped tokens cannot exhaust memory. 0 means
	// [DefaultMaxFindingsPerFile]; a negative value means no bound.
	MaxFindingsPerFile int
	// DecodeDepth is how many nested encodings (base64, base64url, hex,
	// percent) are decoded to look for secrets inside; 0 means
	// [DefaultDecodeDepth], a negative value turns decoding off.
	DecodeDepth int
	// ExcludeTestAndDocs drops findings whose [Finding.PathKind] is test
	// or docs. The default reports them, marked.
	ExcludeTestAndDocs bool
	// Baseline, when set, drops findings already recorded in it
	// ([Baseline.Contains]) and counts them in [ScanSummary.Baselined].
	Baseline *Baseline
}

// DefaultDecodeDepth is the decoding depth of a scan whose
// [ScanOptions.DecodeDepth] is zero.
const DefaultDecodeDepth = credrules.DefaultDecodeDepth

// maxDecodeDepth caps [ScanOptions.DecodeDepth]: each level can only
// shrink the text, but a deeper chain is not worth its cost.
const maxDecodeDepth = 8

// ErrNotScanned is wrapped by the error of a scan whose root path is
// neither a regular file nor a directory (a named pipe, a device, a
// socket): a scan never reports such a path as clean.
var ErrNotScanned = errors.New("not scanned")

// A Skipped path was not scanned; Reason says why (a symbolic link inside
// a directory is not followed; named pipes, devices and sockets are not
// read).
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

func (s Skipped) String() string { return fmt.Sprintf("%s: not scanned: %s", s.Path, s.Reason) }

// Omitted counts the findings of one file beyond
// [ScanOptions.MaxFindingsPerFile].
type Omitted struct {
	Path  string `json:"path"`
	Count int    `json:"count"`
}

// A ScanSummary says what a scan covered: the files it read, the paths it
// did not read and why, and the findings it counted but did not report.
type ScanSummary struct {
	Files   int       `json:"files"`
	Bytes   int64     `json:"bytes"`
	Skipped []Skipped `json:"skipped,omitempty"`
	Omitted []Omitted `json:"omitted,omitempty"`
	// Baselined counts findings dropped because the baseline holds them;
	// Excluded those dropped as test or documentation paths.
	Baselined int `json:"baselined,omitempty"`
	Excluded  int `json:"excluded,omitempty"`
}

// Scan looks for credentials in every regular file of fsys, in parallel
// over files, streaming each file in bounded memory. Findings are sorted
// by path and line. Files that cannot be read are reported in the
// returned error (naming each file) along with the findings in the rest.
// [ScanFunc] does the same without keeping the findings and also reports
// the paths it skipped.
func Scan(ctx context.Context, fsys fs.FS, opts ScanOptions) ([]Finding, error) {
	var all []Finding
	_, err := ScanFunc(ctx, fsys, opts, collect(&all))
	sortFindings(all)
	return all, err
}

// ScanPath scans a file or a directory tree on disk (see [Scan]); finding
// paths start with p. A p that is neither a regular file nor a directory
// is an error wrapping [ErrNotScanned].
func ScanPath(ctx context.Context, p string, opts ScanOptions) ([]Finding, error) {
	var all []Finding
	_, err := ScanPathFunc(ctx, p, opts, collect(&all))
	sortFindings(all)
	return all, err
}

// ScanReader scans one stream, reporting findings under name.
func ScanReader(ctx context.Context, name string, r io.Reader, opts ScanOptions) ([]Finding, error) {
	s, err := newScanner(opts)
	if err != nil {
		return nil, err
	}
	sink := s.newSink()
	err = s.scanStream(ctx, name, r, sink)
	kept := sink.list[:0]
	for _, f := range sink.list {
		if !(s.noTest && f.PathKind != "") && !s.baseline.Contains(f) {
			kept = append(kept, f)
		}
	}
	return kept, err
}

// ScanFunc scans fsys as [Scan] does but streams: fn receives each finding
// as soon as its file is done, files in walk order and findings in file
// order, from one goroutine at a time, and no finding is kept. The summary
// lists the files scanned, the paths skipped (symbolic links, named pipes,
// devices, sockets) and the findings beyond the per-file bound. An error
// from fn stops the scan and is returned.
func ScanFunc(ctx context.Context, fsys fs.FS, opts ScanOptions, fn func(Finding) error) (*ScanSummary, error) {
	s, err := newScanner(opts)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, s.walker(ctx, fsys, ".", "", ""), fn)
}

// ScanPathFunc scans a file or a directory tree on disk as [ScanPath]
// does, streaming findings to fn (see [ScanFunc]). A p that is a symbolic
// link is followed, since it was named; links inside a directory are
// not, and are listed as skipped.
func ScanPathFunc(ctx context.Context, p string, opts ScanOptions, fn func(Finding) error) (*ScanSummary, error) {
	s, err := newScanner(opts)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return &ScanSummary{}, fmt.Errorf("secrets: scan: %w", err)
	}
	switch {
	case fi.IsDir():
		return s.run(ctx, s.walker(ctx, os.DirFS(p), ".", filepath.ToSlash(p), p), fn)
	case fi.Mode().IsRegular():
		name := path.Clean(filepath.ToSlash(p))
		return s.run(ctx, func(emit func(*scanJob) error) error {
			if s.pathAllowed(name) {
				return nil
			}
			return emit(&scanJob{osPath: p, display: name, follow: true})
		}, fn)
	default:
		reason := skipReason(fi.Mode())
		sum := &ScanSummary{Skipped: []Skipped{{Path: p, Reason: reason}}}
		return sum, fmt.Errorf("secrets: scan %s: %w: %s; only regular files and directories are scanned", p, ErrNotScanned, reason)
	}
}

func collect(all *[]Finding) func(Finding) error {
	return func(f Finding) error {
		*all = append(*all, f)
		return nil
	}
}

func sortFindings(findings []Finding) {
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Rule < b.Rule
	})
}

// skipReason says why a path of mode m is not scanned.
func skipReason(m fs.FileMode) string {
	name := docread.ModeName(m)
	switch {
	case name == "":
		return "not a regular file"
	case m&fs.ModeSymlink != 0:
		return name + " (not followed)"
	}
	return name
}

// scanner is a compiled rule set with the options of one scan.
type scanner struct {
	set      *credrules.Set
	depth    int
	noTest   bool
	baseline *Baseline
	paths    []string
	max      int
	workers  int
	progress func(string, int64)
}

func newScanner(opts ScanOptions) (*scanner, error) {
	s := &scanner{set: credrules.DefaultSet(), max: DefaultMaxFindingsPerFile, workers: runtime.GOMAXPROCS(0), depth: DefaultDecodeDepth}
	switch {
	case opts.DecodeDepth < 0:
		s.depth = 0
	case opts.DecodeDepth > 0:
		s.depth = min(opts.DecodeDepth, maxDecodeDepth)
	}
	s.noTest = opts.ExcludeTestAndDocs
	s.baseline = opts.Baseline
	s.paths = opts.Allowlist.Paths
	s.progress = opts.Progress
	if opts.Workers > 0 {
		s.workers = opts.Workers
	}
	if opts.MaxFindingsPerFile != 0 {
		s.max = opts.MaxFindingsPerFile
	}
	if opts.Rules != nil || len(opts.Allowlist.Regexes) > 0 || len(opts.Allowlist.Stopwords) > 0 {
		var rules []credrules.Rule
		if opts.Rules != nil {
			rules = make([]credrules.Rule, len(opts.Rules))
			for i, r := range opts.Rules {
				rules[i] = credrules.Rule(r)
			}
		}
		set, err := credrules.New(rules, credrules.Allowlist{Regexes: opts.Allowlist.Regexes, Stopwords: opts.Allowlist.Stopwords})
		if err != nil {
			return nil, fmt.Errorf("secrets: scan: %w", err)
		}
		s.set = set
	}
	return s, nil
}

func (s *scanner) pathAllowed(p string) bool {
	base := path.Base(p)
	for _, pat := range s.paths {
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
		if ok, _ := path.Match(pat, base); ok {
			return true
		}
		if strings.HasSuffix(pat, "/*") || strings.HasSuffix(pat, "/**") {
			dir := strings.TrimSuffix(strings.TrimSuffix(pat, "*"), "*")
			if strings.HasPrefix(p, dir) || strings.Contains(p, "/"+dir) {
				return true
			}
		}
	}
	return false
}

// A scanJob is one path of a scan, in walk order.
type scanJob struct {
	fsys    fs.FS
	rel     string // path in fsys
	osPath  string // path on disk, when the scan is of a directory on disk
	display string // path in findings
	follow  bool   // a path the caller named: follow a symbolic link
	skip    *Skipped
	done    chan fileResult
}

// fileResult is what a worker found in one file: at most the per-file
// bound of findings, and a count of the rest.
type fileResult struct {
	findings []Finding
	omitted  int
	size     int64
	skip     *Skipped
	err      error
}

// walker lists the regular files of fsys under root; osRoot, when fsys is
// a directory on disk, lets files be opened without following links and
// Parquet and Arrow files be decoded (elsewhere their raw bytes are
// scanned). prefix is prepended to reported paths.
func (s *scanner) walker(ctx context.Context, fsys fs.FS, root, prefix, osRoot string) func(func(*scanJob) error) error {
	display := func(p string) string {
		if prefix == "" {
			return p
		}
		if p == "." {
			return strings.TrimSuffix(prefix, "/")
		}
		return path.Join(prefix, p)
	}
	return func(emit func(*scanJob) error) error {
		var errs []error
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root {
					return err
				}
				errs = append(errs, fmt.Errorf("secrets: scan %s: %w", display(p), err))
				return nil
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if d.IsDir() {
				if d.Name() == ".git" && p != root {
					return fs.SkipDir
				}
				return nil
			}
			name := display(p)
			if s.pathAllowed(name) {
				return nil
			}
			j := &scanJob{fsys: fsys, rel: p, display: name}
			if osRoot != "" {
				j.osPath = filepath.Join(osRoot, filepath.FromSlash(p))
			}
			if !d.Type().IsRegular() {
				j.skip = &Skipped{Path: name, Reason: skipReason(d.Type())}
			}
			return emit(j)
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("secrets: scan %s: %w", display(root), err))
		}
		return errors.Join(errs...)
	}
}

// run scans the jobs that walk emits on s.workers goroutines and hands
// their findings to fn in walk order. Memory stays bounded: at most
// 3×workers files' results (each within the per-file bound) wait at once.
func (s *scanner) run(ctx context.Context, walk func(emit func(*scanJob) error) error, fn func(Finding) error) (*ScanSummary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *scanJob)
	order := make(chan *scanJob, 2*s.workers)
	var wg sync.WaitGroup
	for range s.workers {
		wg.Go(func() {
			for j := range jobs {
				j.done <- s.scanFile(ctx, j)
			}
		})
	}
	var walkErr error
	go func() {
		defer close(order)
		defer close(jobs)
		walkErr = walk(func(j *scanJob) error {
			j.done = make(chan fileResult, 1)
			if j.skip != nil {
				j.done <- fileResult{skip: j.skip}
			}
			select {
			case order <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			if j.skip != nil {
				return nil
			}
			select {
			case jobs <- j:
				return nil
			case <-ctx.Done():
				j.done <- fileResult{err: fmt.Errorf("secrets: scan %s: %w", j.display, ctx.Err())}
				return ctx.Err()
			}
		})
	}()
	sum := &ScanSummary{}
	var errs []error
	var fnErr error
	for j := range order {
		res := <-j.done
		if res.skip != nil {
			sum.Skipped = append(sum.Skipped, *res.skip)
			continue
		}
		if res.err != nil {
			errs = append(errs, res.err)
		} else {
			sum.Files++
			sum.Bytes += res.size
		}
		for _, f := range res.findings {
			if fnErr != nil {
				break
			}
			if s.noTest && f.PathKind != "" {
				sum.Excluded++
				continue
			}
			if s.baseline.Contains(f) {
				sum.Baselined++
				continue
			}
			if fnErr = fn(f); fnErr != nil {
				cancel()
			}
		}
		if res.omitted > 0 {
			sum.Omitted = append(sum.Omitted, Omitted{Path: j.display, Count: res.omitted})
		}
		if s.progress != nil && res.err == nil {
			s.progress(j.display, res.size)
		}
	}
	wg.Wait()
	if fnErr != nil {
		return sum, fnErr
	}
	if walkErr != nil {
		errs = append([]error{walkErr}, errs...)
	}
	return sum, errors.Join(errs...)
}

// scanFile scans one job's file, refusing anything but a regular file at
// the moment it is opened (a path swapped for a named pipe after it was
// listed must not block the scan).
func (s *scanner) scanFile(ctx context.Context, j *scanJob) fileResult {
	sink := s.newSink()
	res := func(size int64, err error) fileResult {
		return fileResult{findings: sink.list, omitted: sink.omitted, size: size, err: err}
	}
	if err := ctx.Err(); err != nil {
		return res(0, fmt.Errorf("secrets: scan %s: %w", j.display, err))
	}
	var (
		f   fs.File
		err error
	)
	if j.osPath != "" {
		flag := os.O_RDONLY | openNonBlock
		if !j.follow {
			flag |= openNoFollow
		}
		f, err = os.OpenFile(j.osPath, flag, 0)
	} else {
		f, err = j.fsys.Open(j.rel)
	}
	if err != nil {
		return res(0, fmt.Errorf("secrets: scan %s: %w", j.display, err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return res(0, fmt.Errorf("secrets: scan %s: %w", j.display, err))
	}
	if !fi.Mode().IsRegular() {
		return fileResult{skip: &Skipped{Path: j.display, Reason: skipReason(fi.Mode())}}
	}
	if j.osPath != "" && isColumnar(j.osPath) {
		f.Close()
		return res(fi.Size(), s.scanColumnar(ctx, j.osPath, j.display, sink))
	}
	return res(fi.Size(), s.scanStream(ctx, j.display, f, sink))
}

// findingSink keeps a file's findings up to the per-file bound and counts
// the rest.
type findingSink struct {
	max     int
	list    []Finding
	omitted int
}

func (s *scanner) newSink() *findingSink { return &findingSink{max: s.max} }

// full reports whether the bound is reached: the next finding is only
// counted.
func (k *findingSink) full() bool { return k.max >= 0 && len(k.list) >= k.max }

const scanChunk = 1 << 20

// chunkPool holds the 2 MiB buffers of scanStream, so scanning many small
// files does not allocate one each.
var chunkPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 2*scanChunk)
	return &b
}}

// scanStream scans r chunk by chunk, cutting chunks at line ends so that
// no match is split; memory stays at about two chunks.
func (s *scanner) scanStream(ctx context.Context, name string, r io.Reader, sink *findingSink) error {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	var (
		buf     = (*bp)[:0]
		line    = 1 // line number at buf[0]
		lineOff int64
		base    int64 // file offset of buf[0]; lineOff: where that line starts
		eof     bool
	)
	for !eof {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("secrets: scan %s: %w", name, err)
		}
		// Fill up to scanChunk of new data.
		start := len(buf)
		buf = buf[:start+scanChunk]
		n, err := io.ReadFull(r, buf[start:])
		buf = buf[:start+n]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			eof = true
		} else if err != nil {
			return fmt.Errorf("secrets: scan %s: %w", name, err)
		}
		cut := len(buf)
		if !eof {
			if j := bytes.LastIndexByte(buf, '\n'); j >= 0 {
				cut = j + 1
			} else if len(buf) > credrules.MaxWindow {
				// One very long line: keep an overlap for matches that
				// straddle the cut; a match starting at or after the cut
				// is left to the next round.
				cut = len(buf) - credrules.MaxWindow
			}
		}
		// pos, ln and nl advance with the matches (which come in order),
		// so line and column cost one pass over the chunk in all.
		pos, ln, nl := 0, line, -1
		for _, m := range s.set.FindDecoded(buf[:min(len(buf), cut+credrules.MaxWindow)], s.depth) {
			if m.Start >= cut {
				break
			}
			if sink.full() {
				sink.omitted++
				continue
			}
			seg := buf[pos:m.Start]
			if c := bytes.Count(seg, []byte{'\n'}); c > 0 {
				ln += c
				nl = pos + bytes.LastIndexByte(seg, '\n')
			}
			pos = m.Start
			col := int(base + int64(m.Start) - lineOff + 1)
			if nl >= 0 {
				col = m.Start - nl
			}
			sink.list = append(sink.list, makeFinding(name, ln, col, m, buf))
		}
		line += bytes.Count(buf[:cut], []byte{'\n'})
		if j := bytes.LastIndexByte(buf[:cut], '\n'); j >= 0 {
			lineOff = base + int64(j) + 1
		}
		base += int64(cut)
		buf = buf[:copy(buf, buf[cut:])]
	}
	return nil
}

// makeFinding reports match m of buf, which was read from file name.
func makeFinding(name string, line, col int, m credrules.Match, buf []byte) Finding {
	secret := m.Secret
	if secret == nil {
		secret = buf[m.Start:m.End]
	}
	return Finding{
		Path: name, Line: line, Column: col, Rule: m.Rule.ID, Description: m.Rule.Description,
		Match: credrules.Redact(secret), Fingerprint: credrules.Fingerprint(secret),
		Encoding: m.Encoding, PathKind: PathKind(name),
	}
}
