package secrets_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

// fingerprintOf is the documented fingerprint, computed independently:
// the first 16 hex digits of SHA-256.
func fingerprintOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}

// Secrets stored encoded are found by decoding, at the encoded run's
// place in the original file, under the chain of encodings, with the
// decoded secret's fingerprint.
func TestScanDecodesEncodedSecrets(t *testing.T) {
	ctx := testCtx(t)
	g := newGen(21)
	tok := "hf_" + g.s(alnum, 34)
	gh := "ghp_" + g.s(alnum, 36)
	db := g.s(alnum, 18)
	b64 := base64.StdEncoding.EncodeToString([]byte("token: " + tok + "\n"))
	nested := base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString([]byte("GH=" + gh))))
	pct := url.QueryEscape("postgresql://trainer:" + db + "@db.internal:5432/f")
	cases := []struct {
		name     string
		line     string
		col      int
		rule     string
		encoding string
		secret   string
	}{
		{"good_base64", "  hf: " + b64, 7, "huggingface-token", "base64", tok},
		{"good_base64url", "x=" + base64.RawURLEncoding.EncodeToString([]byte("token: "+tok+" ok?>")), 3, "huggingface-token", "base64url", tok},
		{"good_hex", "blob " + hex.EncodeToString([]byte("GH="+gh)), 6, "github-pat", "hex", gh},
		{"good_base64_of_hex", "v: '" + nested + "'", 5, "github-pat", "base64/hex", gh},
		// A percent-encoded run is the whole token around the escapes.
		{"good_percent", "dsn=" + pct, 1, "database-url-password", "percent", db},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := "first line\nsecond line\n" + c.line + "\nlast\n"
			fs, err := secrets.ScanReader(ctx, "conf.yaml", strings.NewReader(text), secrets.ScanOptions{})
			require.NoError(t, err)
			require.Len(t, fs, 1)
			f := fs[0]
			require.Equal(t, c.rule, f.Rule)
			require.Equal(t, 3, f.Line)
			require.Equal(t, c.col, f.Column)
			require.Equal(t, c.encoding, f.Encoding)
			require.Equal(t, fingerprintOf(c.secret), f.Fingerprint)
			require.True(t, strings.HasPrefix(c.secret, strings.TrimSuffix(f.Match, secrets.Redacted)))
			out, err := json.Marshal(f)
			require.NoError(t, err)
			require.NotContains(t, string(out), c.secret)

			fs, err = secrets.ScanReader(ctx, "conf.yaml", strings.NewReader(text), secrets.ScanOptions{DecodeDepth: -1})
			require.NoError(t, err)
			require.Empty(t, fs, "decoding off")
		})
	}
}

// Decoding is bounded: three nested encodings is past the default depth
// (found when the depth is raised), a run over 64 KiB (an embedded image,
// a weights blob) is not decoded, and runs that decode to binary are
// skipped without a finding.
func TestScanDecodingBounds(t *testing.T) {
	ctx := testCtx(t)
	g := newGen(22)
	tok := "AKIA" + g.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	deep := "v: " + enc(enc(enc("id "+tok+" end")))
	fs, err := secrets.ScanReader(ctx, "x", strings.NewReader(deep), secrets.ScanOptions{})
	require.NoError(t, err)
	require.Empty(t, fs)
	fs, err = secrets.ScanReader(ctx, "x", strings.NewReader(deep), secrets.ScanOptions{DecodeDepth: 3})
	require.NoError(t, err)
	require.Len(t, fs, 1)
	require.Equal(t, "base64/base64/base64", fs[0].Encoding)

	big := "blob: " + enc("id "+tok+" end "+strings.Repeat("padding text ", 6<<10))
	require.Greater(t, len(big), 64<<10)
	fs, err = secrets.ScanReader(ctx, "x", strings.NewReader(big), secrets.ScanOptions{})
	require.NoError(t, err)
	require.Empty(t, fs)

	bin := make([]byte, 1<<20)
	for i := range bin {
		bin[i] = byte(g.r.IntN(256))
	}
	fs, err = secrets.ScanReader(ctx, "x", strings.NewReader(`{"image/png": "`+base64.StdEncoding.EncodeToString(bin)+`"}`), secrets.ScanOptions{})
	require.NoError(t, err)
	require.Empty(t, fs)
}

