package report

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestCSVWriteback writes a results file of many times the writeback size (made small),
// so that its start is handed to the system to write while the rest is still being
// written, and checks that it holds exactly the rows, in order.
func TestCSVWriteback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.csv")
	w, err := Create(path, benchInputs[0])
	if err != nil {
		t.Fatal(err)
	}
	const every = 64 << 10
	w.enc.(*csvEncoder).wb.every = every
	want := addBenchRows(t, w, 5000)
	if len(want) < 8*every {
		t.Fatalf("the file is only %d bytes", len(want))
	}
	checkFileBytes(t, path, want)
}

// addBenchRows adds the rows benchRow(0) to benchRow(n-1) to w, a Writer of benchInputs[0]
// columns, and closes it. It returns what the CSV results file should then hold.
func addBenchRows(tb testing.TB, w *Writer, n int) []byte {
	tb.Helper()
	want := appendRecord(nil, append(append([]string(nil), FixedColumns...), benchInputs[0]...))
	for seq := range n {
		r := benchRow(seq)
		want = appendRecord(want, appendCells(nil, r))
		if err := w.Add(r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return want
}

// checkFileBytes fails tb unless the file at path holds exactly want.
func checkFileBytes(tb testing.TB, path string, want []byte) {
	tb.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s: %d bytes, want %d", path, len(got), len(want))
	}
}

// TestWritebackStop checks that stop ends the goroutine and may be called when none was
// started.
func TestWritebackStop(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := writeback{f: f, every: 10}
	w.stop()
	for range 3 {
		w.wrote(10)
	}
	w.stop()
	w.stop()
	if w.ranges != nil {
		t.Error("goroutine still there")
	}
}

// TestFlushTimer checks that once the flush interval has passed, the next Add hands the
// rows to the operating system, with the real clock.
func TestFlushTimer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, inputHeader)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	rows := testRows()
	if err := w.Add(rows[0]); err != nil {
		t.Fatal(err)
	}
	if got := readAny(t, w.PartialPath()); len(got) != 1 {
		t.Fatalf("%d records before the interval passed, want the header only", len(got))
	}
	time.Sleep(flushInterval + 50*time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); !w.due.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("the flush timer never fired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := w.Add(rows[1]); err != nil {
		t.Fatal(err)
	}
	if got := readAny(t, w.PartialPath()); len(got) != 3 {
		t.Fatalf("%d records after the interval, want the header and 2 rows", len(got))
	}
	if w.due.Load() {
		t.Error("due still set after the flush")
	}
}

// TestWritebackSyncError: an error of the goroutine's syncs is what stop returns, so that
// the final Sync, to which the system may not report it again, does not hide it.
func TestWritebackSyncError(t *testing.T) {
	if !writebackSupported {
		t.Skip("no writeback goroutine here")
	}
	r, f, err := os.Pipe() // a pipe cannot be synced
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer f.Close()
	w := writeback{f: f, every: 10}
	w.wrote(10)
	if err := w.stop(); err == nil {
		t.Error("stop returned no error after a failed sync")
	}
}

// TestNoSync writes the same rows with and without Options.NoSync, for both formats: the
// files are the same, and only the synced CSV file is handed to the disk as it grows.
func TestNoSync(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			var files [2][][]string
			for i, noSync := range []bool{false, true} {
				path := filepath.Join(t.TempDir(), "r"+ext)
				w, err := CreateWith(path, benchInputs[0], Options{NoSync: noSync})
				if err != nil {
					t.Fatal(err)
				}
				csv, ok := w.enc.(*csvEncoder)
				if !ok {
					csv = w.enc.(*xlsxEncoder).csv
				}
				csv.wb.every = 4 << 10
				for seq := range 500 {
					if err := w.Add(benchRow(seq)); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if started := csv.wb.ranges != nil; started == noSync && writebackSupported {
					t.Errorf("NoSync %v: writeback started %v", noSync, started)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				files[i] = readAny(t, path)
			}
			if len(files[0]) != 501 || !slices.EqualFunc(files[0], files[1], slices.Equal) {
				t.Errorf("the unsynced results (%d lines) differ from the synced ones (%d lines)", len(files[1]), len(files[0]))
			}
		})
	}
}
