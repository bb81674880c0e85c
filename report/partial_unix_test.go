//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package report

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPartialNotOurs leaves at the partial paths what a shared directory may hold: a FIFO
// (which would block an open for writing until a reader came) and, when the test runs as
// root, a file of another user's (which would keep its owner). Both are refused at once.
func TestPartialNotOurs(t *testing.T) {
	tests := []struct {
		name    string
		ext     string
		partial int  // index into PartialPaths
		late    bool // planted after Create, as another process could
	}{
		{"CSV partial file", ".csv", 0, false},
		{"CSV partial file of XLSX results", ".xlsx", 1, false},
		{"partial workbook, planted during the run", ".xlsx", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name+", FIFO", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r"+tt.ext)
			fifo := PartialPaths(path)[tt.partial]
			plant := func() {
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Skip(err)
				}
			}
			checkRefused(t, path, fifo, "not a regular file", plant, tt.late)
		})
		t.Run(tt.name+", another user's", func(t *testing.T) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give a file to another user")
			}
			path := filepath.Join(t.TempDir(), "r"+tt.ext)
			theirs := PartialPaths(path)[tt.partial]
			plant := func() {
				if err := os.WriteFile(theirs, nil, 0o666); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(theirs, 4242, 4242); err != nil {
					t.Skip(err)
				}
			}
			checkRefused(t, path, theirs, "belongs to another user", plant, tt.late)
		})
	}
}

// checkRefused plants a file at a partial path of results at path, before Create or
// (late) after it, and checks that the results then fail within a few seconds with an
// error naming bad and saying what.
func checkRefused(tb testing.TB, path, bad, what string, plant func(), late bool) {
	tb.Helper()
	if !late {
		plant()
	}
	w, err := Create(path, benchInputs[0])
	if err == nil {
		if late {
			plant()
		}
		done := make(chan error, 1)
		go func() {
			err := w.Add(benchRow(0))
			if err == nil {
				err = w.Close()
			}
			done <- err
		}()
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			tb.Fatalf("still waiting after 5 s with %s at the partial path", bad)
		}
	}
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), what) {
		tb.Errorf("error %v; want one naming %s, which %s", err, bad, what)
	}
}
