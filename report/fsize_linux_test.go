package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// fsizePathEnv is the results file of TestFileSizeLimit's child process.
const fsizePathEnv = "REPORT_TEST_FSIZE_PATH"

// fsizeLimit is the child's file size limit: not a multiple of any row or buffer, so
// that the write that meets it is cut short in the middle of a row.
const fsizeLimit = 200_000 + 12_345

// TestFileSizeLimit runs a child process whose files may not grow past fsizeLimit bytes,
// as on a full disk: the write that meets the limit is cut short. The error names the
// results file, and the partial file holds whole rows only, a readable prefix.
func TestFileSizeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "r.csv")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileSizeLimitChild$", "-test.v")
	cmd.Env = append(os.Environ(), fsizePathEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("add failed: results %q: ", path); !bytes.Contains(out, []byte(want)) {
		t.Fatalf("child's output lacks %q:\n%s", want, out)
	}
	data, err := os.ReadFile(PartialPaths(path)[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || len(data) > fsizeLimit || !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatalf("partial file of %d bytes (limit %d) does not end with a whole row", len(data), fsizeLimit)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("partial file does not read: %v", err)
	}
	for i, rec := range recs[1:] {
		if want := appendCells(nil, benchRow(i)); !slices.Equal(rec, want) {
			t.Fatalf("row %d is %q, want %q", i, rec, want)
		}
	}
}

// TestFileSizeLimitChild is the child process of TestFileSizeLimit. Run on its own it
// does nothing.
func TestFileSizeLimitChild(t *testing.T) {
	path := os.Getenv(fsizePathEnv)
	if path == "" {
		t.Skip("only run by TestFileSizeLimit")
	}
	// Past the limit a write fails with EFBIG, rather than the signal ending the process.
	signal.Ignore(syscall.SIGXFSZ)
	lim := syscall.Rlimit{Cur: fsizeLimit, Max: fsizeLimit}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, benchInputs[0])
	if err != nil {
		t.Fatal(err)
	}
	for seq := range 100_000 {
		if err := w.Add(benchRow(seq)); err != nil {
			if !errors.Is(err, syscall.EFBIG) {
				t.Fatalf("Add: %v, want EFBIG", err)
			}
			fmt.Println("add failed:", err)
			return
		}
	}
	t.Fatal("the file never reached its size limit")
}
