package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runBounded runs one mlsec command line and returns its exit code and stderr.
// A command that does not end within the test's deadline fails the test
// instead of hanging it.
func runBounded(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	}()
	select {
	case code := <-done:
		return code, stderr.String()
	case <-ctx.Done():
		t.Fatalf("mlsec %s: still running after 2 minutes (blocked on input?)", strings.Join(args, " "))
		return 0, ""
	}
}

// hostileInputs are documents that must be refused at once with exit 2 and
// an error naming them: a device that never ends, a FIFO nobody writes, a
// directory, and a 100 MB file (sparse, so the test writes nothing).
func hostileInputs(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "doc.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(100<<20))
	require.NoError(t, f.Close())
	in := map[string]string{"fifo": fifo, "directory": dir, "100MB": big}
	if _, err := os.Stat("/dev/zero"); err == nil {
		in["/dev/zero"] = "/dev/zero"
	}
	return in
}

func TestHostile_UnboundedRead_CLIDocuments(t *testing.T) {
	model := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(model, "w.bin"), []byte("weights"), 0o644))
	pub := filepath.Join("..", "..", "signing", "testdata", "oms", "keys", "signing-key-pub.pem")
	goodEnv := filepath.Join("..", "..", "provenance", "testdata", "envelope", "good_envelope.json")

	for kind, bad := range hostileInputs(t) {
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"signature", []string{"verify", "--key", pub, "--signature", bad, model}},
			{"verify key", []string{"verify", "--key", bad, "--signature", filepath.Join(model, "w.bin"), model}},
			{"certificate", []string{"verify", "--cert-chain", bad, "--signature", filepath.Join(model, "w.bin"), model}},
			{"trusted root", []string{"verify", "--trusted-root", bad, "--identity", "a@b", "--identity-provider", "https://x", "--signature", filepath.Join(model, "w.bin"), model}},
			{"envelope", []string{"provenance", "verify", "--key", pub, bad}},
			{"policy", []string{"provenance", "verify", "--policy", bad, goodEnv}},
			{"provenance key", []string{"provenance", "verify", "--key", bad, goodEnv}},
			{"manifest", []string{"dataset", "diff", bad, model}},
			{"signing key", []string{"sign", "--key", bad, "--signature", filepath.Join(t.TempDir(), "out.sig"), model}},
		} {
			if kind == "directory" && (tc.name == "manifest" || tc.name == "envelope") {
				continue // a directory is a dataset to hash, or a store of attestations
			}
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				code, stderr := runBounded(t, tc.args...)
				require.Equal(t, exitBad, code, stderr)
				require.Contains(t, stderr, bad)
				require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one-line error: %q", stderr)
				// Keys are read by secrets, whose errors say "key file".
				want := []string{"not a regular file", "not a key file"}
				if kind == "100MB" {
					// A JSON Lines attestation file may hold several
					// documents: read under 256 MiB, refused by the parser.
					want = []string{"byte limit", "larger than", "input too large"}
				}
				require.True(t, containsAny(stderr, want), "%q names none of %q", stderr, want)
			})
		}
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
