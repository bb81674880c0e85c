package sheet

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// FuzzXLSX builds a small workbook with excelize from the fuzzer's cell values, types and
// number format, reads it back and checks that what excelize stored is what we read.
func FuzzXLSX(f *testing.F) {
	f.Add("hello", 6083.0, "00000", int64(1234567890123456), true, "1+1", false)
	f.Add("  ", 45000.5, "yyyy-mm-dd hh:mm", int64(0), false, "", true)
	f.Add("06/25/16", 0.30000000000000004, "General", int64(-5), true, "A1&\"x\"", false)
	f.Add("a_x000D_b", 1.5, "[h]:mm:ss", int64(9007199254740993), false, "", true)
	f.Add("Ünïcödé ✓", 1e22, `[$-409]d-mmm-yy;@`, int64(42), true, "", false)
	f.Add("", -1.0, `"Customer" 000-000`, int64(100), false, "", false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string, num float64, code string, id int64, flag bool, formula string, date1904 bool) {
		if math.IsNaN(num) || math.IsInf(num, 0) || len(text) > 1000 || len(code) > 200 || len(formula) > 200 {
			t.Skip()
		}
		xf := excelize.NewFile()
		defer xf.Close()
		if date1904 {
			v := true
			if err := xf.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &v}); err != nil {
				t.Skip()
			}
		}
		style, err := xf.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			t.Skip()
		}
		const sh = "Sheet1"
		set := func(err error) {
			if err != nil {
				t.Skip()
			}
		}
		set(xf.SetCellStr(sh, "A1", text))
		set(xf.SetCellFloat(sh, "B1", num, -1, 64))
		set(xf.SetCellStyle(sh, "B1", "B1", style))
		set(xf.SetCellInt(sh, "C1", id))
		set(xf.SetCellBool(sh, "D1", flag))
		if formula != "" {
			set(xf.SetCellFormula(sh, "E1", formula))
		}
		set(xf.SetCellStr(sh, "A3", text))
		path := filepath.Join(dir, "fuzz.xlsx")
		if err := xf.SaveAs(path); err != nil {
			t.Skip()
		}

		rows, _, err := xlsxReadAll(t, path, Options{})
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			if xlsxFuzzCleanText(text) && xlsxFuzzCleanText(formula) && xlsxFuzzCleanText(code) {
				t.Fatalf("clean input gave %v", err)
			}
			return
		}
		raw := func(cell string) string {
			v, err := xf.GetCellValue(sh, cell, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		cell := func(num, col int) Cell { return xlsxCellAt(rows, num, col) }

		if v := raw("A1"); !xlsxFuzzCleanText(text) {
			// excelize's in-memory model keeps what its file could not: compare kinds only.
			if k := cell(1, 1).Kind; k != String && k != Empty {
				t.Errorf("A1 = %+v", cell(1, 1))
			}
		} else if v != "" {
			if got := cell(1, 1); got.Kind != String || got.Text != v {
				t.Errorf("A1 = %+v, excelize %q", got, v)
			}
			if got := cell(3, 1); got.Kind != String || got.Text != v {
				t.Errorf("A3 = %+v, excelize %q", got, v)
			}
		} else if cell(1, 1).Kind != Empty {
			t.Errorf("A1 = %+v, excelize has nothing", cell(1, 1))
		}
		b := cell(1, 2)
		if b.Raw != raw("B1") || (b.Kind != Number && b.Kind != Date) || b.Text == "" {
			t.Errorf("B1 = %+v, excelize raw %q", b, raw("B1"))
		}
		if b.Kind == Date {
			serial, _ := strconv.ParseFloat(b.Raw, 64)
			switch {
			case !date1904 && xlsxClassifyCode(code).kind == xlsxFmtDate && (serial >= 0 && serial < 1 || serial >= 60 && serial < 61):
				// A day that never was: shown as Excel shows it, with no Time.
				if !b.Time.IsZero() || !strings.HasPrefix(b.Text, "1900-0") {
					t.Errorf("B1 = %+v, serial %v: want a day that never was", b, serial)
				}
			default:
				if ts, ok := xlsxSerialTime(serial, date1904); !ok || !ts.Equal(b.Time) {
					t.Errorf("B1 date %v, serial %v gives %v", b.Time, num, ts)
				}
			}
		}
		if b.Kind == Number {
			// excelize stores at most 15 significant digits, so the text is the raw value,
			// without a decimal's trailing zeros, unless the format pads it.
			rv, err := strconv.ParseFloat(b.Raw, 64)
			tv, terr := strconv.ParseFloat(b.Text, 64)
			trailing := strings.Contains(b.Text, ".") && (strings.HasSuffix(b.Text, "0") || strings.HasSuffix(b.Text, "."))
			if err != nil || xlsxClassifyCode(code).kind != xlsxFmtZeroPad && (terr != nil || tv != rv || trailing) {
				t.Errorf("B1 = %+v", b)
			}
		}
		if c := cell(1, 3); c != xlsxNum(strconv.FormatInt(id, 10)) {
			t.Errorf("C1 = %+v, want %d", c, id)
		}
		if d := cell(1, 4); d.Kind != Bool || d.Text != strings.ToUpper(strconv.FormatBool(flag)) {
			t.Errorf("D1 = %+v, want %v", d, flag)
		}
		for _, r := range rows {
			if r.Number < 1 || len(r.Cells) == 0 || r.Cells[len(r.Cells)-1].Kind == Empty {
				t.Errorf("row %+v: empty or badly numbered", r)
			}
		}
	})
}

