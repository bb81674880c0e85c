package sheet

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestXLSXExcelizeWritten reads workbooks written by excelize, the library our results
// writer and many merchants' tools use.
func TestXLSXExcelizeWritten(t *testing.T) {
	for _, date1904 := range []bool{false, true} {
		name := "1900"
		if date1904 {
			name = "1904"
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gen.xlsx")
			xf := excelize.NewFile()
			defer xf.Close()
			if date1904 {
				if err := xf.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
					t.Fatal(err)
				}
			}
			style := func(code string) int {
				id, err := xf.NewStyle(&excelize.Style{CustomNumFmt: &code})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			dmy, stamp, clock, zip5 := style("dd/mm/yyyy"), style("yyyy-mm-dd hh:mm:ss"), style("hh:mm"), style("00000")
			if _, err := xf.NewSheet("Customers"); err != nil {
				t.Fatal(err)
			}
			sw, err := xf.NewStreamWriter("Customers")
			if err != nil {
				t.Fatal(err)
			}
			rows := [][]any{
				{"Card", "Born", "Seen", "At", "Zip", "Active", "Double", "Note"},
				{int64(1234567890123456789), excelize.Cell{StyleID: dmy, Value: 45000.0}, excelize.Cell{StyleID: stamp, Value: 45000.25}, excelize.Cell{StyleID: clock, Value: 0.5}, excelize.Cell{StyleID: zip5, Value: 801}, true, excelize.Cell{Formula: "E2*2", Value: 1602}, "  spaced  "},
				nil,
				{"4000000000000002", nil, nil, nil, nil, false, excelize.Cell{Formula: `A2&"x"`, Value: "cached"}, "Ünïcödé ✓ <&>"},
			}
			for i, r := range rows {
				if r == nil {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if err := sw.SetRow(cell, r); err != nil {
					t.Fatal(err)
				}
			}
			if err := sw.Flush(); err != nil {
				t.Fatal(err)
			}
			// Sheet1 comes first: it is the default sheet.
			if err := xf.SetCellDefault("Sheet1", "B2", "1.23E+22"); err != nil {
				t.Fatal(err)
			}
			if err := xf.SaveAs(path); err != nil {
				t.Fatal(err)
			}

			first, _, err := xlsxReadAll(t, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if want := []Row{{Number: 2, Cells: []Cell{{}, xlsxNum("1.23E+22")}}}; !reflect.DeepEqual(first, want) {
				t.Errorf("Sheet1 = %+v, want %+v", first, want)
			}
			got, _, err := xlsxReadAll(t, path, Options{Sheet: "Customers"})
			if err != nil {
				t.Fatal(err)
			}
			epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
			if date1904 {
				epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			born := epoch.AddDate(0, 0, 45000)
			want := []Row{
				{Number: 1, Cells: []Cell{xlsxStr("Card"), xlsxStr("Born"), xlsxStr("Seen"), xlsxStr("At"), xlsxStr("Zip"), xlsxStr("Active"), xlsxStr("Double"), xlsxStr("Note")}},
				{Number: 2, Cells: []Cell{
					xlsxNum("1234567890123456789"),
					{Kind: Date, Text: born.Format("2006-01-02"), Raw: "45000", Time: born},
					{Kind: Date, Text: born.Format("2006-01-02") + " 06:00:00", Raw: "45000.25", Time: born.Add(6 * time.Hour)},
					{Kind: Date, Text: "12:00:00", Raw: "0.5", Time: xlsxMust(xlsxSerialTime(0.5, date1904))},
					{Kind: Number, Text: "00801", Raw: "801"},
					{Kind: Bool, Text: "TRUE"},
					xlsxNum("1602"),
					xlsxStr("  spaced  "),
				}},
				{Number: 4, Cells: []Cell{xlsxStr("4000000000000002"), {}, {}, {}, {}, {Kind: Bool, Text: "FALSE"}, xlsxStr("cached"), xlsxStr("Ünïcödé ✓ <&>")}},
			}
			if !reflect.DeepEqual(got, want) {
				for i := range max(len(got), len(want)) {
					var g, w Row
					if i < len(got) {
						g = got[i]
					}
					if i < len(want) {
						w = want[i]
					}
					if !reflect.DeepEqual(g, w) {
						t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
					}
				}
			}
		})
	}
}

func xlsxMust(t time.Time, ok bool) time.Time {
	if !ok {
		panic("no time")
	}
	return t
}
