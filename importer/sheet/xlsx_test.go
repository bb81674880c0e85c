package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// xlsxTestBook describes a workbook to build by hand, byte by byte, so that tests control
// every part, including broken ones.
type xlsxTestBook struct {
	Sheets   []xlsxTestSheet
	SST      []string // shared strings, written as plain <si><t>
	SSTXML   string   // a whole sharedStrings.xml instead of SST
	NumFmts  map[int]string
	Xfs      []int // numFmtId of each cellXfs entry; quotePrefix not modelled
	Date1904 bool
	NoRels   bool // leave out xl/_rels/workbook.xml.rels
	Absolute bool // write relationship targets as /xl/...
}

type xlsxTestSheet struct {
	Name  string
	State string
	Part  string // zip name; default xl/worksheets/sheet<N>.xml
	XML   string // the whole part; when empty, Data wrapped in a worksheet
	Data  string // the inside of <sheetData>
	Raw   []byte // exact bytes of the part, overriding XML
	Store bool   // store uncompressed
}

const xlsxTestNS = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

// write builds the workbook in dir and returns its path.
func (b xlsxTestBook) write(tb testing.TB, dir string) string {
	tb.Helper()
	path := filepath.Join(dir, "book.xlsx")
	if err := os.WriteFile(path, b.bytes(tb), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func (b xlsxTestBook) bytes(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte, store bool) {
		method := zip.Deflate
		if store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			tb.Fatal(err)
		}
	}
	add("[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`), false)
	add("_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`), false)
	var wb, rels strings.Builder
	pr := ""
	if b.Date1904 {
		pr = `<workbookPr date1904="1"/>`
	}
	fmt.Fprintf(&wb, `<?xml version="1.0" encoding="UTF-8"?><workbook %s>%s<sheets>`, xlsxTestNS, pr)
	rels.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	prefix := ""
	if b.Absolute {
		prefix = "/xl/"
	}
	for i, s := range b.Sheets {
		state := ""
		if s.State != "" {
			state = fmt.Sprintf(` state="%s"`, s.State)
		}
		fmt.Fprintf(&wb, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, s.Name, i+1, state, i+10)
		part := s.Part
		if part == "" {
			part = fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)
		}
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="%s%s"/>`, i+10, prefix, strings.TrimPrefix(part, "xl/"))
		data := s.Raw
		if data == nil {
			x := s.XML
			if x == "" {
				x = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<worksheet %s><dimension ref="A1"/><sheetData>%s</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`, xlsxTestNS, s.Data)
			}
			data = []byte(x)
		}
		add(part, data, s.Store)
	}
	wb.WriteString(`</sheets></workbook>`)
	if b.SST != nil || b.SSTXML != "" {
		fmt.Fprintf(&rels, `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="%ssharedStrings.xml"/>`, prefix)
		sst := b.SSTXML
		if sst == "" {
			var s strings.Builder
			fmt.Fprintf(&s, `<?xml version="1.0" encoding="UTF-8"?><sst %s count="%d" uniqueCount="%d">`, xlsxTestNS, len(b.SST), len(b.SST))
			for _, v := range b.SST {
				fmt.Fprintf(&s, `<si><t xml:space="preserve">%s</t></si>`, xlsxTestEscape(v))
			}
			s.WriteString(`</sst>`)
			sst = s.String()
		}
		add("xl/sharedStrings.xml", []byte(sst), false)
	}
	if b.Xfs != nil {
		fmt.Fprintf(&rels, `<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="%sstyles.xml"/>`, prefix)
		var s strings.Builder
		fmt.Fprintf(&s, `<?xml version="1.0" encoding="UTF-8"?><styleSheet %s><numFmts>`, xlsxTestNS)
		for id, code := range b.NumFmts {
			fmt.Fprintf(&s, `<numFmt numFmtId="%d" formatCode="%s"/>`, id, xlsxTestEscape(code))
		}
		s.WriteString(`</numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs>`)
		for _, id := range b.Xfs {
			fmt.Fprintf(&s, `<xf numFmtId="%d" fontId="0" applyNumberFormat="1"/>`, id)
		}
		s.WriteString(`</cellXfs></styleSheet>`)
		add("xl/styles.xml", []byte(s.String()), false)
	}
	rels.WriteString(`</Relationships>`)
	add("xl/workbook.xml", []byte(wb.String()), false)
	if !b.NoRels {
		add("xl/_rels/workbook.xml.rels", []byte(rels.String()), false)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func xlsxTestEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// xlsxReadAll reads every row of a sheet.
func xlsxReadAll(tb testing.TB, path string, opt Options) ([]Row, []string, error) {
	tb.Helper()
	r, err := OpenXLSX(path, opt)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if cerr := r.Close(); cerr != nil {
				tb.Errorf("Close after error: %v", cerr)
			}
			return rows, r.Warnings(), err
		}
		rows = append(rows, row)
	}
	// Next after the end keeps saying io.EOF.
	if _, err := r.Next(); err != io.EOF {
		tb.Errorf("Next after the end = %v, want io.EOF", err)
	}
	warn := r.Warnings()
	if err := r.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	return rows, warn, nil
}

