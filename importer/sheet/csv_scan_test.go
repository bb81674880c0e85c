package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// csvScanCompare reads data with csvScanner and fails at the first record, position,
// offset or error that differs from encoding/csv's. The oracle is encoding/csv without
// LazyQuotes (strict): a record it reads the scanner must read alike, and where it fails
// with ErrQuote (a quote in a quoted field followed by neither the delimiter nor a line
// end, or the input ending in one) the scanner must fail with a *csvQuoteError for the
// same record and quote. The scanner's one leniency is a bare quote in an unquoted field
// (ErrBareQuote): such a record is checked against encoding/csv with LazyQuotes, which
// reads it as the scanner does, and the strict reader starts again after it.
func csvScanCompare(tb testing.TB, data []byte, comma rune, trim bool, bufSize int) {
	tb.Helper()
	newReader := func(b []byte, lazy bool) *csv.Reader {
		cr := csv.NewReader(bytes.NewReader(b))
		cr.Comma = comma
		cr.TrimLeadingSpace = trim
		cr.LazyQuotes = lazy
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		return cr
	}
	lazy, strict := newReader(data, true), newReader(data, false)
	var base int64 // where strict started reading
	baseLine := 0  // lines before base
	got := newCSVScanner(bufio.NewReaderSize(bytes.NewReader(data), bufSize), comma, trim)
	for n := 1; ; n++ {
		fail := func(format string, args ...any) {
			tb.Helper()
			tb.Fatalf("%q (comma %q, trim %v): record %d: "+format, append([]any{data, comma, trim, n}, args...)...)
		}
		gerr := got.read()
		lrec, lerr := lazy.Read()
		srec, serr := strict.Read()
		var pe *csv.ParseError
		errors.As(serr, &pe)
		var qe *csvQuoteError
		errors.As(gerr, &qe)
		// want is the reader that read the record as the scanner should.
		want, rec, wantBase, wantLine := strict, srec, base, baseLine
		switch {
		case serr == nil || serr == io.EOF:
			if gerr != serr {
				fail("error %v, encoding/csv %v", gerr, serr)
			}
			if serr == io.EOF {
				return
			}
		case pe != nil && errors.Is(pe.Err, csv.ErrQuote):
			if qe == nil {
				fail("error %v, encoding/csv %v", gerr, serr)
			}
			if got.firstLine != pe.StartLine+baseLine {
				fail("error %v in the record of line %d, encoding/csv %v", gerr, got.firstLine, serr)
			}
			// At the end of the input encoding/csv names where it ends: no quote.
			at := int(base) + csvLineStart(data[base:], pe.Line) + pe.Column - 1
			if atQuote := at < len(data) && data[at] == '"'; atQuote != (qe.quoteLine != 0) ||
				atQuote && (qe.quoteLine != pe.Line+baseLine || qe.quoteCol != pe.Column) {
				fail("error %v, encoding/csv %v", gerr, serr)
			}
			if at := csvLineStart(data, qe.line) + qe.col - 1; at >= len(data) || data[at] != '"' {
				fail("error %v: no quote where the field starts", gerr)
			}
			return
		case pe != nil && errors.Is(pe.Err, csv.ErrBareQuote):
			if lerr != nil {
				fail("encoding/csv: %v, with LazyQuotes: %v", serr, lerr)
			}
			if gerr != nil {
				// A quoted field not closed right, after the bare quote.
				if qe == nil || qe.line < pe.Line+baseLine || qe.line == pe.Line+baseLine && qe.col <= pe.Column {
					fail("error %v, encoding/csv %v", gerr, serr)
				}
				return
			}
			want, rec, wantBase, wantLine = lazy, lrec, 0, 0
			base = lazy.InputOffset()
			baseLine = bytes.Count(data[:base], []byte("\n"))
			strict = newReader(data[base:], false)
		default:
			fail("encoding/csv: %v", serr)
		}
		fields := make([]string, got.count())
		for i := range fields {
			fields[i] = got.field(i)
		}
		if !slices.Equal(fields, rec) {
			fail("%q, encoding/csv %q", fields, rec)
		}
		first, _ := want.FieldPos(0)
		lastLine, lastCol := want.FieldPos(len(rec) - 1)
		first, lastLine = first+wantLine, lastLine+wantLine
		if got.firstLine != first || got.lastLine != lastLine || got.lastCol != lastCol {
			fail("positions %d, %d:%d, encoding/csv %d, %d:%d", got.firstLine, got.lastLine, got.lastCol, first, lastLine, lastCol)
		}
		if off := wantBase + want.InputOffset(); got.offset != off {
			fail("offset %d, encoding/csv %d", got.offset, off)
		}
	}
}

// csvLineStart returns the offset in data of the start of line n (from 1), as
// encoding/csv counts lines.
func csvLineStart(data []byte, n int) int {
	at := 0
	for ; n > 1; n-- {
		i := bytes.IndexByte(data[at:], '\n')
		if i < 0 {
			return len(data)
		}
		at += i + 1
	}
	return at
}

