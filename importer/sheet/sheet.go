// Package sheet reads spreadsheet files (CSV and XLSX) as a stream of rows of typed cells.
//
// A Reader yields one Row at a time, each carrying the row's number as a spreadsheet program
// shows it and its cells as they were stored: text, number, date, boolean or error. Rows
// whose cells are all empty are skipped; their numbers are not reused. The package knows
// file formats, encodings and Excel's number formats; it knows nothing of the API.
package sheet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Kind is what a cell held in the file.
type Kind uint8

// The kinds of cell.
const (
	Empty  Kind = iota // no value
	String             // text (every CSV cell is text)
	Number             // an XLSX number that is not a date
	Date               // an XLSX number with a date format, or an ISO t="d" cell
	Bool               // an XLSX boolean
	Error              // an XLSX error value such as #N/A
)

func (k Kind) String() string {
	switch k {
	case Empty:
		return "empty"
	case String:
		return "string"
	case Number:
		return "number"
	case Date:
		return "date"
	case Bool:
		return "bool"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Cell is one cell of a row.
type Cell struct {
	Kind Kind
	// Text is the cell as a person sees it: the CSV field; an XLSX string; a number in its
	// exact digits, or padded as its number format pads it ("00000" shows 6083 as 06083);
	// a date as YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS when it has a time of day; TRUE or FALSE;
	// an error's text (#N/A).
	Text string
	// Raw is a number's text exactly as the file stores it (Number and Date cells of XLSX),
	// for example "1.23E+22" or "1234567890123456".
	Raw string
	// Time is a Date cell's value, as a wall-clock time in UTC.
	Time time.Time
}

// Row is one row of a sheet.
type Row struct {
	// Number is the row's number as a spreadsheet program shows it: the sheet's own row
	// number for XLSX; for CSV the record number counting from the file's first record
	// as 1 (a quoted field spanning lines is one record; a blank line counts as a row).
	Number int
	Cells  []Cell
}

// Texts returns the Text of every cell.
func (r Row) Texts() []string {
	out := make([]string, len(r.Cells))
	for i, c := range r.Cells {
		out[i] = c.Text
	}
	return out
}

// Reader streams the rows of one sheet.
type Reader interface {
	// Next returns the next row that holds at least one non-empty cell, and io.EOF after
	// the last. A malformed file gives an error that names the row.
	Next() (Row, error)
	// Warnings returns what the reader noticed about the whole file so far (for example
	// that it was not UTF-8 and was read as Windows-1252).
	Warnings() []string
	// Close releases the file and any temporary files.
	Close() error
}

// Options are the caller's overrides; the zero value detects everything.
type Options struct {
	Sheet     string // XLSX: the sheet's name; "" for the first visible sheet
	Delimiter rune   // CSV: 0 to detect from the header line
	// HeaderRow is the header's row number (the mapping's header_row), where a CSV's
	// delimiter is detected; 0 when not known (see OpenCSV).
	HeaderRow int
	Encoding  string // CSV: "" to detect; see ParseEncoding
}

// FormulaNotCalculated is the Text of an Error cell that holds a formula whose result the
// file does not store: its value is unknown.
const FormulaNotCalculated = "formula never calculated: open and save the file in a spreadsheet program"

// ErrFormat is wrapped by errors for files that are not what their name says, or that are
// damaged (truncated, corrupt, encrypted).
var ErrFormat = errors.New("unreadable spreadsheet")

// ErrNoSheet is wrapped when the requested sheet does not exist.
var ErrNoSheet = errors.New("no such sheet")

// Open opens path by its extension: .csv, .tsv and .txt as CSV; .xlsx and .xlsm as XLSX.
func Open(path string, opt Options) (Reader, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a CSV or XLSX file", path)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return OpenCSV(path, opt)
	case ".xlsx", ".xlsm":
		if opt.Delimiter != 0 || opt.Encoding != "" {
			return nil, fmt.Errorf("%s: --delimiter and --encoding apply to CSV files only", path)
		}
		return OpenXLSX(path, opt)
	case ".xls":
		return nil, fmt.Errorf("%s: the old binary .xls format is not supported: save it as .xlsx or .csv: %w", path, ErrFormat)
	}
	return nil, fmt.Errorf("%s: unknown file type %q: expected .csv or .xlsx", path, filepath.Ext(path))
}