func xlsxStr(s string) Cell   { return Cell{Kind: String, Text: s} }
func xlsxNum(raw string) Cell { return Cell{Kind: Number, Text: raw, Raw: raw} }

func TestXLSXCells(t *testing.T) {
	const (
		general = iota
		dateFmt
		dateTime
		zip5
		phone
		timeOnly
		elapsed
		textFmt
		custDate
		custTime
		quoted
	)
	book := xlsxTestBook{
		SST:     []string{"", "hello", "  ", "a_x000D_b", "0"},
		NumFmts: map[int]string{164: "00000", 165: "000-000", 166: `[$-409]d/m/yyyy;@`, 167: `h:mm:ss AM/PM`, 168: `"Date:" 0`},
		//      general dateFmt dateTime zip5 phone timeOnly elapsed textFmt custDate custTime quoted
		Xfs: []int{0, 14, 22, 164, 165, 20, 46, 49, 166, 167, 168},
	}
	day := func(y int, m time.Month, d, hh, mm, ss, ms int) time.Time {
		return time.Date(y, m, d, hh, mm, ss, ms*int(time.Millisecond), time.UTC)
	}
	tests := []struct {
		name string
		data string
		want Cell
	}{
		{"shared string", `<c r="A1" t="s"><v>1</v></c>`, xlsxStr("hello")},
		{"shared empty string is empty", `<c r="A1" t="s"><v>0</v></c><c r="B1"><v>1</v></c>`, Cell{}},
		{"shared spaces are a string", `<c r="A1" t="s"><v>2</v></c>`, xlsxStr("  ")},
		{"shared escape", `<c r="A1" t="s"><v>3</v></c>`, xlsxStr("a\rb")},
		{"shared digits stay a string", `<c r="A1" t="s" s="0"><v>4</v></c>`, xlsxStr("0")},
		{"inline string", `<c r="A1" t="inlineStr"><is><t>plain &amp; simple</t></is></c>`, xlsxStr("plain & simple")},
		{"inline rich text", `<c r="A1" t="inlineStr"><is><r><rPr><b/></rPr><t>bold</t></r><r><t xml:space="preserve"> text</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh></is></c>`, xlsxStr("bold text")},
		{"inline with prefix", `<x:c r="A1" t="inlineStr" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:is><x:t>pfx</x:t></x:is></x:c>`, xlsxStr("pfx")},
		{"formula string", `<c r="A1" t="str"><f>A2&amp;"x"</f><v>abc</v></c>`, xlsxStr("abc")},
		{"formula empty string", `<c r="A1" t="str"><f>""</f><v></v></c><c r="B1"><v>1</v></c>`, Cell{}},
		{"formula number", `<c r="A1"><f>1+1</f><v>2</v></c>`, xlsxNum("2")},
		// The value is unknown, not empty: taken as empty, a code column of formulas
		// would make every row a new customer.
		{"formula without value", `<c r="A1"><f>1+1</f></c><c r="B1"><v>1</v></c>`, Cell{Kind: Error, Text: FormulaNotCalculated}},
		{"shared formula without value", `<c r="A1"><f t="shared" si="0"/></c><c r="B1"><v>1</v></c>`, Cell{Kind: Error, Text: FormulaNotCalculated}},
		{"formula with an empty string result", `<c r="A1" t="str"><f>""</f><v></v></c><c r="B1"><v>1</v></c>`, Cell{}},
		{"bool true", `<c r="A1" t="b"><v>1</v></c>`, Cell{Kind: Bool, Text: "TRUE"}},
		{"bool false", `<c r="A1" t="b"><v>0</v></c>`, Cell{Kind: Bool, Text: "FALSE"}},
		{"error", `<c r="A1" t="e"><v>#N/A</v></c>`, Cell{Kind: Error, Text: "#N/A"}},
		{"error div", `<c r="A1" t="e"><f>1/0</f><v>#DIV/0!</v></c>`, Cell{Kind: Error, Text: "#DIV/0!"}},
		{"integer", `<c r="A1"><v>6083</v></c>`, xlsxNum("6083")},
		{"t=n", `<c r="A1" t="n"><v>-12.5</v></c>`, xlsxNum("-12.5")},
		{"16 digits kept", `<c r="A1"><v>1234567890123456</v></c>`, xlsxNum("1234567890123456")},
		{"20 digits kept", `<c r="A1"><v>12345678901234567890</v></c>`, xlsxNum("12345678901234567890")},
		{"E-notation kept", `<c r="A1"><v>1.23E+22</v></c>`, xlsxNum("1.23E+22")},
		{"float noise cleaned", `<c r="A1"><v>0.30000000000000004</v></c>`, Cell{Kind: Number, Text: "0.3", Raw: "0.30000000000000004"}},
		{"float noise cleaned 2", `<c r="A1"><v>100.10000000000001</v></c>`, Cell{Kind: Number, Text: "100.1", Raw: "100.10000000000001"}},
		{"15 digits kept", `<c r="A1"><v>0.123456789012345</v></c>`, xlsxNum("0.123456789012345")},
		{"number with spaces", `<c r="A1"><v> 42 </v></c>`, xlsxNum("42")},
		{"zip code padded", `<c r="A1" s="3"><v>6083</v></c>`, Cell{Kind: Number, Text: "06083", Raw: "6083"}},
		{"zip code long", `<c r="A1" s="3"><v>1234567</v></c>`, Cell{Kind: Number, Text: "1234567", Raw: "1234567"}},
		{"date format on day zero", `<c r="A1" s="1"><v>0</v></c>`, Cell{Kind: Date, Text: "1900-01-00", Raw: "0"}},
		{"date time format on a time alone", `<c r="A1" s="2"><v>0.5</v></c>`, Cell{Kind: Date, Text: "1900-01-00 12:00:00", Raw: "0.5"}},
		{"date format on 1900-02-29", `<c r="A1" s="1"><v>60</v></c>`, Cell{Kind: Date, Text: "1900-02-29", Raw: "60"}},
		{"date format on 1900-02-28", `<c r="A1" s="1"><v>59</v></c>`, Cell{Kind: Date, Text: "1900-02-28", Raw: "59", Time: day(1900, 2, 28, 0, 0, 0, 0)}},
		{"date format on 1900-03-01", `<c r="A1" s="1"><v>61</v></c>`, Cell{Kind: Date, Text: "1900-03-01", Raw: "61", Time: day(1900, 3, 1, 0, 0, 0, 0)}},
		{"time format on a time alone", `<c r="A1" s="5"><v>0.5</v></c>`, Cell{Kind: Date, Text: "12:00:00", Raw: "0.5", Time: day(1899, 12, 31, 12, 0, 0, 0)}},
		{"zip code stored with a zero fraction padded", `<c r="A1" s="3"><v>6083.0</v></c>`, Cell{Kind: Number, Text: "06083", Raw: "6083.0"}},
		{"number stored with a zero fraction", `<c r="A1"><v>31001.0</v></c>`, Cell{Kind: Number, Text: "31001", Raw: "31001.0"}},
		{"zip code decimal not padded", `<c r="A1" s="3"><v>6083.5</v></c>`, Cell{Kind: Number, Text: "6083.5", Raw: "6083.5"}},
		{"zip code negative not padded", `<c r="A1" s="3"><v>-6083</v></c>`, Cell{Kind: Number, Text: "-6083", Raw: "-6083"}},
		{"pattern with literal", `<c r="A1" s="4"><v>12345</v></c>`, Cell{Kind: Number, Text: "012-345", Raw: "12345"}},
		{"quoted literal", `<c r="A1" s="10"><v>7</v></c>`, Cell{Kind: Number, Text: "Date: 7", Raw: "7"}},
		{"text format number", `<c r="A1" s="7"><v>007</v></c>`, xlsxNum("007")},
		{"date", `<c r="A1" s="1"><v>45000</v></c>`, Cell{Kind: Date, Text: "2023-03-15", Raw: "45000", Time: day(2023, 3, 15, 0, 0, 0, 0)}},
		{"date with time of day in a date format", `<c r="A1" s="1"><v>45000.75</v></c>`, Cell{Kind: Date, Text: "2023-03-15", Raw: "45000.75", Time: day(2023, 3, 15, 18, 0, 0, 0)}},
		{"date time", `<c r="A1" s="2"><v>45000.5</v></c>`, Cell{Kind: Date, Text: "2023-03-15 12:00:00", Raw: "45000.5", Time: day(2023, 3, 15, 12, 0, 0, 0)}},
		{"date time rounds to ms", `<c r="A1" s="2"><v>45000.50000000001</v></c>`, Cell{Kind: Date, Text: "2023-03-15 12:00:00", Raw: "45000.50000000001", Time: day(2023, 3, 15, 12, 0, 0, 0)}},
		{"date time seconds rounded", `<c r="A1" s="2"><v>45000.999999</v></c>`, Cell{Kind: Date, Text: "2023-03-16 00:00:00", Raw: "45000.999999", Time: day(2023, 3, 15, 23, 59, 59, 914)}},
		{"custom locale date", `<c r="A1" s="8"><v>1</v></c>`, Cell{Kind: Date, Text: "1900-01-01", Raw: "1", Time: day(1900, 1, 1, 0, 0, 0, 0)}},
		{"leap bug 59", `<c r="A1" s="1"><v>59</v></c>`, Cell{Kind: Date, Text: "1900-02-28", Raw: "59", Time: day(1900, 2, 28, 0, 0, 0, 0)}},
		{"leap bug 61", `<c r="A1" s="1"><v>61</v></c>`, Cell{Kind: Date, Text: "1900-03-01", Raw: "61", Time: day(1900, 3, 1, 0, 0, 0, 0)}},
		{"negative date is a number", `<c r="A1" s="1"><v>-1</v></c>`, xlsxNum("-1")},
		{"time only", `<c r="A1" s="5"><v>0.75</v></c>`, Cell{Kind: Date, Text: "18:00:00", Raw: "0.75", Time: day(1899, 12, 31, 18, 0, 0, 0)}},
		{"custom time", `<c r="A1" s="9"><v>0.5</v></c>`, Cell{Kind: Date, Text: "12:00:00", Raw: "0.5", Time: day(1899, 12, 31, 12, 0, 0, 0)}},
		{"elapsed is a number", `<c r="A1" s="6"><v>1.5</v></c>`, xlsxNum("1.5")},
		{"unknown style is general", `<c r="A1" s="99"><v>45000</v></c>`, xlsxNum("45000")},
		{"iso date", `<c r="A1" t="d"><v>2014-02-14T08:27:48.765Z</v></c>`, Cell{Kind: Date, Text: "2014-02-14 08:27:49", Raw: "2014-02-14T08:27:48.765Z", Time: day(2014, 2, 14, 8, 27, 48, 765)}},
		{"iso date in a date format", `<c r="A1" t="d" s="1"><v>2014-02-14T08:27:48</v></c>`, Cell{Kind: Date, Text: "2014-02-14", Raw: "2014-02-14T08:27:48", Time: day(2014, 2, 14, 8, 27, 48, 0)}},
		{"iso day", `<c r="A1" t="d"><v>2014-02-14</v></c>`, Cell{Kind: Date, Text: "2014-02-14", Raw: "2014-02-14", Time: day(2014, 2, 14, 0, 0, 0, 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			book := book
			book.Sheets = []xlsxTestSheet{{Name: "S", Data: `<row r="1">` + tc.data + `</row>`}}
			rows, _, err := xlsxReadAll(t, book.write(t, t.TempDir()), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Number != 1 || len(rows[0].Cells) == 0 {
				t.Fatalf("rows = %+v, want one row 1", rows)
			}
			if got := rows[0].Cells[0]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cell = %#v\nwant   %#v", got, tc.want)
			}
		})
	}
}

func TestXLSXDate1904(t *testing.T) {
	book := xlsxTestBook{
		Date1904: true,
		Xfs:      []int{0, 14},
		Sheets:   []xlsxTestSheet{{Name: "S", Data: `<row r="1"><c r="A1" s="1"><v>0</v></c><c r="B1" s="1"><v>11111</v></c></row>`}},
	}
	rows, _, err := xlsxReadAll(t, book.write(t, t.TempDir()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0].Texts(); !reflect.DeepEqual(got, []string{"1904-01-01", "1934-06-03"}) {
		t.Errorf("texts = %q", got)
	}
}

func TestXLSXRows(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []Row
	}{
		{
			name: "gaps and numbers",
			data: `<row r="2"><c r="B2"><v>1</v></c><c r="D2"><v>2</v></c></row><row r="7"><c r="A7"><v>3</v></c></row>`,
			want: []Row{
				{Number: 2, Cells: []Cell{{}, xlsxNum("1"), {}, xlsxNum("2")}},
				{Number: 7, Cells: []Cell{xlsxNum("3")}},
			},
		},
		{
			name: "no references",
			data: `<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>`,
			want: []Row{
				{Number: 1, Cells: []Cell{xlsxNum("1"), xlsxNum("2")}},
				{Number: 2, Cells: []Cell{xlsxNum("3")}},
			},
		},
		{
			name: "references after a gap continue",
			data: `<row r="5"><c r="C5"><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>`,
			want: []Row{
				{Number: 5, Cells: []Cell{{}, {}, xlsxNum("1"), xlsxNum("2")}},
				{Number: 6, Cells: []Cell{xlsxNum("3")}},
			},
		},
		{
			name: "styled empty cells and trailing empties",
			data: `<row r="1"><c r="A1" s="1"/><c r="B1" s="1"/></row><row r="2"><c r="A2"><v>1</v></c><c r="B2" s="1"/><c r="C2" t="s"/></row><row r="3" spans="1:3" ht="20" customHeight="1"/>`,
			want: []Row{{Number: 2, Cells: []Cell{xlsxNum("1")}}},
		},
		{
			name: "extra elements are skipped",
			data: `<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1</f><v>1</v><extLst><ext uri="x"><v>9</v></ext></extLst></c><extLst/></row>`,
			want: []Row{{Number: 1, Cells: []Cell{xlsxNum("1")}}},
		},
		{
			name: "absolute reference",
			data: `<row r="1"><c r="$B$1"><v>1</v></c></row>`,
			want: []Row{{Number: 1, Cells: []Cell{{}, xlsxNum("1")}}},
		},
		{
			name: "empty sheet",
			data: ``,
			want: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			book := xlsxTestBook{Xfs: []int{0, 0}, Sheets: []xlsxTestSheet{{Name: "S", Data: tc.data}}}
			rows, _, err := xlsxReadAll(t, book.write(t, t.TempDir()), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rows, tc.want) {
				t.Errorf("rows = %+v\nwant   %+v", rows, tc.want)
			}
		})
	}
}