func TestPathKind(t *testing.T) {
	for p, want := range map[string]string{
		"tests/core/test_http.py":                 "test",
		"pkg/scan_test.go":                        "test",
		"src/app.spec.ts":                         "test",
		"conftest.py":                             "test",
		"internal/testdata/key.pem":               "test",
		"docs/setup/install.py":                   "docs",
		"README.md":                               "docs",
		"assets/docker/README":                    "docs",
		"guide.rst":                               "docs",
		"examples/train/config.yaml":              "docs",
		"docs/tests/snippet.py":                   "test",
		"src/mlsec/config.py":                     "",
		"configs/pipeline.yaml":                   "",
		"contest/results.csv":                     "",
		"latest/attestation.json":                 "",
		".github/workflows/release.yml":           "",
		"great_expectations/datasource/fluent.py": "",
	} {
		require.Equal(t, want, secrets.PathKind(p), p)
	}
}

func TestScanExcludeTestAndDocs(t *testing.T) {
	ctx := testCtx(t)
	g := newGen(23)
	line := "GH=ghp_" + g.s(alnum, 36) + "\n"
	fsys := fstest.MapFS{
		"src/app.env":          {Data: []byte(line)},
		"tests/fixture.env":    {Data: []byte(line)},
		"docs/how-to-login.md": {Data: []byte(line)},
	}
	all, err := secrets.Scan(ctx, fsys, secrets.ScanOptions{})
	require.NoError(t, err)
	require.Len(t, all, 3)
	kinds := map[string]string{}
	for _, f := range all {
		kinds[f.Path] = f.PathKind
	}
	require.Equal(t, map[string]string{"src/app.env": "", "tests/fixture.env": "test", "docs/how-to-login.md": "docs"}, kinds)
	var kept []secrets.Finding
	sum, err := secrets.ScanFunc(ctx, fsys, secrets.ScanOptions{ExcludeTestAndDocs: true}, func(f secrets.Finding) error {
		kept = append(kept, f)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, kept, 1)
	require.Equal(t, "src/app.env", kept[0].Path)
	require.Equal(t, 2, sum.Excluded)
}

// A baseline written from one scan suppresses those findings in the next
// and nothing else; the file holds fingerprints, never the secrets.
func TestBaseline(t *testing.T) {
	ctx := testCtx(t)
	g := newGen(24)
	old1, old2, fresh := "ghp_"+g.s(alnum, 36), "hf_"+g.s(alnum, 34), "sk_live_"+g.s(alnum, 24)
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	write("a.env", "GH="+old1+"\n")
	write("b/c.yaml", "hf: "+old2+"\n")
	first, err := secrets.ScanPath(ctx, dir, secrets.ScanOptions{})
	require.NoError(t, err)
	require.Len(t, first, 2)

	bp := filepath.Join(t.TempDir(), "baseline.json")
	require.NoError(t, secrets.WriteBaseline(bp, secrets.NewBaseline(first)))
	raw, err := os.ReadFile(bp)
	require.NoError(t, err)
	for _, s := range []string{old1, old2, old1[4:20], old2[3:20]} {
		require.False(t, bytes.Contains(raw, []byte(s)), "the baseline holds a secret")
	}
	b, err := secrets.ReadBaseline(bp)
	require.NoError(t, err)
	require.Equal(t, 2, b.Len())

	// Lines move, a new secret appears in an old file, the same old
	// secret is copied to a new file: only the new ones are reported.
	write("a.env", "# moved down\n\nGH="+old1+"\nSTRIPE="+fresh+"\n")
	write("copy.env", "GH="+old1+"\n")
	var got []string
	sum, err := secrets.ScanPathFunc(ctx, dir, secrets.ScanOptions{Baseline: b}, func(f secrets.Finding) error {
		got = append(got, f.Path+" "+f.Rule)
		return nil
	})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{
		filepath.ToSlash(filepath.Join(dir, "a.env")) + " stripe-secret-key",
		filepath.ToSlash(filepath.Join(dir, "copy.env")) + " github-pat",
	}, got)
	require.Equal(t, 2, sum.Baselined)
}

func TestReadBaselineRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"fail_not_json.json":        "password=hunter2",
		"fail_version.json":         `{"version": 7, "findings": []}`,
		"fail_no_version.json":      `{"findings": []}`,
		"fail_bad_fingerprint.json": `{"version": 1, "findings": [{"path": "a", "rule": "r", "fingerprint": "xyz"}]}`,
		"fail_no_path.json":         `{"version": 1, "findings": [{"rule": "r", "fingerprint": "0123456789abcdef"}]}`,
	} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		_, err := secrets.ReadBaseline(p)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), name)
		require.NotContains(t, err.Error(), "hunter2")
	}
	_, err := secrets.ReadBaseline(filepath.Join(dir, "missing.json"))
	require.ErrorContains(t, err, "missing.json")
	good := filepath.Join(dir, "good_empty.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"version": 1, "findings": []}`), 0o644))
	b, err := secrets.ReadBaseline(good)
	require.NoError(t, err)
	require.Zero(t, b.Len())
}
