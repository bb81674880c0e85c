package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

// FuzzCSVRoundTrip checks that any cells written as a results CSV record read back with
// encoding/csv as exactly the escaped values, and that no cell can start a formula.
func FuzzCSVRoundTrip(f *testing.F) {
	f.Add("C1", "Mary", "0600", "ok", "1001")
	f.Add("=1+2", "+64 21", "-x", "@SUM(A1)", "")
	f.Add("a,b", `say "hi"`, "line\r\nbreak", "\rcr", "\tTab")
	f.Add(" lead", `\.`, "\n", `"`, "Zoë")
	f.Add("\xff\xfe", "a\rb", "\r\n", ",", "\ufeffbom")
	f.Add("\u00a0nbsp", "\u3000x", "\v", "\x85", "\xc2\x85")
	f.Add("-", " ", "'", "\\.x", "x\\.")
	f.Add("abcdefgh,", "abcdefghijklmnop\"q", "12345678901234\n", "+abcdefgh\r", "=abcdefghijk,lmnop")
	f.Fuzz(func(t *testing.T, a, b, c, msg, code string) {
		r := Row{Seq: 0, Number: 2, Status: StatusError, Code: code, CardNumber: a,
			Messages: []string{msg, b}, Attempts: 3, Input: []string{a, b, c, "", msg}}
		rec := appendCells(nil, r)
		data := appendRecord(nil, rec)
		if fast := appendRow(nil, r); !bytes.Equal(fast, data) {
			t.Fatalf("appendRow wrote %q, appendRecord %q", fast, data)
		}
		for _, cell := range []string{a, b, c, msg, code} {
			if got, want := appendCell(nil, cell), appendField(nil, SafeCell(cell)); !bytes.Equal(got, want) {
				t.Errorf("appendCell(%q) = %q, want %q", cell, got, want)
			}
		}
		if !bytes.HasSuffix(data, []byte("\r\n")) {
			t.Fatalf("record %q does not end in CRLF", data)
		}
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		got, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("read back %q: %v", data, err)
		}
		if len(got) != 1 || !slices.Equal(got[0], rec) {
			t.Fatalf("read back %q\n got %q\nwant %q", data, got, rec)
		}
		for i, want := range []string{a, b, c, "", msg} {
			if rec[len(FixedColumns)+i] != SafeCell(want) {
				t.Errorf("input cell %d: %q, want %q", i, rec[len(FixedColumns)+i], SafeCell(want))
			}
		}
		if m := rec[4]; strings.ContainsAny(m, "\r\n") {
			t.Errorf("message %q spans lines", m)
		}
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q may run as a formula", cell)
			}
			if strings.ContainsRune(cell, '\r') {
				t.Errorf("cell %q holds a carriage return", cell)
			}
		}
	})
}

// FuzzAppendRowLine checks that a row given with its Line (its cells joined by commas,
// none holding a comma, a quote, a CR or an LF, as sheet.TextReader's Line promises) is
// written exactly as the same row without it.
func FuzzAppendRowLine(f *testing.F) {
	f.Add("C1,Mary,0600,ok,1001")
	f.Add("=1+2,+64 21,-x,@SUM(A1),")
	f.Add(" lead,\\.,\tTab,Zoë,\xff\xfe")
	f.Add(",,")
	f.Add("\u00a0nbsp,\u3000x,\v,\xc2\x85,'")
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\"\r\n") {
			return // not a line TextReader gives
		}
		cells := strings.Split(line, ",")
		r := Row{Number: 3, Status: StatusValid, Input: cells}
		want := string(appendRow(nil, r))
		r.Line = line
		if got := string(appendRow(nil, r)); got != want {
			t.Fatalf("cells %q: with the line %q, without %q", cells, got, want)
		}
	})
}
