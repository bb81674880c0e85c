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
	if name == "ordering" || name == "reserving" {
		// Checkpoints every few milliseconds, so that kills land in and around them.
		tune = tuning{checkpointEntries: 64, checkpointAge: 5 * time.Millisecond, checkpointTick: time.Millisecond,
			asyncDelay: time.Millisecond, boot: machineBootID()}
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
		return orderingHelper(s, 0)
	case "reserving":
		// The same, with each worker's rows reserved reserveAhead at a time before
		// their Begins.
		return orderingHelper(s, reserveAhead)
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
	return 1
}

// orderingWorkers is how many workers the ordering helper runs.
const orderingWorkers = 8

func orderingID(w, i int) string { return fmt.Sprintf("key:w%d-%06d", w, i) }

// reserveAhead is how many rows the reserving helper's workers reserve at a time.
const reserveAhead = 5

// orderingHelper runs orderingWorkers workers until killed. With ahead > 0, each
// reserves its next ahead rows before it begins the first of them.
func orderingHelper(s *Store, ahead int) int {
	out := make(chan string, 1024)
	errs := make(chan error, orderingWorkers)
	for w := range orderingWorkers {
		go func() {
			for i := 0; ; i++ {
				if ahead > 0 && i%ahead == 0 {
					ids := make([]string, ahead)
					for k := range ids {
						ids[k] = orderingID(w, i+k)
					}
					if err := s.Reserve(ids); err != nil {
						errs <- err
						return
					}
				}
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
