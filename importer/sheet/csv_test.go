package sheet

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// csvRow is a wanted row: its number and its cells' texts.
type csvRow struct {
	N     int
	Texts []string
}

// csvReadAll reads every row of r until io.EOF or an error.
func csvReadAll(tb testing.TB, r Reader) ([]csvRow, error) {
	tb.Helper()
	var rows []csvRow
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, csvRow{row.Number, row.Texts()})
	}
}

// csvFromString opens s as a CSV stream read through one-byte reads, which puts every
// chunk boundary everywhere.
func csvFromString(tb testing.TB, s string, opt Options) (Reader, error) {
	tb.Helper()
	src := io.NopCloser(iotest.OneByteReader(strings.NewReader(s)))
	r, err := csvNew("inline.csv", src, opt)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// csvTempFile writes s to a file in a temporary directory and returns its path.
func csvTempFile(tb testing.TB, name, s string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestCSVRead(t *testing.T) {
	tests := []struct {
		name  string
		input string
		opt   Options
		want  []csvRow
		// wantErr, when set, is the error after the rows of want: a *CSVError at
		// errRow/errLine/errCol wrapping wantErr.
		wantErr                 error
		errRow, errLine, errCol int
		// quoteLine and quoteCol, when set, are where the quote is that is followed by
		// neither the delimiter nor a line end.
		quoteLine, quoteCol int
	}{
		{name: "Simple", input: "a,b,c\n1,2,3\n", want: []csvRow{{1, []string{"a", "b", "c"}}, {2, []string{"1", "2", "3"}}}},
		{name: "NoFinalNewline", input: "a,b\n1,2", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{name: "CRLF", input: "a,b\r\n1,2\r\n", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{name: "LoneCR", input: "a,b\r1,2\r", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{name: "LoneCRNoFinal", input: "a,b\r1,2", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{name: "LoneCRInQuotes", input: "a,b\r\"x\ry\",2\r3,4", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"x\ny", "2"}}, {3, []string{"3", "4"}}}},
		{name: "CRLFInQuotes", input: "a,b\r\n\"x\r\ny\",2\r\n3,4\r\n", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"x\ny", "2"}}, {3, []string{"3", "4"}}}},
		{name: "LoneCRBlankLines", input: "a\r\r1\r\r\r2\r", want: []csvRow{{1, []string{"a"}}, {3, []string{"1"}}, {6, []string{"2"}}}},
		{name: "BlankLinesCount", input: "a,b\n\n1,2\n\n\n3,4\n", want: []csvRow{{1, []string{"a", "b"}}, {3, []string{"1", "2"}}, {6, []string{"3", "4"}}}},
		{name: "LeadingBlankLines", input: "\n\r\na,b\n1,2", want: []csvRow{{3, []string{"a", "b"}}, {4, []string{"1", "2"}}}},
		{name: "TrailingBlankLines", input: "a,b\n1,2\n\n\n", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{name: "AllEmptyRecordsSkipped", input: "a,b,c\n,,\n1,2,3\n,\n4,5,6\n", want: []csvRow{{1, []string{"a", "b", "c"}}, {3, []string{"1", "2", "3"}}, {5, []string{"4", "5", "6"}}}},
		{name: "QuotedEmptySkipped", input: "a,b\n\"\",\"\"\n1,2\n", want: []csvRow{{1, []string{"a", "b"}}, {3, []string{"1", "2"}}}},
		{name: "SpacesAreNotEmpty", input: "a,b\n , \n", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{" ", " "}}}},
		{
			name:  "MultiLineRecordIsOneRow",
			input: "a,b\n\"x\ny\nz\",2\n3,4\n\n5,\"6\n\"\n7,8",
			want: []csvRow{
				{1, []string{"a", "b"}}, {2, []string{"x\ny\nz", "2"}}, {3, []string{"3", "4"}},
				{5, []string{"5", "6\n"}}, {6, []string{"7", "8"}},
			},
		},
		{name: "MultiLineFirstField", input: "a,b\n\"1\n\n\n\",2\n\n3,4\n", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1\n\n\n", "2"}}, {4, []string{"3", "4"}}}},
		{name: "Semicolon", input: "a;b;c\n1;2;3\n;;\n4;\"5;5\";6", want: []csvRow{{1, []string{"a", "b", "c"}}, {2, []string{"1", "2", "3"}}, {4, []string{"4", "5;5", "6"}}}},
		{name: "Tab", input: "a\tb\tc\n1\t2,5\t3\n", want: []csvRow{{1, []string{"a", "b", "c"}}, {2, []string{"1", "2,5", "3"}}}},
		{name: "Pipe", input: "a|b|c\n1|2|3\n", want: []csvRow{{1, []string{"a", "b", "c"}}, {2, []string{"1", "2", "3"}}}},
		{name: "TieIsComma", input: "a,b;c\n1,2;3\n", want: []csvRow{{1, []string{"a", "b;c"}}, {2, []string{"1", "2;3"}}}},
		{name: "OneColumn", input: "name\nJo; Al\n", want: []csvRow{{1, []string{"name"}}, {2, []string{"Jo; Al"}}}},
		{name: "DelimitersInQuotedHeaderIgnored", input: "\"a,b,c\";d;e\n1;2;3\n", want: []csvRow{{1, []string{"a,b,c", "d", "e"}}, {2, []string{"1", "2", "3"}}}},
		{name: "ForcedDelimiter", input: "a;b,c\n1;2,3\n", opt: Options{Delimiter: ';'}, want: []csvRow{{1, []string{"a", "b,c"}}, {2, []string{"1", "2,3"}}}},
		{name: "CommaSpaceTrimmed", input: "a, b, c\n1, 2,3\n", want: []csvRow{{1, []string{"a", "b", "c"}}, {2, []string{"1", "2", "3"}}}},
		{name: "CommaSpaceQuoted", input: "a, b, c\n1, \"x, y\", \"\"\n", want: []csvRow{{1, []string{"a", "b", "c"}}, {2, []string{"1", "x, y", ""}}}},
		{name: "CommaSpaceNotEverywhere", input: "a, b,c\n1, 2,3\n", want: []csvRow{{1, []string{"a", " b", "c"}}, {2, []string{"1", " 2", "3"}}}},
		{name: "EscapedQuotes", input: "a,b\n1,\"ha \"\"ha\"\" ha\"\n", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", `ha "ha" ha`}}}},
		{name: "BareQuoteKept", input: "item,size\npizza,12\" wide\n", want: []csvRow{{1, []string{"item", "size"}}, {2, []string{"pizza", `12" wide`}}}},
		{
			// A quote in a quoted field must be doubled, or followed by the delimiter
			// or a line end, as encoding/csv wants without LazyQuotes.
			name:    "QuoteAfterQuotedText",
			input:   "a,b\n\"x\"y\",2\n",
			want:    []csvRow{{1, []string{"a", "b"}}},
			wantErr: ErrUnclosedQuote, errRow: 2, errLine: 2, errCol: 1, quoteLine: 2, quoteCol: 3,
		},
		{
			// A quote opened and never closed on its line swallows the next lines up to
			// the next quote, which is followed by text: the rows are not merged.
			name:    "StrayQuoteMergesNoRows",
			input:   "id,a,b,c\n1,x,y,z\n\n9,\"Bad,Quote,x@example.com\n2,p,\"q, r\",s\n3,u,v,w\n",
			want:    []csvRow{{1, []string{"id", "a", "b", "c"}}, {2, []string{"1", "x", "y", "z"}}},
			wantErr: ErrUnclosedQuote, errRow: 4, errLine: 4, errCol: 3, quoteLine: 5, quoteCol: 5,
		},
		{
			name:    "StrayQuoteCRLF",
			input:   "a;b\r\n1;\"open\r\n\r\n2;\"x\";\"\"\r\n",
			want:    []csvRow{{1, []string{"a", "b"}}},
			wantErr: ErrUnclosedQuote, errRow: 2, errLine: 2, errCol: 3, quoteLine: 4, quoteCol: 3,
		},
		{
			name:    "SpaceAfterClosingQuote",
			input:   "a,b\n1,2\n\"x\" ,2\n",
			want:    []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}},
			wantErr: ErrUnclosedQuote, errRow: 3, errLine: 3, errCol: 1, quoteLine: 3, quoteCol: 3,
		},
		{
			name:    "StrayQuoteWindows1252",
			input:   "a;b\n\xe9;\"\xe9\"\xe9\n",
			want:    []csvRow{{1, []string{"a", "b"}}},
			wantErr: ErrUnclosedQuote, errRow: 2, errLine: 2, errCol: 4, quoteLine: 2, quoteCol: 7,
		},
		{name: "QuotedFieldsWithEscapes", input: "a,b\n\"\"\"x\"\"\",\"\"\"\"\n\"\",\"y\nz\"\"\"\n", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{`"x"`, `"`}}, {3, []string{"", "y\nz\""}}}},
		{name: "QuotedAtEOF", input: "a,b\n1,\"2\"", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{name: "QuotedNewlineAtEOF", input: "a,b\n1,\"2\n\"", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2\n"}}}},
		{name: "Ragged", input: "a,b,c\n1\n1,2,3,4\n", want: []csvRow{{1, []string{"a", "b", "c"}}, {2, []string{"1"}}, {3, []string{"1", "2", "3", "4"}}}},
		{name: "TrailingDelimiter", input: "a,b,\n1,2,\n", want: []csvRow{{1, []string{"a", "b", ""}}, {2, []string{"1", "2", ""}}}},
		{name: "Empty", input: ""},
		{name: "OnlyBOM", input: "\xEF\xBB\xBF"},
		{name: "OnlyBlankLines", input: "\n\n\r\n\r"},
		{name: "OnlyEmptyRecords", input: ",,\n,,,\n\"\",\n"},
		{name: "BOM", input: "\xEF\xBB\xBFfoo,bar\n1,2\n", want: []csvRow{{1, []string{"foo", "bar"}}, {2, []string{"1", "2"}}}},
		{name: "UTF16LE", input: "\xFF\xFEa\x00;\x00b\x00\n\x001\x00;\x00\xe9\x00", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "é"}}}},
		{name: "UTF16BE", input: "\xFE\xFF\x00a\x00,\x00b\x00\r\x001\x00,\x00\xe9", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "é"}}}},
		{name: "UTF16LENoBOM", input: "a\x00,\x00b\x00\n\x001\x00,\x00\xe9\x00", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "é"}}}},
		{name: "UTF16BENoBOM", input: "\x00a\x00;\x00b\x00\r\x00\n\x001\x00;\x00\xe9", want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "é"}}}},
		{name: "ForcedUTF16NoBOM", input: "a\x00,\x00b\x00\n\x00", opt: Options{Encoding: "UTF-16LE"}, want: []csvRow{{1, []string{"a", "b"}}}},
		{name: "ForcedUTF16WithBOM", input: "\xFE\xFF\x00a\x00,\x00b", opt: Options{Encoding: "utf-16"}, want: []csvRow{{1, []string{"a", "b"}}}},
		{name: "Windows1252", input: "name\nCr\xe9dito\nN\xba 77 \x80\n", want: []csvRow{{1, []string{"name"}}, {2, []string{"Crédito"}}, {3, []string{"Nº 77 €"}}}},
		{name: "ForcedMacRoman", input: "name\nCr\x8edito\n", opt: Options{Encoding: "macroman"}, want: []csvRow{{1, []string{"name"}}, {2, []string{"Crédito"}}}},
		{name: "ForcedLatin9", input: "name\n\xa4\n", opt: Options{Encoding: "ISO-8859-15"}, want: []csvRow{{1, []string{"name"}}, {2, []string{"€"}}}},
		// Valid UTF-8 stays as it is wherever a byte that is not UTF-8 sits; only such bytes
		// are read as Windows-1252.
		{name: "MixedUTF8AndWindows1252", input: "name\nZoë\nRen\xe9\nNgātai\n", want: []csvRow{{1, []string{"name"}}, {2, []string{"Zoë"}}, {3, []string{"René"}}, {4, []string{"Ngātai"}}}},
		{name: "MixedBadByteFirst", input: "name\nRen\xe9 \x80\nZoë\n", want: []csvRow{{1, []string{"name"}}, {2, []string{"René €"}}, {3, []string{"Zoë"}}}},
		{name: "ForcedUTF8ReplacesBadBytes", input: "name\nCr\xe9dito\n", opt: Options{Encoding: "utf8"}, want: []csvRow{{1, []string{"name"}}, {2, []string{"Cr\uFFFDdito"}}}},
		{name: "ForcedCP1252DropsUTF8BOM", input: "\xEF\xBB\xBFname\n\xe9\n", opt: Options{Encoding: "cp1252"}, want: []csvRow{{1, []string{"name"}}, {2, []string{"é"}}}},
		{name: "StrayNULKept", input: "a,b\n" + strings.Repeat("x,y\n", 30) + "1,\x002\n", want: csvManyRows(30, csvRow{32, []string{"1", "\x002"}})},
		{name: "StrayNULInShortFile", input: "id,name\nA,Ann\x00\n", want: []csvRow{{1, []string{"id", "name"}}, {2, []string{"A", "Ann\x00"}}}},
		{
			name:    "UnclosedQuoteAtEOF",
			input:   "a,b\n1,\"xx\n2,3\n",
			want:    []csvRow{{1, []string{"a", "b"}}},
			wantErr: ErrUnclosedQuote, errRow: 2, errLine: 2, errCol: 3,
		},
		{
			name:    "UnclosedQuoteNoNewline",
			input:   "a,b\n\n1,\"x",
			want:    []csvRow{{1, []string{"a", "b"}}},
			wantErr: ErrUnclosedQuote, errRow: 3, errLine: 3, errCol: 3,
		},
		{
			// A quote followed by text does not close the field: reported where the
			// field opened, with where the quote is.
			name:    "QuoteFollowedByText",
			input:   "a,b\n\"1\"x,2\n3,4\n",
			want:    []csvRow{{1, []string{"a", "b"}}},
			wantErr: ErrUnclosedQuote, errRow: 2, errLine: 2, errCol: 1, quoteLine: 2, quoteCol: 3,
		},
		{
			name:    "UnclosedQuoteCR",
			input:   "a,b\r1,2\r\r\"3,4\r",
			want:    []csvRow{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}},
			wantErr: ErrUnclosedQuote, errRow: 4, errLine: 4, errCol: 1,
		},
		{
			name:    "UnclosedQuoteWindows1252",
			input:   "a;b\n\xe9;\"\xe9\n",
			want:    []csvRow{{1, []string{"a", "b"}}},
			wantErr: ErrUnclosedQuote, errRow: 2, errLine: 2, errCol: 4,
		},
		{
			name:    "UnclosedQuoteUTF16",
			input:   "\xFF\xFEa\x00,\x00b\x00\n\x00\"\x00",
			want:    []csvRow{{1, []string{"a", "b"}}},
			wantErr: ErrUnclosedQuote, errRow: 2, errLine: 2, errCol: 1,
		},
	}
	for _, tt := range tests {
		check := func(t *testing.T, r Reader, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer r.Close()
			got, err := csvReadAll(t, r)
			if !reflect.DeepEqual(got, tt.want) && (len(got) > 0 || len(tt.want) > 0) {
				t.Errorf("rows:\n got %v\nwant %v", got, tt.want)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				return
			}
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want a *CSVError", err)
			}
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap %v and ErrFormat", err, tt.wantErr)
			}
			if ce.Row != tt.errRow || ce.Line != tt.errLine || ce.Column != tt.errCol {
				t.Errorf("error at row %d line %d column %d, want %d %d %d", ce.Row, ce.Line, ce.Column, tt.errRow, tt.errLine, tt.errCol)
			}
			if ce.QuoteLine != tt.quoteLine || ce.QuoteColumn != tt.quoteCol {
				t.Errorf("quote at line %d column %d, want %d %d", ce.QuoteLine, ce.QuoteColumn, tt.quoteLine, tt.quoteCol)
			}
			if _, again := r.Next(); again != err {
				t.Errorf("Next after the error = %v, want the same error", again)
			}
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Run("Stream", func(t *testing.T) {
				r, err := csvFromString(t, tt.input, tt.opt)
				check(t, r, err)
			})
			t.Run("File", func(t *testing.T) {
				r, err := OpenCSV(csvTempFile(t, "in.csv", tt.input), tt.opt)
				check(t, r, err)
			})
		})
	}
}

