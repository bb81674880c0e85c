package report

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The environment of the child process of TestKill9: the results file it writes and how
// many rows.
const (
	killPathEnv = "REPORT_TEST_KILL9_PATH"
	killRowsEnv = "REPORT_TEST_KILL9_ROWS"
)

// killRow is row seq of the child process of TestKill9.
func killRow(seq int) Row {
	return Row{Seq: seq, Number: seq + 2, Status: StatusNew, Code: strconv.Itoa(1000 + seq), Attempts: 1,
		Input: []string{fmt.Sprint("C", seq), "", "O'Brien, Seán", "=1+2", "line\nbreak"}}
}

// TestKill9 starts a child process that writes rows to a results file, flushes them and
// waits; kills it with SIGKILL, and checks what is left on disk: the destination absent,
// and a CSV partial file holding every row, readable, whatever the results' format.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			const n = 2500 // more than flushRows, and more than one CSV buffer
			dir := t.TempDir()
			path := filepath.Join(dir, "r"+ext)
			cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.v")
			cmd.Env = append(os.Environ(), killPathEnv+"="+path, killRowsEnv+"="+strconv.Itoa(n))
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ready := make(chan bool, 1)
			go func() {
				sc := bufio.NewScanner(out)
				ok := false
				for sc.Scan() {
					if sc.Text() == "ready" {
						ok = true
						break
					}
				}
				ready <- ok
			}()
			select {
			case ok := <-ready:
				if !ok {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
					t.Fatal("the child process ended before it was ready")
				}
			case <-time.After(60 * time.Second):
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatal("the child process never got ready")
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()

			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("results in place after the crash: %v", err)
			}
			partial := filepath.Join(dir, "r.partial.csv")
			assertOnlyFile(t, partial)
			assertModes(t, dir)
			got := readAny(t, partial)
			if len(got) != n+1 {
				t.Fatalf("partial file holds %d records, want the header and %d rows", len(got), n)
			}
			header := append(slices.Clone(FixedColumns), inputHeader...)
			if !slices.Equal(got[0], header) {
				t.Errorf("header %q, want %q", got[0], header)
			}
			for seq, rec := range got[1:] {
				if want := appendCells(nil, killRow(seq)); !slices.Equal(rec, want) {
					t.Fatalf("row %d: %q, want %q", seq, rec, want)
				}
			}
		})
	}
}

// TestKill9Child is the child process of TestKill9: it writes the rows, flushes them,
// says "ready" and waits to be killed. Run on its own it does nothing.
func TestKill9Child(t *testing.T) {
	path := os.Getenv(killPathEnv)
	if path == "" {
		t.Skip("only run by TestKill9")
	}
	n, err := strconv.Atoi(os.Getenv(killRowsEnv))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, inputHeader)
	if err != nil {
		t.Fatal(err)
	}
	// The rows finish out of order, within a window.
	for lo := 0; lo < n; lo += 7 {
		for seq := min(lo+6, n-1); seq >= lo; seq-- {
			if err := w.Add(killRow(seq)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	time.Sleep(5 * time.Minute)
	t.Error("not killed")
}

// TestBuildFailureKeepsCSV checks that when the workbook cannot be written, Close says so,
// names the CSV partial file, and leaves it holding every row.
func TestBuildFailureKeepsCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.xlsx")
	w, err := Create(path, inputHeader)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, r := range testRows() {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	// A directory where the workbook goes, holding a file, so it cannot be replaced.
	if err := os.MkdirAll(filepath.Join(w.PartialPath(), "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	err = w.Close()
	partial := filepath.Join(dir, "r.partial.csv")
	if err == nil || !strings.Contains(err.Error(), partial) {
		t.Fatalf("Close: %v, want an error naming %s", err, partial)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("results in place after a failed Close: %v", err)
	}
	if got := readAny(t, partial); !slices.EqualFunc(got, wantCells(), slices.Equal) {
		t.Errorf("CSV partial file:\n got %q\nwant %q", got, wantCells())
	}
}
