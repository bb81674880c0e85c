package report

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/custimport/custimport/importer/sheet"
	"github.com/custimport/custimport/mapping"
	"github.com/xuri/excelize/v2"
)

var updateSamples = flag.Bool("update-samples", false, "regenerate samples/customers.xlsx from samples/customers.csv")

const (
	samplesDir    = "../samples"
	sampleSheet   = "Customers"
	sampleDateFmt = "02/01/2006" // DD/MM/YYYY, as customers.csv writes birthdays
)

// Columns of customers.csv whose cells the sample XLSX formats as text (Excel's "@"), as a
// merchant should: identifiers and postcodes whose leading zeros and digits must survive.
var sampleTextColumns = []string{"Customer Code", "Card Number", "Mobile", "Postcode"}

// readSampleCSV reads samples/customers.csv whole (it is small).
func readSampleCSV(tb testing.TB) [][]string {
	tb.Helper()
	f, err := os.Open(filepath.Join(samplesDir, "customers.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("customers.csv: %v", err)
	}
	return recs
}

// TestGenerateSampleXLSX checks that samples/customers.xlsx holds the customers of
// samples/customers.csv, cell by cell, with birthdays as real date cells and codes, card
// numbers and postcodes as text; with -update-samples it writes the file anew.
func TestGenerateSampleXLSX(t *testing.T) {
	recs := readSampleCSV(t)
	path := filepath.Join(samplesDir, "customers.xlsx")
	if *updateSamples {
		if err := writeSampleXLSX(path, recs); err != nil {
			t.Fatal(err)
		}
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-samples to create it)", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{sampleSheet}) {
		t.Fatalf("sheets %q, want [%q]", got, sampleSheet)
	}
	birthday := slices.Index(recs[0], "Birthday")
	for r, rec := range recs {
		for c, want := range rec {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			// The formatted value: a date cell shows as DD/MM/YYYY, as in the CSV.
			got, err := f.GetCellValue(sampleSheet, cell)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: %q, want %q as in customers.csv", cell, got, want)
			}
			typ, err := f.GetCellType(sampleSheet, cell)
			if err != nil {
				t.Fatal(err)
			}
			_, dateErr := time.Parse(sampleDateFmt, want)
			isDate := r > 0 && c == birthday && dateErr == nil
			switch {
			case want == "":
			case isDate:
				if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					t.Errorf("%s: birthday %q is a %v cell, want a date (a number)", cell, want, typ)
				}
			case typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString:
				t.Errorf("%s: %q is a %v cell, want text", cell, want, typ)
			}
		}
	}
	// The sheet holds nothing more than the CSV.
	rows, err := f.GetRows(sampleSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs) {
		t.Errorf("%d rows, want %d", len(rows), len(recs))
	}
}

// writeSampleXLSX writes the sample customers as a merchant's Excel file would hold them.
func writeSampleXLSX(path string, recs [][]string) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", sampleSheet); err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	dateFmt := "dd/mm/yyyy"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": Text
	if err != nil {
		return err
	}
	birthday := slices.Index(recs[0], "Birthday")
	for c, h := range recs[0] {
		col, _ := excelize.ColumnNumberToName(c + 1)
		width := float64(max(len(h)+2, 12))
		if slices.Contains(sampleTextColumns, h) {
			if err := f.SetColStyle(sampleSheet, col, text); err != nil {
				return err
			}
			width = max(width, 18)
		}
		if h == "E-mail" || h == "Street" {
			width = 30
		}
		if err := f.SetColWidth(sampleSheet, col, col, width); err != nil {
			return err
		}
	}
	for r, rec := range recs {
		for c, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			style := 0
			switch {
			case r == 0:
				style = header
			case v == "":
				continue
			case c == birthday:
				// A birthday Excel understands is a date cell; one it cannot read stays
				// text, as Excel leaves it when it is typed in.
				if d, err := time.Parse(sampleDateFmt, v); err == nil {
					if err := f.SetCellValue(sampleSheet, cell, d); err != nil {
						return err
					}
					if err := f.SetCellStyle(sampleSheet, cell, cell, date); err != nil {
						return err
					}
					continue
				}
			case slices.Contains(sampleTextColumns, recs[0][c]):
				style = text
			}
			if err := f.SetCellStr(sampleSheet, cell, v); err != nil {
				return err
			}
			if style != 0 {
				if err := f.SetCellStyle(sampleSheet, cell, cell, style); err != nil {
					return err
				}
			}
		}
	}
	if err := f.SetPanes(sampleSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.SaveAs(path)
}

