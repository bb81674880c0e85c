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
	s, err := Open(path, Options{})
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
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
	return 1
}
