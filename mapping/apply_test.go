package mapping

import (
	"encoding/hex"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custimport/custimport/importer/sheet"
)

func mustBind(tb testing.TB, src string, header ...string) *Plan {
	tb.Helper()
	p, err := mustParse(tb, src).Bind(header)
	if err != nil {
		tb.Fatalf("Bind: %v", err)
	}
	return p
}

func textRow(texts ...string) sheet.Row {
	r := sheet.Row{Number: 2}
	for _, s := range texts {
		k := sheet.String
		if s == "" {
			k = sheet.Empty
		}
		r.Cells = append(r.Cells, sheet.Cell{Kind: k, Text: s})
	}
	return r
}

func TestNormalizeHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"E-mail", "email"},
		{" e_MAIL ", "email"},
		{"First  Name", "firstname"},
		{"\ufeffCustomer ID", "customerid"},
		{"E.mail", "e.mail"},
		{"ÉCOLE", "école"},
		{"plain", "plain"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeHeader(tt.in); got != tt.want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestColumnLetter(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if got := ColumnLetter(i); got != want {
			t.Errorf("ColumnLetter(%d) = %q, want %q", i, got, want)
		}
		if got := columnIndex(want); got != i {
			t.Errorf("columnIndex(%q) = %d, want %d", want, got, i)
		}
	}
	for _, bad := range []string{"", "a", "AAAA", "A1"} {
		if got := columnIndex(bad); got != -1 {
			t.Errorf("columnIndex(%q) = %d", bad, got)
		}
	}
}

func TestBind(t *testing.T) {
	header := []string{"Id", " Customer Code", "card", "E-Mail", "Name", "Name ", "C"}
	tests := []struct {
		name    string
		src     string
		cols    map[string]int // field -> column
		key     int
		wantErr []error
		lines   []int
		text    []string
	}{
		{name: "by text ignoring case space dash", src: "fields:\n  code: customer_code\n  email: EMAIL\n", cols: map[string]int{"code": 1, "email": 3}, key: -1},
		{name: "by letter", src: "fields:\n  card_number: {column: B}\n", cols: map[string]int{"card_number": 1}, key: -1},
		{name: "text wins over letter", src: "fields:\n  city: C\n", cols: map[string]int{"city": 6}, key: -1},
		{name: "key by text", src: "key: ID\nfields:\n  city: {column: AA}\n", wantErr: []error{ErrMissingColumn}, lines: []int{3}, text: []string{"beyond the header's last column, G"}},
		{name: "key resolves", src: "key: id\nfields:\n  city: {column: D}\n", cols: map[string]int{"city": 3}, key: 0},
		{name: "missing column", src: "fields:\n  email: E-mial\n", wantErr: []error{ErrMissingColumn}, lines: []int{2},
			text: []string{`mapping.yaml:2: fields.email: column "E-mial" is not in the header (closest: D "E-Mail"); the header has A "Id", B "Customer Code"`}},
		{name: "one misspelt column feeds two fields", src: "fields:\n  first_name: Nmae\n  city: {column: Id}\n  last_name: Nmae\n",
			wantErr: []error{ErrMissingColumn, ErrMissingColumn}, lines: []int{2, 4}},
		{name: "ambiguous", src: "fields:\n  first_name: name\n", wantErr: []error{ErrAmbiguousColumn}, lines: []int{2},
			text: []string{`E "Name" and F "Name"`, "column: E or column: F"}},
		{name: "missing key", src: "key: Account\nfields:\n  city: Id\n", wantErr: []error{ErrMissingColumn}, lines: []int{1}, text: []string{"mapping.yaml:1: key: "}},
		{name: "lower-case letter is text", src: "fields:\n  city: {column: b}\n", wantErr: []error{ErrMissingColumn}, lines: []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := mustParse(t, tt.src).Bind(header)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("no error")
				}
				errs := mappingErrors(t, err)
				if len(errs) != len(tt.wantErr) {
					t.Fatalf("got %d errors, want %d: %v", len(errs), len(tt.wantErr), err)
				}
				for i, e := range errs {
					if !errors.Is(e, tt.wantErr[i]) || e.Line != tt.lines[i] {
						t.Errorf("error %d = %v (line %d), want %v at line %d", i, e, e.Line, tt.wantErr[i], tt.lines[i])
					}
				}
				for _, s := range tt.text {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, s := range p.Sources() {
				got[s.Field] = s.Column
			}
			if !reflect.DeepEqual(got, tt.cols) {
				t.Errorf("columns %v, want %v", got, tt.cols)
			}
			if p.KeyColumn() != tt.key {
				t.Errorf("key column %d, want %d", p.KeyColumn(), tt.key)
			}
		})
	}
}

