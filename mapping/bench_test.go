package mapping

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/custimport/custimport/importer/sheet"
)

// benchMapping and benchHeader are the importer's benchmark customer list (see
// importer/bench_test.go): 13 columns, the usual transforms, a default and a date.
const benchMapping = `key: Customer ID
fields:
  code: Code
  card_number: Card Number
  first_name: { column: First Name, transform: [trim, title] }
  last_name: { column: Last Name, transform: [trim, title] }
  email: { column: Email, transform: [trim, lower] }
  phone: Phone
  street1: Street
  city: City
  state: State
  postal_code: Postcode
  country: { column: Country, default: NZ }
  custom_date: { column: Birthday, date_format: DD/MM/YYYY }
`

var benchHeader = []string{"Customer ID", "Code", "Card Number", "First Name", "Last Name", "Email",
	"Phone", "Street", "City", "State", "Postcode", "Country", "Birthday"}

// benchRowN is row i of the importer's generated customer list, as the CSV reader gives it.
// Every third row has a code.
func benchRowN(i int) sheet.Row {
	code := ""
	if i%3 == 0 {
		code = fmt.Sprintf("%016d", 5000000000000000+i)
	}
	return textRow(
		fmt.Sprintf("C%07d", i), code, "", fmt.Sprintf("first%d", i%977), fmt.Sprintf("Last%d", i%1193),
		fmt.Sprintf("person%d@example.com", i), fmt.Sprintf("021 555 %04d", i%10000),
		fmt.Sprintf("%d Queen Street", i%300+1), "Auckland", "AUK", fmt.Sprintf("%04d", i%9000+600), "NZ",
		fmt.Sprintf("%02d/%02d/%d", i%28+1, i%12+1, 1940+i%60),
	)
}

func benchRow() sheet.Row { return benchRowN(42) }

// BenchmarkApply maps rows of the importer's 13-column customer list. It cycles through a
// few dozen rows, which stay in the CPU's cache as a row just read by an importer does. The baseline is the
// cheapest thing an importer does with every row anyway: copying its cell texts
// (Row.Texts). The two are timed in alternating chunks, so that a busy machine slows both
// alike.
func BenchmarkApply(b *testing.B) {
	p := mustBind(b, benchMapping, benchHeader...)
	rows := make([]sheet.Row, 96)
	for i := range rows {
		rows[i] = benchRowN(i)
		if r := p.Apply(rows[i]); !r.Valid() {
			b.Fatalf("bench row %d invalid: %v", i, r.Problems)
		}
	}
	const chunk = 256
	var applyT, baseT time.Duration
	var sink int
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		start := time.Now()
		for i := range n {
			sink += len(p.Apply(rows[(done+i)%len(rows)]).Fields)
		}
		applyT += time.Since(start)
		b.StopTimer()
		start = time.Now()
		for i := range n {
			sink += len(rows[(done+i)%len(rows)].Texts())
		}
		baseT += time.Since(start)
		b.StartTimer()
	}
	b.StopTimer()
	if sink == 0 {
		b.Fatal("nothing mapped")
	}
	b.ReportMetric(float64(applyT.Nanoseconds())/float64(b.N), "ns/row")
	if baseT > 0 {
		b.ReportMetric(float64(applyT)/float64(baseT), "x-baseline")
	}
}

// BenchmarkApplyReference times Apply against the reference implementation it replaced
// (see ref_test.go) on the rows of BenchmarkApply, in alternating chunks, and reports
// ns/row for both and their ratio (x-reference).
func BenchmarkApplyReference(b *testing.B) {
	p := mustBind(b, benchMapping, benchHeader...)
	rows := make([]sheet.Row, 96)
	for i := range rows {
		rows[i] = benchRowN(i)
	}
	const chunk = 256
	var ours, ref time.Duration
	var sink int
	b.ReportAllocs()
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		start := time.Now()
		for i := range n {
			sink += len(p.Apply(rows[(done+i)%len(rows)]).Fields)
		}
		ours += time.Since(start)
		start = time.Now()
		for i := range n {
			sink += len(refApply(p, rows[(done+i)%len(rows)]).Fields)
		}
		ref += time.Since(start)
	}
	if sink == 0 {
		b.Fatal("nothing mapped")
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ns/row")
	b.ReportMetric(float64(ref.Nanoseconds())/float64(b.N), "ref-ns/row")
	b.ReportMetric(float64(ours)/float64(ref), "x-reference")
}

// BenchmarkHash: Apply with the per-process hash of UseProcessHash against Apply with the
// stable SHA-256 one, over the benchmark rows (x-stable: its time over the stable one's).
func BenchmarkHash(b *testing.B) {
	stable := mustBind(b, benchMapping, benchHeader...)
	fast := mustBind(b, benchMapping, benchHeader...)
	fast.UseProcessHash()
	rows := make([]sheet.Row, 96)
	for i := range rows {
		rows[i] = benchRowN(i)
	}
	ms, mf := stable.NewMapper(), fast.NewMapper()
	var tf, ts time.Duration
	var sink byte
	for i := 0; b.Loop(); i++ {
		row := rows[i%len(rows)]
		t0 := time.Now()
		for range 64 {
			sink ^= mf.Apply(row).Hash[0]
		}
		t1 := time.Now()
		for range 64 {
			sink ^= ms.Apply(row).Hash[0]
		}
		t2 := time.Now()
		tf += t1.Sub(t0)
		ts += t2.Sub(t1)
	}
	_ = sink
	b.ReportMetric(float64(tf.Nanoseconds())/float64(b.N*64), "ns/row")
	b.ReportMetric(tf.Seconds()/ts.Seconds(), "x-stable")
}

// BenchmarkApplyTexts maps rows of texts as a dry run's mappers do: Mapper.ApplyTextsTo
// with the per-process hash, each row's Fields written into an array kept for use again.
// The rows are many (benchTextRows), so that their texts are not all in the CPU's cache.
// The baseline is a pass that reads the first byte of every text of the rows
// (x-touch: our time over its time, timed in alternating chunks).
func BenchmarkApplyTexts(b *testing.B) {
	p := mustBind(b, benchMapping, benchHeader...)
	p.UseProcessHash()
	benchTextRows := envRows(1 << 14)
	rows := make([][]string, benchTextRows)
	for i := range rows {
		rows[i] = benchRowN(i).Texts()
	}
	m := p.NewMapper()
	fields := make([][]Field, 128)
	for i := range fields {
		fields[i] = make([]Field, 0, len(benchHeader))
	}
	const chunk = 256
	var ours, base time.Duration
	var sink int
	b.ReportAllocs()
	for done := 0; b.Loop(); done++ {
		start := time.Now()
		for i := range chunk {
			k := (done*chunk + i) % len(rows)
			r := m.ApplyTextsTo(rows[k], fields[i%len(fields)])
			fields[i%len(fields)] = r.Fields
			sink += len(r.Fields)
		}
		ours += time.Since(start)
		start = time.Now()
		for i := range chunk {
			for _, s := range rows[(done*chunk+i)%len(rows)] {
				if s != "" {
					sink += int(s[0])
				}
			}
		}
		base += time.Since(start)
	}
	if sink == 0 {
		b.Fatal("nothing mapped")
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N*chunk), "ns/row")
	b.ReportMetric(float64(ours)/float64(base), "x-touch")
}

// envRows is the number of rows BenchmarkApplyTexts cycles through: BENCH_APPLY_ROWS, or
// def.
func envRows(def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("BENCH_APPLY_ROWS"), &n); err == nil && n > 0 {
		return n
	}
	return def
}
