package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// inputHeader is the input header of the test rows.
var inputHeader = []string{"Customer ID", "Customer Code", "Name", "Postcode", "Notes"}

// testRows returns a fixed set of finished rows, in input order, that exercise every
// status and the awkward cells: formulas, commas, quotes, line breaks, accents, leading
// zeros, short and long rows.
func testRows() []Row {
	return []Row{
		{Seq: 0, Number: 2, Status: StatusNew, Code: "1001", CardNumber: "600012", Attempts: 1,
			Input: []string{"C1", "", "Mary Smith", "0600", "plain"}},
		{Seq: 1, Number: 3, Status: StatusUpdate, Code: "06083", Attempts: 2,
			Input: []string{"C2", "06083", "Zoë Ngāti", "6011", "line one\r\nline two"}},
		{Seq: 2, Number: 4, Status: StatusInvalid,
			Messages: []string{`email (E-mail): not an e-mail address: "jane.doe@"`, `custom_date (Birthday): not a real date: "31/02/1985"`},
			Input:    []string{"C3", "88A12", "Jane Doe", "", `said "hi", left`}},
		{Seq: 3, Number: 5, Status: StatusError, Attempts: 1, Messages: []string{"API: Invalid e-mail\naddress"},
			Input: []string{"C4", "", "=HYPERLINK(\"http://x\")", "+64", "@SUM(A1)"}},
		{Seq: 4, Number: 7, Status: StatusUnknown, Attempts: 1, Messages: []string{"no answer: timeout after sending"},
			Input: []string{"C5", "", "-dash", "\tTab", "\rcr"}},
		{Seq: 5, Number: 8, Status: StatusSkipped, Input: []string{"C6"}},
		{Seq: 6, Number: 9, Status: StatusUnchanged, Code: "1007",
			Input: []string{"C7", "1007", " leading space", "0800", "extra", "beyond the header"}},
		{Seq: 7, Number: 10, Status: StatusNew, Code: "1008", Attempts: 1,
			Input: []string{"C8", "", "O'Brien, Seán", "2000", "Unit 4, 12 Queen St"}},
	}
}

// shuffled returns rows in a fixed pseudo-random order.
func shuffled(rows []Row) []Row {
	out := slices.Clone(rows)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// writeResults writes rows, in the order given, to a results file named name in a new
// temporary directory and returns its path.
func writeResults(tb testing.TB, name string, rows []Row) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	w, err := Create(path, inputHeader)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Add(r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the golden file (run with -update if the change is meant)\n got: %q\nwant: %q", name, got, want)
	}
}

