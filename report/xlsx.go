package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// SheetName is the name of the results sheet of an XLSX results file.
const SheetName = "Results"

// Excel's own "Good", "Bad" and "Neutral" cell colours.
var statusColours = map[Status][2]string{ // fill, font
	StatusNew:       {"C6EFCE", "006100"},
	StatusUpdate:    {"C6EFCE", "006100"},
	StatusUnchanged: {"C6EFCE", "006100"},
	StatusValid:     {"C6EFCE", "006100"},
	StatusInvalid:   {"FFC7CE", "9C0006"},
	StatusError:     {"FFC7CE", "9C0006"},
	StatusUnknown:   {"FFEB9C", "9C5700"},
	StatusSkipped:   {"FFEB9C", "9C5700"},
}

// fixedWidths are the widths of the FixedColumns, in characters.
var fixedWidths = []float64{8, 11, 14, 20, 60, 9}

// xlsxEncoder writes an XLSX results file. A workbook cannot be read until it is
// finished, so the rows are written as they finish to a CSV partial file beside it (the
// same file, flushed the same way, as a CSV results file), which is what a crash leaves;
// finish builds the workbook from that CSV file, then removes it.
type xlsxEncoder struct {
	path    string // the workbook's temporary path
	csvPath string // the CSV partial file
	csv     *csvEncoder
	sync    bool // see newXLSXEncoder
	rows    int  // sheet rows written so far, header included
	built   bool // the workbook at path is complete and the CSV file removed
	done    bool
	err     error // finish's result
}

// csvPartialPath returns the CSV partial file of an XLSX results file whose partial
// workbook is at path: "r.partial.xlsx" gives "r.partial.csv".
func csvPartialPath(path string) string {
	return path[:len(path)-len(".xlsx")] + ".csv"
}

// newXLSXEncoder starts the XLSX results whose partial workbook is path; sync as for
// newCSVEncoder, for the CSV partial file and the workbook.
func newXLSXEncoder(path string, header []string, sync bool) (*xlsxEncoder, error) {
	if len(header) > excelize.MaxColumns {
		return nil, fmt.Errorf("%d columns: an XLSX sheet holds at most %d", len(header), excelize.MaxColumns)
	}
	e := &xlsxEncoder{path: path, csvPath: csvPartialPath(path), rows: 1, sync: sync}
	// A partial workbook left by an earlier run would be taken for this run's.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var err error
	if e.csv, err = newCSVEncoder(e.csvPath, header, sync); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *xlsxEncoder) writeRow(r Row) error {
	if e.rows >= excelize.TotalRows {
		return ErrTooManyRows
	}
	if err := e.csv.writeRow(r); err != nil {
		return err
	}
	e.rows++
	return nil
}

func (e *xlsxEncoder) flush() error { return e.csv.flush() }

// partial returns the file that holds the results written so far: the CSV file until
// the workbook is built.
func (e *xlsxEncoder) partial() string {
	if e.built {
		return e.path
	}
	return e.csvPath
}

func (e *xlsxEncoder) finish() error {
	if e.done {
		return e.err
	}
	e.done = true
	if e.err = e.csv.finish(); e.err != nil {
		return e.err
	}
	if e.err = buildWorkbook(e.path, e.csvPath, e.sync); e.err != nil {
		// The CSV file is kept: it holds every row.
		_ = os.Remove(e.path)
		e.err = fmt.Errorf("build the workbook: %w", e.err)
		return e.err
	}
	e.built = true
	return nil
}

// cleanup removes the CSV file the workbook was built from. It waits until the workbook is
// in place: while the CSV file is there, its lock keeps another run of the same results
// from starting (and removing the finished workbook as a stale partial one).
func (e *xlsxEncoder) cleanup() {
	if e.built {
		_ = os.Remove(e.csvPath)
	}
}

// buildWorkbook writes the workbook at path from the CSV results file at csvPath, and
// with sync, syncs it to disk.
func buildWorkbook(path, csvPath string, sync bool) (err error) {
	src, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer src.Close()
	cr := csv.NewReader(bufio.NewReaderSize(src, 64<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", csvPath, err)
	}
	wb, err := newWorkbook(header)
	if err != nil {
		return err
	}
	// Close removes excelize's temporary files, whatever happens.
	defer func() {
		if cerr := wb.f.Close(); err == nil {
			err = cerr
		}
	}()
	for {
		rec, rerr := cr.Read()
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("%s: %w", csvPath, rerr)
		}
		if err := wb.write(rec); err != nil {
			return err
		}
	}
	if err := wb.sw.Flush(); err != nil {
		return err
	}
	return saveWorkbook(wb.f, path, sync)
}

