// Command pipelinestep shows mlsec as a step of a pipeline written in any
// language. Two steps call the mlsec CLI: train_step.py, a Python training
// job that scans, signs and records provenance of its model, and
// deploy_step.sh, a shell deploy gate. This program plays the pipeline
// engine: it runs the steps in scenarios and acts on their exit status,
// which keeps the CLI's contract:
//
//	0  passed: go on
//	1  a check failed: stop, the artifact is bad
//	2  the step is broken (bad usage, unreadable input): stop, fix the step
//
// Usage:
//
//	go run ./examples/pipelinestep [-out DIR] [-mlsec PATH]
//
// mlsec is taken from -mlsec, else from $PATH, else built from this module.
// It exits 0 when every scenario ended with the exit status it should.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
)

//go:embed train_step.py
var trainStep []byte

//go:embed deploy_step.sh
var deployStep []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pipelinestep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "work folder (default: a fresh temporary folder)")
	bin := fs.String("mlsec", "", "mlsec binary (default: from $PATH, else built from this module)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, "pipelinestep: takes no arguments")
		return 2
	}
	if *out == "" {
		dir, err := os.MkdirTemp("", "mlsec-pipelinestep-")
		if err != nil {
			fmt.Fprintln(stderr, "pipelinestep:", err)
			return 2
		}
		*out = dir
	}
	ok, err := pipeline(ctx, stdout, *out, *bin)
	if err != nil {
		fmt.Fprintln(stderr, "pipelinestep:", err)
		return 2
	}
	if !ok {
		return 1
	}
	return 0
}

// scenario is one run of a step with what its exit status should be.
type scenario struct {
	title  string
	script string // train_step.py or deploy_step.sh
	env    []string
	before func(work string) error // what changes before the step runs
	want   int
}

func pipeline(ctx context.Context, w io.Writer, out, bin string) (bool, error) {
	work, err := filepath.Abs(out)
	if err != nil {
		return false, err
	}
	if bin, err = findMlsec(ctx, bin, work); err != nil {
		return false, err
	}
	if _, err := exec.LookPath("python3"); err != nil {
		return false, errors.New("python3 is needed for train_step.py")
	}
	if err := setup(work); err != nil {
		return false, err
	}
	env := append(os.Environ(), "MLSEC="+bin, "WORKDIR="+work,
		"MLSEC_KEY="+filepath.Join(work, "keys", "signing.key"),
		"MLSEC_PUB="+filepath.Join(work, "keys", "signing.pub"))

	scenarios := []scenario{
		{title: "train, scan, sign, record provenance", script: "train_step.py", want: 0},
		{title: "deploy the signed model", script: "deploy_step.sh", want: 0},
		{title: "deploy after model tampering", script: "deploy_step.sh", want: 1,
			before: func(work string) error {
				return appendFile(filepath.Join(work, "model", "weights.json"), "\n ")
			}},
		{title: "deploy with the signature missing", script: "deploy_step.sh", want: 2,
			before: func(work string) error { return os.Remove(filepath.Join(work, "model.sig")) }},
		{title: "train with a token pasted in config", script: "train_step.py", want: 1, env: []string{"LEAK_TOKEN=1"}},
	}
	meaning := map[int]string{0: "passed", 1: "check failed", 2: "step broken"}
	allOK := true
	for i, s := range scenarios {
		if s.before != nil {
			if err := s.before(work); err != nil {
				return false, err
			}
		}
		script := filepath.Join(work, s.script)
		cmd := exec.CommandContext(ctx, script)
		if strings.HasSuffix(s.script, ".py") {
			cmd = exec.CommandContext(ctx, "python3", script)
		}
		cmd.Env = append(env, s.env...)
		cmd.Dir = work
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		code := 0
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return false, fmt.Errorf("%s: %w", s.script, err)
			}
			code = ee.ExitCode()
		}
		verdict := "as expected"
		if code != s.want {
			verdict = fmt.Sprintf("UNEXPECTED (want exit %d)", s.want)
			allOK = false
		}
		fmt.Fprintf(w, "%d. %-40s %-15s exit %d = %-13s %s\n", i+1, s.title, s.script, code, meaning[code], verdict)
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			fmt.Fprintf(w, "     | %s\n", strings.ReplaceAll(line, work+"/", ""))
		}
	}
	if allOK {
		fmt.Fprintf(w, "\nevery step kept the exit-code contract; work folder %s\n", work)
	}
	return allOK, nil
}

// setup writes the two scripts, the training data and a development key
// pair into the work folder. A real pipeline would name a KMS or HSM key
// in MLSEC_KEY (mlsec sign --key pkcs11:... or awskms://...).
func setup(work string) error {
	if err := os.MkdirAll(filepath.Join(work, "keys"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "train_step.py"), trainStep, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "deploy_step.sh"), deployStep, 0o755); err != nil {
		return err
	}
	var data strings.Builder
	data.WriteString("x1,x2,label\n")
	for i := range 200 {
		label := i % 2
		fmt.Fprintf(&data, "%.2f,%.2f,%d\n", float64(label*3)+float64(i%7)/7, float64(i%5)/5-float64(label), label)
	}
	if err := os.WriteFile(filepath.Join(work, "data.csv"), []byte(data.String()), 0o644); err != nil {
		return err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "keys", "signing.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(work, "keys", "signing.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}

// findMlsec returns the mlsec binary to use.
func findMlsec(ctx context.Context, bin, work string) (string, error) {
	if bin != "" {
		return filepath.Abs(bin)
	}
	if p, err := exec.LookPath("mlsec"); err == nil {
		return p, nil
	}
	p := filepath.Join(work, "bin", "mlsec")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", p, "github.com/mlsec-dev/mlsec/cmd/mlsec")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("mlsec is not on $PATH and building it failed: %v: %s", err, b)
	}
	return p, nil
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
