// Command admission is a Kubernetes validating admission webhook that
// admits a Pod only when every model it mounts has a passing, signed
// verification summary (SLSA VSA v1) from the deploy gate: the gate decides
// once, over all the evidence, and admission checks one cheap attestation.
//
// Models are found in a Pod's image volumes (OCI model artifacts), KServe
// modelcar containers, and the models.mlsec.dev/digests annotation; each
// must be pinned by digest. Verdicts are cached by digest; anything that
// goes wrong (no VSA, a bad signature, a FAILED or stale verdict, a
// malformed request, a timeout) denies.
//
// Usage:
//
//	admission serve --tls-cert tls.crt --tls-key tls.key --vsa-dir /vsa --key gate.pub [--addr :8443]
//	admission check --vsa-dir /vsa --key gate.pub sha256:HEX|NAME@sha256:HEX...
//
// check is the same decision as a static command, for an init container
// or a CI step: exit 0 all models pass, 1 one does not, 2 bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/secrets"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type keyList []string

func (k *keyList) String() string     { return strings.Join(*k, ",") }
func (k *keyList) Set(v string) error { *k = append(*k, v); return nil }

// common are the flags serve and check share.
type common struct {
	vsaDir       string
	keys         keyList
	maxAge       time.Duration
	policyDigest string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.vsaDir, "vsa-dir", "", "directory of VSA envelopes written by the deploy gate (required)")
	fs.Var(&c.keys, "key", "public key of the deploy gate, PEM file or KMS URI (repeatable; required)")
	fs.DurationVar(&c.maxAge, "max-age", 7*24*time.Hour, "refuse a VSA verified longer ago than this (0: no limit)")
	fs.StringVar(&c.policyDigest, "policy-digest", "", "require VSAs issued under this policy digest (alg:hex)")
}

func (c *common) checker(ctx context.Context) (*checker, error) {
	if c.vsaDir == "" || len(c.keys) == 0 {
		return nil, errors.New("--vsa-dir and --key are required")
	}
	var vs []signature.Verifier
	for _, k := range c.keys {
		v, err := secrets.LoadVerifier(ctx, k, secrets.KeyOptions{})
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return newChecker(c.vsaDir, vs, c.maxAge, c.policyDigest)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: admission serve|check [flags]")
		return 2
	}
	fs := flag.NewFlagSet("admission "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	switch args[0] {
	case "serve":
		addr := fs.String("addr", ":8443", "HTTPS listen address")
		cert := fs.String("tls-cert", "", "TLS certificate (PEM; required)")
		key := fs.String("tls-key", "", "TLS private key (PEM; required)")
		timeout := fs.Duration("timeout", 2*time.Second, "deny when a verdict takes longer (the API server's own timeout should be larger)")
		ttl := fs.Duration("cache-ttl", 5*time.Minute, "how long a verdict on a digest is reused")
		if fs.Parse(args[1:]) != nil {
			return 2
		}
		ck, err := c.checker(ctx)
		if err != nil || *cert == "" || *key == "" {
			fmt.Fprintf(stderr, "admission serve: %v\n", errors.Join(err, errIf(*cert == "" || *key == "", "--tls-cert and --tls-key are required")))
			return 2
		}
		mux := http.NewServeMux()
		mux.Handle("/validate", newWebhook(ck.check, *timeout, *ttl))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
		srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
		fmt.Fprintf(stderr, "admission: serving on %s\n", *addr)
		if err := srv.ListenAndServeTLS(*cert, *key); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "admission serve: %v\n", err)
			return 2
		}
		return 0
	case "check":
		if fs.Parse(args[1:]) != nil {
			return 2
		}
		ck, err := c.checker(ctx)
		if err != nil || fs.NArg() == 0 {
			fmt.Fprintf(stderr, "admission check: %v\n", errors.Join(err, errIf(fs.NArg() == 0, "give model digests or references")))
			return 2
		}
		code := 0
		for _, ref := range fs.Args() {
			d := ref
			if m := pinnedRef.FindStringSubmatch(ref); m != nil {
				d = m[1]
			}
			if !bareDigest.MatchString(d) {
				fmt.Fprintf(stderr, "admission check: %q: not sha256:HEX or NAME@sha256:HEX\n", ref)
				return 2
			}
			if err := ck.check(ctx, d); err != nil {
				fmt.Fprintf(stdout, "DENIED   %s: %v\n", ref, err)
				code = 1
				continue
			}
			fmt.Fprintf(stdout, "ADMITTED %s\n", ref)
		}
		return code
	}
	fmt.Fprintf(stderr, "admission: unknown command %q (serve or check)\n", args[0])
	return 2
}

func errIf(cond bool, msg string) error {
	if cond {
		return errors.New(msg)
	}
	return nil
}