// TestSampleMappingLoads checks that samples/mapping.yaml is a valid mapping for the sample
// header.
func TestSampleMappingLoads(t *testing.T) {
	m, err := mapping.Load(filepath.Join(samplesDir, "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Bind(readSampleCSV(t)[0]); err != nil {
		t.Fatal(err)
	}
}

// sampleExpect is what the sample files teach, row by row (by Customer ID): every row not
// listed is valid with no warning.
var sampleExpect = map[string][]string{ // Customer ID -> the reasons of its problems
	"GW-1012": {"warning: same customer as row 13 (same key) with different data"}, // its second row, row 42
	"GW-1041": {"email: " + mapping.ReasonEmail},
	"GW-1042": {"custom_date: " + mapping.ReasonRealDate},
	"GW-1043": {"code: " + mapping.ReasonDigits},
	"GW-1044": {"custom_field_2: not one of the choices (Gouda, Cheddar, Brie, Camembert, Blue, Feta, Halloumi, Havarti, Swiss)"},
	"GW-1045": {"custom_date: not a date in DD/MM/YYYY"},
	"GW-1046": {mapping.ReasonNoField},
	"GW-1047": {
		"code: " + mapping.ReasonDigits,
		"email: " + mapping.ReasonEmail,
		"custom_date: " + mapping.ReasonRealDate,
		"custom_field_2: not one of the choices (Gouda, Cheddar, Brie, Camembert, Blue, Feta, Halloumi, Havarti, Swiss)",
	},
}

// TestSamplesValidate maps every row of both sample files with samples/mapping.yaml and
// checks that exactly the rows meant to be invalid are, for the reasons meant, and that the
// transforms do what the mapping's comments say.
func TestSamplesValidate(t *testing.T) {
	m, err := mapping.Load(filepath.Join(samplesDir, "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"customers.csv", "customers.xlsx"} {
		t.Run(name, func(t *testing.T) {
			rd, err := sheet.Open(filepath.Join(samplesDir, name), sheet.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			head, err := rd.Next()
			if err != nil {
				t.Fatal(err)
			}
			plan, err := m.Bind(head.Texts())
			if err != nil {
				t.Fatal(err)
			}
			if w := rd.Warnings(); len(w) > 0 {
				t.Errorf("file warnings: %q", w)
			}
			dups := mapping.NewDupIndex()
			seen := map[string]bool{}
			values := map[string]mapping.Result{}
			for {
				row, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if name == "customers.xlsx" {
					checkSampleKinds(t, head.Texts(), row)
				}
				res := plan.Apply(row)
				if p, dup := dups.Check(row.Number, res); dup {
					res.Problems = append(res.Problems, p)
				}
				id := res.Identity.Key
				var got []string
				for _, p := range res.Problems {
					s := p.Reason
					if p.Field != "" {
						s = p.Field + ": " + s
					}
					if p.Warning {
						s = "warning: " + s
					}
					got = append(got, s)
				}
				want := sampleExpect[id]
				if id == "GW-1012" && !seen[id] {
					want = nil // the first of the two rows is fine
				}
				seen[id] = true
				if !slices.Equal(got, want) {
					t.Errorf("row %d (%s): problems %q, want %q", row.Number, id, got, want)
				}
				values[id] = res
			}
			if len(seen) != 49 {
				t.Errorf("%d customers, want 49", len(seen))
			}
			for _, tt := range []struct{ id, field, want string }{
				{"GW-1006", "first_name", "Mary"},
				{"GW-1006", "last_name", "Taylor"},
				{"GW-1006", "email", "mary.taylor@example.com"},
				{"GW-1005", "last_name", "O'Brien"},
				{"GW-1005", "first_name", "Seán"},
				{"GW-1002", "street1", "Unit 4, 12 Queen St"},
				{"GW-1002", "custom_date", "1988-02-29"},
				{"GW-1003", "postal_code", "0600"},
				{"GW-1010", "postal_code", "0800"},
				{"GW-1001", "card_number", "6001000000012345"},
				{"GW-1007", "country", "NZ"},
				{"GW-1007", "send_no_email", "true"},
				{"GW-1011", "custom_field_2", "Gouda,Cheddar,Havarti"},
			} {
				t.Run(fmt.Sprintf("%s %s", tt.id, tt.field), func(t *testing.T) {
					got, ok := values[tt.id].Value(tt.field)
					if !ok || got != tt.want {
						t.Errorf("%s = %q (sent %v), want %q", tt.field, got, ok, tt.want)
					}
				})
			}
			if _, sent := values["GW-1010"].Value("send_no_email"); sent {
				t.Error(`GW-1010: send_no_email sent for "no"`)
			}
		})
	}
}

// checkSampleKinds checks how the sample XLSX stores a row: a real birthday as a date cell,
// identifiers and postcodes as text.
func checkSampleKinds(tb testing.TB, header []string, row sheet.Row) {
	tb.Helper()
	for i, c := range row.Cells {
		if c.Kind == sheet.Empty || i >= len(header) {
			continue
		}
		want := sheet.String
		if _, err := time.Parse(sampleDateFmt, c.Text); header[i] == "Birthday" && c.Kind == sheet.Date {
			continue
		} else if header[i] == "Birthday" && err == nil {
			tb.Errorf("row %d: birthday %q is a %v cell, want a date", row.Number, c.Text, c.Kind)
			continue
		}
		if c.Kind != want {
			tb.Errorf("row %d: %s %q is a %v cell, want %v", row.Number, header[i], c.Text, c.Kind, want)
		}
	}
}
