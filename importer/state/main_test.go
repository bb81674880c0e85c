package state

import (
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The test binary doubles as a helper process for the cross-process tests: with
// helperEnv set it runs the helper named by its value on the file named by helperPathEnv
// and exits, instead of running the tests.
const (
	helperEnv     = "STATE_TEST_HELPER"
	helperPathEnv = "STATE_TEST_PATH"
)

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h, os.Getenv(helperPathEnv)))
	}
	goleak.VerifyTestMain(m)
}

func runHelper(name, path string) int {
	tune := defaultTuning()
	if name == "ordering" {
		// Checkpoints every few milliseconds, so that kills land in and around them.
		tune = tuning{checkpointEntries: 64, checkpointAge: 5 * time.Millisecond, checkpointTick: time.Millisecond, asyncDelay: time.Millisecond}
	}
	s, err := open(path, Options{}, tune)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	switch name {
	case "hold":
		// Hold the lock until the parent closes our stdin.
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := s.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "crash":
		// Mark an identity in flight, then die without closing, as a kill -9 would
		// leave things: the lock goes with the process, the pid file stays.
		if err := s.Begin("key:crashed"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := s.Finish("key:done", Entry{Code: "77", Status: "new", Time: time.Unix(1, 0)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Exit(0)
	case "ordering":
		// Workers as importer.runner drives them, until killed: FinishAsync of the
		// last row, then Begin of the next. "w i" on stdout: Begin(w, i) returned.
		return orderingHelper(s)
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
	return 1
}

// orderingWorkers is how many workers the ordering helper runs.
const orderingWorkers = 8

func orderingID(w, i int) string { return fmt.Sprintf("key:w%d-%06d", w, i) }

func orderingHelper(s *Store) int {
	out := make(chan string, 1024)
	errs := make(chan error, orderingWorkers)
	for w := range orderingWorkers {
		go func() {
			for i := 0; ; i++ {
				if i > 0 {
					s.FinishAsync(orderingID(w, i-1), Entry{Code: fmt.Sprint(i - 1), Status: "new"})
				}
				if err := s.Begin(orderingID(w, i)); err != nil {
					errs <- err
					return
				}
				out <- fmt.Sprintf("%d %d", w, i)
			}
		}()
	}
	for {
		select {
		case line := <-out:
			fmt.Println(line)
		case err := <-errs:
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
}
