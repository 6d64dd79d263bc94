package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func termEnv(buf *bytes.Buffer, c *fakeClock) *env {
	return &env{stderr: buf, terminal: true, now: c.now}
}

func TestProgressMeterBytesOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	c := newFakeClock()
	p := termEnv(&buf, c).progress("hashing")
	require.NotNil(t, p)

	p.byteCount(100_000, 2_000_000)
	require.Empty(t, buf.String(), "nothing is drawn before the first interval, so a quick step leaves no trace")

	c.add(2 * time.Second)
	p.byteCount(500_000, 2_000_000)
	require.Equal(t, "\rhashing [#####...............]  25%  500.0 kB of 2.0 MB  250.0 kB/s  ETA 6s", buf.String())

	buf.Reset()
	c.add(50 * time.Millisecond)
	p.byteCount(600_000, 2_000_000)
	require.Empty(t, buf.String(), "redraws are at least 150 ms apart")

	c.add(100 * time.Millisecond)
	p.byteCount(700_000, 2_000_000)
	require.Contains(t, buf.String(), " 35%  700.0 kB of 2.0 MB")

	buf.Reset()
	c.add(time.Millisecond)
	p.byteCount(2_000_000, 2_000_000)
	require.Contains(t, buf.String(), "[####################] 100%  2.0 MB of 2.0 MB", "reaching the total is always drawn")
	require.NotContains(t, buf.String(), "ETA")

	buf.Reset()
	p.finish()
	require.Equal(t, "\r\033[K", buf.String(), "the line is erased at the end")
	p.finish()
	p.byteCount(1, 2)
	require.Equal(t, "\r\033[K", buf.String(), "nothing after finish")
}

func TestProgressMeterRowsAndFiles(t *testing.T) {
	var buf bytes.Buffer
	c := newFakeClock()
	p := termEnv(&buf, c).progress("validating")
	paths := []string{"a.csv", "b.csv", "a.csv"}
	r := &fakeFileReader{}
	rows := p.rowsFunc(r, paths)

	c.add(time.Second)
	rows(1_500_000)
	require.Equal(t, "\rvalidating  1.5M rows  1.5M rows/s  (file 1/3)", buf.String())

	r.index = 1
	c.add(time.Second)
	rows(2_000_000)
	require.Contains(t, buf.String(), "\rvalidating  2.0M rows  1.0M rows/s  (file 2/3)")

	r.index = 2
	c.add(time.Second)
	rows(2_400_000)
	require.Contains(t, buf.String(), "\rvalidating  2.4M rows  800.0k rows/s  (file 3/3)")
}

type fakeFileReader struct{ index int }

func (r *fakeFileReader) FileIndex() int { return r.index }

func TestProgressMeterPadsShorterLine(t *testing.T) {
	var buf bytes.Buffer
	c := newFakeClock()
	p := termEnv(&buf, c).progress("scanning")
	c.add(time.Second)
	p.fileDone(123_456_789)
	first := buf.String()
	require.Equal(t, "\rscanning  123.5 MB  123.5 MB/s  (1 files)", first)
	buf.Reset()
	c.add(100 * time.Second)
	p.fileDone(0)
	second := buf.String()
	require.Equal(t, len(first), len(second), "a shorter line is padded over the longer one")
	require.True(t, strings.HasSuffix(second, " "))

	// hide erases the line before other output; the next count redraws.
	buf.Reset()
	p.hide()
	require.Equal(t, "\r\033[K", buf.String())
	buf.Reset()
	p.hide()
	require.Empty(t, buf.String(), "nothing drawn, nothing to erase")
}

func TestProgressMeterWhenShown(t *testing.T) {
	var buf bytes.Buffer
	c := newFakeClock()
	for name, e := range map[string]*env{
		"not a terminal":     {stderr: &buf, now: c.now},
		"--json":             {stderr: &buf, terminal: true, json: true, now: c.now},
		"--quiet":            {stderr: &buf, terminal: true, quiet: true, now: c.now},
		"--progress --json":  {stderr: &buf, forceProgress: true, json: true, now: c.now},
		"--progress --quiet": {stderr: &buf, forceProgress: true, quiet: true, now: c.now},
	} {
		p := e.progress("hashing")
		require.Nil(t, p, name)
		// A nil meter is usable and silent.
		require.Nil(t, p.bytesFunc(), name)
		require.Nil(t, p.rowsFunc(nil, nil), name)
		p.byteCount(1, 2)
		p.rows(5)
		p.fileDone(3)
		p.setFile(1, 2)
		p.setTotal(9)
		p.hide()
		p.finish()
	}
	require.Empty(t, buf.String())
}