func TestPlanHelpers(t *testing.T) {
	p := mustBind(t, "key: Id\nfields:\n  customer_PIN: Pin\n  email: Mail\n  customer_password: Pw\n  code: Id\n  send_no_email: {value: yes}\n  customer_username: {value: bob}\n",
		"Id", "Mail", "Pw", "Pin")
	if got, want := p.SecretColumns(), []int{2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("SecretColumns = %v, want %v", got, want)
	}
	if got, want := p.Columns(), []int{0, 1, 2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("Columns = %v, want %v", got, want)
	}
	var names []string
	for _, s := range p.Sources() {
		names = append(names, s.Field)
	}
	// Catalogue order, whatever the file's order.
	if want := []string{"code", "email", "customer_username", "customer_password", "customer_PIN", "send_no_email"}; !reflect.DeepEqual(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
	if p.KeyHeader() != "Id" || !strings.Contains(p.String(), `email <- B "Mail"`) {
		t.Errorf("KeyHeader %q, String %q", p.KeyHeader(), p.String())
	}
}

// TestApplyKeyError: a spreadsheet error in the key column is no key. Taken as one, every
// row whose key reads #N/A would be the same customer, and the second an update of the
// first's.
func TestApplyKeyError(t *testing.T) {
	p := mustBind(t, "key: Id\nfields:\n  first_name: Name\n", "Id", "Name")
	row := textRow("", "Bob")
	row.Cells[0] = sheet.Cell{Kind: sheet.Error, Text: "#N/A"}
	r := p.Apply(row)
	if r.Valid() || r.Identity.Key != "" {
		t.Fatalf("valid %v, identity %+v, problems %v", r.Valid(), r.Identity, r.Problems)
	}
	want := Problem{Field: "key", Column: "Id", Reason: ReasonIdentityError, Value: "#N/A"}
	if len(r.Problems) != 1 || r.Problems[0] != want {
		t.Fatalf("problems %v, want %v", r.Problems, want)
	}
	if got := r.Problems[0].String(); got != `key (Id): `+ReasonIdentityError+`: "#N/A"` {
		t.Errorf("message %q", got)
	}
}

// TestApplyWarnUntracked: with WarnUntracked, a valid row that names no customer is
// warned about; a row with a key, a code or a card number, or an invalid row, is not.
func TestApplyWarnUntracked(t *testing.T) {
	p := mustBind(t, "key: Id\nfields:\n  code: Code\n  card_number: Card\n  email: Mail\n", "Id", "Code", "Card", "Mail")
	p.WarnUntracked()
	tests := []struct {
		name  string
		row   []string
		warn  bool
		valid bool
	}{
		{name: "nothing names it", row: []string{"", "", "", "a@b.co"}, warn: true, valid: true},
		{name: "key", row: []string{"K1", "", "", "a@b.co"}, valid: true},
		{name: "code", row: []string{"", "12", "", "a@b.co"}, valid: true},
		{name: "card", row: []string{"", "", "34", "a@b.co"}, valid: true},
		{name: "invalid", row: []string{"", "", "", "not-mail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Apply(textRow(tt.row...))
			warned := slices.ContainsFunc(r.Problems, func(pr Problem) bool {
				return pr.Reason == ReasonUntracked && pr.Warning && pr.Field == ""
			})
			if warned != tt.warn || r.Valid() != tt.valid {
				t.Errorf("warned %v valid %v, want %v %v; problems %v", warned, r.Valid(), tt.warn, tt.valid, r.Problems)
			}
		})
	}
	// Without WarnUntracked (no state), no such warning.
	q := mustBind(t, "fields:\n  email: Mail\n", "Mail")
	if r := q.Apply(textRow("a@b.co")); len(r.Problems) != 0 {
		t.Errorf("problems without WarnUntracked: %v", r.Problems)
	}
}

func TestApplyFields(t *testing.T) {
	src := `key: Id
fields:
  custom_field_10: {column: Cheese, type: pick, choices: [Gouda, Emental, Swiss]}
  custom_field_2: {column: Cheeses, type: list, choices: [Gouda, Emental, Swiss]}
  first_name: {column: First, transform: [trim, title]}
  last_name: {column: Last, transform: [collapse_spaces, upper]}
  email: {column: Mail, transform: [trim, lower]}
  phone: {column: Phone, transform: digits}
  country: {column: Country, default: nz, transform: upper}
  custom_date: {column: Born, date_format: DD/MM/YYYY}
  send_no_email: {value: "yes"}
  new_code: {column: New}
  card_number_generate: {column: Gen}
  code: Id
`
	p := mustBind(t, src, "Id", "First", "Last", "Mail", "Phone", "Country", "Born", "Cheese", "Cheeses", "New", "Gen")
	r := p.Apply(textRow(" 0042 ", "  o'brien ", " van   der  berg ", " Ann@Example.COM ", "(09) 555-1234", "", "29/02/2000", " swiss ", "gouda, SWISS,,emental", "y", "08"))
	want := []Field{
		{"code", "0042"},
		{"new_code", "Yes"},
		{"card_number_generate", "8"},
		{"first_name", "O'Brien"},
		{"last_name", "VAN DER BERG"},
		{"phone", "095551234"},
		{"email", "ann@example.com"},
		{"country", "NZ"},
		{"custom_date", "2000-02-29"},
		{"send_no_email", "true"},
		{"custom_field_2", "Gouda,Swiss,Emental"},
		{"custom_field_10", "Swiss"},
	}
	if !reflect.DeepEqual(r.Fields, want) {
		t.Errorf("fields\n got %v\nwant %v", r.Fields, want)
	}
	if len(r.Problems) != 0 || !r.Valid() {
		t.Errorf("problems: %v", r.Problems)
	}
	if r.Identity != (Identity{Code: "0042", Key: "0042"}) {
		t.Errorf("identity %+v", r.Identity)
	}
	if v, ok := r.Value("email"); !ok || v != "ann@example.com" {
		t.Errorf("Value(email) = %q %v", v, ok)
	}
	if r.Hash != HashFields(want) || r.Hash == ([16]byte{}) {
		t.Errorf("hash %x", r.Hash)
	}
}

func TestApplyShortRowAndEmpties(t *testing.T) {
	p := mustBind(t, "fields:\n  first_name: A\n  last_name: B\n  city: {column: C, default: Here}\n  send_no_email: {value: no}\n  country: {value: NZ}\n", "A", "B", "C")
	r := p.Apply(textRow("Ann"))
	want := []Field{{"first_name", "Ann"}, {"city", "Here"}, {"country", "NZ"}}
	if !reflect.DeepEqual(r.Fields, want) || !r.Valid() {
		t.Errorf("got %v %v, want %v", r.Fields, r.Problems, want)
	}
	// Only defaults and constants: the row itself maps to nothing.
	r = p.Apply(textRow("  ", ""))
	if r.Valid() || len(r.Problems) != 1 || r.Problems[0].Reason != ReasonNoField || r.Problems[0].Field != "" {
		t.Errorf("empty row: %v", r.Problems)
	}
	// Cells that send nothing (a false flag, text the transforms empty) count as empty.
	p = mustBind(t, "fields:\n  send_no_email: A\n  phone: {column: B, transform: digits}\n", "A", "B")
	r = p.Apply(textRow("no", "n/a"))
	if r.Valid() || len(r.Fields) != 0 || len(r.Problems) != 1 || r.Problems[0].Reason != ReasonNoField {
		t.Errorf("row sending nothing: %v %v", r.Fields, r.Problems)
	}
	// A refused cell is problem enough.
	p = mustBind(t, "fields:\n  email: A\n", "A")
	r = p.Apply(textRow("nobody"))
	if len(r.Problems) != 1 || r.Problems[0].Reason != ReasonEmail {
		t.Errorf("refused cell: %v", r.Problems)
	}
}

func TestApplyValidation(t *testing.T) {
	src := `fields:
  code: {column: Code}
  card_number: {column: Card, transform: digits}
  card_number_generate: {column: Gen}
  email: {column: Mail}
  custom_date: {column: Born, date_format: DD/MM/YYYY}
  custom_field_2: {column: Pick, type: pick, choices: [Gouda, Emental, Swiss]}
  custom_field_3: {column: List, type: list, choices: [Gouda, Emental, Swiss]}
  custom_field_4: {column: Day, type: date}
  custom_field_5: {column: Stamp, type: datetime}
  custom_field_6: {column: Stamp2, type: datetime, date_format: "DD/MM/YY HH:mm"}
  customer_PIN: {column: Pin, transform: digits}
  first_name: {column: Name}
`
	header := []string{"Code", "Card", "Gen", "Mail", "Born", "Pick", "List", "Day", "Stamp", "Stamp2", "Pin", "Name"}
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	p := mustBind(t, src, header...)
	tests := []struct {
		name   string
		column string
		cell   sheet.Cell
		field  string // the field sent, when good
		value  string
		reason string // the problem, when bad
		warn   bool
	}{
		{name: "code digits", column: "Code", cell: str(" 123 "), field: "code", value: "123"},
		{name: "code letters", column: "Code", cell: str("12a"), reason: ReasonDigits},
		{name: "card digits transform", column: "Card", cell: str("1234 5678"), field: "card_number", value: "12345678"},
		{name: "gen 1", column: "Gen", cell: str("1"), field: "card_number_generate", value: "1"},
		{name: "gen 32", column: "Gen", cell: str("32"), field: "card_number_generate", value: "32"},
		{name: "gen 0", column: "Gen", cell: str("0"), reason: ReasonDigitCount},
		{name: "gen 33", column: "Gen", cell: str("33"), reason: ReasonDigitCount},
		{name: "gen fraction", column: "Gen", cell: str("1.5"), reason: ReasonDigitCount},
		{name: "email good", column: "Mail", cell: str("a.b+c@mail.example.co.nz"), field: "email", value: "a.b+c@mail.example.co.nz"},
		{name: "email no tld", column: "Mail", cell: str("hannah88opowersc@m"), reason: ReasonEmail},
		{name: "email space", column: "Mail", cell: str("ann smith@example.com"), reason: ReasonEmail},
		{name: "email two ats", column: "Mail", cell: str("a@b@example.com"), reason: ReasonEmail},
		{name: "email no local", column: "Mail", cell: str("@example.com"), reason: ReasonEmail},
		{name: "email date", column: "Mail", cell: str("2019-01-01"), reason: ReasonEmail},
		{name: "email numeric tld", column: "Mail", cell: str("a@1.2"), reason: ReasonEmail},
		{name: "date good", column: "Born", cell: str("5/3/1990"), field: "custom_date", value: "1990-03-05"},
		{name: "date shape", column: "Born", cell: str("1990-03-05"), reason: "not a date in DD/MM/YYYY"},
		{name: "date unreal", column: "Born", cell: str("31/02/1990"), reason: ReasonRealDate},
		{name: "date leap", column: "Born", cell: str("29/02/1900"), reason: ReasonRealDate},
		{name: "date xlsx cell", column: "Born", cell: sheet.Cell{Kind: sheet.Date, Text: "1990-03-05 10:11:12", Raw: "32937.42", Time: time.Date(1990, 3, 5, 10, 11, 12, 0, time.UTC)},
			field: "custom_date", value: "1990-03-05"},
		{name: "pick good", column: "Pick", cell: str(" gouda "), field: "custom_field_2", value: "Gouda"},
		{name: "pick bad", column: "Pick", cell: str("Brie"), reason: "not one of the choices (Gouda, Emental, Swiss)"},
		{name: "list bad", column: "List", cell: str("Gouda, Brie"), reason: "not one of the choices (Gouda, Emental, Swiss)"},
		{name: "custom date iso", column: "Day", cell: str("2012-07-28"), field: "custom_field_4", value: "2012-07-28"},
		{name: "custom date other", column: "Day", cell: str("28/07/2012"), reason: "not a date in YYYY-MM-DD"},
		{name: "datetime full", column: "Stamp", cell: str("2012-07-28 22:59:59"), field: "custom_field_5", value: "2012.07.28 22:59:59"},
		{name: "datetime date only", column: "Stamp", cell: str("2012-07-28"), field: "custom_field_5", value: "2012.07.28 00:00:00"},
		{name: "datetime bad hour", column: "Stamp", cell: str("2012-07-28 24:00:00"), reason: ReasonRealDate},
		{name: "datetime bad", column: "Stamp", cell: str("yesterday"), reason: "not a date in YYYY-MM-DD HH:mm:ss"},
		{name: "datetime xlsx", column: "Stamp", cell: sheet.Cell{Kind: sheet.Date, Text: "2012-07-28 22:59:59", Time: time.Date(2012, 7, 28, 22, 59, 59, 0, time.UTC)},
			field: "custom_field_5", value: "2012.07.28 22:59:59"},
		{name: "datetime format", column: "Stamp2", cell: str("28/07/12 9:05"), field: "custom_field_6", value: "2012.07.28 09:05:00"},
		{name: "xlsx code exact", column: "Code", cell: num("1234567890123456", "1234567890123456"), reason: ReasonInexact},
		{name: "xlsx code e-notation", column: "Code", cell: num("12300000000000000000000", "1.23E+22"), reason: ReasonInexact},
		{name: "xlsx code 15 digits", column: "Code", cell: num("123456789012345", "123456789012345"), field: "code", value: "123456789012345"},
		{name: "xlsx text cell long", column: "Code", cell: str("1234567890123456789"), field: "code", value: "1234567890123456789"},
		{name: "xlsx day that never was", column: "Day", cell: sheet.Cell{Kind: sheet.Date, Text: "1900-02-29", Raw: "60"}, reason: ReasonRealDate},
		{name: "spreadsheet error", column: "Name", cell: sheet.Cell{Kind: sheet.Error, Text: "#N/A"}, reason: ReasonCellError, warn: true},
		// Left out, an error where the customer is named would make the row a new customer.
		{name: "spreadsheet error in code", column: "Code", cell: sheet.Cell{Kind: sheet.Error, Text: "#REF!"}, reason: ReasonIdentityError},
		{name: "spreadsheet error in card", column: "Card", cell: sheet.Cell{Kind: sheet.Error, Text: "#N/A"}, reason: ReasonIdentityError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := sheet.Row{Number: 7, Cells: make([]sheet.Cell, len(header))}
			row.Cells[col(tt.column)] = tt.cell
			// Something else, so that the row maps to something.
			if tt.column != "Name" {
				row.Cells[col("Name")] = str("Ann")
			} else {
				row.Cells[col("Code")] = str("1")
			}
			r := p.Apply(row)
			if tt.reason == "" {
				if len(r.Problems) != 0 {
					t.Fatalf("problems: %v", r.Problems)
				}
				if v, ok := r.Value(tt.field); !ok || v != tt.value {
					t.Fatalf("%s = %q (%v), want %q; fields %v", tt.field, v, ok, tt.value, r.Fields)
				}
				return
			}
			if len(r.Problems) == 0 {
				t.Fatalf("no problem; fields %v", r.Fields)
			}
			pr := r.Problems[0]
			if pr.Reason != tt.reason || pr.Column != tt.column || pr.Warning != tt.warn || pr.Value != tt.cell.Text {
				t.Errorf("problem %+v, want reason %q column %q", pr, tt.reason, tt.column)
			}
			if r.Valid() == !tt.warn {
				t.Errorf("Valid() = %v", r.Valid())
			}
		})
	}
}