func TestXLSXSheetChoice(t *testing.T) {
	book := xlsxTestBook{
		SST: []string{"hidden", "visible", "very", "second"},
		Sheets: []xlsxTestSheet{
			{Name: "Secret", State: "hidden", Data: `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`},
			{Name: "Customers", Data: `<row r="1"><c r="A1" t="s"><v>1</v></c></row>`},
			{Name: "Very", State: "veryHidden", Data: `<row r="1"><c r="A1" t="s"><v>2</v></c></row>`},
			{Name: "Other Sheet", Part: "xl/worksheets/other.xml", Data: `<row r="1"><c r="A1" t="s"><v>3</v></c></row>`},
		},
	}
	path := book.write(t, t.TempDir())
	tests := []struct {
		name, sheet, want, warn string
	}{
		{"default is first visible", "", "visible", ""},
		{"exact", "Customers", "visible", ""},
		{"case-insensitive", "customers", "visible", `no sheet is named exactly "customers"`},
		{"hidden by name", "Secret", "hidden", `sheet "Secret" is hidden`},
		{"very hidden by name", "Very", "very", `veryHidden`},
		{"odd part name", "Other Sheet", "second", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, warn, err := xlsxReadAll(t, path, Options{Sheet: tc.sheet})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Cells[0].Text != tc.want {
				t.Errorf("rows = %+v, want %q", rows, tc.want)
			}
			if got := strings.Join(warn, "; "); !strings.Contains(got, tc.warn) || (tc.warn == "") != (got == "") {
				t.Errorf("warnings = %q, want %q", got, tc.warn)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := OpenXLSX(path, Options{Sheet: "Nope"})
		if !errors.Is(err, ErrNoSheet) {
			t.Fatalf("err = %v, want ErrNoSheet", err)
		}
		for _, want := range []string{`"Nope"`, `"Customers"`, `"Secret" (hidden)`, `"Very" (veryHidden)`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want it to mention %s", err, want)
			}
		}
	})
	t.Run("SheetNames", func(t *testing.T) {
		names, err := SheetNames(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"Secret", "Customers", "Very", "Other Sheet"}; !reflect.DeepEqual(names, want) {
			t.Errorf("names = %q, want %q", names, want)
		}
	})
}

