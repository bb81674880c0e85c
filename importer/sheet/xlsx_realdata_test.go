package sheet

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxRealdata returns the folder of third-party workbooks beside the repository
// (<root>/../shared/realdata/xlsx), skipping the test when it is absent.
func xlsxRealdata(tb testing.TB) string {
	tb.Helper()
	return realData(tb, "xlsx")
}

// realData returns <root>/../shared/realdata/<kind>, where root is the folder of go.mod
// above the package, skipping the test when it is absent.
func realData(tb testing.TB, kind string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root not found")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "realdata", kind)
	if _, err := os.Stat(data); err != nil {
		tb.Skipf("real data absent: %v", err)
	}
	return data
}

// xlsxCellAt returns the cell of a row list at a 1-based row number and column.
func xlsxCellAt(rows []Row, num, col int) Cell {
	for _, r := range rows {
		if r.Number == num {
			if col <= len(r.Cells) {
				return r.Cells[col-1]
			}
			return Cell{}
		}
	}
	return Cell{}
}

// TestXLSXAgainstExcelize reads every sheet of every real workbook with this reader and with
// excelize (raw values, whole sheet in memory: fine for these small files) and requires the
// same non-empty cells at the same places. Intended differences, asserted as such:
// booleans are TRUE/FALSE where excelize gives 1/0; a number's Text may differ from its raw
// value (padding, float noise) but its Raw never does; a date's Raw is the stored serial.
func TestXLSXAgainstExcelize(t *testing.T) {
	dir := xlsxRealdata(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.xlsx"))
	if err != nil || len(files) == 0 {
		t.Skipf("no workbooks in %s", dir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			names, err := SheetNames(path)
			if strings.Contains(path, "pass_protected") {
				if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "encrypted or password-protected") {
					t.Fatalf("err = %v, want the encrypted-workbook ErrFormat", err)
				}
				_, err = OpenXLSX(path, Options{})
				if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "remove the password") {
					t.Fatalf("OpenXLSX err = %v, want the encrypted-workbook ErrFormat", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			xf, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: 1 << 30, UnzipXMLSizeLimit: 64 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := xf.Close(); err != nil {
					t.Error(err)
				}
			}()
			if want := xf.GetSheetList(); strings.Join(want, "\x00") != strings.Join(names, "\x00") {
				t.Errorf("sheet names = %q, excelize says %q", names, want)
			}
			for _, name := range names {
				xlsxCompareSheet(t, path, xf, name)
			}
		})
	}
}

func xlsxCompareSheet(t *testing.T, path string, xf *excelize.File, name string) {
	t.Helper()
	rows, _, err := xlsxReadAll(t, path, Options{Sheet: name})
	if err != nil {
		t.Fatalf("sheet %q: %v", name, err)
	}
	theirs, err := xf.GetRows(name, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("excelize sheet %q: %v", name, err)
	}
	// Every non-empty cell of excelize's is ours, alike.
	n := 0
	for ri, row := range theirs {
		for ci, v := range row {
			if v == "" {
				continue
			}
			n++
			ref, _ := excelize.CoordinatesToCellName(ci+1, ri+1)
			got := xlsxCellAt(rows, ri+1, ci+1)
			typ, err := xf.GetCellType(name, ref)
			if err != nil {
				t.Fatal(err)
			}
			switch got.Kind {
			case String, Error:
				if got.Text != v {
					t.Errorf("%s!%s: Text %q, excelize %q", name, ref, got.Text, v)
				}
			case Number, Date:
				if got.Raw != strings.TrimSpace(v) {
					t.Errorf("%s!%s: %s Raw %q, excelize %q", name, ref, got.Kind, got.Raw, v)
				}
				if got.Kind == Date && got.Time.IsZero() {
					t.Errorf("%s!%s: date without Time", name, ref)
				}
			case Bool:
				if want := map[string]string{"1": "TRUE", "0": "FALSE"}[v]; got.Text != want || typ != excelize.CellTypeBool {
					t.Errorf("%s!%s: bool %q, excelize %q (type %v)", name, ref, got.Text, v, typ)
				}
			default:
				t.Errorf("%s!%s: we read %s, excelize %q", name, ref, got.Kind, v)
			}
		}
	}
	// And we have nothing more.
	m := 0
	for _, r := range rows {
		for _, c := range r.Cells {
			if c.Kind != Empty {
				m++
			}
		}
	}
	if m != n {
		t.Errorf("sheet %q: we read %d non-empty cells, excelize %d", name, m, n)
	}
}

