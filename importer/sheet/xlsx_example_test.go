package sheet_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/custimport/custimport/importer/sheet"
	"github.com/xuri/excelize/v2"
)

func ExampleOpenXLSX() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "customers.xlsx")

	// A workbook as a merchant might send it: a zip code formatted 00000, a birthday.
	f := excelize.NewFile()
	zip := "00000"
	zipStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &zip})
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetSheetRow("Sheet1", "A1", &[]any{"Name", "Zip", "Birthday", "Card"})
	f.SetSheetRow("Sheet1", "A3", &[]any{"Ann", 6083, 32874, int64(1234567890123456)})
	f.SetCellStyle("Sheet1", "B3", "B3", zipStyle)
	f.SetCellStyle("Sheet1", "C3", "C3", dateStyle)
	if err := f.SaveAs(path); err != nil {
		panic(err)
	}
	f.Close()

	r, err := sheet.OpenXLSX(path, sheet.Options{})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Print(row.Number, ":")
		for _, c := range row.Cells {
			fmt.Printf(" %s %q", c.Kind, c.Text)
		}
		fmt.Println()
	}
	// Output:
	// 1: string "Name" string "Zip" string "Birthday" string "Card"
	// 3: string "Ann" number "06083" date "1990-01-01" number "1234567890123456"
}