func TestXLSXPackageVariants(t *testing.T) {
	data := `<row r="1"><c r="A1"><v>1</v></c></row>`
	tests := []struct {
		name string
		book xlsxTestBook
	}{
		{"absolute targets", xlsxTestBook{Absolute: true, Sheets: []xlsxTestSheet{{Name: "S", Data: data}}}},
		{"no workbook rels", xlsxTestBook{NoRels: true, Sheets: []xlsxTestSheet{{Name: "S", Data: data}}}},
		{"stored part", xlsxTestBook{Sheets: []xlsxTestSheet{{Name: "S", Data: data, Store: true}}}},
		{"byte order mark", xlsxTestBook{Sheets: []xlsxTestSheet{{Name: "S", XML: "\uFEFF<?xml version=\"1.0\"?>\r\n<worksheet><sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></c></row></sheetData></worksheet>\r\n"}}}},
		{"prefixed namespace", xlsxTestBook{Sheets: []xlsxTestSheet{{Name: "S", XML: `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>`}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := xlsxReadAll(t, tc.book.write(t, t.TempDir()), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if want := []Row{{Number: 1, Cells: []Cell{xlsxNum("1")}}}; !reflect.DeepEqual(rows, want) {
				t.Errorf("rows = %+v", rows)
			}
		})
	}
}

// xlsxManyRows is sheet data of n rows of two cells.
func xlsxManyRows(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d"><v>%d</v></c></row>`, i, i, i, i)
	}
	return b.String()
}

func TestXLSXDamaged(t *testing.T) {
	good := xlsxTestBook{SST: []string{"x"}, Sheets: []xlsxTestSheet{{Name: "Data", Data: xlsxManyRows(2000)}}}
	goodXML := fmt.Sprintf(`<worksheet %s><sheetData>%s</sheetData></worksheet>`, xlsxTestNS, xlsxManyRows(2000))
	withSheet := func(s xlsxTestSheet) xlsxTestBook {
		b := good
		s.Name = "Data"
		b.Sheets = []xlsxTestSheet{s}
		return b
	}
	tests := []struct {
		name    string
		file    func(tb testing.TB) []byte
		want    []string // in the error text
		minRows int      // rows that must have come before the error
	}{
		{
			name: "encrypted",
			file: func(tb testing.TB) []byte {
				return append(append([]byte{}, xlsxOLEMagic...), make([]byte, 4096)...)
			},
			want: []string{"encrypted or password-protected", "remove the password"},
		},
		{
			name: "not a zip",
			file: func(tb testing.TB) []byte { return []byte("name,email\nAnn,ann@example.com\n") },
			want: []string{"not an XLSX workbook"},
		},
		{
			name: "empty file",
			file: func(tb testing.TB) []byte { return nil },
			want: []string{"not an XLSX workbook"},
		},
		{
			name: "truncated zip",
			file: func(tb testing.TB) []byte { b := good.bytes(tb); return b[:len(b)/2] },
			want: []string{"not an XLSX workbook"},
		},
		{
			name: "zip without workbook",
			file: func(tb testing.TB) []byte {
				var buf bytes.Buffer
				zw := zip.NewWriter(&buf)
				w, _ := zw.Create("hello.txt")
				w.Write([]byte("hi"))
				zw.Close()
				return buf.Bytes()
			},
			want: []string{"no xl/workbook.xml"},
		},
		{
			name:    "sheet XML cut short",
			file:    func(tb testing.TB) []byte { return withSheet(xlsxTestSheet{XML: goodXML[:len(goodXML)/2]}).bytes(tb) },
			want:    []string{`sheet "Data"`, "damaged after row"},
			minRows: 900,
		},
		{
			name: "sheet XML cut inside a tag",
			file: func(tb testing.TB) []byte {
				return withSheet(xlsxTestSheet{XML: goodXML[:strings.Index(goodXML, `<row r="1500"`)+7]}).bytes(tb)
			},
			want:    []string{`sheet "Data"`, "after row 1499"},
			minRows: 1499,
		},
		{
			name: "sheet XML without its closing tags",
			file: func(tb testing.TB) []byte {
				return withSheet(xlsxTestSheet{XML: strings.TrimSuffix(goodXML, "</sheetData></worksheet>")}).bytes(tb)
			},
			want:    []string{"after row 2000", "unexpected end"},
			minRows: 2000,
		},
		{
			name: "bad token",
			file: func(tb testing.TB) []byte {
				return withSheet(xlsxTestSheet{XML: strings.Replace(goodXML, `<row r="10">`, `<row r="10"><<`, 1)}).bytes(tb)
			},
			want:    []string{"after row 10", "bad tag"},
			minRows: 9,
		},
		{
			name: "mismatched tags",
			file: func(tb testing.TB) []byte {
				return withSheet(xlsxTestSheet{XML: strings.Replace(goodXML, `</row><row r="10">`, `</c><row r="10">`, 1)}).bytes(tb)
			},
			want:    []string{"after row 9", "closed by </c>"},
			minRows: 8,
		},
		{
			name: "bad shared string index",
			file: func(tb testing.TB) []byte {
				return withSheet(xlsxTestSheet{XML: strings.Replace(goodXML, `<c r="A10" t="s"><v>0</v>`, `<c r="A10" t="s"><v>7</v>`, 1)}).bytes(tb)
			},
			want:    []string{"row 10, cell A10", "shared string index"},
			minRows: 9,
		},
		{
			name: "not a number",
			file: func(tb testing.TB) []byte {
				return withSheet(xlsxTestSheet{XML: strings.Replace(goodXML, `<v>10</v>`, `<v>ten</v>`, 1)}).bytes(tb)
			},
			want:    []string{"cell B10", `"ten" is not a number`},
			minRows: 9,
		},
		{
			name: "not a worksheet",
			file: func(tb testing.TB) []byte { return withSheet(xlsxTestSheet{XML: `<html><body/></html>`}).bytes(tb) },
			want: []string{"not a worksheet"},
		},
		{
			name: "no XML at all",
			file: func(tb testing.TB) []byte { return withSheet(xlsxTestSheet{XML: `hello`}).bytes(tb) },
			want: []string{`sheet "Data"`},
		},
		{
			name: "flipped bytes in the compressed sheet",
			file: func(tb testing.TB) []byte {
				b := withSheet(xlsxTestSheet{XML: goodXML}).bytes(tb)
				i := bytes.Index(b, []byte("xl/worksheets/sheet1.xml")) + 200
				for j := i; j < i+16; j++ {
					b[j] ^= 0x5A
				}
				return b
			},
			want: []string{`sheet1.xml`},
		},
		{
			name: "flipped bytes in a stored sheet (checksum)",
			file: func(tb testing.TB) []byte {
				b := withSheet(xlsxTestSheet{XML: goodXML, Store: true}).bytes(tb)
				i := bytes.Index(b, []byte(`<row r="1000">`))
				copy(b[i:], `<row r="1001">`)
				return b
			},
			want:    []string{"sheet1.xml is damaged", "checksum"},
			minRows: 2000,
		},
		{
			name: "broken shared strings",
			file: func(tb testing.TB) []byte {
				b := withSheet(xlsxTestSheet{XML: goodXML})
				b.SSTXML = `<sst><si><t>x</t></si><si><t>unfinished`
				return b.bytes(tb)
			},
			want: []string{"sharedStrings.xml", "after string 1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "broken.xlsx")
			if err := os.WriteFile(path, tc.file(t), 0o644); err != nil {
				t.Fatal(err)
			}
			rows, _, err := xlsxReadAll(t, path, Options{})
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v (after %d rows), want ErrFormat", err, len(rows))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
			if len(rows) < tc.minRows {
				t.Errorf("got %d rows before the error, want at least %d", len(rows), tc.minRows)
			}
		})
	}
}

func TestXLSXZipBomb(t *testing.T) {
	// A sheet of 8 MiB of whitespace inside a valid worksheet deflates to about 8 KiB. The
	// limits are scaled down to it, to keep the test fast.
	var sheet bytes.Buffer
	fmt.Fprintf(&sheet, `<worksheet %s><sheetData><row r="1"><c r="A1"><v>1</v></c></row>`, xlsxTestNS)
	sheet.Write(bytes.Repeat([]byte(" "), 8<<20))
	sheet.WriteString(`</sheetData></worksheet>`)
	book := xlsxTestBook{Sheets: []xlsxTestSheet{{Name: "Bomb", Raw: sheet.Bytes()}}}
	path := book.write(t, t.TempDir())
	if fi, err := os.Stat(path); err != nil || fi.Size() > 1<<20 {
		t.Fatalf("bomb file: %v, %v", fi, err)
	}

	t.Run("ratio", func(t *testing.T) {
		limits := xlsxDefaultLimits
		limits.ratioMin = 1 << 20
		_, err := xlsxOpen(path, Options{}, limits)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "zip bomb") {
			t.Fatalf("err = %v, want a zip bomb ErrFormat", err)
		}
	})
	t.Run("declared size", func(t *testing.T) {
		limits := xlsxDefaultLimits
		limits.sheet = 1 << 20
		_, err := xlsxOpen(path, Options{}, limits)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "declares") {
			t.Fatalf("err = %v, want a declared-size ErrFormat", err)
		}
	})
	t.Run("actual size", func(t *testing.T) {
		// A guard must stop a part that produces more than its limit whatever it declares.
		limits := xlsxDefaultLimits
		bk, err := xlsxOpenBook(path, limits)
		if err != nil {
			t.Fatal(err)
		}
		defer bk.Close()
		zf := bk.part("xl/worksheets/sheet1.xml")
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		g := &xlsxGuard{rc: rc, bk: bk, zf: zf, limit: 1 << 20}
		n, err := io.Copy(io.Discard, g)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "past the limit") {
			t.Fatalf("copied %d, err = %v, want past-the-limit ErrFormat", n, err)
		}
		if n > 1<<20 {
			t.Errorf("guard let %d bytes through", n)
		}
		g.Close()
	})
	t.Run("shared strings", func(t *testing.T) {
		b := xlsxTestBook{
			SSTXML: `<sst>` + strings.Repeat("<si><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></si>", 100000) + `</sst>`,
			Sheets: []xlsxTestSheet{{Name: "S", Data: `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`}},
		}
		limits := xlsxDefaultLimits
		limits.strings = 1 << 20
		_, err := xlsxOpen(b.write(t, t.TempDir()), Options{}, limits)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "sharedStrings.xml") {
			t.Fatalf("err = %v, want a shared strings ErrFormat", err)
		}
	})
}