// readCSV reads a results CSV as a script would: with encoding/csv, every record as wide
// as the header, and no byte order mark before the first column's name.
func readCSV(tb testing.TB, data []byte) [][]string {
	tb.Helper()
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		tb.Fatalf("a byte order mark at the start of %q", data[:min(len(data), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		tb.Fatalf("read back: %v", err)
	}
	return recs
}

// wantCells is what every results file holds for testRows, header included: every row as
// wide as the header (a short row padded, cells beyond the header left out).
func wantCells() [][]string {
	out := [][]string{append(slices.Clone(FixedColumns), inputHeader...)}
	for _, r := range testRows() {
		r.Input = append(slices.Clone(r.Input), make([]string, len(inputHeader))...)[:len(inputHeader)]
		out = append(out, appendCells(nil, r))
	}
	return out
}

// TestWidthWithLine: a row read with more cells than the header is cut to the header's
// width even when it comes with its input line, and a short one is padded.
func TestWidthWithLine(t *testing.T) {
	wide := []string{"C1", "1", "Ann", "0600", "n", "extra"}
	rows := []Row{
		{Seq: 0, Number: 2, Status: StatusValid, Input: wide, Line: strings.Join(wide, ",")},
		{Seq: 1, Number: 3, Status: StatusValid, Input: []string{"C2", "2"}, Line: "C2,2"},
	}
	got, err := os.ReadFile(writeResults(t, "w.csv", rows))
	if err != nil {
		t.Fatal(err)
	}
	want := "row,status,code,card_number,message,attempts,Customer ID,Customer Code,Name,Postcode,Notes\r\n" +
		"2,valid,,,,0,C1,1,Ann,0600,n\r\n3,valid,,,,0,C2,2,,,\r\n"
	if string(got) != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestCSVGolden(t *testing.T) {
	path := writeResults(t, "out.results.csv", shuffled(testRows()))
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "results.golden.csv", got)
	if recs := readCSV(t, got); !slices.EqualFunc(recs, wantCells(), slices.Equal) {
		t.Errorf("read back:\n got %q\nwant %q", recs, wantCells())
	}
	if !bytes.Contains(got, []byte("\r\n")) || bytes.Count(got, []byte("\r\n")) != len(testRows())+1 {
		t.Errorf("want one CRLF per record, %d records", len(testRows())+1)
	}
	assertOnlyFile(t, path)
}

// assertOnlyFile checks that path's directory holds path and nothing else: no temporary
// file is left behind.
func assertOnlyFile(tb testing.TB, path string) {
	tb.Helper()
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{filepath.Base(path)}) {
		tb.Errorf("directory holds %q, want only %q", names, filepath.Base(path))
	}
}

func TestXLSXResults(t *testing.T) {
	path := writeResults(t, "out.results.XLSX", shuffled(testRows()))
	assertOnlyFile(t, path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}()
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetName}) {
		t.Fatalf("sheets %q, want [%q]", got, SheetName)
	}
	rows, err := f.GetRows(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	want := wantCells()
	for i := range want {
		// GetRows leaves out trailing empty cells.
		for len(want[i]) > 0 && want[i][len(want[i])-1] == "" {
			want[i] = want[i][:len(want[i])-1]
		}
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("cells:\n got %q\nwant %q", rows, want)
	}

	t.Run("text cells", func(t *testing.T) {
		for _, cell := range []string{"C3", "J2", "G2"} { // code 06083, postcode 0600, Customer ID
			typ, err := f.GetCellType(SheetName, cell)
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeInlineString {
				t.Errorf("%s: type %v, want an inline string", cell, typ)
			}
		}
	})
	t.Run("number cells", func(t *testing.T) {
		// row and attempts, on every data row
		for i, r := range testRows() {
			for _, c := range []struct {
				col  string
				want int
			}{{"A", r.Number}, {"F", r.Attempts}} {
				cell := fmt.Sprintf("%s%d", c.col, i+2)
				typ, err := f.GetCellType(SheetName, cell)
				if err != nil {
					t.Fatal(err)
				}
				if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					t.Errorf("%s: type %v, want a number", cell, typ)
				}
				v, err := f.GetCellValue(SheetName, cell, excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				if v != fmt.Sprint(c.want) {
					t.Errorf("%s: value %q, want %d", cell, v, c.want)
				}
			}
		}
	})
	t.Run("header bold and frozen", func(t *testing.T) {
		st := cellStyle(t, f, "A1")
		if st.Font == nil || !st.Font.Bold {
			t.Errorf("A1 font %+v, want bold", st.Font)
		}
		panes, err := f.GetPanes(SheetName)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 {
			t.Errorf("panes %+v, want the first row frozen", panes)
		}
	})
	t.Run("status colours", func(t *testing.T) {
		colour := map[Status]string{
			StatusNew: "C6EFCE", StatusUpdate: "C6EFCE", StatusUnchanged: "C6EFCE",
			StatusInvalid: "FFC7CE", StatusError: "FFC7CE",
			StatusUnknown: "FFEB9C", StatusSkipped: "FFEB9C",
		}
		for i, r := range testRows() {
			cell := fmt.Sprintf("B%d", i+2)
			st := cellStyle(t, f, cell)
			if len(st.Fill.Color) != 1 || st.Fill.Color[0] != colour[r.Status] {
				t.Errorf("%s (%s): fill %q, want %s", cell, r.Status, st.Fill.Color, colour[r.Status])
			}
		}
	})
	t.Run("column widths", func(t *testing.T) {
		w, err := f.GetColWidth(SheetName, "E")
		if err != nil {
			t.Fatal(err)
		}
		if w != 60 {
			t.Errorf("message column width %v, want 60", w)
		}
	})
}

