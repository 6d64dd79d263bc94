//go:build unix

package secrets_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

// Regression tests for hostile inputs: a scan never says clean about a
// credential its rules match, nor about a path it did not read, and its
// memory does not grow with the number of findings.

// awsKey is an AWS key ID that every scanner rule accepts: 16 distinct
// base32 characters (entropy well above the floor) without 'E', so no
// placeholder word (example, fake, sample, ...) can appear in it.
func (g *gen) awsKey() string {
	alpha := []byte("ABCDFGHIJKLMNOPQRSTUVWXYZ234567")
	g.r.Shuffle(len(alpha), func(i, j int) { alpha[i], alpha[j] = alpha[j], alpha[i] })
	return "AKIA" + string(alpha[:16])
}

// pickleString frames s as a pickled str in protocol p: 0 (UNICODE, raw
// text up to a newline), 2 (BINUNICODE, 4-byte length), 4 (SHORT_BINUNICODE,
// 1-byte length, for len(s) < 256) — followed by the memo opcode each
// protocol writes after a string (PUT, BINPUT 'q', MEMOIZE).
func pickleString(p int, s string, memo byte) []byte {
	var b bytes.Buffer
	switch {
	case p == 0:
		b.WriteString("V" + s + "\n")
		fmt.Fprintf(&b, "p%d\n", memo)
	case p == 4 && len(s) < 256:
		b.WriteByte(0x8c)
		b.WriteByte(byte(len(s)))
		b.WriteString(s)
		b.WriteByte(0x94)
	default:
		b.WriteByte('X')
		binary.Write(&b, binary.LittleEndian, uint32(len(s)))
		b.WriteString(s)
		b.WriteByte('q')
		b.WriteByte(memo)
	}
	return b.Bytes()
}

// pickleDict is a pickled {"aws_key": value} as written by protocol p.
func pickleDict(p int, value string) []byte {
	var b bytes.Buffer
	if p >= 2 {
		b.Write([]byte{0x80, byte(p)})
	}
	if p == 0 {
		b.WriteString("(dp0\n")
	} else {
		b.WriteString("}q\x00(")
	}
	b.Write(pickleString(p, "aws_key", 1))
	b.Write(pickleString(p, value, 2))
	if p == 0 {
		b.WriteString("s.")
	} else {
		b.WriteString("u.")
	}
	return b.Bytes()
}

// TestScanPickledKeyAnyLength is the class "a key inside a pickle": an AWS
// key at the start, middle or end of a pickled string of every length
// from 20 to 300 bytes (so the length byte takes every value, letters and
// digits included) is found in protocols 0, 2 and 4.
func TestScanPickledKeyAnyLength(t *testing.T) {
	g := newGen(60)
	ctx := testCtx(t)
	for _, p := range []int{0, 2, 4} {
		for n := 20; n <= 300; n++ {
			key := g.awsKey()
			pad := strings.Repeat("x", n-20)
			for where, v := range map[string]string{"start": key + pad, "end": pad + key, "middle": pad[:len(pad)/2] + key + pad[len(pad)/2:]} {
				data := pickleDict(p, v)
				findings, err := secrets.ScanReader(ctx, "model.pkl", bytes.NewReader(data), secrets.ScanOptions{})
				require.NoError(t, err)
				require.Len(t, findings, 1, "protocol %d, %d-byte string, key at the %s", p, n, where)
				require.Equal(t, "aws-access-key-id", findings[0].Rule)
				at := bytes.Index(data, []byte(key))
				require.Equal(t, at-bytes.LastIndexByte(data[:at], '\n'), findings[0].Column)
			}
		}
	}
}

