package mapping

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custimport/custimport/importer/sheet"
)

// refMappings are mappings that, between them, use every rule, custom type, transform and
// kind of date layout, constants, defaults, secrets and a key; each maps the columns of
// refHeader.
var refMappings = []string{
	benchMapping,
	`key: A
fields:
  code: {column: B, transform: digits}
  card_number: {column: C, transform: [trim]}
  first_name: {column: D, transform: [trim, title]}
  last_name: {column: E, transform: [collapse_spaces, upper]}
  email: {column: F, transform: [trim, lower]}
  phone: {column: G, transform: digits}
  postal_code: H
  custom_date: {column: I, date_format: DMYYYY}
  custom_field_1: {column: J, type: datetime}
  custom_field_2: {column: K, type: list, choices: [Gouda, Emental, Swiss]}
  custom_field_3: {column: L, type: pick, choices: [Gouda, Emental, Swiss]}
  custom_field_4: {column: M, type: date, date_format: YYYY-MM-DD HH:mm}
  card_number_generate: N
  new_code: O
  send_no_email: P
  customer_PIN: {column: G}
  country: {column: A, default: nz, transform: upper}
`,
	`fields:
  first_name: {column: A, transform: [lower, title]}
  last_name: {column: B, transform: [title, digits]}
  email: {column: C, transform: [upper, lower, trim]}
  street1: {column: D, transform: [collapse_spaces, title]}
  street2: {column: E, transform: [upper, collapse_spaces]}
  city: {column: F, transform: [title, lower], default: Here}
  custom_date: {column: G, date_format: D/M/YY}
  custom_field_5: {column: H, type: date}
  custom_field_6: {column: I, type: list, choices: [a, B, Ǆ, straße]}
  customer_password: {column: J, transform: trim}
  code: {column: K}
  state: {column: L, transform: [digits, upper]}
  send_no_email: {value: "yes"}
  country: {value: "NZ"}
`,
	`key: M
fields:
  email: A
  custom_date: {column: B, date_format: YYYYMMDD}
  custom_field_7: {column: C, type: datetime, date_format: DD.MM.YYYY HH:mm:ss}
  custom_field_8: {column: D, type: date, date_format: MM/DD/YYYY}
  first_name: {column: E, transform: title}
  last_name: {column: F, transform: lower}
  city: {column: G, transform: upper}
  phone: {column: H, transform: [digits]}
  card_number: {column: I, transform: [digits, trim]}
  street1: {column: J, transform: collapse_spaces}
  postal_code: {column: K, transform: trim}
  card_number_generate: {column: L, transform: trim}
`,
}

var refHeader = []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P"}

// refPieces are the fragments generated cell texts are made of: names in every case,
// apostrophes, odd white space and unicode, e-mail addresses good and bad, dates good,
// bad and unreal in several layouts, numbers, flags, choices and invalid UTF-8.
var refPieces = []string{
	"", " ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u0085", "\u200b", "\ufeff",
	"ann", "ANN", "Ann", "o'brien", "O'BRIEN", "mcdonald", "McDonald", "deVito", "don't", "d'arcy", "a'b'c",
	"zoë", "ZOË", "ǆungla", "ǅ", "straße", "STRASSE", "İstanbul", "ıi", "ῼ", "ﬁ", "Ⅻ", "e\u0301", "\u2019", "o\u2019neil",
	"日本", "𝔸", "-", "_", ".", ",", ", ", "'", "''", "x", "X", "1", "0", "42", "007", "12345678901234567890",
	"@", "a@b.co", "Ann@Example.COM", "person42@example.com", "a..b@c.de", "x@é.yz", "a@b.12", "a@b_c.de", "a@b-.co",
	"é@x.yz", "a\u00a0b@c.de", `a"b@c.de`, "a@b@c.de", ".a@b.co", "a@-b.co",
	"29/02/2000", "29/02/2001", "31/04/2020", "1/2/29", "01/02/1930", "1122020", "19081209", "2015-10-29", "2015-13-01",
	"2012-07-28 22:59:59", "2012-07-28 24:00", "2012-07-28T03:23:15", "2012.07.28 22:59:59", "28.07.2012 22:59:59",
	"12/31/1999", "00/00/0000", "9999-12-31", "0000-01-01", "2020-02-30 10:00",
	"yes", "no", "true", "FALSE", "y", "n/a", "1", "08", "32", "33", "0032", "+7",
	"gouda", "SWISS", "emental", "gouda, SWISS,,emental", "brie", "ǆ", "STRASSE", "straße,a,b",
	"(09) 555-1234", "021 555 0042", "\xff", "\xc3", "a\xe2\x80", "\x7f", "\x00",
}