func str(s string) sheet.Cell { return sheet.Cell{Kind: sheet.String, Text: s} }

func num(text, raw string) sheet.Cell { return sheet.Cell{Kind: sheet.Number, Text: text, Raw: raw} }

func TestApplyAllProblems(t *testing.T) {
	p := mustBind(t, "fields:\n  email: A\n  code: B\n  custom_date: C\n  postal_code: D\n", "A", "B", "C", "D")
	r := p.Apply(sheet.Row{Cells: []sheet.Cell{str("nope"), str("x1"), str("1/1/2000"), num("6083", "6083")}})
	var reasons []string
	for _, pr := range r.Problems {
		reasons = append(reasons, pr.String())
	}
	want := []string{
		`code (B): must hold digits only: "x1"`,
		`email (A): not an e-mail address: "nope"`,
		`warning: postal_code (D): stored as a number; check leading zeros: "6083"`,
		`custom_date (C): not a date in YYYY-MM-DD: "1/1/2000"`,
	}
	if !reflect.DeepEqual(reasons, want) {
		t.Errorf("problems\n got %q\nwant %q", reasons, want)
	}
	if r.Valid() {
		t.Error("valid")
	}
}

func TestApplySecretsHidden(t *testing.T) {
	p := mustBind(t, "fields:\n  customer_PIN: {column: Pin, transform: digits}\n  customer_password: Pw\n  first_name: N\n  code: {column: Pin}\n", "Pin", "Pw", "N")
	r := p.Apply(textRow("secret-pin-9", "hunter2", "Ann"))
	for _, pr := range r.Problems {
		if strings.Contains(pr.String(), "secret-pin-9") || pr.Value != "" {
			t.Errorf("problem shows a secret: %+v", pr)
		}
	}
	for _, f := range r.Fields {
		if s := f.String(); strings.Contains(s, "hunter2") || strings.Contains(s, "9") && f.Name == "customer_PIN" {
			t.Errorf("field shows a secret: %s", s)
		}
	}
	// A secret that fails its rule is reported without its value.
	p = mustBind(t, "fields:\n  customer_PIN: Pin\n  card_number: {column: Pin}\n", "Pin")
	r = p.Apply(sheet.Row{Cells: []sheet.Cell{{Kind: sheet.Error, Text: "#SECRET"}}})
	for _, pr := range r.Problems {
		if pr.Field == "customer_PIN" && pr.Value != "" {
			t.Errorf("secret value in problem: %+v", pr)
		}
	}
	if !strings.Contains(p.String(), "customer_PIN") {
		t.Errorf("plan %q", p.String())
	}
	p = mustBind(t, "fields:\n  customer_password: {value: topsecret}\n  first_name: N\n", "N")
	if strings.Contains(p.String(), "topsecret") {
		t.Errorf("plan shows a secret constant: %q", p.String())
	}
}

