// Command mlsec is a thin command-line front end to the mlsec packages, so a
// pipeline step in any language (a Python training job, a shell step in CI)
// can sign, verify, validate and check for drift.
//
// Exit codes are a contract pipeline steps rely on:
//
//	0  the check passed
//	1  the check ran and failed (verification failed, gate failed, drift
//	   found, secret found)
//	2  usage error, or unreadable or invalid input
//
// Run `mlsec help` for the list of commands and `mlsec COMMAND --help` for
// one command's flags.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], newEnv())
	stop()
	os.Exit(code)
}
