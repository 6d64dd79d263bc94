package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mlsec": func() { os.Exit(run(context.Background(), os.Args[1:], newEnv())) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: each reads as a
// small manual page of one command's behaviour and exit codes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"status": cmdStatus, "perm": cmdPerm},
		Setup: func(e *testscript.Env) error {
			// Pass through the locations of the integration services
			// that `make test` starts.
			for _, k := range []string{
				"MLSEC_REQUIRE_INTEGRATION", "MLSEC_TEST_PKCS11_MODULE",
				"MLSEC_TEST_MOTO_ENDPOINT", "MLSEC_TEST_LOCALKMS_ENDPOINT",
				"MLSEC_TEST_CHROMIUM", "SOFTHSM2_CONF",
			} {
				if v, ok := os.LookupEnv(k); ok {
					e.Setenv(k, v)
				}
			}
			// An in-process OCI registry per script, on loopback, with
			// the referrers API (REGISTRY) and without (REGISTRY_NOREF).
			for name, referrers := range map[string]bool{"REGISTRY": true, "REGISTRY_NOREF": false} {
				srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(referrers), registry.Logger(log.New(io.Discard, "", 0))))
				e.Defer(srv.Close)
				e.Setenv(name, strings.TrimPrefix(srv.URL, "http://"))
			}
			// Real keyless provenance vectors and the npm tarballs they
			// attest (binary, so not inlined in the scripts).
			kl, err := filepath.Abs(filepath.Join("..", "..", "provenance", "testdata", "keyless"))
			if err != nil {
				return err
			}
			e.Setenv("KEYLESS", kl)
			// The modelscan corpus holds binary model files a script copies.
			corpus, err := filepath.Abs(filepath.Join("..", "..", "modelscan", "testdata"))
			if err != nil {
				return err
			}
			e.Setenv("MODELSCAN_TESTDATA", corpus)
			return nil
		},
	})
}

// cmdStatus is the script command "status CODE PROGRAM [ARGS...]": it runs
// PROGRAM like exec and checks its exit status is exactly CODE, because the
// difference between 1 (check failed) and 2 (bad input) is the contract.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var xe *exec.ExitError
		if !errors.As(err, &xe) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = xe.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// cmdPerm is the script command "perm MODE FILE": it checks that FILE has
// exactly the permission bits MODE (octal), so a report meant for the next
// step of a pipeline is not left readable by its owner only.
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: perm MODE FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != fs.FileMode(want) {
		ts.Fatalf("%s: mode %#o, want %#o", args[1], got, want)
	}
}