// refCell returns a random cell: mostly text made of refPieces, sometimes an XLSX number,
// date, boolean, error or an empty cell.
func refCell(r *rand.Rand) sheet.Cell {
	text := func() string {
		var b strings.Builder
		for range r.IntN(5) {
			b.WriteString(refPieces[r.IntN(len(refPieces))])
		}
		return b.String()
	}
	switch r.IntN(20) {
	case 0:
		return sheet.Cell{}
	case 1:
		raw := []string{"1.23E+22", "1234567890123456", "123456789012345", "6083", "0.5", "1e5", "100000000000000000000"}[r.IntN(7)]
		txt := raw
		switch r.IntN(4) {
		case 0:
			txt = "0" + raw
		case 1:
			txt = []string{"", " ", "x"}[r.IntN(3)]
		}
		return sheet.Cell{Kind: sheet.Number, Text: txt, Raw: raw}
	case 2:
		t := time.Date(1900+r.IntN(200), time.Month(1+r.IntN(12)), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
		txt := t.Format("2006-01-02")
		if r.IntN(4) == 0 {
			txt = []string{"", " ", t.Format("2006-01-02 15:04:05"), "x"}[r.IntN(4)]
		}
		return sheet.Cell{Kind: sheet.Date, Text: txt, Raw: "43000", Time: t}
	case 3:
		return sheet.Cell{Kind: sheet.Error, Text: "#N/A"}
	case 4:
		return sheet.Cell{Kind: sheet.Bool, Text: []string{"TRUE", "FALSE"}[r.IntN(2)]}
	}
	return sheet.Cell{Kind: sheet.String, Text: text()}
}

// TestApplyMatchesReference: Apply gives exactly what the reference implementation gives
// (fields, identity, problems, hash) for many generated rows of every mapping, short rows
// and rows of the importer's benchmark included.
func TestApplyMatchesReference(t *testing.T) {
	n := 4_000
	if testing.Short() {
		n = 500
	}
	for mi, src := range refMappings {
		t.Run(fmt.Sprint(mi), func(t *testing.T) {
			header := refHeader
			if mi == 0 {
				header = benchHeader
			}
			p := mustBind(t, src, header...)
			r := rand.New(rand.NewPCG(uint64(mi), 99))
			for i := range n {
				row := sheet.Row{Number: i + 2, Cells: make([]sheet.Cell, r.IntN(len(header)+2))}
				for c := range row.Cells {
					row.Cells[c] = refCell(r)
				}
				if mi == 0 && i%4 == 0 {
					row = benchRowN(i)
				}
				checkAgainstReference(t, p, row)
			}
		})
	}
}

// FuzzApplyMatchesReference: for any cell texts, Apply gives exactly what the reference
// implementation gives, with every mapping of refMappings. The input is split on '|' into
// cells; kind picks the cells' kinds.
func FuzzApplyMatchesReference(f *testing.F) {
	for _, s := range []string{
		"C1|42|77| o'brien |ANN|Ann@Example.COM|(09) 555-1234|x|1122020|2012-07-28 22:59:59|gouda, SWISS|swiss|2020-02-30 10:00|8|yes|no",
		"ǆungla|ZOË|straße|e\u0301\u2019s|\u00a0|\xff|日本",
		"first42|Last42|person42@example.com|021 555 0042|42 Queen Street|Auckland|AUK|0642|NZ|29/02/2001",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(0x2d))
	}
	plans := make([]*Plan, len(refMappings))
	for i, src := range refMappings {
		header := refHeader
		if i == 0 {
			header = benchHeader
		}
		plans[i] = mustBind(f, src, header...)
	}
	f.Fuzz(func(t *testing.T, s string, kind uint8) {
		texts := strings.Split(s, "|")
		row := sheet.Row{Number: 2, Cells: make([]sheet.Cell, len(texts))}
		for i, txt := range texts {
			c := sheet.Cell{Kind: sheet.String, Text: txt}
			switch (int(kind) >> (i % 4)) & 3 {
			case 1:
				c.Kind, c.Raw = sheet.Number, txt
			case 2:
				c.Kind, c.Time = sheet.Date, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			}
			row.Cells[i] = c
		}
		for _, p := range plans {
			checkAgainstReference(t, p, row)
		}
	})
}