func TestXLSXNextAfterClose(t *testing.T) {
	book := xlsxTestBook{Sheets: []xlsxTestSheet{{Name: "S", Data: xlsxManyRows(3)}}, SST: []string{"a"}}
	r, err := OpenXLSX(book.write(t, t.TempDir()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
}

// TestXLSXMemoryFlat reads a sheet of 150,000 rows and checks that the live heap does not
// grow with the rows read.
func TestXLSXMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large workbook")
	}
	const n = 150000
	var data strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&data, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>customer %d</t></is></c><c r="B%d" s="1"><v>%d</v></c><c r="C%d"><v>%d.25</v></c></row>`, i, i, i, i, 40000+i%1000, i, i)
	}
	book := xlsxTestBook{Xfs: []int{0, 14}, Sheets: []xlsxTestSheet{{Name: "Big", Data: data.String()}}}
	path := book.write(t, t.TempDir())
	data.Reset()

	r, err := OpenXLSX(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var first, peak uint64
	for i := 1; ; i++ {
		row, err := r.Next()
		if err == io.EOF {
			if i != n+1 {
				t.Fatalf("read %d rows, want %d", i-1, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Number != i || row.Cells[1].Kind != Date {
			t.Fatalf("row %d = %+v", i, row)
		}
		if i%10000 == 0 {
			h := heap()
			if first == 0 {
				first = h
			}
			peak = max(peak, h)
		}
	}
	if peak > first+4<<20 {
		t.Errorf("live heap grew from %d to %d bytes while reading", first, peak)
	}
}