// workbook streams the rows of a results file into an XLSX workbook.
type workbook struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	row    int // the sheet row last written
	styles map[Status]int
	cells  []any
	header []string // a copy: buildWorkbook's CSV reader reuses its records
}

// messageColumn is the index of the message among FixedColumns.
const messageColumn = 4

// newWorkbook starts a workbook with one sheet, SheetName, whose first row is header,
// bold and frozen.
func newWorkbook(header []string) (wb *workbook, err error) {
	if len(header) > excelize.MaxColumns {
		header = header[:excelize.MaxColumns]
	}
	f := excelize.NewFile()
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		return nil, err
	}
	wb = &workbook{f: f, styles: make(map[Status]int), header: slices.Clone(header)}
	for st, c := range statusColours {
		id, err := f.NewStyle(&excelize.Style{
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[0]}},
			Font: &excelize.Font{Color: c[1]},
		})
		if err != nil {
			return nil, err
		}
		wb.styles[st] = id
	}
	bold, err := f.NewStyle(&excelize.Style{
		Font:   &excelize.Font{Bold: true},
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	})
	if err != nil {
		return nil, err
	}
	if wb.sw, err = f.NewStreamWriter(SheetName); err != nil {
		return nil, err
	}
	// Widths and panes must come before the first row.
	for i := range header {
		w := fixedWidths[min(i, len(fixedWidths)-1)]
		if i >= len(FixedColumns) {
			w = float64(min(max(len([]rune(header[i]))+2, 12), 40))
		}
		if err := wb.sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	if err := wb.sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := wb.sw.SetRow("A1", cells); err != nil {
		return nil, err
	}
	wb.row = 1
	return wb, nil
}

// write adds one record of the results file, whose cells are already escaped.
func (wb *workbook) write(rec []string) error {
	if wb.row >= excelize.TotalRows {
		return ErrTooManyRows
	}
	if len(rec) > excelize.MaxColumns {
		rec = rec[:excelize.MaxColumns]
	}
	cells := wb.cells[:0]
	var cut []string // the columns whose cells hold more than a workbook's cell can
	for i, v := range rec {
		// A cell's limit is in UTF-16 units, of which a character takes at most as many
		// as its UTF-8 bytes.
		if len(v) > excelize.TotalCellChars && utf16Len(v) > excelize.TotalCellChars {
			cut = append(cut, strconv.Quote(wb.header[min(i, len(wb.header)-1)]))
		}
		switch {
		case i == 1:
			cells = append(cells, excelize.Cell{StyleID: wb.styles[Status(v)], Value: v})
		case v == "":
			cells = append(cells, nil)
		case i == 0 || i == 5:
			// row and attempts are numbers, which a spreadsheet sorts and sums as such.
			if n, err := strconv.Atoi(v); err == nil {
				cells = append(cells, n)
			} else {
				cells = append(cells, v)
			}
		default:
			// A string is always written as text: "06083" stays "06083".
			cells = append(cells, v)
		}
	}
	if len(cut) > 0 && len(rec) > messageColumn {
		// excelize cuts such a cell to its first 32,767 characters: the row says so,
		// first, so that the note is not cut with a long message.
		note := fmt.Sprintf("%s cut to fit a workbook's cell (32,767 characters; the CSV results keep it whole)",
			strings.Join(cut, ", "))
		if rec[messageColumn] != "" {
			note += "; " + rec[messageColumn]
		}
		cells[messageColumn] = note
	}
	wb.cells = cells
	wb.row++
	cell, err := excelize.CoordinatesToCellName(1, wb.row)
	if err != nil {
		return err
	}
	return wb.sw.SetRow(cell, cells)
}

// utf16Len is the length of s in UTF-16 units, as Excel counts a cell's characters.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// saveWorkbook writes f to path, created with fileMode (excelize's SaveAs would create
// it readable by everyone), and with sync, syncs it to disk.
func saveWorkbook(f *excelize.File, path string, sync bool) error {
	out, err := createEmpty(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	_, err = f.WriteTo(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && sync {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