func checkAgainstReference(tb testing.TB, p *Plan, row sheet.Row) {
	tb.Helper()
	got, want := p.Apply(row), refApply(p, row)
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("row %q:\n got %+v\nwant %+v", row.Texts(), got, want)
	}
}

// TestValidEmailMatchesReference: validEmail agrees with the reference for every string of
// up to five bytes from an alphabet of the bytes that matter, and for many longer random
// ones (long local parts and labels included).
func TestValidEmailMatchesReference(t *testing.T) {
	const alphabet = "a1.@-(\x7f é\u00a0"
	pieces := []string{"a", "1", ".", "@", "-", "(", "\x7f", " ", "é", "\u00a0", "\u2003", "\xff", "Z", "co", "b.co",
		strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("b.", 60)}
	check := func(s string) {
		if got, want := validEmail(s), refValidEmail(s); got != want {
			t.Fatalf("validEmail(%q) = %v, reference %v", s, got, want)
		}
	}
	var walk func(prefix string, n int)
	walk = func(prefix string, n int) {
		check(prefix)
		if n == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			walk(prefix+alphabet[i:i+1], n-1)
		}
	}
	walk("", 5)
	r := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		var b strings.Builder
		for range r.IntN(10) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		check(b.String())
	}
}

// FuzzValidEmail: validEmail agrees with the reference implementation.
func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"a@b.co", "Ann@Example.COM", "a..b@c.de", "x@é.yz", "a\u00a0b@c.de", "a@b.12", "a@b-.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validEmail(s), refValidEmail(s); got != want {
			t.Fatalf("validEmail(%q) = %v, reference %v", s, got, want)
		}
	})
}

// TestNeedsCase: the eight-bytes-at-a-time test agrees with a byte-by-byte one for every
// byte at every place of a word, and for random text.
func TestNeedsCase(t *testing.T) {
	slow := func(s string, first byte) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 || s[i]-first < 26 {
				return true
			}
		}
		return false
	}
	for _, first := range []byte{'A', 'a'} {
		for n := 1; n <= 17; n++ {
			for pos := range n {
				for c := range 256 {
					b := []byte(strings.Repeat("-", n))
					b[pos] = byte(c)
					if got, want := needsCase(string(b), first), slow(string(b), first); got != want {
						t.Fatalf("needsCase(%q, %c) = %v, want %v", b, first, got, want)
					}
				}
			}
		}
		r := rand.New(rand.NewPCG(5, 6))
		for range 20_000 {
			b := make([]byte, r.IntN(40))
			for i := range b {
				b[i] = byte(r.IntN(128))
			}
			if got, want := needsCase(string(b), first), slow(string(b), first); got != want {
				t.Fatalf("needsCase(%q, %c) = %v, want %v", b, first, got, want)
			}
		}
	}
}

