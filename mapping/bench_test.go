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
// importer does with every row anyway: copying its cell texts (Row.Texts).
func BenchmarkApply(b *testing.B) {
	p := mustBind(b, benchMapping, benchHeader...)
	row := benchRow()
	if r := p.Apply(row); !r.Valid() {
		b.Fatalf("bench row invalid: %v", r.Problems)
	}
	b.ReportAllocs()
	var baseline time.Duration
	for b.Loop() {
		_ = p.Apply(row)
	}
	// The baseline, timed by hand over as many rows: testing.Benchmark cannot nest.
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	start := time.Now()
	for range b.N {
		_ = row.Texts()
	}
	baseline = time.Since(start)
	b.ReportMetric(ns, "ns/row")
	if baseline > 0 {
		b.ReportMetric(ns/(float64(baseline.Nanoseconds())/float64(b.N)), "x-baseline")
	}
}