// xlsxFuzzCleanText reports whether s can be stored in XML as it is.
func xlsxFuzzCleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !xlsxXMLChar(r) {
			return false
		}
	}
	return true
}

// FuzzXLSXSheetXML feeds arbitrary bytes as the worksheet part of an otherwise valid
// workbook: the reader must never panic, and every error must wrap ErrFormat.
func FuzzXLSXSheetXML(f *testing.F) {
	for _, s := range []string{
		`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1.5</v></c></row></sheetData></worksheet>`,
		`<?xml version="1.0"?><worksheet xmlns="x"><sheetData><row><c t="inlineStr"><is><r><t>a</t></r><rPh><t>b</t></rPh></is></c><c s="1"><v>45000</v></c></row></sheetData></worksheet>`,
		`<x:worksheet xmlns:x="y"><x:sheetData><x:row r="3"><x:c r="C3" t="b"><x:v>1</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c></x:row></x:sheetData></x:worksheet>`,
		`<worksheet><sheetData><row r="2"><c r="B2" t="d"><v>2014-02-14T08:27:48Z</v></c><c t="str"><f>A1</f><v>&amp;&#x41;&#66;</v></c></row></sheetData><mergeCells><mergeCell ref="A1:B1"/></mergeCells></worksheet>`,
		`<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c>`,
		`<worksheet><!-- c --><sheetData><row r="1"><c r="A1" s="2"><v><![CDATA[6083]]></v></c></row></sheetData></worksheet>`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		book := xlsxTestBook{
			SST:     []string{"x", ""},
			NumFmts: map[int]string{164: "00000"},
			Xfs:     []int{0, 14, 164},
			Sheets:  []xlsxTestSheet{{Name: "S", Raw: data}},
		}
		path := filepath.Join(dir, "f.xlsx")
		if err := os.WriteFile(path, book.bytes(t), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := OpenXLSX(path, Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer func() {
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		for {
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("error without ErrFormat: %v", err)
				}
				if _, err2 := r.Next(); err2 == nil || err2 == io.EOF {
					t.Fatalf("Next after an error = %v", err2)
				}
				return
			}
			if row.Number < 1 || len(row.Cells) == 0 || row.Cells[len(row.Cells)-1].Kind == Empty {
				t.Fatalf("bad row %+v", row)
			}
			for _, c := range row.Cells {
				if c.Kind > Error || (c.Kind == Empty) != (c.Text == "") || (c.Kind == Date && c.Time.IsZero() && c.Raw != "0") {
					t.Fatalf("bad cell %+v", c)
				}
			}
		}
	})
}