func TestApplyFlags(t *testing.T) {
	p := mustBind(t, "fields:\n  send_no_email: S\n  new_code: N\n  first_name: F\n", "S", "N", "F")
	tests := []struct {
		s, n string
		want []Field
	}{
		{"true", "YES", []Field{{"new_code", "Yes"}, {"first_name", "x"}, {"send_no_email", "true"}}},
		{" x ", "1", []Field{{"new_code", "Yes"}, {"first_name", "x"}, {"send_no_email", "true"}}},
		{"false", "no", []Field{{"first_name", "x"}}},
		{"0", "", []Field{{"first_name", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.s+"/"+tt.n, func(t *testing.T) {
			r := p.Apply(textRow(tt.s, tt.n, "x"))
			if !reflect.DeepEqual(r.Fields, tt.want) {
				t.Errorf("got %v, want %v", r.Fields, tt.want)
			}
		})
	}
	// An XLSX boolean cell.
	r := p.Apply(sheet.Row{Cells: []sheet.Cell{{Kind: sheet.Bool, Text: "TRUE"}}})
	if v, ok := r.Value("send_no_email"); !ok || v != "true" {
		t.Errorf("bool cell: %v", r.Fields)
	}
}

func TestHashStable(t *testing.T) {
	// The hash is part of the state file: it must never change for the same fields. The
	// wanted values were computed by the first implementation.
	long := make([]byte, 2000)
	for i := range long {
		long[i] = byte('a' + i%26)
	}
	tests := []struct {
		name   string
		fields []Field
		want   string
	}{
		{"two fields", []Field{{"code", "123"}, {"email", "a@b.co"}}, "2037f00c54fd21882dd4c129934bcbb3"},
		{"none", nil, "e3b0c44298fc1c149afbf4c8996fb924"},
		{"long and non-ASCII", []Field{{"street1", string(long)}, {"first_name", "Zo\u00eb"}, {"x", ""}}, "6da58a514f5e090c5b40410a6cb082b8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := HashFields(tt.fields)
			if got := hex.EncodeToString(h[:]); got != tt.want {
				t.Errorf("HashFields = %s, want %s", got, tt.want)
			}
		})
	}
	h := HashFields([]Field{{"code", "123"}, {"email", "a@b.co"}})
	if h == HashFields([]Field{{"code", "1231"}, {"email", "@b.co"}}) {
		t.Error("length prefix missing: different fields hash the same")
	}
}

// TestUseProcessHash: the per-process hash tells rows apart exactly as the stable one does,
// leaves everything else of the Result as it was, and differs from the stable hash.
func TestUseProcessHash(t *testing.T) {
	const yaml = `key: Customer ID
fields:
  first_name: { column: First Name, transform: [trim, title] }
  email: { column: Email, transform: [trim, lower] }
`
	header := []string{"Customer ID", "First Name", "Email"}
	stable := mustBind(t, yaml, header...)
	fast := mustBind(t, yaml, header...)
	fast.UseProcessHash()
	rows := []sheet.Row{
		textRow("C1", "ann", "ann@example.com"),
		textRow("C1", " Ann ", "ANN@example.com"), // the same fields once transformed
		textRow("C1", "ann", "ann2@example.com"),
		textRow("C2", "bob", "bob@example.com"),
		textRow("C3", "", ""),
	}
	for i, a := range rows {
		ra, fa := stable.Apply(a), fast.Apply(a)
		if fa.Hash == ra.Hash {
			t.Errorf("row %d: process hash equals the stable SHA-256 hash", i)
		}
		fa.Hash, ra.Hash = [16]byte{}, [16]byte{}
		if !reflect.DeepEqual(fa, ra) {
			t.Errorf("row %d: results differ beyond the hash:\n%+v\n%+v", i, fa, ra)
		}
		for j, b := range rows {
			sameStable := stable.Apply(a).Hash == stable.Apply(b).Hash
			sameFast := fast.Apply(a).Hash == fast.Apply(b).Hash
			if sameStable != sameFast {
				t.Errorf("rows %d and %d: stable hashes equal %v, process hashes equal %v", i, j, sameStable, sameFast)
			}
		}
	}
}

// TestMapperApplyTo: ApplyTo gives what Apply gives, in the array it is handed when that
// has room for every field of the plan, and in one of its own otherwise.
func TestMapperApplyTo(t *testing.T) {
	p := mustBind(t, benchMapping, benchHeader...)
	m := p.NewMapper()
	var own []Field
	for i := range 300 {
		want := p.Apply(benchRowN(i))
		var given []Field
		switch i % 3 {
		case 0:
			given = own[:0]
		case 1:
			given = make([]Field, 3) // too small
		}
		got := m.ApplyTo(benchRowN(i), given)
		if !slices.Equal(got.Fields, want.Fields) {
			t.Fatalf("row %d: ApplyTo gave fields %v, Apply %v", i, got.Fields, want.Fields)
		}
		got.Fields, want.Fields = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("row %d: ApplyTo gave\n%+v\nApply gives\n%+v", i, got, want)
		}
		r := m.ApplyTo(benchRowN(i), given)
		switch {
		case cap(given) >= len(p.fields) && &r.Fields[:1][0] != &given[:1][0]:
			t.Fatalf("row %d: ApplyTo did not use the array it was given", i)
		case cap(given) < len(p.fields) && cap(r.Fields) < len(p.fields):
			t.Fatalf("row %d: ApplyTo made an array of room %d, want %d", i, cap(r.Fields), len(p.fields))
		}
		own = r.Fields
	}
}

// TestMapper: a Mapper gives what Plan.Apply gives, and earlier results stay intact while
// it maps many more rows.
func TestMapper(t *testing.T) {
	p := mustBind(t, benchMapping, benchHeader...)
	m := p.NewMapper()
	const n = 3000
	got := make([]Result, n)
	for i := range n {
		got[i] = m.Apply(benchRowN(i))
	}
	for i := range n {
		if want := p.Apply(benchRowN(i)); !reflect.DeepEqual(got[i], want) {
			t.Fatalf("row %d: Mapper gave\n%+v\nPlan.Apply gives\n%+v", i, got[i], want)
		}
	}
}
