package modelscan_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/modelscan"
)

// TestCorpus scans every file testdata/gen.py writes: the file name is the
// expectation (good_* safe, fail_* not).
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/*")
	require.NoError(t, err)
	n := 0
	for _, path := range files {
		base := filepath.Base(path)
		good := strings.HasPrefix(base, "good_")
		if !good && !strings.HasPrefix(base, "fail_") {
			continue
		}
		n++
		t.Run(base, func(t *testing.T) {
			res, err := modelscan.ScanFile(context.Background(), path, modelscan.Options{})
			require.NoError(t, err)
			require.Equal(t, good, res.Safe(), "format %s, findings %v", res.Format, res.Findings)
		})
	}
	require.Greater(t, n, 40, "the corpus is missing: run testdata/gen.py")
}

func TestFindingsNameTheGlobal(t *testing.T) {
	for file, want := range map[string]struct{ rule, global string }{
		"fail_os_system.pkl":                    {modelscan.RuleDangerousGlobal, "os.system"},
		"fail_stack_global_memo.pkl":            {modelscan.RuleDangerousGlobal, "os.system"},
		"fail_inst_os_system.pkl":               {modelscan.RuleDangerousGlobal, "os.system"},
		"fail_submodule_os_path.pkl":            {modelscan.RuleDangerousGlobal, "os.path.join"},
		"fail_unknown_global.pkl":               {modelscan.RuleUnknownGlobal, "mypkg.models.Config"},
		"fail_torch_hidden_member.bin":          {modelscan.RuleDangerousGlobal, "subprocess.Popen"},
		"fail_joblib_bz2.joblib":                {modelscan.RuleDangerousGlobal, "subprocess.Popen"},
		"fail_npz_object.npz":                   {modelscan.RuleDangerousGlobal, "os.system"},
		"fail_zip_name_mismatch.pt":             {modelscan.RuleZipMismatch, ""},
		"fail_zip_bad_crc.pt":                   {modelscan.RuleZipCRC, ""},
		"fail_huge_length.pkl":                  {modelscan.RuleResourceLimit, ""},
		"fail_unknown_opcode.pkl":               {modelscan.RuleMalformed, ""},
		"fail_gguf_template.gguf":               {modelscan.RuleTemplate, "cycler"},
		"fail_safetensors_overlap.safetensors":  {modelscan.RuleMalformed, ""},
		"fail_keras_lambda_bytecode.keras":      {modelscan.RuleKerasLayer, "__lambda__"},
		"fail_keras_lambda_load_model.keras":    {modelscan.RuleKerasObject, "keras.models.load_model"},
		"fail_keras_module_function.keras":      {modelscan.RuleKerasObject, "subprocess.check_output"},
		"fail_keras_get_file.keras":             {modelscan.RuleKerasObject, "keras.src.utils.file_utils.get_file"},
		"fail_keras_tfsmlayer.keras":            {modelscan.RuleKerasLayer, "keras.layers.TFSMLayer"},
		"fail_keras_custom_object.keras":        {modelscan.RuleKerasObject, "mypkg.layers.MyLayer"},
		"fail_keras_duplicate_key.keras":        {modelscan.RuleMalformed, ""},
		"fail_keras_deep.keras":                 {modelscan.RuleResourceLimit, ""},
		"fail_onnx_absolute.onnx":               {modelscan.RuleExternalData, "/etc/passwd"},
		"fail_onnx_dotdot.onnx":                 {modelscan.RuleExternalData, "weights/../../../etc/shadow"},
		"fail_onnx_backslash_dotdot.onnx":       {modelscan.RuleExternalData, `..\..\secrets.txt`},
		"fail_onnx_subgraph_dotdot.onnx":        {modelscan.RuleExternalData, "../../home/user/.ssh/id_rsa"},
		"fail_onnx_sparse_absolute.onnx":        {modelscan.RuleExternalData, "/etc/hosts"},
		"fail_onnx_offset_overflow.onnx":        {modelscan.RuleExternalData, "w"},
		"fail_onnx_range_past_end.onnx":         {modelscan.RuleExternalData, "onnx_weights.bin"},
		"fail_onnx_missing_file.onnx":           {modelscan.RuleExternalData, "no_such_weights.bin"},
		"fail_onnx_truncated.onnx":              {modelscan.RuleMalformed, ""},
		"fail_joblib_xz.joblib":                 {modelscan.RuleDangerousGlobal, "os.system"},
		"fail_joblib_lz4.joblib":                {modelscan.RuleDangerousGlobal, "subprocess.Popen"},
		"fail_joblib_array_then_payload.joblib": {modelscan.RuleDangerousGlobal, "os.system"},
		"fail_joblib_object_array.joblib":       {modelscan.RuleDangerousGlobal, "os.system"},
		"fail_joblib_array_truncated.joblib":    {modelscan.RuleMalformed, ""},
		"fail_joblib_array_huge.joblib":         {modelscan.RuleResourceLimit, ""},
		"fail_joblib_lzma.joblib":               {modelscan.RuleDangerousGlobal, "runpy.run_path"},
		"fail_joblib_xz_dictionary.joblib":      {modelscan.RuleResourceLimit, ""},
		"fail_joblib_lzma_dictionary.joblib":    {modelscan.RuleResourceLimit, ""},
	} {
		t.Run(file, func(t *testing.T) {
			res, err := modelscan.ScanFile(context.Background(), filepath.Join("testdata", file), modelscan.Options{})
			require.NoError(t, err)
			var rules []string
			for _, f := range res.Findings {
				rules = append(rules, f.Rule+" "+f.Global)
				require.Equal(t, filepath.Join("testdata", file), f.File)
				if f.Rule == want.rule && (want.global == "" || f.Global == want.global) {
					return
				}
			}
			t.Fatalf("no %s %s finding in %v", want.rule, want.global, rules)
		})
	}
}

func TestHiddenMemberNamesMemberAndOffset(t *testing.T) {
	res, err := modelscan.ScanFile(context.Background(), "testdata/fail_torch_hidden_member.bin", modelscan.Options{})
	require.NoError(t, err)
	require.Equal(t, "pytorch-zip", res.Format)
	require.Len(t, res.Findings, 1)
	require.Equal(t, "archive/extra.dat", res.Findings[0].Member)
	require.Equal(t, int64(2), res.Findings[0].Offset) // the GLOBAL after PROTO 2
}

func TestKerasFormatAndMember(t *testing.T) {
	res, err := modelscan.ScanFile(context.Background(), "testdata/good_keras_dense.keras", modelscan.Options{})
	require.NoError(t, err)
	require.Equal(t, "keras", res.Format)
	require.True(t, res.Safe(), "%v", res.Findings)

	res, err = modelscan.ScanFile(context.Background(), "testdata/fail_keras_lambda_bytecode.keras", modelscan.Options{})
	require.NoError(t, err)
	require.Equal(t, "keras", res.Format)
	require.NotEmpty(t, res.Findings)
	for _, f := range res.Findings {
		require.Equal(t, "config.json", f.Member)
		require.Equal(t, modelscan.SeverityCritical, f.Severity)
		require.Contains(t, f.Detail, "$.config.layers[2]")
	}
}

// TestONNXExternalDataLinks builds the model directories a loader would be
// fooled by: the weights file replaced by a symlink or a hardlink to a file
// outside the directory (CVE-2026-34447, CVE-2026-34446).
func TestONNXExternalDataLinks(t *testing.T) {
	model, err := os.ReadFile("testdata/good_onnx_external.onnx")
	require.NoError(t, err)
	weights, err := os.ReadFile("testdata/onnx_weights.bin")
	require.NoError(t, err)
	outside := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(outside, append(weights, weights...), 0o600))

	for name, tc := range map[string]struct {
		place func(dst string) error
		safe  bool
		want  string
	}{
		"regular":  {func(dst string) error { return os.WriteFile(dst, weights, 0o600) }, true, ""},
		"symlink":  {func(dst string) error { return os.Symlink(outside, dst) }, false, "symlink out of the model directory"},
		"hardlink": {func(dst string) error { return os.Link(outside, dst) }, false, "2 hard links"},
		"dir":      {func(dst string) error { return os.Mkdir(dst, 0o700) }, false, "no regular file"},
		"inside-symlink": {func(dst string) error {
			real := filepath.Join(filepath.Dir(dst), "real.bin")
			if err := os.WriteFile(real, weights, 0o600); err != nil {
				return err
			}
			return os.Symlink("real.bin", dst)
		}, true, ""},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "model.onnx")
			require.NoError(t, os.WriteFile(path, model, 0o600))
			require.NoError(t, tc.place(filepath.Join(dir, "onnx_weights.bin")))
			res, err := modelscan.ScanFile(context.Background(), path, modelscan.Options{})
			require.NoError(t, err)
			require.Equal(t, "onnx", res.Format)
			require.Equal(t, tc.safe, res.Safe(), "%v", res.Findings)
			if !tc.safe {
				require.Equal(t, modelscan.RuleExternalData, res.Findings[0].Rule)
				require.Contains(t, res.Findings[0].Detail, tc.want)
			}
			// Without a directory to look at, only the location's text is judged.
			res, err = modelscan.Scan(bytes.NewReader(model), int64(len(model)), "model.onnx", modelscan.Options{})
			require.NoError(t, err)
			require.True(t, res.Safe(), "%v", res.Findings)
		})
	}
}

func TestONNXDetection(t *testing.T) {
	for _, b := range [][]byte{[]byte("\x08\x08hello"), []byte("\x08"), {0x08, 0x80, 0x01}, {0x08, 0x08, 0x08, 0x08}} {
		res, err := modelscan.Scan(bytes.NewReader(b), int64(len(b)), "x", modelscan.Options{})
		require.NoError(t, err)
		require.NotEqual(t, "onnx", res.Format, "%q", b)
		require.False(t, res.Safe())
	}
}

func TestCompressedFormats(t *testing.T) {
	for file, format := range map[string]string{
		"good_joblib_xz.joblib":   "joblib-xz",
		"good_joblib_lzma.joblib": "joblib-lzma",
		"good_joblib_lz4.joblib":  "joblib-lz4",
		"good_joblib_zlib.joblib": "joblib-zlib",
	} {
		res, err := modelscan.ScanFile(context.Background(), filepath.Join("testdata", file), modelscan.Options{})
		require.NoError(t, err)
		require.Equal(t, format, res.Format, file)
		require.True(t, res.Safe(), "%s: %v", file, res.Findings)
	}
}

// TestJoblibArraySkipped checks the scan resumes exactly after an inline
// array: the payload behind it is reported at its own offset.
func TestJoblibArraySkipped(t *testing.T) {
	b, err := os.ReadFile("testdata/fail_joblib_array_then_payload.joblib")
	require.NoError(t, err)
	res, err := modelscan.ScanFile(context.Background(), "testdata/fail_joblib_array_then_payload.joblib", modelscan.Options{})
	require.NoError(t, err)
	require.Len(t, res.Findings, 1, "%v", res.Findings)
	require.Equal(t, int64(bytes.Index(b, []byte("cos\nsystem\n"))), res.Findings[0].Offset)
}

func TestOptionsAllowExtends(t *testing.T) {
	opts := modelscan.Options{Allow: []modelscan.Global{{Module: "mypkg.models", Name: "Config"}}}
	res, err := modelscan.ScanFile(context.Background(), "testdata/fail_unknown_global.pkl", opts)
	require.NoError(t, err)
	require.True(t, res.Safe(), "%v", res.Findings)
}

func TestLimits(t *testing.T) {
	deep := append([]byte("\x80\x02"), bytes.Repeat([]byte("]"), 100)...)
	fs := modelscan.ScanPickle(bytes.NewReader(deep), "x", "", modelscan.Options{MaxStack: 10})
	require.NotEmpty(t, fs)
	require.Equal(t, modelscan.RuleResourceLimit, fs[0].Rule)

	var memo []byte
	memo = append(memo, "\x80\x04N"...)
	for i := 0; i < 20; i++ {
		memo = append(memo, 0x94)
	}
	fs = modelscan.ScanPickle(bytes.NewReader(memo), "x", "", modelscan.Options{MaxMemo: 5})
	require.NotEmpty(t, fs)
	require.Equal(t, modelscan.RuleResourceLimit, fs[0].Rule)
}

func TestResultJSON(t *testing.T) {
	res, err := modelscan.ScanFile(context.Background(), "testdata/fail_os_system.pkl", modelscan.Options{})
	require.NoError(t, err)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.Contains(t, string(b), `"safe":false`)
	require.Contains(t, string(b), `"severity":"critical"`)
	require.Contains(t, string(b), `"global":"os.system"`)

	res, err = modelscan.ScanFile(context.Background(), "testdata/good_model.safetensors", modelscan.Options{})
	require.NoError(t, err)
	b, err = json.Marshal(res)
	require.NoError(t, err)
	require.Contains(t, string(b), `"findings":[]`)
	require.Contains(t, string(b), `"safe":true`)
}

func TestUnreadable(t *testing.T) {
	_, err := modelscan.ScanFile(context.Background(), "testdata/does-not-exist", modelscan.Options{})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "does-not-exist")
}

func corpusSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
}

// scanBytes must never panic and never pass a stream it could not read.
func scanBytes(t *testing.T, b []byte) {
	res, err := modelscan.Scan(bytes.NewReader(b), int64(len(b)), "fuzz", modelscan.Options{MaxStack: 1 << 12, MaxMemo: 1 << 12})
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Safe()
}

func FuzzPickle(f *testing.F) {
	corpusSeeds(f, "testdata/*.pkl")
	f.Fuzz(func(t *testing.T, b []byte) {
		modelscan.ScanPickle(bytes.NewReader(b), "fuzz", "", modelscan.Options{MaxStack: 1 << 12, MaxMemo: 1 << 12})
	})
}

func FuzzZip(f *testing.F) {
	corpusSeeds(f, "testdata/*.pt")
	corpusSeeds(f, "testdata/*.npz")
	f.Fuzz(scanBytes)
}

func FuzzSafetensors(f *testing.F) {
	corpusSeeds(f, "testdata/*.safetensors")
	f.Fuzz(scanBytes)
}

func FuzzKeras(f *testing.F) {
	corpusSeeds(f, "testdata/*.keras")
	f.Fuzz(scanBytes)
}

func FuzzONNX(f *testing.F) {
	corpusSeeds(f, "testdata/*.onnx")
	f.Fuzz(scanBytes)
}

func FuzzCompressed(f *testing.F) {
	corpusSeeds(f, "testdata/*.joblib")
	f.Fuzz(scanBytes)
}

func FuzzGGUF(f *testing.F) {
	corpusSeeds(f, "testdata/*.gguf")
	f.Fuzz(scanBytes)
}

// The memo resolves globals through any key a pickle uses: dense MEMOIZE
// numbers, BINPUT keys with gaps, a key far past the end, and a key
// written twice (the last value counts).
func TestMemoKeys(t *testing.T) {
	pickle := func(body string) []byte { return []byte("\x80\x04" + body + "(tR.") }
	for _, tc := range []struct {
		name, body string
		global     string // the finding's global, "" when safe
	}{
		{"dense memoize", "\x8c\x05posix\x94\x8c\x06system\x94h\x00h\x01\x93", "posix.system"},
		{"binput with a gap", "\x8c\x05posixr\x90\x01\x00\x00\x8c\x06systemq\x07j\x90\x01\x00\x00h\x07\x93", "posix.system"},
		{"key far past the end", "\x8c\x05posixr\xff\xff\xff\xff\x8c\x06systemq\x01j\xff\xff\xff\xffh\x01\x93", "posix.system"},
		{"rewritten key", "\x8c\x05posixq\x00\x8c\x0bcollectionsq\x00\x8c\x0bOrderedDictq\x01h\x00h\x01\x93", ""},
		{"rewritten to dangerous", "\x8c\x0bcollectionsq\x00\x8c\x08builtinsq\x00\x8c\x04evalq\x01h\x00h\x01\x93", "builtins.eval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := modelscan.ScanPickle(bytes.NewReader(pickle(tc.body)), "x", "", modelscan.Options{})
			if tc.global == "" {
				for _, f := range fs {
					require.NotEqual(t, modelscan.RuleDangerousGlobal, f.Rule, "%v", fs)
					require.NotEqual(t, modelscan.RuleUnknownGlobal, f.Rule, "%v", fs)
				}
				return
			}
			require.NotEmpty(t, fs)
			require.Equal(t, tc.global, fs[0].Global, "%v", fs)
		})
	}
}

// Bytes are never taken for the strings of a global: STACK_GLOBAL of two
// bytes objects is reported as unresolved, not resolved or passed.
func TestBytesAreNotNames(t *testing.T) {
	p := []byte("\x80\x04C\x05posix\x94C\x06system\x94\x93)R.")
	fs := modelscan.ScanPickle(bytes.NewReader(p), "x", "", modelscan.Options{})
	require.NotEmpty(t, fs)
	require.Equal(t, modelscan.RuleDynamicGlobal, fs[0].Rule)
}

// Past the budget of kept strings (16 MiB), strings are not kept: a global
// named by strings that come after it is reported as unresolved, never
// resolved to something allowed or passed.
func TestStringBudget(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\x80\x04")
	filler := bytes.Repeat([]byte("a"), 1024)
	for i := 0; i < 16*1024; i++ {
		b.WriteByte('X')                  // BINUNICODE
		b.Write([]byte{0x00, 0x04, 0, 0}) // of 1024 bytes
		b.Write(filler)
		b.WriteByte(0x94) // MEMOIZE
	}
	b.WriteString("\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R.")
	fs := modelscan.ScanPickle(bytes.NewReader(b.Bytes()), "x", "", modelscan.Options{MaxMemo: 1 << 20})
	var rules []string
	for _, f := range fs {
		rules = append(rules, f.Rule)
	}
	require.Contains(t, rules, modelscan.RuleDynamicGlobal, "%v", fs)

	// Within the budget the same global resolves and is allowed.
	fs = modelscan.ScanPickle(strings.NewReader("\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R."), "x", "", modelscan.Options{})
	require.Empty(t, fs)
}

// memoizedStrings starts a protocol-4 pickle holding a list of n filler
// strings, each memoized, appended in batches of 1000 as CPython's pickler
// writes them; the list stays on the stack.
func memoizedStrings(n int) *bytes.Buffer {
	var b bytes.Buffer
	b.WriteString("\x80\x04]\x94(") // EMPTY_LIST MEMOIZE MARK
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\x8c\x08%08d\x94", i) // SHORT_BINUNICODE MEMOIZE
		if i%1000 == 999 {
			b.WriteString("e(") // APPENDS, MARK
		}
	}
	b.WriteString("e") // APPENDS
	return &b
}

// memoStringsThenGlobal memoizes n filler strings, then memoizes
// "collections" and "OrderedDict", drops them from the stack and builds the
// global from the memo (LONG_BINGET), as a pickler that reuses strings does.
func memoStringsThenGlobal(n int) []byte {
	b := memoizedStrings(n)
	b.WriteString("\x8c\x0bcollections\x940\x8c\x0bOrderedDict\x940")
	for _, k := range []uint32{uint32(n + 1), uint32(n + 2)} {
		b.WriteByte('j') // LONG_BINGET
		b.Write(binary.LittleEndian.AppendUint32(nil, k))
	}
	b.WriteString("\x93)R0.") // STACK_GLOBAL, EMPTY_TUPLE, REDUCE, POP, STOP
	return b.Bytes()
}

// A plain-data pickle with millions of memo entries (CPython memoizes
// every string and container) is not a resource bomb; a global built from
// memo values past the kept-value budget is reported as unresolved, never
// resolved or passed.
func TestLargeMemo(t *testing.T) {
	fs := modelscan.ScanPickle(bytes.NewReader(memoStringsThenGlobal(10)), "x", "", modelscan.Options{})
	require.Empty(t, fs, "within the budget the global resolves from the memo and is allowed")

	fs = modelscan.ScanPickle(bytes.NewReader(memoStringsThenGlobal(1_500_000)), "x", "", modelscan.Options{})
	require.NotEmpty(t, fs)
	require.Equal(t, modelscan.RuleDynamicGlobal, fs[0].Rule, "past the kept-value budget the memo's strings are unknown: %v", fs)

	plain := memoizedStrings(1_500_000)
	plain.WriteString(".")
	fs = modelscan.ScanPickle(bytes.NewReader(plain.Bytes()), "x", "", modelscan.Options{})
	require.Empty(t, fs, "1.5M memo entries of plain data are not a finding")
}

// Memo keys spread apart (each just inside the gap the dense bitmap
// bridges) cannot grow the memo past its memory bound: the scan stops
// with a resource-limit finding instead.
func TestMemoSpreadKeys(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\x80\x04N")
	for i := uint32(0); i < 20000; i++ {
		b.WriteByte('r') // LONG_BINPUT
		b.Write(binary.LittleEndian.AppendUint32(nil, i*60000))
	}
	b.WriteString(".")
	fs := modelscan.ScanPickle(bytes.NewReader(b.Bytes()), "x", "", modelscan.Options{})
	require.NotEmpty(t, fs)
	require.Equal(t, modelscan.RuleResourceLimit, fs[0].Rule, "%v", fs)
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r *bytes.Reader
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// A checkpoint's tensor data is not read: scanning costs what its pickles
// cost, however large its weights.
func TestZipTensorDataNotRead(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
	require.NoError(t, err)
	_, err = w.Write([]byte("\x80\x02}q\x00."))
	require.NoError(t, err)
	w, err = zw.CreateHeader(&zip.FileHeader{Name: "archive/data/0", Method: zip.Store})
	require.NoError(t, err)
	_, err = w.Write(make([]byte, 8<<20))
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	ra := &countingReaderAt{r: bytes.NewReader(buf.Bytes())}
	res, err := modelscan.Scan(ra, int64(buf.Len()), "ckpt.pt", modelscan.Options{})
	require.NoError(t, err)
	require.Equal(t, "pytorch-zip", res.Format)
	require.Empty(t, res.Findings)
	require.Less(t, ra.n, int64(1<<20), "read %d of %d bytes", ra.n, buf.Len())
}

// Rewriting memo keys far apart with values the scan keeps allocates an
// index page per key; that too stops at the memo's memory bound.
func TestMemoSpreadValues(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\x80\x04]") // EMPTY_LIST: a value the scan does not keep
	const keys = 20_000_000
	for i := 0; i < keys/64; i++ {
		b.WriteString("r") // LONG_BINPUT, to make the keys present
		b.Write(binary.LittleEndian.AppendUint32(nil, uint32(i*64)))
	}
	b.WriteString("0\x8c\x01x") // POP, then a string the scan keeps
	for k := 0; k < keys; k += 4096 {
		b.WriteByte('r')
		b.Write(binary.LittleEndian.AppendUint32(nil, uint32(k)))
	}
	b.WriteString("0.")
	fs := modelscan.ScanPickle(bytes.NewReader(b.Bytes()), "x", "", modelscan.Options{})
	require.NotEmpty(t, fs)
	require.Equal(t, modelscan.RuleResourceLimit, fs[0].Rule, "%v", fs)
}