func TestCSVScannerMatchesEncodingCSV(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		comma rune
		trim  bool
	}{
		{"plain", "a,b,c\n1,2,3\n", ',', false},
		{"blank lines", "\n\na,b\n\n\nc\n", ',', false},
		{"crlf", "a,b\r\nc,d\r\n\r\ne\r", ',', false},
		{"quoted", "\"a,b\",\"c\"\"d\"\n\"multi\nline\",x\n", ',', false},
		{"bare quote", "12\" pizza,\"a\"b\",c\n", ',', false},
		{"unclosed", "a,\"b\nc\n", ',', false},
		{"trim", "a, b,  \"c\" , d\n ,\n", ',', true},
		{"trim blank field", "a,   \n", ',', true},
		{"semicolon", "a;b;\"c;d\"\n", ';', false},
		{"tab", "a\t\tb\n", '\t', false},
		{"multibyte comma", "a§b§\"c§\"§d\n", '§', false},
		{"long line", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n\"cccccccccccccccccccccccccccccccccccccc\nddddddddddddddddddddddd\"\n", ',', false},
		{"no final newline", "a,b", ',', false},
		{"empty fields", ",,\n,\n", ',', false},
		{"quote at end", "a,\"", ',', false},
		{"quoted on one line", "\"a\",b,\"c,d\",\"\"\n\"x\"\r\n\"\",\n", ',', false},
		{"quoted then text", "\"a\"b,\"c\"\"d\",\"e\" \n", ',', false},
		{"quoted unclosed on line", "a,\"b,c\n", ',', false},
		{"stray quote swallows lines", "id,a\n9,\"Bad,x@example.com\n2,\"q, r\"\n3,w\n", ',', false},
		{"stray quote to the end", "id,a\n9,\"Bad\n2,q\n3,w\n", ',', false},
		{"quote then space", "a,\"b\" ,c\n", ',', false},
		{"quote then space trimmed", "a, \"b\" , c\n", ',', true},
		{"quote then text on a later line", "a;\"b\n\nc\"d;e\n", ';', false},
		{"quote then multibyte comma", "\"a\"§b\n\"c\"d§\n", '§', false},
		{"bare quote then stray quote", "12\" pizza,\"x\ny\"z\n", ',', false},
		{"bare quote then good records", "12\" pizza,\"x\"\n\"a\nb\",c\n1,\"q\"x\n", ',', false},
		{"doubled quotes and close", "\"\"\"\",\"a\"\"\"\r\n\"\"\r\n", ',', false},
		{"quote then CR", "\"a\"\rb\n", ',', false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{16, 4096} {
				csvScanCompare(t, []byte(tt.data), tt.comma, tt.trim, size)
			}
		})
	}
}

// FuzzCSVScanner checks csvScanner against encoding/csv on any input.
func FuzzCSVScanner(f *testing.F) {
	f.Add([]byte("a,b,c\n1,2,3\n"), byte(','), false)
	f.Add([]byte("\"a\nb\",\"c\"\"\"\r\n\r\nx, y\r"), byte(','), true)
	f.Add([]byte("a;\"b;c\";12\" x\n\"open"), byte(';'), false)
	f.Add([]byte("a\t \tb\n\t\"q\"\t\n"), byte('\t'), true)
	f.Add([]byte("id,a\n9,\"Bad,x\n2,\"q, r\"\n3,w\n"), byte(','), false)
	f.Add([]byte("x, \"y\" , z\n12\" pizza,\"a\"b\n"), byte(','), true)
	f.Fuzz(func(t *testing.T, data []byte, delim byte, trim bool) {
		comma := rune(delim)
		if comma >= utf8.RuneSelf {
			comma = '§'
		}
		if csvCheckDelim(comma) != nil || comma == '\ufeff' {
			return
		}
		csvScanCompare(t, data, comma, trim, 16)
	})
}

// csvOracleRows numbers and reads the rows of UTF-8 text without CRs as the CSV reader
// did when it read records with encoding/csv.
func csvOracleRows(data []byte, comma rune, trim bool) (numbers []int, rows [][]string, err error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = comma
	cr.TrimLeadingSpace = trim
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	number, nextLine := 0, 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return numbers, rows, nil
		}
		if err != nil {
			return numbers, rows, err
		}
		line, _ := cr.FieldPos(0)
		number += 1 + line - nextLine
		lastLine, _ := cr.FieldPos(len(rec) - 1)
		nextLine = lastLine + strings.Count(rec[len(rec)-1], "\n") + 1
		if strings.Join(rec, "") == "" {
			continue
		}
		numbers = append(numbers, number)
		rows = append(rows, rec)
	}
}

