package sheet

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// csvBenchRows is the size of the benchmark's customer file.
const csvBenchRows = 1_000_000

// csvWriteCustomers writes a customer-like CSV of n data rows and 13 columns, some of
// them quoted, with a header.
func csvWriteCustomers(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	first := []string{"Anna", "Bernd", "Chloé", "David", "Emma", "François", "Grace", "Hiro", "Ivana", "Jonas"}
	last := []string{"Müller", "Smith", "O'Brien", "García", "Nguyen", "Kowalski", "Rossi", "Dubois", "Tanaka", "Olsen"}
	city := []string{"Auckland", "Berlin", "Zürich", "Lyon", "Wellington", "Christchurch", "Hamilton"}
	rng := rand.New(rand.NewPCG(1, 2))
	fmt.Fprintln(w, "Customer Code,Card Number,First Name,Last Name,E-mail,Phone,Birthday,Street,City,Postal Code,Country,Gender,Notes")
	for i := range n {
		fn, ln := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		notes := ""
		if i%7 == 0 {
			notes = `"prefers email, not phone"`
		}
		fmt.Fprintf(w, "%d,%016d,%s,%s,%s.%s%d@example.com,+64 21 %07d,%02d/%02d/%d,\"%d %s Street, Unit %d\",%s,%04d,NZ,%c,%s\n",
			100000+i, rng.Int64N(1e16), fn, ln, fn, ln, i, rng.IntN(1e7), 1+rng.IntN(28), 1+rng.IntN(12), 1940+rng.IntN(65),
			1+rng.IntN(300), ln, 1+rng.IntN(20), city[rng.IntN(len(city))], rng.IntN(10000), "FM"[rng.IntN(2)], notes)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkCSVRead reads a 1,000,000-row customer file with OpenCSV and, in the same
// iterations, with a bare encoding/csv loop (ReuseRecord), and reports the reader's
// throughput as a ratio of the bare loop's: x-baseline in CPU time of the process, which
// counts the garbage collector's work and is not skewed by other work on a shared
// machine; x-baseline-wall in wall time (1 would be as fast).
func BenchmarkCSVRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "customers.csv")
	csvWriteCustomers(b, path, csvBenchRows)
	b.Run("customers", func(b *testing.B) { csvBenchCompare(b, path, csvBenchOurs) })
	// The importer keeps an index of every customer (16 bytes each and a map's overhead:
	// tens of MiB for a million rows). A larger live heap makes the garbage collector
	// run less often, which is most of what separates the two loops above.
	b.Run("customers-live64MiB", func(b *testing.B) {
		live := make([]byte, 64<<20)
		csvBenchCompare(b, path, csvBenchOurs)
		runtime.KeepAlive(live)
	})
	// The rows handed back in batches once used, as the importer's mappers can do: the
	// reader then allocates little more than the texts of the cells.
	b.Run("customers-recycled", func(b *testing.B) { csvBenchCompare(b, path, csvBenchOursRecycled) })
}

// csvBenchCompare reads the file at path with both loops in every iteration.
func csvBenchCompare(b *testing.B, path string, oursRead func(*testing.B, string)) {
	var ours, bare, oursWall, bareWall time.Duration
	timed := func(cpu, wall *time.Duration, read func(*testing.B, string)) {
		c, w := csvCPUTime(), time.Now()
		read(b, path)
		*cpu += csvCPUTime() - c
		*wall += time.Since(w)
	}
	for i := 0; i < b.N; i++ {
		// Alternate the order so that neither side always reads a warm cache.
		if i%2 == 0 {
			timed(&bare, &bareWall, csvBenchBare)
			timed(&ours, &oursWall, oursRead)
		} else {
			timed(&ours, &oursWall, oursRead)
			timed(&bare, &bareWall, csvBenchBare)
		}
	}
	rows := float64(csvBenchRows+1) * float64(b.N)
	b.ReportMetric(rows/ours.Seconds(), "rows/cpu-s")
	b.ReportMetric(rows/bare.Seconds(), "bare-rows/cpu-s")
	b.ReportMetric(bare.Seconds()/ours.Seconds(), "x-baseline")
	b.ReportMetric(bareWall.Seconds()/oursWall.Seconds(), "x-baseline-wall")
}

func csvBenchBare(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	n := 0
	for {
		_, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != csvBenchRows+1 {
		b.Fatalf("bare loop read %d records", n)
	}
}

func csvBenchOurs(b *testing.B, path string) {
	r, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != csvBenchRows+1 {
		b.Fatalf("OpenCSV read %d rows", n)
	}
}

// csvBenchOursRecycled reads as csvBenchOurs does, handing the rows back to the reader
// in batches of 128.
func csvBenchOursRecycled(b *testing.B, path string) {
	r, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rc := r.(Recycler)
	batch := make([]Row, 0, 128)
	n := 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
		if batch = append(batch, row); len(batch) == cap(batch) {
			rc.Recycle(batch)
			batch = batch[:0]
		}
	}
	if n != csvBenchRows+1 {
		b.Fatalf("OpenCSV read %d rows", n)
	}
}