func cellStyle(tb testing.TB, f *excelize.File, cell string) *excelize.Style {
	tb.Helper()
	id, err := f.GetCellStyle(SheetName, cell)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func TestCreateFormat(t *testing.T) {
	tests := []struct {
		name    string
		wantErr error
	}{
		{"r.csv", nil},
		{"r.CSV", nil},
		{"r.xlsx", nil},
		{"r.XlSx", nil},
		{"r.txt", ErrFormat},
		{"r.xls", ErrFormat},
		{"r", ErrFormat},
		{"r.csv.gz", ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Create(filepath.Join(t.TempDir(), tt.name), inputHeader)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if w != nil {
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	t.Run("directory", func(t *testing.T) {
		if err := os.Mkdir(filepath.Join(dir, "d.csv"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := Create(filepath.Join(dir, "d.csv"), nil); err == nil {
			t.Fatal("no error for a directory")
		}
	})
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run("missing dir "+ext, func(t *testing.T) {
			_, err := Create(filepath.Join(dir, "nope", "r"+ext), nil)
			if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("err %v, want os.ErrNotExist", err)
			}
		})
	}
}

func TestSafeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+2", "'=1+2"},
		{"+64 21 555", "'+64 21 555"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\nx"},
		{"a=b", "a=b"},
		{" =1", " =1"},
		{"'=1", "'=1"},
		{"line\r\nbreak", "line\nbreak"},
		{"lone\rcr", "lone\ncr"},
		{"keep\nlf", "keep\nlf"},
		{"06083", "06083"},
		{"Zoë", "Zoë"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			if got := SafeCell(tt.in); got != tt.want {
				t.Errorf("SafeCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormulaEscapedInFixedColumns(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r"+ext)
			w, err := Create(path, []string{"=HEAD"})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Add(Row{Number: 2, Status: StatusError, Code: "-1", CardNumber: "+1", Messages: []string{"=cmd|' /C calc'!A0"}, Input: []string{"@x"}}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			cells := readAny(t, path)
			want := [][]string{
				{"row", "status", "code", "card_number", "message", "attempts", "'=HEAD"},
				{"2", "error", "'-1", "'+1", "'=cmd|' /C calc'!A0", "0", "'@x"},
			}
			if !slices.EqualFunc(cells, want, slices.Equal) {
				t.Errorf("got %q\nwant %q", cells, want)
			}
		})
	}
}

// readAny reads a results file of either format.
func readAny(tb testing.TB, path string) [][]string {
	tb.Helper()
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		return readCSV(tb, data)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetName)
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

func TestMissingRow(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r"+ext)
			w, err := Create(path, inputHeader)
			if err != nil {
				t.Fatal(err)
			}
			rows := testRows()
			for _, i := range []int{3, 0, 1, 4} {
				if err := w.Add(rows[i]); err != nil {
					t.Fatal(err)
				}
			}
			err = w.Close()
			if !errors.Is(err, ErrMissingRow) {
				t.Fatalf("err %v, want ErrMissingRow", err)
			}
			if !strings.Contains(err.Error(), "seq 2 ") || !strings.Contains(err.Error(), "after row 3") {
				t.Errorf("error %q does not name seq 2 after row 3", err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("results renamed into place despite the gap: %v", err)
			}
			cells := readAny(t, w.PartialPath())
			var got []string
			for _, c := range cells[1:] {
				got = append(got, c[0])
			}
			if want := []string{"2", "3", "5", "7"}; !slices.Equal(got, want) {
				t.Errorf("partial file rows %q, want %q", got, want)
			}
			if !strings.Contains(err.Error(), w.PartialPath()) {
				t.Errorf("error %q does not name the partial file %s", err, w.PartialPath())
			}
			assertOnlyFile(t, w.PartialPath())
		})
	}
}

func TestDuplicateRow(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "r.csv"), inputHeader)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	rows := testRows()
	for _, i := range []int{0, 2} {
		if err := w.Add(rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, i := range []int{0, 2} {
		t.Run(fmt.Sprint("seq ", i), func(t *testing.T) {
			if err := w.Add(rows[i]); !errors.Is(err, ErrDuplicateRow) {
				t.Errorf("err %v, want ErrDuplicateRow", err)
			}
		})
	}
	t.Run("negative", func(t *testing.T) {
		if err := w.Add(Row{Seq: -1}); err == nil {
			t.Error("no error for a negative seq")
		}
	})
}

func TestAddAfterClose(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "r.csv"), inputHeader)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(testRows()[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("err %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Close: %v", err)
	}
	if _, err := os.Stat(w.PartialPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file after Close: %v", err)
	}
}

func TestCrashPrefix(t *testing.T) {
	rows := testRows()
	tests := []struct {
		name  string
		flush func(tb testing.TB, w *Writer)
	}{
		{"explicit Flush", func(tb testing.TB, w *Writer) {
			if err := w.Flush(); err != nil {
				tb.Fatal(err)
			}
		}},
		{"interval", func(tb testing.TB, w *Writer) {
			// The interval passes; the next Add that writes flushes.
			w.due.Store(true)
			if err := w.Add(rows[4]); err != nil {
				tb.Fatal(err)
			}
		}},
	}
	for _, ext := range []string{".csv", ".xlsx"} {
		for _, tt := range tests {
			t.Run(ext+" "+tt.name, func(t *testing.T) {
				crashPrefix(t, ext, tt.flush)
			})
		}
	}
}

// crashPrefix writes rows to a results file of extension ext, flushes them with flush
// and, without Close, checks what a crash would leave: a readable CSV partial file
// holding the rows, and nothing else.
func crashPrefix(t *testing.T, ext string, flush func(tb testing.TB, w *Writer)) {
	t.Helper()
	rows := testRows()
	dir := t.TempDir()
	path := filepath.Join(dir, "r"+ext)
	// A partial workbook left by an earlier run is not taken for this run's.
	if err := os.WriteFile(filepath.Join(dir, "r.partial"+ext), []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, inputHeader)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	// Whatever the format, a crash leaves a CSV partial file.
	partial := filepath.Join(dir, "r.partial.csv")
	// Right after Create the partial file already holds the header.
	if got := readAny(t, partial); len(got) != 1 {
		t.Fatalf("partial file after Create holds %d records, want the header", len(got))
	}
	for _, i := range []int{0, 1, 3, 2, 6} {
		if err := w.Add(rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if w.Written() != 4 || w.Pending() != 1 {
		t.Errorf("written %d, pending %d; want 4 and 1", w.Written(), w.Pending())
	}
	flush(t, w)
	// No Close: this is what a crash leaves.
	got := readAny(t, partial)
	n := len(got) - 1
	if n < 4 {
		t.Fatalf("partial file holds %d rows, want at least 4", n)
	}
	want := wantCells()[:n+1]
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("partial file:\n got %q\nwant %q", got, want)
	}
	assertOnlyFile(t, partial)
}

func TestAbortLeavesPartial(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.results"+ext)
			w, err := Create(path, inputHeader)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(path, ext) + ".partial" + ext; w.PartialPath() != want {
				t.Errorf("PartialPath %q, want %q", w.PartialPath(), want)
			}
			rows := testRows()
			for _, r := range rows[:3] {
				if err := w.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("results in place after Abort: %v", err)
			}
			got := readAny(t, w.PartialPath())
			want := wantCells()[:4]
			for i := range want {
				for len(want[i]) > 0 && want[i][len(want[i])-1] == "" && ext == ".xlsx" {
					want[i] = want[i][:len(want[i])-1]
				}
			}
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("partial file:\n got %q\nwant %q", got, want)
			}
			// For XLSX the CSV partial file the rows were written to is gone.
			assertOnlyFile(t, w.PartialPath())
			if err := w.Close(); err != nil {
				t.Errorf("Close after Abort: %v", err)
			}
		})
	}
}

func TestCloseReplacesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := os.WriteFile(path, []byte("old results\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, inputHeader)
	if err != nil {
		t.Fatal(err)
	}
	// Until Close the old file stays as it was.
	if b, _ := os.ReadFile(path); string(b) != "old results\n" {
		t.Errorf("old file changed before Close: %q", b)
	}
	if err := w.Add(testRows()[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readAny(t, path); len(got) != 2 {
		t.Errorf("results hold %d records, want 2", len(got))
	}
	assertOnlyFile(t, path)
}

func TestEmptyResults(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := writeResults(t, "r"+ext, nil)
			got := readAny(t, path)
			want := [][]string{append(slices.Clone(FixedColumns), inputHeader...)}
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestConcurrentAdd(t *testing.T) {
	const n = 2000
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, []string{"i"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := g; i < n && err == nil; i += 4 {
				err = w.Add(Row{Seq: i, Number: i + 2, Status: StatusNew, Input: []string{fmt.Sprint(i)}})
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAny(t, path)
	if len(got) != n+1 {
		t.Fatalf("%d records, want %d", len(got), n+1)
	}
	for i, rec := range got[1:] {
		if rec[6] != fmt.Sprint(i) {
			t.Fatalf("record %d holds %q", i+1, rec)
		}
	}
}

// assertModes checks that every file in dir may be read by its owner only.
func assertModes(tb testing.TB, dir string) {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if len(ents) == 0 {
		tb.Fatalf("no file in %s", dir)
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			tb.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			tb.Errorf("%s: mode %v, want -rw-------", e.Name(), fi.Mode())
		}
	}
}

// TestFileMode checks that the results, and the partial files while they are written and
// after Abort, are created readable by their owner only: they hold personal data.
func TestFileMode(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		for _, end := range []string{"Close", "Abort"} {
			t.Run(ext+" "+end, func(t *testing.T) {
				dir := t.TempDir()
				w, err := Create(filepath.Join(dir, "r"+ext), inputHeader)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Abort()
				for _, r := range testRows()[:3] {
					if err := w.Add(r); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				assertModes(t, dir)
				if end == "Close" {
					err = w.Close()
				} else {
					err = w.Abort()
				}
				if err != nil {
					t.Fatal(err)
				}
				assertModes(t, dir)
			})
		}
	}
}

// TestCreateBusy: while one writer has a results file on its way, a second one for the
// same file is refused (rather than both writing one partial file), and it may start once
// the first is done.
func TestCreateBusy(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no advisory lock here")
	}
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r"+ext)
			w, err := Create(path, inputHeader)
			if err != nil {
				t.Fatal(err)
			}
			if w2, err := Create(path, inputHeader); !errors.Is(err, ErrBusy) {
				if w2 != nil {
					_ = w2.Abort()
				}
				t.Fatalf("second Create: %v, want ErrBusy", err)
			}
			if err := w.Add(testRows()[0]); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("first writer, after the refused one: %v", err)
			}
			w, err = Create(path, inputHeader)
			if err != nil {
				t.Fatalf("Create after Close: %v", err)
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			if w, err = Create(path, inputHeader); err != nil {
				t.Fatalf("Create after Abort: %v", err)
			}
			_ = w.Abort()
		})
	}
}

// TestLockUnsupported: where the file system refuses locks (some network mounts), the
// partial file is written unguarded rather than the run refused.
func TestLockUnsupported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.partial.csv")
	f, err := lockPartialWith(path, func(*os.File) error { return errors.New("no locks here") })
	if err != nil {
		t.Fatalf("lockPartialWith: %v", err)
	}
	_ = f.Close()
	if _, err := lockPartialWith(path, func(*os.File) error { return errLocked }); !errors.Is(err, ErrBusy) {
		t.Fatalf("locked: %v, want ErrBusy", err)
	}
}

// TestInputColumnsNamedLikeFixed: an input column named like a fixed column (case and
// spaces aside) is headed input_<name>, so that no two columns of the results share a
// name; other names stay as the input has them.
func TestInputColumnsNamedLikeFixed(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r"+ext)
			w, err := Create(path, []string{"Code", " card_number", "First Name", "Row", "input_code", "Status "})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Add(Row{Number: 2, Status: StatusNew, Code: "77", Input: []string{"", "", "Ann", "1", "x", "y"}}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			cells := readAny(t, path)
			want := [][]string{
				{"row", "status", "code", "card_number", "message", "attempts",
					"input_input_Code", "input_ card_number", "First Name", "input_Row", "input_code", "input_Status "},
				{"2", "new", "77", "", "", "0", "", "", "Ann", "1", "x", "y"},
			}
			if !slices.EqualFunc(cells, want, slices.Equal) {
				t.Errorf("got %q\nwant %q", cells, want)
			}
		})
	}
}