// FuzzCSVRows checks the rows OpenCSV's reader returns, their numbers and cells, against
// encoding/csv on UTF-8 text without CRs, NULs or a BOM.
func FuzzCSVRows(f *testing.F) {
	f.Add([]byte("a,b\n\n\"x\ny\",z\n\n,\n\"q\"\"\",r\nlast"), byte(0))
	f.Add([]byte("a; b; c\n\n1; \"2\n\n3\"; 4\n\"open\n\nx"), byte(0))
	f.Add([]byte("a|b\n\"1\"x|2\n12\" pizza|\"\"\n"), byte('|'))
	f.Add([]byte("a,b\n1,\"x\n\ny\"\n\n2,3\n\"\n\"\n4,5"), byte(0))
	f.Fuzz(func(t *testing.T, data []byte, delim byte) {
		if !utf8.Valid(data) || bytes.ContainsAny(data, "\r\x00\ufeff") {
			return
		}
		opt := Options{Delimiter: rune(delim)}
		r, err := csvNew("fuzz.csv", io.NopCloser(bytes.NewReader(data)), opt)
		if err != nil {
			return
		}
		defer r.Close()
		comma, trim := csvDialect(data, opt.Delimiter)
		numbers, rows, werr := csvOracleRows(data, comma, trim)
		var dst []string
		for i := 0; ; i++ {
			// Every other row through NextTexts, which must give what Next gives.
			var number int
			var texts []string
			if i%2 == 1 {
				number, texts, err = r.NextTexts(dst)
				dst = texts
				if line := r.Line(); line != "" && (err != nil || !lineOf(line, texts)) {
					t.Fatalf("%q: row %d %q (error %v) given as the line %q", data, number, texts, err, line)
				}
			} else {
				var row Row
				row, err = r.Next()
				number, texts = row.Number, row.Texts()
			}
			if err != nil {
				if err == io.EOF && (werr != nil || i != len(rows)) {
					t.Fatalf("%q: EOF after %d rows, encoding/csv %d rows (error %v)", data, i, len(rows), werr)
				}
				return // an unclosed quote at the end is an error encoding/csv does not see
			}
			if i >= len(rows) {
				t.Fatalf("%q: row %d %q beyond encoding/csv's %d rows", data, number, texts, len(rows))
			}
			if number != numbers[i] || !slices.Equal(texts, rows[i]) {
				t.Fatalf("%q: row %d %q, encoding/csv row %d %q", data, number, texts, numbers[i], rows[i])
			}
		}
	})
}

// TestCSVRowsKeep keeps every row of a file while reading on, and checks that none of
// them changed: rows share blocks of memory, which must never be reused.
func TestCSVRowsKeep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keep.csv")
	csvWriteCustomers(t, path, 3000)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 5000)
	if _, err := fmt.Fprintf(f, "a,\"multi\nline, \"\"quoted\"\"\",%s\n%s,b\n,\nend,\"open at the end\"\n", long, long); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenCSV(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row.Texts())
		row.Cells[0].Text = "overwritten" // a caller may change its own row
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	want, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(rec []string) bool { return strings.Join(rec, "") == "" })
	if len(got) != len(want) {
		t.Fatalf("%d rows, encoding/csv %d", len(got), len(want))
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("row %d: %q, encoding/csv %q", i, got[i], want[i])
		}
	}
}

// TestCSVScannerRandom compares csvScanner with encoding/csv on many short random texts
// of delimiters, quotes, line ends and letters, as they come and with lone CRs turned
// into LFs as the reader's stream does, through a small buffer (so that lines are cut
// across reads and the buffered fast path gives way) and a large one.
func TestCSVScannerRandom(t *testing.T) {
	alpha := []byte("ab,\"\n\r ;x")
	rng := rand.New(rand.NewPCG(7, 11))
	iterations := 10000
	if testing.Short() {
		iterations = 1000
	}
	for range iterations {
		data := make([]byte, rng.IntN(40))
		for i := range data {
			data[i] = alpha[rng.IntN(len(alpha))]
		}
		text, err := io.ReadAll(&csvCRReader{r: bufio.NewReader(bytes.NewReader(data))})
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{16, 4096} {
			csvScanCompare(t, data, ',', false, size)
			csvScanCompare(t, text, ',', false, size)
			csvScanCompare(t, text, ';', false, size)
		}
	}
}

// TestCSVSplitPlain: split, which cuts fields eight bytes at a time until a quote, cuts a
// line as the general loop alone (splitFrom) does, for every delimiter split takes, fields
// of every length around a word's and quotes anywhere.
func TestCSVSplitPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, comma := range []rune{',', ';', '\t', '|'} {
		t.Run(fmt.Sprintf("%q", comma), func(t *testing.T) {
			alphabet := []byte{'a', 'Z', ' ', 0, 0xff, 0x80, byte(comma), byte(comma), byte(comma)}
			fast := newCSVScanner(nil, comma, false)
			general := newCSVScanner(nil, comma, false)
			for k := range 40000 {
				line := make([]byte, rng.IntN(40))
				for i := range line {
					line[i] = alphabet[rng.IntN(len(alphabet))]
				}
				if k%2 == 1 && len(line) > 0 {
					for range 1 + rng.IntN(4) {
						line[rng.IntN(len(line))] = '"'
					}
				}
				ok := fast.split(line)
				general.spans = general.spans[:0]
				want := general.splitFrom(line, 0)
				if ok != want || ok && (!slices.Equal(fast.spans, general.spans) || fast.lastCol != general.lastCol) {
					t.Fatalf("%q: split gives %v %v col %d, splitFrom %v %v col %d",
						line, ok, fast.spans, fast.lastCol, want, general.spans, general.lastCol)
				}
			}
		})
	}
}