// TestApplyFieldsApart: rows whose Fields share one allocation do not see each other: a
// caller appending to one row's Fields, or changing them, leaves the others as they were.
func TestApplyFieldsApart(t *testing.T) {
	p := mustBind(t, benchMapping, benchHeader...)
	var rs []Result
	for i := range 3 * fieldChunk {
		rs = append(rs, p.Apply(benchRowN(i)))
	}
	for i := range rs {
		if cap(rs[i].Fields) != len(rs[i].Fields) {
			t.Fatalf("row %d: Fields has room past its end (%d of %d)", i, len(rs[i].Fields), cap(rs[i].Fields))
		}
		rs[i].Fields = append(rs[i].Fields, Field{Name: "city", Value: "Elsewhere"})
		rs[i].Fields[0].Value = "changed"
	}
	for i := range rs {
		want := refApply(p, benchRowN(i))
		if got := rs[i].Fields[1 : len(rs[i].Fields)-1]; !reflect.DeepEqual(got, want.Fields[1:]) {
			t.Fatalf("row %d: fields %v, want %v", i, got, want.Fields[1:])
		}
	}
}

// TestMatchFixed: whenever the fixed-place match takes a text, the direct match takes it
// too, with the same date; texts of the full length are generated to hit it often.
func TestMatchFixed(t *testing.T) {
	layouts := []string{"DD/MM/YYYY", "D/M/YY", "D/M/YYYY", "YYYY-MM-DD", "YYYYMMDD", "M.D.YYYY HH:mm", "YYYY-MM-DDTHH:mm:ss", "DD MM YYYY", "YYYY-MM-DD HH:mm", "YYYY.MM.DD HH:mm:ss"}
	const chars = "0123456789/-.: Tx"
	r := rand.New(rand.NewPCG(11, 12))
	for _, lay := range layouts {
		l, err := compileLayout(lay)
		if err != nil || !l.direct {
			t.Fatalf("%s: %v, direct %v", lay, err, l != nil && l.direct)
		}
		// The template: literals as they are, a digit's place as 'N'.
		var tmpl []byte
		for _, tok := range l.tokens {
			tmpl = append(tmpl, tok.lit...)
			tmpl = append(tmpl, strings.Repeat("N", tok.maxW)...)
		}
		hits := 0
		for range 50_000 {
			b := make([]byte, l.full)
			for i := range b {
				switch {
				case r.IntN(8) == 0:
					b[i] = chars[r.IntN(len(chars))]
				case tmpl[i] == 'N':
					b[i] = byte('0' + r.IntN(10))
				default:
					b[i] = tmpl[i]
				}
			}
			s := string(b)
			c1, c2 := civil{mo: -1}, civil{mo: -1}
			if !l.matchFixed(s, &c1) {
				continue
			}
			hits++
			if !l.matchDirect(s, &c2) || c1 != c2 {
				t.Fatalf("%s %q: fixed %+v, direct %+v", lay, s, c1, c2)
			}
		}
		if hits < 1000 {
			t.Errorf("%s: only %d texts matched at fixed places", lay, hits)
		}
	}
}

// TestAppendDigits: append2 and append4 write a number's last two and four digits.
func TestAppendDigits(t *testing.T) {
	for n := range 10_000 {
		if got, want := string(append4(nil, n)), fmt.Sprintf("%04d", n); got != want {
			t.Fatalf("append4(%d) = %q, want %q", n, got, want)
		}
		if got, want := string(append2(nil, n)), fmt.Sprintf("%02d", n%100); got != want {
			t.Fatalf("append2(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestApplyConcurrentArenas: goroutines applying one plan at once (as an importer's mappers do)
// each get what the reference gives, and their rows' values stay as they were while the
// others go on.
func TestApplyConcurrentArenas(t *testing.T) {
	p := mustBind(t, benchMapping, benchHeader...)
	const workers, rows = 4, 1000
	results := make([][]Result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rows {
				results[w] = append(results[w], p.Apply(benchRowN(w*rows+i)))
			}
		}()
	}
	wg.Wait()
	for w := range workers {
		for i, got := range results[w] {
			if want := refApply(p, benchRowN(w*rows+i)); !reflect.DeepEqual(got, want) {
				t.Fatalf("worker %d row %d:\n got %+v\nwant %+v", w, i, got, want)
			}
		}
	}
}