// The same class with pickles written by Python itself, when it is here.
func TestScanPythonPickles(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found; the Go-framed pickles of TestScanPickledKeyAnyLength cover the format")
	}
	g := newGen(61)
	key := g.awsKey()
	tok := "ghp_" + g.s(alnum, 36)
	script := `import pickle, sys
key, tok = sys.argv[1], sys.argv[2]
for p in range(0, pickle.HIGHEST_PROTOCOL + 1):
    for n in range(0, 260, 7):
        obj = {"config": {"aws": key + "x" * n, "hub": "y" * n + tok, "both": [key, tok]}}
        sys.stdout.buffer.write(pickle.dumps(obj, protocol=p))
`
	out, err := exec.Command(py, "-c", script, key, tok).Output()
	if err != nil {
		t.Skipf("python3 cannot run here: %v", err)
	}
	findings, err := secrets.ScanReader(testCtx(t), "objects.pkl", bytes.NewReader(out), secrets.ScanOptions{MaxFindingsPerFile: -1})
	require.NoError(t, err)
	count := map[string]int{}
	for _, f := range findings {
		count[f.Rule]++
	}
	// Each protocol and length holds the key twice and the token twice;
	// protocols ≥ 2 memoise repeated strings, so count what was written.
	require.Equal(t, bytes.Count(out, []byte(key)), count["aws-access-key-id"])
	require.Equal(t, bytes.Count(out, []byte(tok)), count["github-pat"])
}

// TestScanBinaryPrefixedKeys is the class "a key right after a byte that
// does not end a token": every byte value before and after an AWS key and
// a GitHub token, in a file on disk.
func TestScanBinaryPrefixedKeys(t *testing.T) {
	g := newGen(62)
	key := g.awsKey()
	tok := "ghp_" + g.s(alnum, 36)
	dir := t.TempDir()
	var b bytes.Buffer
	var want int
	for c := range 256 {
		b.WriteByte(byte(c))
		b.WriteString(key)
		b.WriteByte(byte(c) | 0x80) // a byte no base32 key continues with
		b.WriteByte(byte(c))
		b.WriteString(tok)
		b.WriteByte(byte(c))
		want += 2
	}
	p := filepath.Join(dir, "weights.bin")
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
	findings, err := secrets.ScanPath(testCtx(t), p, secrets.ScanOptions{MaxFindingsPerFile: -1})
	require.NoError(t, err)
	require.Len(t, findings, want)
}