func TestProgressMeterForcedPlainLines(t *testing.T) {
	var buf bytes.Buffer
	c := newFakeClock()
	p := (&env{stderr: &buf, forceProgress: true, now: c.now}).progress("profiling")
	require.NotNil(t, p)
	for range 10 {
		c.add(time.Second)
		p.rows(1000)
	}
	c.add(500 * time.Millisecond)
	p.finish()
	// A log gets whole lines every 5 s and the final state, no \r.
	require.Equal(t, "profiling  1.0k rows  200 rows/s\nprofiling  1.0k rows  100 rows/s\nprofiling  1.0k rows  95 rows/s\n", buf.String())
}

func TestETAFormat(t *testing.T) {
	for _, tc := range []struct {
		s    float64
		want string
	}{{0.4, "0s"}, {42, "42s"}, {185, "3m05s"}, {7620, "2h07m"}} {
		require.Equal(t, tc.want, eta(tc.s), "%v", tc.s)
	}
}

// TestProgressCommands runs data commands on a "terminal" whose clock
// moves 200 ms per reading: progress appears on stderr, stdout is the
// same as without a terminal, and --json and --quiet silence it.
func TestProgressCommands(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("id,age\n")
	for i := range 5000 {
		fmt.Fprintf(&csv, "%d,%d\n", i, 20+i%50)
	}
	data := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(data, []byte(csv.String()), 0o644))
	suite := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(suite, []byte("name: s\nchecks:\n  - type: expect_column_values_to_not_be_null\n    kwargs: {column: id}\n"), 0o644))
	strict := filepath.Join(dir, "strict.yaml")
	require.NoError(t, os.WriteFile(strict, []byte("name: strict\nchecks:\n  - type: expect_column_values_to_be_between\n    kwargs: {column: age, max_value: 10}\n"), 0o644))
	profile := filepath.Join(dir, "p.json")
	kek, err := secrets.GenerateInsecureKeyFile(filepath.Join(t.TempDir(), "kek.json"))
	require.NoError(t, err)
	enc, dec := filepath.Join(dir, "d.csv.enc"), filepath.Join(t.TempDir(), "d.csv")

	runWith := func(terminal bool, args ...string) (code int, stdout, stderr string) {
		var out, errb bytes.Buffer
		c := newFakeClock()
		e := &env{stdout: &out, stderr: &errb, terminal: terminal, now: func() time.Time { c.add(200 * time.Millisecond); return c.t }}
		code = run(context.Background(), args, e)
		return code, out.String(), errb.String()
	}

	// JSON documents against a schema.
	schema := filepath.Join(dir, "doc.schema.json")
	require.NoError(t, os.WriteFile(schema, []byte(`{"type": "object", "required": ["id"]}`), 0o644))
	docs := filepath.Join(dir, "docs.jsonl")
	require.NoError(t, os.WriteFile(docs, []byte(strings.Repeat(`{"id": 1}`+"\n", 1000)), 0o644))

	// A signed model for the gate, outside dir so that the scans above
	// do not see its key.
	mdir := t.TempDir()
	model := filepath.Join(mdir, "model")
	require.NoError(t, os.MkdirAll(model, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(model, "weights.bin"), make([]byte, 1<<20), 0o644))
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	key, pub := filepath.Join(mdir, "k.pem"), filepath.Join(mdir, "k.pub")
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	der, err = x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644))
	rego := filepath.Join(mdir, "allow.rego")
	require.NoError(t, os.WriteFile(rego, []byte("package mlsec.gate\n\ndeny contains {\"rule\": \"signature\", \"message\": \"not verified\"} if {\n\tnot input.signature.verified\n}\n"), 0o644))
	code, _, signErr := runWith(false, "sign", "--key", key, "--signature", model+".sig", model)
	require.Equal(t, 0, code, signErr)
	for _, tc := range []struct {
		args  []string
		label string
	}{
		{[]string{"validate", "--suite", suite, data, data}, "validating"},
		{[]string{"validate", "infer", data}, "reading"},
		{[]string{"drift", "profile", "-o", profile, data}, "profiling"},
		{[]string{"drift", "compare", "--reference", profile, data}, "comparing"},
		{[]string{"drift", "compare", "--reference", data, data}, "profiling reference"},
		{[]string{"dataset", "version", dir}, "hashing"},
		{[]string{"dataset", "diff", dir, dir}, "hashing " + dir},
		{[]string{"secrets", "scan", dir}, "scanning"},
		{[]string{"scan", dir}, "scanning"},
		{[]string{"secrets", "encrypt", "--kek", kek, data, enc}, "encrypting"},
		{[]string{"secrets", "decrypt", "--kek", kek, enc, dec}, "decrypting"},
		{[]string{"secrets", "rewrap", "--from", kek, "--to", kek, enc, enc}, "rewrapping"},
		{[]string{"validate", "json", "--schema", schema, docs, docs}, "validating"},
		{[]string{"gate", "--policy", rego, "--key", pub, model}, "verifying model"},
	} {
		name := strings.Join(tc.args[:2], " ")
		code, plainOut, plainErr := runWith(false, tc.args...)
		require.Equal(t, 0, code, "%s: %s", name, plainErr)
		require.Empty(t, plainErr, name)

		code, out, errOut := runWith(true, tc.args...)
		require.Equal(t, 0, code, name)
		require.Equal(t, plainOut, out, "%s: stdout does not change on a terminal", name)
		require.Contains(t, errOut, "\r"+tc.label+" ", name)
		require.True(t, strings.HasSuffix(errOut, "\r\033[K"), "%s: the line is erased: %q", name, errOut)

		code, out, errOut = runWith(true, append(tc.args, "--quiet")...)
		require.Equal(t, 0, code, name)
		require.Empty(t, out, name)
		require.Empty(t, errOut, name)
	}

	// --json output is the same byte for byte on a terminal, and nothing
	// goes to stderr.
	for _, args := range [][]string{
		{"validate", "infer", "--json", data},
		{"drift", "compare", "--json", "-", "--reference", profile, data},
		{"dataset", "version", "--json", dir},
		{"scan", "--json", dir},
		{"secrets", "scan", "--json", dir},
	} {
		code, plainOut, _ := runWith(false, args...)
		require.Equal(t, 0, code, args)
		code, out, errOut := runWith(true, args...)
		require.Equal(t, 0, code, args)
		require.Equal(t, plainOut, out, args)
		require.Empty(t, errOut, args)
	}

	// --json on a terminal: no progress.
	code, out, errOut := runWith(true, "validate", "--json", "--suite", suite, data)
	require.Equal(t, 0, code)
	require.Contains(t, out, `"success": true`)
	require.Empty(t, errOut)
	code, _, errOut = runWith(true, "drift", "compare", "--json", "-", "--reference", profile, data)
	require.Equal(t, 0, code)
	require.Empty(t, errOut)

	// --quiet keeps the error line and the exit status, nothing else.
	code, out, errOut = runWith(true, "validate", "--quiet", "--suite", strict, data)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, "mlsec validate: suite \"strict\" failed: 1 checks failed\n", errOut)

	// --progress without a terminal writes whole lines.
	code, _, errOut = runWith(false, "validate", "--progress", "--suite", suite, data)
	require.Equal(t, 0, code)
	// The reader counts its bytes: the last line has the bar at 100% and
	// the rows.
	require.Contains(t, errOut, "validating [####################] 100%")
	require.Contains(t, errOut, "  5.0k rows\n")
	require.NotContains(t, errOut, "\r")
}

