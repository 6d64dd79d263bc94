// Package testenv lets tests that need an outside component (SoftHSM2, a
// local KMS server, Chromium, scipy) find it, or skip with a message naming
// what is missing. When MLSEC_REQUIRE_INTEGRATION=1 (as `make test` and CI
// set it) a missing component fails the test instead, so CI always runs
// every integration test.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// RequireIntegration is the variable that turns a skip into a failure.
const RequireIntegration = "MLSEC_REQUIRE_INTEGRATION"

// Missing skips t, or fails it when integration tests are required.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(RequireIntegration) == "1" {
		t.Fatalf("%s is required (%s=1) but missing; run the tests with `make test`", what, RequireIntegration)
	}
	t.Skipf("skipping: %s is missing; `make test` installs and starts it", what)
}

// Getenv returns the value of the environment variable name, which names
// the component described by what, or calls Missing when it is unset.
func Getenv(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, what+" ($"+name+")")
	}
	return v
}

// LookPath returns the path of the program file, or calls Missing.
func LookPath(t testing.TB, file string) string {
	t.Helper()
	p, err := exec.LookPath(file)
	if err != nil {
		Missing(t, "program "+file)
	}
	return p
}
