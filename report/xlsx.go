package report

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

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

// xlsxEncoder streams the rows into a workbook, which is written out by finish.
type xlsxEncoder struct {
	path   string
	f      *excelize.File
	sw     *excelize.StreamWriter
	row    int // the sheet row last written
	styles map[Status]int
	cells  []any
	closed bool
}

func newXLSXEncoder(path string, header []string) (enc *xlsxEncoder, err error) {
	if len(header) > excelize.MaxColumns {
		return nil, fmt.Errorf("%d columns: an XLSX sheet holds at most %d", len(header), excelize.MaxColumns)
	}
	// The workbook is written at the end; creating the file now finds an unwritable
	// directory before any row is sent.
	tf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return nil, err
	}
	if err := tf.Close(); err != nil {
		return nil, err
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
	e := &xlsxEncoder{path: path, f: f, styles: make(map[Status]int)}
	for st, c := range statusColours {
		id, err := f.NewStyle(&excelize.Style{
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[0]}},
			Font: &excelize.Font{Color: c[1]},
		})
		if err != nil {
			return nil, err
		}
		e.styles[st] = id
	}
	bold, err := f.NewStyle(&excelize.Style{
		Font:   &excelize.Font{Bold: true},
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	})
	if err != nil {
		return nil, err
	}
	if e.sw, err = f.NewStreamWriter(SheetName); err != nil {
		return nil, err
	}
	// Widths and panes must come before the first row.
	for i := range header {
		w := fixedWidths[min(i, len(fixedWidths)-1)]
		if i >= len(FixedColumns) {
			w = float64(min(max(len([]rune(header[i]))+2, 12), 40))
		}
		if err := e.sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	if err := e.sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := e.sw.SetRow("A1", cells); err != nil {
		return nil, err
	}
	e.row = 1
	return e, nil
}

func (e *xlsxEncoder) write(rec []string, st Status) error {
	if e.row >= excelize.TotalRows {
		return ErrTooManyRows
	}
	if len(rec) > excelize.MaxColumns {
		rec = rec[:excelize.MaxColumns]
	}
	cells := e.cells[:0]
	for i, v := range rec {
		switch {
		case i == 1:
			cells = append(cells, excelize.Cell{StyleID: e.styles[st], Value: v})
		case i == 0 || i == 5:
			// row and attempts are numbers, which a spreadsheet sorts and sums as such.
			if n, err := strconv.Atoi(v); err == nil {
				cells = append(cells, n)
			} else {
				cells = append(cells, v)
			}
		case v == "":
			cells = append(cells, nil)
		default:
			// A string is always written as text: "06083" stays "06083".
			cells = append(cells, v)
		}
	}
	e.cells = cells
	e.row++
	cell, err := excelize.CoordinatesToCellName(1, e.row)
	if err != nil {
		return err
	}
	return e.sw.SetRow(cell, cells)
}

func (e *xlsxEncoder) flush() error { return nil }

func (e *xlsxEncoder) finish() error {
	if e.closed {
		return nil
	}
	e.closed = true
	err := e.sw.Flush()
	if err == nil {
		err = saveWorkbook(e.f, e.path)
	}
	// Close removes excelize's temporary files, whatever happened before.
	if cerr := e.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// saveWorkbook writes f to path, created with fileMode (excelize's SaveAs would create
// it readable by everyone), and syncs it to disk.
func saveWorkbook(f *excelize.File, path string) error {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	_, err = f.WriteTo(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