// csvManyRows is a header a,b, n rows x,y, then more.
func csvManyRows(n int, more ...csvRow) []csvRow {
	rows := []csvRow{{1, []string{"a", "b"}}}
	for i := range n {
		rows = append(rows, csvRow{i + 2, []string{"x", "y"}})
	}
	return append(rows, more...)
}

func TestCSVCells(t *testing.T) {
	r, err := csvFromString(t, "a,,c\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := []Cell{{Kind: String, Text: "a"}, {Kind: Empty}, {Kind: String, Text: "c"}}
	if !reflect.DeepEqual(row.Cells, want) {
		t.Errorf("cells = %+v, want %+v", row.Cells, want)
	}
}

func TestCSVWarnings(t *testing.T) {
	late := "name\n" + strings.Repeat("plain ascii row\n", 5000) + "Cr\xe9dito\nOK\nN\xba\n"
	tests := []struct {
		name      string
		input     string
		opt       Options
		want      []string
		wantCells map[int]string // row number → first cell
	}{
		{name: "UTF8", input: "a\nü\n"},
		{name: "Windows1252", input: "a\n\xfc\n", want: []string{"not UTF-8: read as Windows-1252"}, wantCells: map[int]string{2: "ü"}},
		{
			name: "MixedSmall", input: "name\nZoë\nRen\xe9\nNgātai\n",
			want:      []string{"not UTF-8 from row 3: bytes that are not UTF-8 read as Windows-1252"},
			wantCells: map[int]string{2: "Zoë", 3: "René", 4: "Ngātai"},
		},
		{
			name: "MixedSmallForcedCP1252", input: "name\nZoë\nRen\xe9\n", opt: Options{Encoding: "windows-1252"},
			wantCells: map[int]string{2: "ZoÃ«", 3: "René"},
		},
		{name: "UTF16NoBOM", input: "a\x00\n\x00\xfc\x00\n\x00", want: []string{"no byte-order mark: read as utf-16le"}, wantCells: map[int]string{2: "ü"}},
		{
			name: "LateBadBytes", input: late,
			want:      []string{"not UTF-8 from row 5002: bytes that are not UTF-8 read as Windows-1252"},
			wantCells: map[int]string{5002: "Crédito", 5003: "OK", 5004: "Nº"},
		},
		{
			name: "LateBadBytesForcedUTF8", input: late, opt: Options{Encoding: "utf-8"},
			want:      []string{"not UTF-8 from row 5002: bytes that are not UTF-8 replaced by U+FFFD"},
			wantCells: map[int]string{5002: "Cr\uFFFDdito"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenCSV(csvTempFile(t, "in.csv", tt.input), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, err := csvReadAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Warnings(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings = %q, want %q", got, tt.want)
			}
			for _, row := range rows {
				if want, ok := tt.wantCells[row.N]; ok && row.Texts[0] != want {
					t.Errorf("row %d = %q, want %q", row.N, row.Texts[0], want)
				}
			}
		})
	}
}

func TestCSVOpenErrors(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		opt     Options
		want    string // in the message
		wantFmt bool   // wraps ErrFormat
	}{
		{name: "ZIP", input: "PK\x03\x04\x14\x00\x06\x00rest of an xlsx", want: "ZIP", wantFmt: true},
		{name: "OLE2", input: "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", want: "password-protected", wantFmt: true},
		{name: "NULs", input: strings.Repeat("ab\x00\x00\x00\n", 20), want: "binary", wantFmt: true},
		{name: "NULsForcedCP1252", input: strings.Repeat("a\x00b\x00\n\x00", 20), opt: Options{Encoding: "cp1252"}, want: "binary", wantFmt: true},
		{name: "UnknownEncoding", input: "a\n", opt: Options{Encoding: "ebcdic"}, want: "windows-1252"},
		{name: "BadDelimiter", input: "a\n", opt: Options{Delimiter: '"'}, want: "delimiter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := csvTempFile(t, "in.csv", tt.input)
			_, err := OpenCSV(p, tt.opt)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if errors.Is(err, ErrFormat) != tt.wantFmt {
				t.Errorf("errors.Is(%v, ErrFormat) = %v, want %v", err, !tt.wantFmt, tt.wantFmt)
			}
		})
	}
	t.Run("Missing", func(t *testing.T) {
		_, err := OpenCSV(filepath.Join(t.TempDir(), "nope.csv"), Options{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error = %v, want os.ErrNotExist", err)
		}
	})
}

func TestCSVClose(t *testing.T) {
	r, err := OpenCSV(csvTempFile(t, "in.csv", "a\n1\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
}

func TestParseEncoding(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", "auto"}, {"utf-8", "utf-8"}, {"UTF8", "utf-8"}, {"utf-8-sig", "utf-8"}, {"utf_8", "utf-8"},
		{"utf-16", "utf-16"}, {"UTF-16LE", "utf-16le"}, {"utf-16be", "utf-16be"},
		{"windows-1252", "windows-1252"}, {"CP1252", "windows-1252"}, {"latin1", "windows-1252"},
		{"ISO-8859-1", "windows-1252"}, {"iso-8859-15", "iso-8859-15"}, {"MacRoman", "macroman"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := ParseEncoding(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if e.String() != tt.want {
				t.Errorf("ParseEncoding(%q) = %s, want %s", tt.in, e, tt.want)
			}
		})
	}
	t.Run("Unknown", func(t *testing.T) {
		_, err := ParseEncoding("shift-jis")
		if err == nil || !strings.Contains(err.Error(), "utf-16le") || !strings.Contains(err.Error(), "shift-jis") {
			t.Errorf("error = %v, want one naming the input and the accepted names", err)
		}
	})
}

func TestParseDelimiter(t *testing.T) {
	tests := []struct {
		in      string
		want    rune
		wantErr bool
	}{
		{in: ",", want: ','}, {in: ";", want: ';'}, {in: "tab", want: '\t'}, {in: `\t`, want: '\t'},
		{in: "\t", want: '\t'}, {in: "TAB", want: '\t'}, {in: "pipe", want: '|'}, {in: "comma", want: ','},
		{in: "semicolon", want: ';'}, {in: "§", want: '§'},
		{in: "", wantErr: true}, {in: ",,", wantErr: true}, {in: `"`, wantErr: true}, {in: "\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDelimiter(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseDelimiter(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCSVDialect(t *testing.T) {
	tests := []struct {
		name      string
		head      string
		forced    rune
		wantComma rune
		wantTrim  bool
	}{
		{name: "Empty", head: "", wantComma: ','},
		{name: "Comma", head: "a,b,c\n1;2;3;4;5", wantComma: ','},
		{name: "Semicolon", head: "a;b;c,d\n", wantComma: ';'},
		{name: "Tab", head: "a\tb\tc\n", wantComma: '\t'},
		{name: "Pipe", head: "a|b|c,d\n", wantComma: '|'},
		{name: "TieCommaFirst", head: "a|b,c\n", wantComma: ','},
		{name: "TieSemicolonBeforePipe", head: "a|b;c\n", wantComma: ';'},
		{name: "CommaSpace", head: "a, b, c\n", wantComma: ',', wantTrim: true},
		{name: "CommaSpaceMixed", head: "a, b,c\n", wantComma: ','},
		{name: "SemicolonSpace", head: "a; b; c\n", wantComma: ';', wantTrim: true},
		{name: "TrailingCommaSpaceless", head: "a, b,\n", wantComma: ','},
		{name: "QuotedDelimiters", head: "\"a,b,c,d\";e;f\n", wantComma: ';'},
		{name: "QuotedNewlineInHeader", head: "\"a\nb;c;d\",e,f\n1;2;3;4;5", wantComma: ','},
		{name: "EscapedQuoteInHeader", head: "\"a\"\";b;c\",d,e\n", wantComma: ','},
		{name: "OnlyFirstLine", head: "a,b\n1;2;3;4\n", wantComma: ','},
		{name: "BlankLinesFirst", head: "\n\r\na;b\n", wantComma: ';'},
		{name: "CRHeader", head: "a;b\r1,2,3,4\r", wantComma: ';'},
		{name: "TabSpaceNotTrimmed", head: "a\t b\t c\n", wantComma: '\t'},
		{name: "ForcedSpaceNotTrimmed", head: "a  b  c\n", forced: ' ', wantComma: ' '},
		{name: "Forced", head: "a, b, c\n", forced: ';', wantComma: ';'},
		{name: "ForcedSpaced", head: "a| b| c\n", forced: '|', wantComma: '|', wantTrim: true},
		{name: "ForcedNonASCII", head: "a§ b§ c\n", forced: '§', wantComma: '§', wantTrim: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comma, trim := csvDialect([]byte(tt.head), tt.forced)
			if comma != tt.wantComma || trim != tt.wantTrim {
				t.Errorf("csvDialect(%q) = %q, %v; want %q, %v", tt.head, comma, trim, tt.wantComma, tt.wantTrim)
			}
		})
	}
}

// TestCSVHeaderRowDelimiter: with a header below title rows, the delimiter is the header
// line's, not the first line's (which a title line has none of, or only commas).
func TestCSVHeaderRowDelimiter(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		headerRow int
		want      []csvRow
	}{
		{name: "TitleLine", data: "Report for shop\nFirst Name;Email\nAnn;a@b.co\n", headerRow: 2,
			want: []csvRow{{1, []string{"Report for shop"}}, {2, []string{"First Name", "Email"}}, {3, []string{"Ann", "a@b.co"}}}},
		{name: "TitleWithComma", data: "Shop, November\nName\tEmail\nAnn\ta@b.co\n", headerRow: 2,
			want: []csvRow{{1, []string{"Shop, November"}}, {2, []string{"Name", "Email"}}, {3, []string{"Ann", "a@b.co"}}}},
		{name: "BlankLineCounts", data: "Title\n\nA|B\n1|2\n", headerRow: 3,
			want: []csvRow{{1, []string{"Title"}}, {3, []string{"A", "B"}}, {4, []string{"1", "2"}}}},
		{name: "QuotedTitleSpansLines", data: "\"Report\nfor, shop\"\nA;B\n1;2\n", headerRow: 2,
			want: []csvRow{{1, []string{"Report\nfor, shop"}}, {2, []string{"A", "B"}}, {3, []string{"1", "2"}}}},
		{name: "CRLF", data: "Title\r\nA;B\r\n1;2\r\n", headerRow: 2,
			want: []csvRow{{1, []string{"Title"}}, {2, []string{"A", "B"}}, {3, []string{"1", "2"}}}},
		{name: "BeyondTheFile", data: "A;B\n1;2\n", headerRow: 9,
			want: []csvRow{{1, []string{"A", "B"}}, {2, []string{"1", "2"}}}},
		{name: "FirstRow", data: "a;b\n1,2,3,4\n", headerRow: 1,
			want: []csvRow{{1, []string{"a", "b"}}, {2, []string{"1,2,3,4"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := csvFromString(t, tt.data, Options{HeaderRow: tt.headerRow})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := csvReadAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// FuzzCSVSkipRecords holds csvSkipRecords to a plain reading of simple text (no quotes):
// n records are n lines.
func FuzzCSVSkipRecords(f *testing.F) {
	f.Add([]byte("Title\n\nA;B\n1;2\n"), 2)
	f.Add([]byte("\"a\nb\"\nc\n"), 1)
	f.Add([]byte("x"), 3)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n < 1 || n > 64 {
			return
		}
		rest, ok := csvSkipRecords(data, n)
		if !ok {
			if !bytes.Equal(rest, data) {
				t.Fatalf("not ok, but gave %q of %q", rest, data)
			}
			return
		}
		if !bytes.HasSuffix(data, rest) || len(rest) >= len(data) {
			t.Fatalf("%q is no tail of %q", rest, data)
		}
		if bytes.IndexByte(data, '"') < 0 {
			lines := bytes.SplitAfter(data, []byte("\n"))
			want := bytes.Join(lines[n:], nil)
			if !bytes.Equal(rest, want) {
				t.Fatalf("skip %d of %q: %q, want %q", n, data, rest, want)
			}
		}
	})
}

func TestCSVCRReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"\r", "\n"},
		{"\r\n", "\r\n"},
		{"a\rb\r\nc\r\rd\r", "a\nb\r\nc\n\nd\n"},
		{"\r\r\n\r", "\n\r\n\n"},
	}
	for _, tt := range tests {
		for _, size := range []int{16, 1 << 16} {
			src := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(tt.in)), size)
			got, err := io.ReadAll(&csvCRReader{r: src})
			if err != nil || string(got) != tt.want {
				t.Errorf("csvCRReader(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		}
	}
}

func TestEncTrimPartialRune(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"abc", "abc"}, {"ab\xc3", "ab"}, {"ab\xc3\xa9", "ab\xc3\xa9"},
		{"a\xe2\x82", "a"}, {"a\xe2\x82\xac", "a\xe2\x82\xac"}, {"a\xf0\x9f\x98", "a"}, {"a\xe9", "a"},
	}
	for _, tt := range tests {
		if got := encTrimPartialRune([]byte(tt.in)); string(got) != tt.want {
			t.Errorf("encTrimPartialRune(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCSVSniffBoundary puts a two-byte rune across the end of the 64 KiB sniff: the file
// is UTF-8 and must not be taken for Windows-1252.
func TestCSVSniffBoundary(t *testing.T) {
	pad := strings.Repeat("x", encSniffSize-1-len("a\n"))
	in := "a\n" + pad + "é\n"
	r, err := OpenCSV(csvTempFile(t, "in.csv", in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := csvReadAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings()) != 0 || len(rows) != 2 || rows[1].Texts[0] != pad+"é" {
		t.Errorf("warnings %q, %d rows", r.Warnings(), len(rows))
	}
}

// csvDigest hashes rows as "number\x1fcell\x1fcell…\n", the same way the Python
// one-liner that produced the wanted digests did.
func csvDigest(rows []csvRow) string {
	h := sha256.New()
	var b bytes.Buffer
	for _, r := range rows {
		b.Reset()
		b.WriteString(strings.Join(append([]string{strconv.Itoa(r.N)}, r.Texts...), "\x1f"))
		b.WriteByte('\n')
		h.Write(b.Bytes())
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// csvRealData returns the folder of the shared third-party CSV files, or skips.
func csvRealData(tb testing.TB) string {
	tb.Helper()
	return realData(tb, "csv")
}

// TestCSVRealData reads every third-party file of shared/realdata/csv. The counts,
// last row numbers and digests were computed once from the files with Python's csv
// module (rows whose cells are all empty left out, numbers as 1 + the index of
// Python's record, which counts blank lines; line ends normalised to LF, so CRLF in a
// quoted field reads as "\n").
func TestCSVRealData(t *testing.T) {
	dir := csvRealData(t)
	tests := []struct {
		file     string
		rows     int
		lastN    int
		digest   string
		warnings []string
		check    map[int][]string // row number → its texts
	}{
		{
			file: "commonscsv_bom.csv", rows: 252, lastN: 252, digest: "10251e309e9a15cf",
			check: map[int][]string{1: {"Date", "Open", "High", "Low", "Close", "Volume"}, 2: {"14-Mar-14", "223.80", "225.20", "220.85", "221.51", "79448141"}},
		},
		{
			file: "csvkit_bad.csv", rows: 4, lastN: 4, digest: "9bddfec771fc4d96",
			check: map[int][]string{2: {"1", "27", "", "I'm too long!"}, 3: {"", "I'm too short!"}},
		},
		{
			file: "csvkit_mac_newlines.csv", rows: 3, lastN: 3, digest: "c4d45c24f5d053ed",
			check: map[int][]string{1: {"a", "b", "c"}, 2: {"1", "2", "3"}, 3: {"Once upon\na time", "5", "6"}},
		},
		{
			file: "csvkit_test_utf16_little.csv", rows: 3, lastN: 3, digest: "a6f2825610bf998c",
			check: map[int][]string{1: {"a", "b", "c"}, 3: {"4", "5", "ʤ"}},
		},
		{
			file: "csvkit_test_utf8_bom.csv", rows: 3, lastN: 3, digest: "38c8aa8c0d124322",
			check: map[int][]string{1: {"foo", "bar", "baz"}, 3: {"4", "5", "ʤ"}},
		},
		// 3337 records and the header; 268 fields hold 344 line breaks between them,
		// so the last row, on line 3682, is row 3338.
		{file: "dedupe_chicago_messy_input.csv", rows: 3338, lastN: 3338, digest: "9778a374aca73932"},
		{
			file: "febrl_dataset1.csv", rows: 1001, lastN: 1001, digest: "7cb7f4dcb4eefbc1",
			check: map[int][]string{1: {"rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"}},
		},
		{
			file: "roo_semicolon_crlf_mojibake.csv", rows: 2, lastN: 2, digest: "3009bd78d3744fd7",
		},
		{
			file: "salesforce_accountData_latin1.csv", rows: 424, lastN: 424, digest: "ee27f1d01c8eb548",
			warnings: []string{"not UTF-8: read as Windows-1252"},
		},
		{
			file: "spectrum_comma_in_quotes.csv", rows: 2, lastN: 2, digest: "dd1f8b17147184f5",
			check: map[int][]string{2: {"John", "Doe", "120 any st.", "Anytown, WW", "08123"}},
		},
		{
			file: "spectrum_escaped_quotes.csv", rows: 3, lastN: 3, digest: "a2512b489aba924a",
			check: map[int][]string{2: {"1", `ha "ha" ha`}, 3: {"3", "4"}},
		},
		{
			// csv-spectrum expects "Once upon \r\na time"; like encoding/csv we read a line
			// break inside a quoted field as "\n" whatever the file used.
			file: "spectrum_newlines_crlf.csv", rows: 4, lastN: 4, digest: "1e775fdb46cdf696",
			check: map[int][]string{3: {"Once upon \na time", "5", "6"}, 4: {"7", "8", "9"}},
		},
		{
			file: "spectrum_quotes_and_newlines.csv", rows: 3, lastN: 3, digest: "5683dff9dfa4f0b2",
			check: map[int][]string{2: {"1", "ha \n\"ha\" \nha"}, 3: {"3", "4"}},
		},
		{
			file: "splink_fake_1000.csv", rows: 1001, lastN: 1001, digest: "1ea4db69a191cafc",
			check: map[int][]string{2: {"0", "Julia ", "", "2015-10-29", "London", "hannah88@powers.com", "0"}},
		},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			r, err := OpenCSV(filepath.Join(dir, tt.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, err := csvReadAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tt.rows || rows[len(rows)-1].N != tt.lastN {
				t.Fatalf("%d rows, last numbered %d; want %d, %d", len(rows), rows[len(rows)-1].N, tt.rows, tt.lastN)
			}
			if got := csvDigest(rows); got != tt.digest {
				t.Errorf("digest %s, want %s", got, tt.digest)
			}
			if got := r.Warnings(); !reflect.DeepEqual(got, tt.warnings) {
				t.Errorf("warnings %q, want %q", got, tt.warnings)
			}
			byN := map[int][]string{}
			for i, row := range rows {
				if i > 0 && row.N <= rows[i-1].N {
					t.Fatalf("row %d after row %d", row.N, rows[i-1].N)
				}
				byN[row.N] = row.Texts
			}
			for n, want := range tt.check {
				if !reflect.DeepEqual(byN[n], want) {
					t.Errorf("row %d = %q, want %q", n, byN[n], want)
				}
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no expectations in this test", filepath.Base(f))
		}
	}
}

// TestCSVRealDataDetails checks what the digests alone would not make plain.
func TestCSVRealDataDetails(t *testing.T) {
	dir := csvRealData(t)
	read := func(t *testing.T, file string) []csvRow {
		t.Helper()
		r, err := OpenCSV(filepath.Join(dir, file), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rows, err := csvReadAll(t, r)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	t.Run("SalesforceLatin1", func(t *testing.T) {
		var all strings.Builder
		for _, row := range read(t, "salesforce_accountData_latin1.csv") {
			all.WriteString(strings.Join(row.Texts, "\x1f"))
		}
		for _, want := range []string{"Crédito", "Nº 77"} {
			if !strings.Contains(all.String(), want) {
				t.Errorf("no %q in the file as read", want)
			}
		}
	})
	t.Run("RooSemicolon", func(t *testing.T) {
		rows := read(t, "roo_semicolon_crlf_mojibake.csv")
		if len(rows[0].Texts) != 19 || rows[0].Texts[0] != "sic_reference" || rows[1].Texts[4] != "Miramar; cuir blanc" {
			t.Errorf("header %q, row 2 title %q", rows[0].Texts, rows[1].Texts[4])
		}
	})
	t.Run("ChicagoLineBreaks", func(t *testing.T) {
		breaks, fields := 0, 0
		for _, row := range read(t, "dedupe_chicago_messy_input.csv") {
			for _, s := range row.Texts {
				if n := strings.Count(s, "\n"); n > 0 {
					breaks += n
					fields++
				}
			}
		}
		if fields != 268 || breaks != 344 {
			t.Errorf("%d fields with %d line breaks, want 268 with 344", fields, breaks)
		}
	})
	t.Run("FebrlNoLeadingSpace", func(t *testing.T) {
		for _, row := range read(t, "febrl_dataset1.csv") {
			for _, s := range row.Texts {
				if strings.HasPrefix(s, " ") {
					t.Fatalf("row %d: %q has a leading space", row.N, s)
				}
			}
		}
	})
}

func FuzzCSV(f *testing.F) {
	seeds := []string{
		"a,b,c\n1,2,3\n",
		"a;b\r\n\"x\r\ny\";2\r\n\r\n;;\r\n3;4",
		"a\tb\r1\t\"2\r3\"\r",
		"a, b, c\n1, \"2, 3\", 4\n",
		"\xEF\xBB\xBFfoo,bar\n1,\xe9\n",
		"\xFF\xFEa\x00,\x00b\x00\n\x00\"\x00",
		"a,b\n1,\"xx\n2,3\n",
		"a,b\n\"1\"x,2\n3,4\n",
		"x,12\" pizza,\"\"\"\"\n\n\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), "", byte(0))
	}
	f.Add([]byte("a|b\n1|2"), "windows-1252", byte('|'))
	f.Add([]byte("a\x00,\x00b\x00"), "utf-16le", byte(0))
	f.Fuzz(func(t *testing.T, data []byte, encoding string, delim byte) {
		opt := Options{Encoding: encoding, Delimiter: rune(delim)}
		r, err := csvNew("fuzz.csv", io.NopCloser(bytes.NewReader(data)), opt)
		if err != nil {
			return
		}
		defer r.Close()
		// Without quotes, CRs and other encodings every line is a row, numbered as the
		// line: an oracle for the numbers and the cells.
		var lines []string
		comma, trim := csvDialect(data, opt.Delimiter)
		if opt == (Options{}) && utf8.Valid(data) && !bytes.ContainsAny(data, "\"\r\x00\ufeff") && !trim {
			lines = strings.Split(string(data), "\n")
		}
		last := 0
		for {
			row, err := r.Next()
			if lines != nil {
				for n := last + 1; n < row.Number || (err == io.EOF && n <= len(lines)); n++ {
					if strings.Trim(lines[n-1], string(comma)) != "" {
						t.Fatalf("line %d %q was not returned", n, lines[n-1])
					}
				}
				if err == nil && !reflect.DeepEqual(row.Texts(), strings.Split(lines[row.Number-1], string(comma))) {
					t.Fatalf("row %d = %q, line is %q", row.Number, row.Texts(), lines[row.Number-1])
				}
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				var ce *CSVError
				if !errors.As(err, &ce) || !errors.Is(err, ErrFormat) || ce.Row <= last || ce.Line < ce.Row {
					t.Fatalf("error %v (row %d after %d)", err, ce.Row, last)
				}
				return
			}
			if row.Number <= last {
				t.Fatalf("row %d after row %d", row.Number, last)
			}
			last = row.Number
			empty := true
			for _, c := range row.Cells {
				if !utf8.ValidString(c.Text) {
					t.Fatalf("row %d: invalid UTF-8 %q", row.Number, c.Text)
				}
				if (c.Text == "") != (c.Kind == Empty) || (c.Kind != Empty && c.Kind != String) {
					t.Fatalf("row %d: cell %+v", row.Number, c)
				}
				if c.Text != "" {
					empty = false
				}
			}
			if empty {
				t.Fatalf("row %d: all cells empty", row.Number)
			}
		}
	})
}

// TestCSVUTF8Watch cuts text at every place, so that runes fall across reads, and checks
// that the stream notices bytes that are not UTF-8 exactly when there are some.
func TestCSVUTF8Watch(t *testing.T) {
	for _, s := range []string{
		"", "plain", "é", "aé€😀b", "\xe9", "a\xe9b", "é\xff", "\xe2\x82", "x\xe2\x82", "€\xe2\x82\xac\xe2",
		"\xf0\x9f\x98\x80", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf", "ok\r\nok\rok",
	} {
		want := !utf8.ValidString(s)
		for cut := 0; cut <= len(s); cut++ {
			parts := []string{s[:cut], s[cut:]}
			c := &csvCRReader{watch: true}
			for i, p := range parts {
				if !c.bad {
					c.check([]byte(p), i == len(parts)-1)
				}
			}
			if c.bad != want {
				t.Errorf("%q cut at %d: bad = %v, want %v", s, cut, c.bad, want)
			}
		}
		// One byte per read, through the whole stream.
		c := &csvCRReader{r: bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(s)), 16), watch: true}
		if _, err := io.ReadAll(c); err != nil {
			t.Fatal(err)
		}
		if c.bad != want {
			t.Errorf("%q byte by byte: bad = %v, want %v", s, c.bad, want)
		}
	}
}

func TestCSVRecordTooLong(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	tests := []struct {
		name    string
		input   string
		wantErr error
		rows    int
	}{
		{name: "LongFieldIsFine", input: "a,b\n1,\"" + long + "\n" + long + "\"\n2,3\n", rows: 3},
		{name: "JustUnderTheLimit", input: "a,b\n1,\"" + strings.Repeat("z", csvMaxRecord-100) + "\"\n" + strings.Repeat("2,3\n", 100000), rows: 100002},
		{name: "RunawayQuote", input: "a,b\n\n1,\"x\n" + strings.Repeat("2,3\n", 3<<20), wantErr: ErrRecordTooLong, rows: 1},
		{name: "EndlessLine", input: "a,b\n" + strings.Repeat("y", 9<<20), wantErr: ErrRecordTooLong, rows: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenCSV(csvTempFile(t, "in.csv", tt.input), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, err := csvReadAll(t, r)
			if len(rows) != tt.rows || !errors.Is(err, tt.wantErr) {
				t.Fatalf("%d rows, error %v; want %d rows, error %v", len(rows), err, tt.rows, tt.wantErr)
			}
			var ce *CSVError
			if tt.wantErr != nil && (!errors.As(err, &ce) || ce.Row != 2 || ce.Line != 2 || !errors.Is(err, ErrFormat)) {
				t.Errorf("error %v: want a *CSVError at row 2, line 2, wrapping ErrFormat", err)
			}
		})
	}
}

// TestCSVMixedEncodingAnyPlace puts a row with a byte that is not UTF-8 among rows of
// UTF-8, near the start, in the middle and at the end of a small file and of one longer
// than the encoding sniff: the cells must not depend on where the byte sits.
func TestCSVMixedEncodingAnyPlace(t *testing.T) {
	const bad = "Ren\xe9,Dupont\n"
	for _, size := range []struct {
		name string
		pad  int // rows of plain UTF-8 before the customers
	}{{"Small", 0}, {"Large", encSniffSize / 4}} {
		for _, place := range []string{"First", "Middle", "Last"} {
			t.Run(size.name+place, func(t *testing.T) {
				rows := []string{"Zoë,Ngātai\n", "Seán,O'Brien\n"}
				switch place {
				case "First":
					rows = append([]string{bad}, rows...)
				case "Middle":
					rows = []string{rows[0], bad, rows[1]}
				case "Last":
					rows = append(rows, bad)
				}
				in := "first,last\n" + strings.Repeat("ā,ö\n", size.pad) + strings.Join(rows, "")
				r, err := OpenCSV(csvTempFile(t, "in.csv", in), Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				got, err := csvReadAll(t, r)
				if err != nil {
					t.Fatal(err)
				}
				var texts []string
				badRow := 0
				for _, row := range got[1+size.pad:] {
					texts = append(texts, strings.Join(row.Texts, ","))
					if row.Texts[0] == "René" {
						badRow = row.N
					}
				}
				want := strings.TrimSuffix(strings.ReplaceAll(strings.Join(rows, ""), "\xe9", "é"), "\n")
				if strings.Join(texts, "\n") != want {
					t.Errorf("rows %q, want %q", texts, want)
				}
				wantWarn := []string{"not UTF-8 from row " + strconv.Itoa(badRow) + ": bytes that are not UTF-8 read as Windows-1252"}
				if got := r.Warnings(); !reflect.DeepEqual(got, wantWarn) {
					t.Errorf("warnings %q, want %q", got, wantWarn)
				}
			})
		}
	}
}

// TestCSVNextTexts: NextTexts gives the numbers and texts Next gives, the same errors and
// the same warnings, also when the two are mixed.
func TestCSVNextTexts(t *testing.T) {
	inputs := map[string]string{
		"plain":        "a,b,c\n1,2,3\n4,,6\n",
		"blank lines":  "a,b\n\n1,2\n,\n\n3,4\r\n",
		"quotes":       "a,b\n\"x, y\",\"he said \"\"hi\"\"\"\n\"multi\nline\",z\n12\" pizza,q\n",
		"ragged":       "a,b,c\n1\n1,2,3,4,5\n",
		"semicolons":   "a;b\n1;2\n",
		"windows-1252": "a,b\ncaf\xe9,x\n",
		"bad bytes":    "a,b\ncafé,x\nna\xefve,y\n",
		"unclosed":     "a,b\n1,2\n\"open,3\n",
		"bad quote":    "a,b\n\"x\"y,2\n",
		"empty":        "",
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			for _, mix := range []int{0, 1, 2} { // NextTexts only, alternating, every third
				rows, err1 := csvNew("in.csv", io.NopCloser(strings.NewReader(data)), Options{})
				texts, err2 := csvNew("in.csv", io.NopCloser(strings.NewReader(data)), Options{})
				if (err1 == nil) != (err2 == nil) {
					t.Fatalf("open: %v, %v", err1, err2)
				}
				if err1 != nil {
					return
				}
				var dst []string
				for k := 0; ; k++ {
					row, errRow := rows.Next()
					var n int
					var got []string
					var errText error
					if mix == 0 || mix == 1 && k%2 == 0 || mix == 2 && k%3 != 0 {
						n, got, errText = texts.NextTexts(dst)
						dst = got
						if line := texts.Line(); line != "" && !lineOf(line, got) {
							t.Fatalf("row %d %q given as the line %q", k, got, line)
						}
					} else {
						var r Row
						r, errText = texts.Next()
						n, got = r.Number, r.Texts()
					}
					if fmt.Sprint(errRow) != fmt.Sprint(errText) {
						t.Fatalf("row %d: Next fails with %v, NextTexts with %v", k, errRow, errText)
					}
					if errRow != nil {
						break
					}
					if n != row.Number || !slices.Equal(got, row.Texts()) {
						t.Fatalf("row %d: NextTexts gives %d %q, Next %d %q", k, n, got, row.Number, row.Texts())
					}
				}
				if w1, w2 := rows.Warnings(), texts.Warnings(); !slices.Equal(w1, w2) {
					t.Errorf("warnings %q by Next, %q by NextTexts", w1, w2)
				}
			}
		})
	}
}

// lineOf reports whether line is what TextReader.Line may give for a record of texts:
// the texts joined by commas, none of them holding a comma, a quote, a CR or an LF.
func lineOf(line string, texts []string) bool {
	for _, t := range texts {
		if strings.ContainsAny(t, ",\"\r\n") {
			return false
		}
	}
	return line == strings.Join(texts, ",")
}

// TestCSVLine: Line gives a record's line exactly when a results file may copy it: a
// comma-delimited line with no quote or carriage return in it, read as valid UTF-8.
func TestCSVLine(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string // Line after each record, the header's first
	}{
		{"plain", "a,b,c\n1,2,3\n4,,6\r\n7,,\n", []string{"a,b,c", "1,2,3", "4,,6", "7,,"}},
		{"quoted field", "a,b\n\"x\",y\n1,2\n", []string{"a,b", "", "1,2"}},
		{"quote inside", "a,b\n12\" pizza,q\n", []string{"a,b", ""}},
		{"multi-line field", "a,b\n\"one\ntwo\",z\n3,4\n", []string{"a,b", "", "3,4"}},
		{"ragged", "a,b,c\n1\n1,2,3,4\n", []string{"a,b,c", "1", "1,2,3,4"}},
		{"semicolons", "a;b\n1;2\n", []string{"", ""}},
		{"cr only", "a,b\r1,2\r3,4\r", []string{"a,b", "1,2", "3,4"}},
		{"windows-1252", "a,b\ncaf\xe9,x\n", []string{"a,b", "café,x"}},
		// A file with bytes that are not UTF-8 is decoded cell by cell: no lines.
		{"bad bytes", "a,b\ncafé,x\nna\xefve,y\n", []string{"", "", ""}},
		{"leading spaces kept", "a,b\n 1, 2\n", []string{"a,b", " 1, 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := csvNew("in.csv", io.NopCloser(strings.NewReader(tt.data)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			var got []string
			for {
				if _, _, err := rd.NextTexts(nil); err != nil {
					if err != io.EOF {
						t.Fatal(err)
					}
					break
				}
				got = append(got, rd.Line())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("lines %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOpenCSVDirectory: a directory named like a CSV file is refused with its name once.
func TestOpenCSVDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "list.csv")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := OpenCSV(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "is a directory") || strings.Count(err.Error(), dir) != 1 {
		t.Errorf("OpenCSV of a directory: %v", err)
	}
}

// TestOpenDirectory: Open refuses a directory named like a CSV or XLSX file, naming it once.
func TestOpenDirectory(t *testing.T) {
	for _, name := range []string{"list.csv", "book.xlsx"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, Options{})
		if err == nil || !strings.Contains(err.Error(), "is a directory") || strings.Count(err.Error(), dir) != 1 {
			t.Errorf("Open(%s): %v", name, err)
		}
	}
}