// TestScanSkipsAndReportsSpecialFiles is the class "paths silently
// skipped": inside a directory, a symbolic link, a named pipe and a socket
// are listed as skipped with a reason and not counted as scanned; named on
// their own, a pipe, a device and a /dev/fd pipe (process substitution)
// are errors, returned at once (a pipe without a writer must not hang the
// scan); a link named on its own is followed.
func TestScanSkipsAndReportsSpecialFiles(t *testing.T) {
	ctx := testCtx(t)
	g := newGen(63)
	tok := "hf_" + g.s(alnum, 34)
	root := t.TempDir()
	outside := filepath.Join(root, "outside.env")
	require.NoError(t, os.WriteFile(outside, []byte("HF="+tok+"\n"), 0o644))
	dir := filepath.Join(root, "model")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"a": 1}`), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "linked.env")))
	fifo := filepath.Join(dir, "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	// A socket path must be short; bind in a short temporary directory.
	sockDir, err := os.MkdirTemp("", "sock")
	require.NoError(t, err)
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "s")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer syscall.Close(fd)
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock}))

	done := make(chan struct{})
	var sum *secrets.ScanSummary
	var findings []secrets.Finding
	go func() {
		defer close(done)
		sum, err = secrets.ScanPathFunc(ctx, dir, secrets.ScanOptions{}, func(f secrets.Finding) error {
			findings = append(findings, f)
			return nil
		})
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the scan hangs on a named pipe")
	}
	require.NoError(t, err)
	require.Empty(t, findings)
	require.Equal(t, 1, sum.Files, "only config.json is scanned")
	reasons := map[string]string{}
	for _, s := range sum.Skipped {
		reasons[filepath.Base(s.Path)] = s.Reason
	}
	require.Equal(t, map[string]string{"linked.env": "symbolic link (not followed)", "pipe": "named pipe"}, reasons)

	// Named on their own.
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	for _, tc := range []struct{ path, reason string }{
		{fifo, "named pipe"},
		{"/dev/null", "character device"},
		{fmt.Sprintf("/dev/fd/%d", r.Fd()), "named pipe"},
		{sock, "socket"},
	} {
		if _, err := os.Stat(tc.path); err != nil {
			t.Logf("%s: %v; not tested here", tc.path, err)
			continue
		}
		done := make(chan struct{})
		var (
			sum *secrets.ScanSummary
			err error
		)
		go func() {
			defer close(done)
			sum, err = secrets.ScanPathFunc(ctx, tc.path, secrets.ScanOptions{}, func(secrets.Finding) error { return nil })
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the scan hangs", tc.path)
		}
		require.ErrorIs(t, err, secrets.ErrNotScanned, tc.path)
		require.Contains(t, err.Error(), tc.reason)
		require.Zero(t, sum.Files)
		require.Equal(t, []secrets.Skipped{{Path: tc.path, Reason: tc.reason}}, sum.Skipped)
		_, err = secrets.ScanPath(ctx, tc.path, secrets.ScanOptions{})
		require.ErrorIs(t, err, secrets.ErrNotScanned)
	}

	// A link named on the command line is what the caller asked for.
	findings, err = secrets.ScanPath(ctx, filepath.Join(dir, "linked.env"), secrets.ScanOptions{})
	require.NoError(t, err)
	require.Len(t, findings, 1)
	require.Equal(t, "huggingface-token", findings[0].Rule)
}

// TestScanManyFindingsBoundedMemory is the class "every finding kept in
// memory": a 31 MB file of 1.5 million key-shaped tokens is scanned with
// the heap staying under 64 MiB above where it started; the first
// findings are reported and the rest counted.
func TestScanManyFindingsBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and scans a 31 MB file")
	}
	const tokens = 1_500_000
	g := newGen(64)
	p := filepath.Join(t.TempDir(), "keys.txt")
	f, err := os.Create(p)
	require.NoError(t, err)
	keys := make([]string, 4096) // repeated: a finding per occurrence
	for i := range keys {
		keys[i] = g.awsKey()
	}
	var line []byte
	for i := range tokens {
		line = append(line, keys[i%len(keys)]...)
		if i%100 == 99 {
			line = append(line, '\n') // lines of 100 tokens
		} else {
			line = append(line, ' ')
		}
		if len(line) > 1<<16 {
			_, err = f.Write(line)
			require.NoError(t, err)
			line = line[:0]
		}
	}
	_, err = f.Write(line)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	line = nil

	began := time.Now()
	peak, stop := sampleHeap()
	var reported int
	sum, err := secrets.ScanPathFunc(testCtx(t), p, secrets.ScanOptions{}, func(secrets.Finding) error {
		reported++
		return nil
	})
	grew := stop()
	require.NoError(t, err)
	require.Equal(t, secrets.DefaultMaxFindingsPerFile, reported)
	require.Equal(t, []secrets.Omitted{{Path: filepath.ToSlash(p), Count: tokens - reported}}, sum.Omitted)
	t.Logf("scanned in %v; the heap grew by at most %d MiB (peak %d MiB)", time.Since(began), grew>>20, peak()>>20)
	require.Less(t, grew, uint64(64<<20))

	// The slice API is bounded the same way.
	head, err := os.Open(p)
	require.NoError(t, err)
	defer head.Close()
	findings, err := secrets.ScanReader(testCtx(t), "keys.txt", io.LimitReader(head, 1<<20), secrets.ScanOptions{MaxFindingsPerFile: 10})
	require.NoError(t, err)
	require.Len(t, findings, 10)
}

// sampleHeap records the live heap every millisecond until stop is
// called; stop returns how far it rose above its level at the start.
func sampleHeap() (peak func() uint64, stop func() uint64) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	start := read()
	var (
		mu  sync.Mutex
		max = start
		end = make(chan struct{})
		wg  sync.WaitGroup
	)
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-end:
				return
			case <-tick.C:
				if v := read(); v > max {
					mu.Lock()
					max = v
					mu.Unlock()
				}
			}
		}
	})
	peak = func() uint64 { mu.Lock(); defer mu.Unlock(); return max }
	return peak, func() uint64 {
		close(end)
		wg.Wait()
		return max - start
	}
}

// A callback's error stops the scan and is returned.
func TestScanFuncStopsOnError(t *testing.T) {
	g := newGen(65)
	dir := t.TempDir()
	for i := range 20 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.env", i)), []byte("K=sk_live_"+g.s(alnum, 24)+"\n"), 0o644))
	}
	stop := errors.New("enough")
	var seen []string
	_, err := secrets.ScanPathFunc(context.Background(), dir, secrets.ScanOptions{Workers: 4}, func(f secrets.Finding) error {
		seen = append(seen, filepath.Base(f.Path))
		if len(seen) == 3 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	// Files come in walk order, whatever the workers finish first.
	require.Equal(t, []string{"f00.env", "f01.env", "f02.env"}, seen)
}
