package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/dataread/hostile"
)

// memoryCeiling is the peak resident memory the README promises for any
// input with the default limits.
const memoryCeiling = 1 << 30

// TestHostile_MemoryCeiling runs the CLI, as a separate process, on the
// hostile data files of internal/dataread/hostile (Parquet pages that
// decompress to 1.5 GB, 20,000 columns, corrupted Arrow IPC) and checks
// from the kernel's accounting (getrusage) that no command goes past the
// ceiling, panics, or reports a pass on a corrupted file.
func TestHostile_MemoryCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and writes hostile files")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mlsec")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	files, err := hostile.Files(dir)
	require.NoError(t, err)
	suite := filepath.Join(dir, "rows.yaml")
	require.NoError(t, os.WriteFile(suite, []byte("name: rows\nchecks:\n  - type: expect_table_row_count_to_be_between\n    kwargs: {min_value: 1}\n"), 0o644))

	for _, c := range []struct {
		name string
		args []string
		// pass is whether exit 0 is acceptable (the command may read
		// around the hostile part, as a projection does); want0 says it
		// is required.
		pass, want0 bool
	}{
		{"validate bomb", []string{"validate", "--suite", suite, files["parquet_bomb"]}, false, false},
		{"validate lying page", []string{"validate", "--suite", suite, files["parquet_bomb_lying_page"]}, false, false},
		{"validate lying footer", []string{"validate", "--suite", suite, files["parquet_bomb_lying_footer"]}, false, false},
		{"validate huge compressed", []string{"validate", "--suite", suite, files["parquet_huge_compressed"]}, false, false},
		{"drift profile huge page header", []string{"drift", "profile", "-o", filepath.Join(dir, "p4.json"), files["parquet_huge_page_header"]}, false, false},
		// A suite that only counts rows reads one column of the 20,000.
		{"validate wide", []string{"validate", "--suite", suite, files["wide_parquet"]}, true, true},
		{"validate infer wide", []string{"validate", "infer", files["wide_parquet"]}, false, false},
		{"drift profile bomb", []string{"drift", "profile", "-o", filepath.Join(dir, "p1.json"), files["parquet_bomb"]}, false, false},
		{"drift profile wide", []string{"drift", "profile", "-o", filepath.Join(dir, "p2.json"), files["wide_parquet"]}, false, false},
		{"validate corrupt ipc", []string{"validate", "--suite", suite, files["corrupt_ipc_file"]}, false, false},
		{"drift profile corrupt ipc", []string{"drift", "profile", "-o", filepath.Join(dir, "p3.json"), files["corrupt_ipc_stream"]}, false, false},
		{"secrets scan bomb", []string{"secrets", "scan", files["parquet_bomb"]}, true, false},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			if err != nil {
				var exitErr *exec.ExitError
				require.ErrorAs(t, err, &exitErr, "%v", err)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
			t.Logf("exit %d, peak RSS %d MiB: %s", code, rss>>20, firstLine(stderr.String()))
			require.Less(t, rss, int64(memoryCeiling), "peak RSS past the ceiling")
			require.NotContains(t, stderr.String(), "goroutine ", "a panic reached the user")
			require.NotContains(t, stderr.String(), "flag provided but not defined", "the case itself is wrong")
			if !c.pass {
				require.NotEqual(t, 0, code, "a hostile file passed")
			}
			if c.want0 {
				require.Equal(t, 0, code, "%s", stderr.String())
			}
		})
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
