package mapping

import (
	"testing"
	"time"

	"github.com/custimport/custimport/importer/sheet"
)

const benchMapping = `key: Customer ID
fields:
  code: {column: Code, transform: trim}
  card_number: {column: Card, transform: digits}
  first_name: {column: First Name, transform: [trim, title]}
  last_name: {column: Last Name, transform: [trim, title]}
  phone: {column: Phone, transform: trim}
  email: {column: E-mail, transform: [trim, lower]}
  street1: {column: Street, transform: collapse_spaces}
  city: {column: City, transform: trim}
  postal_code: {column: Zip, transform: trim}
  country: {column: Country, default: NZ}
  custom_date: {column: Birthday, date_format: DD/MM/YYYY}
  custom_field_3: {column: Cheeses, type: list, choices: [Gouda, Emental, Swiss]}
  send_no_email: {value: "true"}
`

var benchHeader = []string{"Customer ID", "Code", "Card", "First Name", "Last Name", "Phone", "E-mail", "Street", "City", "Zip", "Country", "Birthday", "Cheeses"}

func benchRow() sheet.Row {
	return textRow("C-1001", "1234567", "4000 1234 5678", "  john ", "o'brien", "021 555 1234", " John.OBrien@Example.com ",
		"12  Main   St", "Auckland", "1010", "", "14/07/1970", "gouda, Swiss")
}

// BenchmarkApply maps a realistic 13-column row. The baseline is the cheapest thing an
// importer does with every row anyway: copying its cell texts (Row.Texts). The two are
// timed in alternating chunks, so that a busy machine slows both alike.
func BenchmarkApply(b *testing.B) {
	p := mustBind(b, benchMapping, benchHeader...)
	row := benchRow()
	if r := p.Apply(row); !r.Valid() {
		b.Fatalf("bench row invalid: %v", r.Problems)
	}
	const chunk = 256
	var applyT, baseT time.Duration
	var sink int
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		start := time.Now()
		for range n {
			sink += len(p.Apply(row).Fields)
		}
		applyT += time.Since(start)
		b.StopTimer()
		start = time.Now()
		for range n {
			sink += len(row.Texts())
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