// TestXLSXRealFiles writes down what each real workbook must read as.
func TestXLSXRealFiles(t *testing.T) {
	dir := xlsxRealdata(t)
	read := func(t *testing.T, file string, opt Options) ([]Row, []string) {
		t.Helper()
		rows, warn, err := xlsxReadAll(t, filepath.Join(dir, file), opt)
		if err != nil {
			t.Fatal(err)
		}
		return rows, warn
	}
	numbers := func(rows []Row) []int {
		var out []int
		for _, r := range rows {
			out = append(out, r.Number)
		}
		return out
	}
	eq := func(t *testing.T, what string, got, want any) {
		t.Helper()
		if !xlsxDeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}

	for _, file := range []string{"sheetjs_1900.xlsx", "sheetjs_1904.xlsx"} {
		t.Run(file, func(t *testing.T) {
			// Column B holds dates as serials; C and D are the file's own cached
			// TEXT(B,"YYYY-MM-DD") formulas.
			rows, _ := read(t, file, Options{})
			eq(t, "rows", len(rows), 5)
			for _, r := range rows {
				b := r.Cells[1]
				if b.Kind != Date {
					t.Errorf("row %d: B is %s, want date", r.Number, b.Kind)
				}
				for _, c := range r.Cells[2:4] {
					if c.Kind != String || b.Text != c.Text || b.Time.Format("2006-01-02") != c.Text {
						t.Errorf("row %d: date %q (%v), the file's TEXT() says %q", r.Number, b.Text, b.Time, c.Text)
					}
				}
			}
		})
	}
	t.Run("roo_zero-padded-number.xlsx", func(t *testing.T) {
		rows, _ := read(t, "roo_zero-padded-number.xlsx", Options{})
		eq(t, "rows", numbers(rows), []int{1, 2, 3, 4})
		for i, want := range []Cell{
			{Kind: Number, Text: "06083", Raw: "6083"},
			{Kind: Number, Text: "10083", Raw: "10083"},
			{Kind: Number, Text: "05010", Raw: "5010"},
		} {
			eq(t, "cell", rows[i+1].Cells[0], want)
		}
	})
	t.Run("tealeg_macNumbersTest.xlsx", func(t *testing.T) {
		rows, _ := read(t, "tealeg_macNumbersTest.xlsx", Options{})
		eq(t, "rows", rows, []Row{{Number: 1, Cells: []Cell{xlsxStr("编号")}}})
	})
	t.Run("calamine_header-row.xlsx", func(t *testing.T) {
		rows, _ := read(t, "calamine_header-row.xlsx", Options{})
		eq(t, "row numbers", numbers(rows), []int{3, 9, 10})
		eq(t, "row 3", rows[0].Texts(), []string{"", "", "Note 1"})
		eq(t, "header", rows[1].Texts(), []string{"Columns", "Column A", "Column B", "Column C"})
	})
	t.Run("sheetjs_sheet_visibility.xlsx", func(t *testing.T) {
		rows, warn := read(t, "sheetjs_sheet_visibility.xlsx", Options{})
		eq(t, "default sheet", strings.Join(rows[0].Texts(), ""), "visible")
		eq(t, "warnings", len(warn), 0)
		for _, name := range []string{"Hidden", "VeryHidden"} {
			rows, warn := read(t, "sheetjs_sheet_visibility.xlsx", Options{Sheet: name})
			eq(t, name, strings.Join(rows[0].Texts(), ""), name)
			if len(warn) != 1 || !strings.Contains(warn[0], "hidden") {
				t.Errorf("%s: warnings %q, want a hidden-sheet warning", name, warn)
			}
		}
	})
	t.Run("tealeg_wpsBlankLineTest.xlsx", func(t *testing.T) {
		rows, _ := read(t, "tealeg_wpsBlankLineTest.xlsx", Options{})
		eq(t, "row numbers", numbers(rows), []int{1, 3, 5})
		eq(t, "row 5", rows[2].Texts(), []string{"", "", "编号"})
	})
	t.Run("tealeg_inlineStrings.xlsx", func(t *testing.T) {
		rows, _ := read(t, "tealeg_inlineStrings.xlsx", Options{})
		var header Row
		for _, r := range rows {
			if len(r.Cells) > 2 && r.Cells[1].Text == "Date" {
				header = r
				break
			}
		}
		eq(t, "header row", header.Number, 10)
		eq(t, "B11", xlsxCellAt(rows, 11, 2), xlsxStr("06/25/16"))
		eq(t, "D11", xlsxCellAt(rows, 11, 4), xlsxNum("3599619"))
		// 29 significant digits stored; Excel shows 15.
		eq(t, "G11", xlsxCellAt(rows, 11, 7), Cell{Kind: Number, Text: "2.63033230469628", Raw: "2.6303323046962774324020672609"})
	})
	t.Run("sheetjs_xlsx-stream-d-date-cell.xlsx", func(t *testing.T) {
		rows, _ := read(t, "sheetjs_xlsx-stream-d-date-cell.xlsx", Options{})
		eq(t, "strings", rows[0].Texts(), []string{"String", "てすと", `&'";<>`, "&amp;"})
		eq(t, "E-notation", xlsxCellAt(rows, 3, 4), xlsxNum("1.23456789e+22"))
		eq(t, "true", xlsxCellAt(rows, 4, 2), Cell{Kind: Bool, Text: "TRUE"})
		eq(t, "false", xlsxCellAt(rows, 4, 3), Cell{Kind: Bool, Text: "FALSE"})
		d := xlsxCellAt(rows, 5, 2)
		eq(t, "t=d kind", d.Kind, Date)
		eq(t, "t=d time", d.Time, time.Date(2014, 2, 14, 8, 27, 48, 765e6, time.UTC))
		eq(t, "t=d text", d.Text, "2014-02-14")
		eq(t, "time format 18", xlsxCellAt(rows, 7, 2), Cell{Kind: Date, Text: "12:00:00", Raw: "1.5", Time: time.Date(1900, 1, 1, 12, 0, 0, 0, time.UTC)})
		eq(t, "percent", xlsxCellAt(rows, 8, 2), xlsxNum("0.5"))
		eq(t, "duration 46", xlsxCellAt(rows, 10, 2), xlsxNum("1.5"))
	})
	t.Run("csvkit_ne_1033_data.xlsx", func(t *testing.T) {
		rows, _ := read(t, "csvkit_ne_1033_data.xlsx", Options{})
		eq(t, "rows", len(rows), 1037)
		eq(t, "ship_date header", rows[0].Cells[9].Text, "ship_date")
		for _, r := range rows[1:] {
			if c := r.Cells[9]; c.Kind != Date || c.Time.IsZero() {
				t.Fatalf("row %d: ship_date %+v, want a date", r.Number, c)
			}
		}
		eq(t, "first ship_date", rows[1].Cells[9].Time, time.Date(2008, 7, 11, 0, 0, 0, 0, time.UTC))
		eq(t, "nsn", rows[1].Cells[3], xlsxStr("1005-00-589-1271"))
		// Google Sheets stores the integer 31001 as 31001.0; Excel shows it as 31001.
		eq(t, "fips", rows[1].Cells[2], Cell{Kind: Number, Raw: "31001.0", Text: "31001"})
	})
	t.Run("sheetjs_LONumbers.xlsx", func(t *testing.T) {
		rows, _ := read(t, "sheetjs_LONumbers.xlsx", Options{})
		var dates, times int
		for _, r := range rows {
			if len(r.Cells) < 4 {
				continue
			}
			label := r.Cells[0].Text
			c := r.Cells[1] // the value 1
			switch {
			case strings.ContainsAny(label, "YD") && !strings.Contains(label, "["):
				dates++
				eq(t, label, c, Cell{Kind: Date, Text: "1900-01-01", Raw: "1", Time: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)})
				eq(t, label+" 12.3", r.Cells[3].Time, time.Date(1900, 1, 12, 7, 12, 0, 0, time.UTC))
			case label == "H" || label == "HHMM" || label == "S" || label == "AM/PM":
				times++
				eq(t, label+" kind", r.Cells[3].Kind, Date)
				eq(t, label+" 12.3", r.Cells[3].Text, "07:12:00")
			}
			if r.Cells[2].Kind != Number {
				t.Errorf("%s: negative %+v, want a number", label, r.Cells[2])
			}
		}
		eq(t, "date rows", dates, 11)
		eq(t, "time rows", times, 4)
	})
	t.Run("sheetjs_RkNumber.xlsx", func(t *testing.T) {
		rows, _ := read(t, "sheetjs_RkNumber.xlsx", Options{})
		eq(t, "A2", rows[1].Cells[0], xlsxStr("0"))
		eq(t, "B3", rows[2].Cells[1], xlsxStr("1"))
		eq(t, "C2", rows[1].Cells[2], xlsxNum("10000000"))
		eq(t, "C5", rows[4].Cells[2], xlsxNum("12004.55"))
	})
	t.Run("sheetjs_issue.xlsx", func(t *testing.T) {
		// Merged header cells: the value in the top-left cell, the rest empty.
		rows, _ := read(t, "sheetjs_issue.xlsx", Options{})
		eq(t, "header", rows[0].Texts()[:7], []string{"Pos.", "Designation", "", "Qty.", "Unit", "Customer code", ""})
	})
}

func xlsxDeepEqual(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}
