package sheet

import (
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxWriteCustomers writes a customer-like workbook of n rows and 13 columns with
// excelize's StreamWriter: ids, names, e-mails, phones, zip codes padded by 00000, a
// birthday with a date format, points with decimals, 16-digit card numbers as text.
func xlsxWriteCustomers(tb testing.TB, path string, n int) {
	tb.Helper()
	f := excelize.NewFile()
	defer func() {
		if err := f.Close(); err != nil {
			tb.Error(err)
		}
	}()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		tb.Fatal(err)
	}
	zipFmt := "00000"
	zipStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &zipFmt})
	if err != nil {
		tb.Fatal(err)
	}
	header := []any{"Customer ID", "First Name", "Last Name", "E-mail", "Phone", "Street", "City", "Postal Code", "Country", "Birthday", "Points", "Card Number", "Notes"}
	if err := sw.SetRow("A1", header); err != nil {
		tb.Fatal(err)
	}
	first := []string{"Ann", "Bob", "Chloé", "Dmitri", "Eve", "François", "Grace", "Hiro"}
	last := []string{"Smith", "Jones", "Müller", "Tanaka", "García", "O'Brien", "Nguyen", "Kowalski"}
	row := make([]any, 13)
	for i := 1; i <= n; i++ {
		fn, ln := first[i%len(first)], last[(i/8)%len(last)]
		row[0] = 100000 + i
		row[1] = fn
		row[2] = ln
		row[3] = fmt.Sprintf("%s.%s%d@example.com", fn, ln, i)
		row[4] = fmt.Sprintf("+64 21 %07d", i*7%10000000)
		row[5] = fmt.Sprintf("%d Queen Street", i%300+1)
		row[6] = "Auckland"
		row[7] = excelize.Cell{StyleID: zipStyle, Value: i % 99999}
		row[8] = "NZ"
		row[9] = excelize.Cell{StyleID: dateStyle, Value: float64(20000 + i%20000)}
		row[10] = float64(i%1000) + 0.25
		row[11] = fmt.Sprintf("%016d", 4000000000000000+i)
		row[12] = ""
		if i%10 == 0 {
			row[12] = "prefers e-mail"
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkXLSXRead reads a 200,000-row customer workbook with this reader and with a bare
// excelize Rows/Columns loop in the same run, and reports the throughput ratio
// (x-excelize > 1 means ours is faster).
func BenchmarkXLSXRead(b *testing.B) {
	const n = 200000
	path := filepath.Join(b.TempDir(), "customers.xlsx")
	xlsxWriteCustomers(b, path, n)

	var ours, theirs time.Duration
	for b.Loop() {
		start := time.Now()
		if got := xlsxBenchOurs(b, path); got != n+1 {
			b.Fatalf("we read %d rows, want %d", got, n+1)
		}
		ours += time.Since(start)

		start = time.Now()
		if got := xlsxBenchExcelize(b, path); got != n+1 {
			b.Fatalf("excelize read %d rows, want %d", got, n+1)
		}
		theirs += time.Since(start)
	}
	b.ReportMetric(float64(theirs)/float64(ours), "x-excelize")
	b.ReportMetric(float64(n)*float64(b.N)/ours.Seconds(), "rows/s")
	b.ReportMetric(float64(n)*float64(b.N)/theirs.Seconds(), "excelize-rows/s")
}

func xlsxBenchOurs(tb testing.TB, path string) int {
	r, err := OpenXLSX(path, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	rows := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		rows++
	}
	if err := r.Close(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

func xlsxBenchExcelize(tb testing.TB, path string) int {
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: 1 << 30, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	it, err := f.Rows("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	rows := 0
	for it.Next() {
		if _, err := it.Columns(excelize.Options{RawCellValue: true}); err != nil {
			tb.Fatal(err)
		}
		rows++
	}
	if err := it.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return rows
}
