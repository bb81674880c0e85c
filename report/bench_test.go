package report

import (
	"bufio"
	"encoding/csv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchRows is how many rows one benchmark iteration writes.
const benchRows = 1_000_000

// benchInputs are the input cells the benchmark rows cycle through.
var benchInputs = [][]string{
	{"C100234", "", "Mary", "Smith", "mary.smith@example.co.nz", "021 555 0101", "12 Queen St", "Auckland", "1010", "NZ", "03/04/1985", "Gouda, Swiss", ""},
	{"C100235", "100235", "Zoë", "Ngāti", "zoe@example.com", "+64 27 555 0199", "Unit 4, 12 Queen St", "Wellington", "6011", "NZ", "31/12/1990", "Brie", "yes"},
	{"C100236", "", "Seán", "O'Brien", "sean@example.com.au", "0412 555 010", "1 George St", "Sydney", "2000", "AU", "01/01/1970", "", ""},
}

// BenchmarkWriteCSV writes a million rows that finish out of order (shuffled within
// windows of 64, as a worker pool finishes them) through a CSV Writer, against a bare
// encoding/csv loop writing the same rows in order. x-baseline is the Writer's speed as a
// fraction of the bare loop's (1 = as fast).
func BenchmarkWriteCSV(b *testing.B) {
	dir := b.TempDir()
	order := windowShuffle(benchRows, 64)
	var ours, base time.Duration
	for b.Loop() {
		start := time.Now()
		writeOurs(b, filepath.Join(dir, "ours.csv"), order)
		ours += time.Since(start)

		start = time.Now()
		writeBare(b, filepath.Join(dir, "bare.csv"))
		base += time.Since(start)
	}
	b.ReportMetric(base.Seconds()/ours.Seconds(), "x-baseline")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

// windowShuffle returns 0..n-1 with each window of w shuffled.
func windowShuffle(n, w int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for lo := 0; lo < n; lo += w {
		win := out[lo:min(lo+w, n)]
		r.Shuffle(len(win), func(i, j int) { win[i], win[j] = win[j], win[i] })
	}
	return out
}

func benchRow(seq int) Row {
	r := Row{Seq: seq, Number: seq + 2, Status: StatusNew, Code: strconv.Itoa(100000 + seq), Attempts: 1,
		Input: benchInputs[seq%len(benchInputs)]}
	if seq%10 == 0 {
		r.Status = StatusInvalid
		r.Code = ""
		r.Messages = []string{`email (E-mail): not an e-mail address: "x@"`, "custom_date (Birthday): not a date in DD/MM/YYYY"}
	}
	return r
}

func writeOurs(tb testing.TB, path string, order []int32) {
	tb.Helper()
	w, err := Create(path, benchInputs[0])
	if err != nil {
		tb.Fatal(err)
	}
	for _, seq := range order {
		if err := w.Add(benchRow(int(seq))); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

func writeBare(tb testing.TB, path string) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	cw := csv.NewWriter(bw)
	rec := make([]string, 0, 32)
	for seq := range benchRows {
		r := benchRow(seq)
		rec = append(rec[:0], strconv.Itoa(r.Number), string(r.Status), r.Code, r.CardNumber,
			strings.Join(r.Messages, "; "), strconv.Itoa(r.Attempts))
		rec = append(rec, r.Input...)
		if err := cw.Write(rec); err != nil {
			tb.Fatal(err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// benchXLSXRows is how many rows one iteration of BenchmarkWriteXLSX writes.
const benchXLSXRows = 20_000

// BenchmarkWriteXLSX writes rows that finish out of order through an XLSX Writer (rows
// to the CSV partial file, the workbook built from it at Close), against streaming the
// same rows straight into a workbook in order, as the Writer did before it kept a CSV
// partial file. x-baseline is the Writer's speed as a fraction of the direct stream's.
func BenchmarkWriteXLSX(b *testing.B) {
	dir := b.TempDir()
	order := windowShuffle(benchXLSXRows, 64)
	header := append(append([]string(nil), FixedColumns...), benchInputs[0]...)
	var ours, base time.Duration
	for b.Loop() {
		start := time.Now()
		writeOurs(b, filepath.Join(dir, "ours.xlsx"), order)
		ours += time.Since(start)

		start = time.Now()
		writeDirectXLSX(b, filepath.Join(dir, "direct.xlsx"), header, benchXLSXRows)
		base += time.Since(start)
	}
	b.ReportMetric(base.Seconds()/ours.Seconds(), "x-baseline")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N*benchXLSXRows), "ns/row")
}

// writeDirectXLSX streams n bench rows into a workbook at path, without a CSV file.
func writeDirectXLSX(tb testing.TB, path string, header []string, n int) {
	wb, err := newWorkbook(header)
	if err != nil {
		tb.Fatal(err)
	}
	defer wb.f.Close()
	var rec []string
	for seq := range n {
		rec = appendCells(rec[:0], benchRow(seq))
		if err := wb.write(rec); err != nil {
			tb.Fatal(err)
		}
	}
	if err := wb.sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := saveWorkbook(wb.f, path, true); err != nil {
		tb.Fatal(err)
	}
}
