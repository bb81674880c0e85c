// Command custimport loads a merchant's customer list (CSV or XLSX) into the loyalty
// platform's customer API, one record_customer/edit call per row.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/custimport/custimport/importer/gctune"
)

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// The live heap of a run is small (the duplicate index lives off the heap), so
		// with the default target the collector would run constantly on a large file:
		// let the heap reach a fixed floor first (see gctune). A user's GOGC or
		// GOMEMLIMIT wins. The tuner lasts as long as the process.
		gctune.Tune(gctune.Floor, gctune.Min)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The first SIGINT or SIGTERM stops the run gracefully: in-flight requests finish,
	// results and state are flushed. A second one exits at once.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "custimport: stopping (signal again to exit at once)")
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "custimport: second signal: exiting at once")
		os.Exit(exitStopped)
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	cancel()
	os.Exit(code)
}

// run is the whole program but for signals and the process exit, so that tests can
// call it; a cancelled ctx stands for a signal.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return newApp(stdin, stdout, stderr, getenv).execute(ctx, args)
}
