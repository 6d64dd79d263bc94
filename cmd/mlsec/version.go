package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); without
// it the module version from the build information is used.
var version = ""

func init() {
	register(&command{
		name:    "version",
		summary: "print the mlsec version",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if len(args) != 0 {
					return usageError("takes no arguments")
				}
				v := buildVersion()
				if e.json {
					return e.printJSON(map[string]string{"version": v, "go": runtime.Version()})
				}
				_, err := fmt.Fprintf(e.stdout, "mlsec %s (%s)\n", v, runtime.Version())
				return err
			}
		},
	})
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