// fakeDataReader counts bytes as datafile.Reader does.
type fakeDataReader struct {
	index int
	bytes int64
}

func (r *fakeDataReader) FileIndex() int   { return r.index }
func (r *fakeDataReader) BytesRead() int64 { return r.bytes }

func TestProgressMeterDataETA(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	require.NoError(t, os.WriteFile(a, make([]byte, 3_000_000), 0o644))
	require.NoError(t, os.WriteFile(b, make([]byte, 1_000_000), 0o644))
	var buf bytes.Buffer
	c := newFakeClock()
	p := termEnv(&buf, c).progress("validating")
	r := &fakeDataReader{}
	rows := p.rowsFunc(r, []string{a, b})

	c.add(2 * time.Second)
	r.bytes = 1_000_000
	rows(50_000)
	// 1 MB of 4 MB in 2 s: 500 kB/s, 3 MB left, 6 s.
	require.Equal(t, "\rvalidating [#####...............]  25%  1.0 MB of 4.0 MB  500.0 kB/s  50.0k rows  ETA 6s  (file 1/2)", buf.String())

	buf.Reset()
	c.add(4 * time.Second)
	r.index, r.bytes = 1, 3_600_000
	rows(180_000)
	require.Contains(t, buf.String(), " 90%  3.6 MB of 4.0 MB  600.0 kB/s  180.0k rows  ETA 1s  (file 2/2)")

	buf.Reset()
	c.add(time.Second)
	r.bytes = 4_000_000
	rows(200_000)
	require.Contains(t, buf.String(), "100%  4.0 MB of 4.0 MB")
	require.NotContains(t, buf.String(), "ETA", "no estimate once all is read")
	p.finish()
	require.True(t, strings.HasSuffix(buf.String(), "\r\033[K"))

	// Without a size to go by (a pipe, a missing file) the meter counts
	// rows only.
	buf.Reset()
	p = termEnv(&buf, c).progress("validating")
	rows = p.rowsFunc(&fakeDataReader{bytes: 10}, []string{a, filepath.Join(dir, "gone.csv")})
	c.add(time.Second)
	rows(1000)
	require.Equal(t, "\rvalidating  1.0k rows  1.0k rows/s  (file 1/2)", buf.String())
}
