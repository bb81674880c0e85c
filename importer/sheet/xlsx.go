package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// OpenXLSX opens one worksheet of an .xlsx or .xlsm workbook for streaming: opt.Sheet by
// its exact name, else by its name in any case; "" for the first visible worksheet.
//
// The worksheet is decoded as it is read, so memory does not grow with the number of rows;
// only the workbook's shared string table is held whole. Cells come typed:
//
//   - shared, inline (rich text runs joined) and formula strings are String; an empty string
//     is Empty, a string of spaces is not;
//   - numbers are Number, with Raw the stored text and Text its exact digits, except that a
//     format of zeros pads integers as Excel shows them (00000 shows 6083 as 06083) and a
//     decimal with more than 15 significant digits is rounded to 15 (0.30000000000000004
//     shows as 0.3); integers and E-notation are never rounded;
//   - numbers with a date format, and t="d" ISO dates, are Date in the workbook's date
//     system, Text YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS (rounded to the second) when the
//     format shows a time (a t="d" cell without a date format: when it has one), and Time
//     rounded to the millisecond; in the 1900 system, a date-formatted serial of a day
//     that never was (under 1: 1900-01-00; 60: 1900-02-29) is a Date with that Text and
//     a zero Time; negative serials and serials past 9999 stay Number;
//     time-of-day formats (h:mm) give Date with Text HH:MM:SS and Time on the date system's
//     day zero plus the serial; durations ([h]:mm) are Number;
//   - booleans are Bool TRUE or FALSE; error values are Error with their text (#N/A), and
//     so is a formula with no stored result (a workbook written by a program that does
//     not calculate), with the text FormulaNotCalculated.
//
// Row numbers are the sheet's own; rows with no non-empty cell are skipped. Merged cells
// are as Excel stores them: the value in the top-left cell only, the rest Empty.
// A damaged, truncated, encrypted or oversized workbook gives an error wrapping ErrFormat,
// never fewer rows: the sheet may expand to 1 GiB and the shared strings to 256 MiB, and
// a part over 64 MiB may not expand more than 500 times (a zip bomb).
func OpenXLSX(path string, opt Options) (Reader, error) {
	return xlsxOpen(path, opt, xlsxDefaultLimits)
}

// SheetNames returns the names of all sheets of an XLSX workbook in workbook order,
// hidden ones included.
func SheetNames(path string) ([]string, error) {
	bk, err := xlsxOpenBook(path, xlsxDefaultLimits)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(bk.sheets))
	for i, s := range bk.sheets {
		names[i] = s.Name
	}
	return names, bk.Close()
}

func xlsxOpen(path string, opt Options, limits xlsxLimits) (rd Reader, err error) {
	bk, err := xlsxOpenBook(path, limits)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			bk.Close()
		}
	}()
	sh, warn, err := bk.chooseSheet(opt.Sheet)
	if err != nil {
		return nil, err
	}
	zf := bk.part(sh.Part)
	if zf == nil {
		return nil, bk.formatErr("sheet %q: its part %q is missing", sh.Name, sh.Part)
	}
	styles, err := bk.readStyles()
	if err != nil {
		return nil, err
	}
	sst, err := bk.readSharedStrings()
	if err != nil {
		return nil, err
	}
	rc, err := bk.openPart(zf, limits.sheet)
	if err != nil {
		return nil, err
	}
	x := &xlsxReader{
		bk:       bk,
		sheet:    sh.Name,
		rc:       rc,
		scan:     xlsxNewScan(rc),
		sst:      sst,
		styles:   styles,
		warnings: warn,
	}
	return x, nil
}

var _ Reader = (*xlsxReader)(nil)

// xlsxReader streams the rows of one worksheet.
type xlsxReader struct {
	bk       *xlsxBook
	sheet    string
	rc       io.ReadCloser
	scan     *xlsxScan
	sst      []string
	styles   []xlsxNumFmt
	warnings []string

	inData  bool // inside <sheetData>
	seen    bool // <sheetData> was seen
	lastRow int  // number of the last row read, returned or not
	err     error
	closed  bool

	v     []byte // the <v> of the cell being read
	is    []byte // the <is> text of the cell being read
	cells []Cell
}

