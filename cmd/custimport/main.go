// Command custimport loads a merchant's customer list (CSV or XLSX) into the loyalty
// platform's customer API, one record_customer/edit call per row.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// The live heap of a run is small (the duplicate index lives off the heap), so
		// the default target makes the collector run constantly on a large file; twice
		// the default trades a few MB for a fifth less CPU.
		debug.SetGCPercent(200)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The first SIGINT or SIGTERM stops the run gracefully: in-flight requests finish,
	// results and state are flushed. A second one exits at once.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "custimport: stopping: in-flight requests finish, the remaining rows are skipped (signal again to exit at once)")
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
