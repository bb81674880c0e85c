package importer

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestBlankRowsSkipped: a row whose cells hold nothing but spaces is skipped, as an
// empty row is, in CSV and XLSX: it is not in the results, the rows around it keep their
// numbers, and the run ends 0. A row with one cell of text is a row.
func TestBlankRowsSkipped(t *testing.T) {
	rows := [][]string{
		{"id", "name"},
		{"k1", "Ann"},
		{"  ", "  "},
		{"\t", " \u00a0"},
		{"", "Bob"},
		{"k3", "Cy"},
	}
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "in.csv", "id,name\nk1,Ann\n  ,  \n\t, \u00a0\n,Bob\nk3,Cy\n")
	xlsxPath := filepath.Join(dir, "in.xlsx")
	f := excelize.NewFile()
	for i, r := range rows {
		for c, v := range r {
			cell, _ := excelize.CoordinatesToCellName(c+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(xlsxPath); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, in := range []string{csvPath, xlsxPath} {
		t.Run(filepath.Ext(in), func(t *testing.T) {
			o := runOpts(t, nil, parseMapping(t, "key: id\nfields:\n  first_name: name\n"), in)
			o.DryRun, o.Results = true, filepath.Join(t.TempDir(), "r.csv")
			res := mustRun(t, o)
			var got []string
			for _, r := range readResults(t, o.Results) {
				got = append(got, r["row"]+":"+r["status"])
			}
			if want := []string{"2:valid", "5:valid", "6:valid"}; !slices.Equal(got, want) {
				t.Errorf("results %v, want %v", got, want)
			}
			if res.ExitCode() != 0 {
				t.Errorf("exit %d, want 0", res.ExitCode())
			}
		})
	}
}