// Warnings returns what the reader noticed: a hidden sheet chosen by name, a name matched
// ignoring case.
func (x *xlsxReader) Warnings() []string { return x.warnings }

// Close releases the workbook file.
func (x *xlsxReader) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	err := x.rc.Close()
	return errors.Join(err, x.bk.Close())
}

// Next returns the next row that holds a non-empty cell, and io.EOF after the last.
func (x *xlsxReader) Next() (Row, error) {
	if x.err != nil {
		return Row{}, x.err
	}
	if x.closed {
		return Row{}, fmt.Errorf("%s: sheet %q: read after Close", x.bk.path, x.sheet)
	}
	row, err := x.next()
	if err != nil {
		if err != io.EOF {
			err = x.wrap(err)
		}
		x.err = err
		return Row{}, err
	}
	return row, nil
}

// wrap names the file, the sheet and the last row read in a decoding error.
func (x *xlsxReader) wrap(err error) error {
	if errors.Is(err, ErrFormat) {
		return err
	}
	where := "before the first row"
	if x.lastRow > 0 {
		where = fmt.Sprintf("after row %d", x.lastRow)
	}
	return fmt.Errorf("%s: sheet %q: damaged %s: %v: %w", x.bk.path, x.sheet, where, err, ErrFormat)
}

func (x *xlsxReader) next() (Row, error) {
	s := x.scan
	for {
		tok, err := s.next()
		if err == io.EOF {
			if !x.seen {
				return Row{}, errors.New("the worksheet has no <sheetData>")
			}
			return Row{}, io.EOF
		}
		if err != nil {
			return Row{}, err
		}
		switch tok {
		case xlsxStart:
			switch {
			case s.depth() == 1 && string(s.name) != "worksheet":
				return Row{}, fmt.Errorf("the part is <%s>, not a worksheet", s.name)
			case s.depth() == 2 && string(s.name) == "sheetData":
				x.inData, x.seen = true, true
			case s.depth() == 3 && x.inData && string(s.name) == "row":
				row, err := x.readRow()
				if err != nil {
					return Row{}, err
				}
				if len(row.Cells) > 0 {
					return row, nil
				}
			}
		case xlsxEnd:
			if s.depth() == 1 && x.inData {
				// Read on to the end all the same: that is where a damaged tail, and a
				// checksum that does not match, come to light.
				x.inData = false
			}
		}
	}
}

// readRow reads a <row> element; it returns the row with trailing empty cells dropped.
func (x *xlsxReader) readRow() (Row, error) {
	s := x.scan
	num := x.lastRow + 1
	if r := s.attr("r"); r != nil {
		n, ok := xlsxAtoi(r)
		if !ok || n < 1 || n > 1<<20 {
			return Row{}, fmt.Errorf("row number %q is not a number from 1 to 1048576", r)
		}
		num = n
	}
	x.lastRow = num
	x.cells = x.cells[:0]
	depth := s.depth()
	col := 0
	for {
		tok, err := s.next()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Row{}, err
		}
		switch tok {
		case xlsxStart:
			if s.depth() != depth+1 || string(s.name) != "c" {
				if err := x.skip(); err != nil {
					return Row{}, err
				}
				continue
			}
			if ref := s.attr("r"); ref != nil {
				c, ok := xlsxColumn(ref)
				if !ok {
					return Row{}, fmt.Errorf("row %d: bad cell reference %q", num, ref)
				}
				col = c
			} else {
				col++
				if col > 16384 {
					return Row{}, fmt.Errorf("row %d: more than 16384 cells", num)
				}
			}
			cell, err := x.readCell()
			if err != nil {
				return Row{}, fmt.Errorf("row %d, cell %s%d: %w", num, xlsxColumnName(col), num, err)
			}
			if cell.Kind == Empty {
				continue
			}
			for len(x.cells) < col {
				x.cells = append(x.cells, Cell{})
			}
			x.cells[col-1] = cell
		case xlsxEnd:
			if s.depth() < depth {
				row := Row{Number: num}
				if len(x.cells) > 0 {
					row.Cells = append([]Cell(nil), x.cells...)
				}
				return row, nil
			}
		}
	}
}

