package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStalePartialEmptied leaves a partial file longer than the results, as a crashed
// run with more rows would, and checks that none of it stays in the results.
func TestStalePartialEmptied(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoSync=%v", noSync), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r.csv")
			stale := bytes.Repeat([]byte("stale,row\r\n"), 10000)
			if err := os.WriteFile(filepath.Join(dir, "r.partial.csv"), stale, 0o600); err != nil {
				t.Fatal(err)
			}
			w, err := CreateWith(path, benchInputs[0], Options{NoSync: noSync})
			if err != nil {
				t.Fatal(err)
			}
			checkFileBytes(t, path, addBenchRows(t, w, 3))
		})
	}
}

// TestPartialPaths checks that PartialPaths names the files a Writer writes before Close:
// its PartialPath, and for XLSX the CSV file the rows go to meanwhile.
func TestPartialPaths(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx", ".XLSX"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r"+ext)
			w, err := Create(path, benchInputs[0])
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			got := PartialPaths(path)
			if got[0] != w.PartialPath() {
				t.Errorf("PartialPaths(%q)[0] = %q, PartialPath() = %q", path, got[0], w.PartialPath())
			}
			if want := map[bool]int{true: 2, false: 1}[ext != ".csv"]; len(got) != want {
				t.Fatalf("PartialPaths(%q) = %q, want %d paths", path, got, want)
			}
			// The rows go to the last one while the run goes on.
			if err := w.Add(benchRow(0)); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(got[len(got)-1]); err != nil || fi.Size() == 0 {
				t.Errorf("%s: %v, %v", got[len(got)-1], fi, err)
			}
		})
	}
}

// TestPartialFileMode leaves partial files as a crashed run (or another user, in a shared
// directory) might: the results still end 0600, and a symbolic link is refused without
// writing to its target.
func TestPartialFileMode(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run("mode 0644 "+ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r"+ext)
			for _, p := range PartialPaths(path) {
				if err := os.WriteFile(p, []byte("stale"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w, err := Create(path, benchInputs[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Add(benchRow(0)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != fileMode {
				t.Errorf("results: %v, %v; want mode %v", fi.Mode(), err, os.FileMode(fileMode))
			}
		})
		t.Run("symlink "+ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r"+ext)
			target := filepath.Join(dir, "elsewhere")
			if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			link := PartialPaths(path)[len(PartialPaths(path))-1]
			if err := os.Symlink(target, link); err != nil {
				t.Skip(err)
			}
			w, err := Create(path, benchInputs[0])
			if err == nil {
				_ = w.Abort()
				t.Fatal("Create wrote through a symbolic link")
			}
			if !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), link) {
				t.Errorf("error %q does not name the link", err)
			}
			if b, err := os.ReadFile(target); err != nil || string(b) != "keep" {
				t.Errorf("the link's target changed: %q, %v", b, err)
			}
		})
	}
}

// TestRenameFails: when the finished file cannot be renamed into place (a directory was
// made at the results path meanwhile), the error names the results once and says where
// the rows are.
func TestRenameFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	w, err := Create(path, benchInputs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "in the way"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(benchRow(0)); err != nil {
		t.Fatal(err)
	}
	err = w.Close()
	if err == nil {
		t.Fatal("Close put the results over a directory")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, fmt.Sprintf("results %q: rename", path)) || strings.Count(msg, "results") != 2 || !strings.Contains(msg, w.PartialPath()) {
		t.Errorf("error %q", msg)
	}
	if b, err := os.ReadFile(w.PartialPath()); err != nil || bytes.Count(b, []byte("\r\n")) != 2 {
		t.Errorf("partial file (want the header and one row): %q, %v", b, err)
	}
}

// TestXLSXLongCell: a cell longer than a workbook's cell holds (32,767 UTF-16 units) is
// cut by excelize; the row's message says which column, after the row's own messages.
func TestXLSXLongCell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.xlsx")
	w, err := Create(path, []string{"Customer ID", "Notes", "Emoji"})
	if err != nil {
		t.Fatal(err)
	}
	rows := []Row{
		{Seq: 0, Number: 2, Status: StatusValid, Input: []string{"A", strings.Repeat("n", 40_000), "ok"}},
		{Seq: 1, Number: 3, Status: StatusInvalid, Messages: []string{"email: not an e-mail address"},
			Input: []string{"B", "short", strings.Repeat("😀", 20_000)}},
		{Seq: 2, Number: 4, Status: StatusValid, Input: []string{"C", strings.Repeat("n", 32_767), strings.Repeat("😀", 16_383)}},
		{Seq: 3, Number: 5, Status: StatusInvalid, Messages: []string{strings.Repeat("m", 40_000)},
			Input: []string{"D", strings.Repeat("n", 32_768), ""}},
	}
	for _, r := range rows {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAny(t, path)
	want := []string{
		`"Notes" cut to fit a workbook's cell (32,767 characters; the CSV results keep it whole)`,
		`"Emoji" cut to fit a workbook's cell (32,767 characters; the CSV results keep it whole); email: not an e-mail address`,
		"",
		`"message", "Notes" cut to fit a workbook's cell (32,767 characters; the CSV results keep it whole); ` + strings.Repeat("m", 100),
	}
	for i, w := range want {
		msg := got[i+1][4]
		if i == 3 {
			msg = msg[:min(len(msg), len(w))] // the message itself is cut
		}
		if msg != w {
			t.Errorf("row %d: message %.120q, want %q", i+2, msg, w)
		}
	}
}
