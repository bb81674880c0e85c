package mapping

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/custimport/custimport/importer/sheet"
)

// FuzzParse: the loader never panics, and every error it gives is a *Error (or several,
// joined) at a line of the file. A mapping it accepts binds and applies without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"fields:\n  email: E-mail\n",
		"sheet: Customers\nheader_row: 2\nkey: Customer ID\nfields:\n  code: Customer Code\n  card_number: { column: C }\n",
		"fields:\n  first_name: { column: First Name, transform: [trim, title] }\n  custom_date: { column: Birthday, date_format: DD/MM/YYYY }\n",
		"fields:\n  custom_field_3: { column: Cheeses, type: list, choices: [Gouda, Emental, Swiss] }\n  send_no_email: { value: \"true\" }\n",
		"fields:\n  country: { column: Country, default: NZ }\n  emial: x\n  city: {colum: C}\n",
		"fields: [a, b]\n",
		"a: &x [*x]\n",
		"fields:\n  city: &a C\n  email: *a\n",
		"{{{",
		"",
	} {
		f.Add([]byte(s))
	}
	header := []string{"E-mail", "Customer ID", "Customer Code", "C", "First Name", "Birthday", "Cheeses", "Country"}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.yaml")
		if err != nil {
			checkErrors(t, err)
			return
		}
		p, err := m.Bind(header)
		if err != nil {
			checkErrors(t, err)
			return
		}
		r := p.Apply(sheet.Row{Number: 2, Cells: []sheet.Cell{
			{Kind: sheet.String, Text: "a@b.co"},
			{Kind: sheet.Number, Text: "12", Raw: "12"},
			{Kind: sheet.String, Text: string(data)},
			{Kind: sheet.Date, Text: "2020-01-02", Time: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)},
		}})
		_ = r.Valid()
	})
}

func checkErrors(t *testing.T, err error) {
	t.Helper()
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			checkErrors(t, e)
		}
		return
	}
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	if me.Line < 1 || me.Err == nil || me.Msg == "" {
		t.Fatalf("error %q: line %d, sentinel %v", me, me.Line, me.Err)
	}
}

// FuzzParseDate: ParseDate never panics, and a date it accepts is a real one that reads
// back the same in ISO form.
func FuzzParseDate(f *testing.F) {
	for _, s := range [][2]string{
		{"YYYY-MM-DD", "2015-10-29"},
		{"YYYYMMDD", "19081209"},
		{"DD/MM/YYYY", "31/02/2020"},
		{"D/M/YY", "1/2/29"},
		{"YYYY-MM-DD HH:mm:ss", "2012-07-28 22:59:59"},
		{"DMYYYY", "1122020"},
		{"YYYY-MM-DDTHH:mm:ss", "2006-04-15T03:23:15"},
		{"MMM", "x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, layout, s string) {
		d, err := ParseDate(layout, s)
		if err != nil {
			return
		}
		if d.Location() != time.UTC || d.Year() < 1 || d.Year() > 9999 {
			t.Fatalf("ParseDate(%q, %q) = %v", layout, s, d)
		}
		var buf [10]byte
		iso := string(civilOf(d).appendDate(buf[:0], '-'))
		back, err := ParseDate("YYYY-MM-DD", iso)
		if err != nil || !back.Equal(d.Truncate(24*time.Hour)) {
			t.Fatalf("ParseDate(%q, %q) = %v; %q reads back as %v, %v", layout, s, d, iso, back, err)
		}
	})
}

// FuzzTransform: transforms never panic, keep valid UTF-8 valid, and title, lower, upper,
// trim and collapse_spaces give the same result when applied twice.
func FuzzTransform(f *testing.F) {
	for _, s := range []string{"o'brien", "JOHN  SMITH", "McDonald", "ǆungla", " a\u00a0b ", "(09) 555-1234", "don't"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tr := range []Transform{Trim, Lower, Upper, Title, Digits, CollapseSpaces} {
			out := tr.Apply(s)
			if utf8.ValidString(s) && !utf8.ValidString(out) {
				t.Fatalf("%s(%q) = %q: invalid UTF-8", tr, s, out)
			}
			if tr == Digits {
				if _, ok := atoiDigits(out); !ok {
					t.Fatalf("digits(%q) = %q", s, out)
				}
				continue
			}
			if tr == Trim || tr == CollapseSpaces || tr == Title {
				if again := tr.Apply(out); again != out {
					t.Fatalf("%s(%q) = %q, applied again %q", tr, s, out, again)
				}
			}
		}
	})
}

// FuzzApplyTexts: a row of texts (ApplyTexts, ApplyTextsTo) maps as the row of String and Empty cells
// of those texts does (Apply). The cells are the input split at '|'.
func FuzzApplyTexts(f *testing.F) {
	for _, s := range []string{
		"C1|5000000000000003||first3|Last3|person3@example.com|021 555 0003|4 Queen Street|Auckland|AUK|0603|NZ|04/04/1943",
		"C2|12a|| ann |  |not-an-email|||| |\t|| 31/02/2020",
		"|||||||||||||extra|more",
		"C3",
		" C4 |007||zoë|ÉLODIE|Zoë@Example.COM|\u00a0|x|y|z|1|2|2020-01-02",
		"",
	} {
		f.Add(s)
	}
	p := mustBind(f, benchMapping, benchHeader...)
	f.Fuzz(func(t *testing.T, s string) {
		texts := strings.Split(s, "|")
		cells := make([]sheet.Cell, len(texts))
		for i, x := range texts {
			if x != "" {
				cells[i] = sheet.Cell{Kind: sheet.String, Text: x}
			}
		}
		want := p.Apply(sheet.Row{Number: 2, Cells: cells})
		m := p.NewMapper()
		for _, got := range []Result{m.ApplyTextsTo(texts, nil), m.ApplyTexts(texts)} {
			if !slices.Equal(got.Fields, want.Fields) {
				t.Fatalf("%q: ApplyTexts gives fields %v, Apply %v", s, got.Fields, want.Fields)
			}
			got.Fields = want.Fields
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: ApplyTexts gives\n%+v\nApply\n%+v", s, got, want)
			}
		}
	})
}