// skip reads past the element just started.
func (x *xlsxReader) skip() error {
	depth := x.scan.depth()
	for x.scan.depth() >= depth {
		if _, err := x.scan.next(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readCell reads a <c> element, just started, into a typed cell.
func (x *xlsxReader) readCell() (Cell, error) {
	s := x.scan
	var typ xlsxCellType
	switch string(s.attr("t")) {
	case "", "n":
		typ = xlsxTypeNumber
	case "s":
		typ = xlsxTypeShared
	case "str":
		typ = xlsxTypeFormula
	case "inlineStr":
		typ = xlsxTypeInline
	case "b":
		typ = xlsxTypeBool
	case "e":
		typ = xlsxTypeError
	case "d":
		typ = xlsxTypeDate
	default:
		return Cell{}, fmt.Errorf("unknown cell type t=%q", s.attr("t"))
	}
	style := -1
	if st := s.attr("s"); st != nil {
		if n, ok := xlsxAtoi(st); ok {
			style = n
		}
	}
	depth := s.depth()
	x.v, x.is = x.v[:0], x.is[:0]
	var hasV, hasIS, hasF, inV, inT bool
	rPh := 0 // depth of the phonetic run being skipped
	for {
		tok, err := s.next()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Cell{}, err
		}
		switch tok {
		case xlsxStart:
			d := s.depth()
			switch {
			case d == depth+1 && string(s.name) == "v":
				inV, hasV = true, true
			case d == depth+1 && string(s.name) == "is":
				hasIS = true
			case d > depth+1 && hasIS && rPh == 0 && string(s.name) == "rPh":
				rPh = d
			case d > depth+1 && hasIS && rPh == 0 && string(s.name) == "t":
				inT = true
			case d == depth+1:
				hasF = hasF || string(s.name) == "f"
				if err := x.skip(); err != nil {
					return Cell{}, err
				}
			}
		case xlsxText:
			switch {
			case inV:
				x.v = append(x.v, s.text...)
			case inT:
				x.is = append(x.is, s.text...)
			}
		case xlsxEnd:
			d := s.depth()
			switch {
			case d < depth:
				if hasIS {
					return x.stringCell(xlsxUnescape(string(x.is))), nil
				}
				if hasF && !hasV {
					// Written by a program that does not calculate (excelize, openpyxl):
					// the value is unknown, not empty.
					return Cell{Kind: Error, Text: FormulaNotCalculated}, nil
				}
				return x.valueCell(typ, style, x.v, hasV)
			case d == depth:
				inV = false
			case rPh > 0 && d < rPh:
				rPh = 0
			default:
				inT = false
			}
		}
	}
}

// xlsxCellType is a cell's t attribute.
type xlsxCellType uint8

const (
	xlsxTypeNumber  xlsxCellType = iota // n, or no t
	xlsxTypeShared                      // s
	xlsxTypeFormula                     // str
	xlsxTypeInline                      // inlineStr
	xlsxTypeBool                        // b
	xlsxTypeError                       // e
	xlsxTypeDate                        // d
)

// xlsxAtoi parses a small non-negative decimal number.
func xlsxAtoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func (x *xlsxReader) stringCell(s string) Cell {
	if s == "" {
		return Cell{}
	}
	return Cell{Kind: String, Text: s}
}

// valueCell types a cell from its t attribute, its style and its <v>.
func (x *xlsxReader) valueCell(typ xlsxCellType, style int, vb []byte, hasV bool) (Cell, error) {
	if !hasV || len(vb) == 0 {
		return Cell{}, nil
	}
	switch typ {
	case xlsxTypeShared:
		i, ok := xlsxAtoi(bytes.TrimSpace(vb))
		if !ok || i >= len(x.sst) {
			return Cell{}, fmt.Errorf("shared string index %q out of range (the table has %d)", vb, len(x.sst))
		}
		return x.stringCell(x.sst[i]), nil
	case xlsxTypeFormula:
		return x.stringCell(string(vb)), nil
	case xlsxTypeInline:
		return x.stringCell(xlsxUnescape(string(vb))), nil
	case xlsxTypeBool:
		switch string(bytes.TrimSpace(vb)) {
		case "1", "true":
			return Cell{Kind: Bool, Text: "TRUE"}, nil
		case "0", "false":
			return Cell{Kind: Bool, Text: "FALSE"}, nil
		}
		return Cell{}, fmt.Errorf("boolean value %q is not 0 or 1", vb)
	case xlsxTypeError:
		return Cell{Kind: Error, Text: string(vb)}, nil
	case xlsxTypeDate:
		return x.isoDateCell(style, string(vb))
	}
	return x.numberCell(style, vb)
}

func (x *xlsxReader) numFmt(style int) xlsxNumFmt {
	if style < 0 || style >= len(x.styles) {
		return xlsxNumFmt{}
	}
	return x.styles[style]
}

// numberCell types a stored number by its style's number format.
func (x *xlsxReader) numberCell(style int, vb []byte) (Cell, error) {
	raw := string(bytes.TrimSpace(vb))
	if raw == "" {
		return Cell{}, nil
	}
	v := raw
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || strings.ContainsAny(raw, "_xXpPiInN") {
		return Cell{}, fmt.Errorf("number %q is not a number", v)
	}
	nf := x.numFmt(style)
	switch nf.kind {
	case xlsxFmtDate, xlsxFmtTime:
		if nf.kind == xlsxFmtDate && !x.bk.date1904 && (f >= 0 && f < 1 || f >= 60 && f < 61) {
			// Days that Excel shows but that never were: 1900-01-00 and 1900-02-29 (it
			// takes 1900 for a leap year). Text as Excel shows them, no Time.
			text := "1900-01-00"
			if f >= 60 {
				text = "1900-02-29"
			}
			if nf.hasTime {
				day := math.Floor(f)
				text += time.Unix(0, 0).UTC().Add(time.Duration(math.Round((f-day)*86400)) * time.Second).Format(" 15:04:05")
			}
			return Cell{Kind: Date, Raw: raw, Text: text}, nil
		}
		t, ok := xlsxSerialTime(f, x.bk.date1904)
		if !ok {
			break
		}
		c := Cell{Kind: Date, Raw: raw, Time: t}
		if nf.kind == xlsxFmtTime {
			c.Text = t.Round(time.Second).Format("15:04:05")
		} else {
			c.Text = xlsxDateText(t, nf.hasTime)
		}
		return c, nil
	case xlsxFmtZeroPad:
		// An integer stored with a zero fraction (1001.0) pads as 1001 does.
		if text := xlsxNumberText(raw); xlsxIsInteger(text) {
			return Cell{Kind: Number, Raw: raw, Text: xlsxPad(strings.TrimLeft(text, "0"), nf.pattern)}, nil
		}
	}
	return Cell{Kind: Number, Raw: raw, Text: xlsxNumberText(raw)}, nil
}

// xlsxISOLayouts are the forms of a t="d" cell's ISO 8601 value.
var xlsxISOLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"15:04:05.999999999",
	"15:04:05",
}

// isoDateCell reads a t="d" cell. Its zone, if any, is dropped: Excel shows the wall clock.
func (x *xlsxReader) isoDateCell(style int, v string) (Cell, error) {
	raw := strings.TrimSpace(v)
	if raw == "" {
		return Cell{}, nil
	}
	for _, layout := range xlsxISOLayouts {
		t, err := time.Parse(layout, raw)
		if err != nil {
			continue
		}
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).Round(time.Millisecond)
		nf := x.numFmt(style)
		withTime := t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0
		if nf.kind == xlsxFmtDate {
			withTime = nf.hasTime
		}
		return Cell{Kind: Date, Raw: raw, Time: t, Text: xlsxDateText(t, withTime)}, nil
	}
	return Cell{}, fmt.Errorf("date %q is not an ISO 8601 date", v)
}

// xlsxColumn returns the 1-based column of a cell reference such as "AB12".
func xlsxColumn(ref []byte) (int, bool) {
	ref = bytes.TrimPrefix(ref, []byte("$"))
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > 16384 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	if i == len(ref) {
		return col, true
	}
	for _, c := range ref[i:] {
		if c != '$' && (c < '0' || c > '9') {
			return 0, false
		}
	}
	return col, true
}

// xlsxColumnName returns the letters of a 1-based column.
func xlsxColumnName(col int) string {
	var b []byte
	for col > 0 {
		col--
		b = append([]byte{byte('A' + col%26)}, b...)
		col /= 26
	}
	return string(b)
}
