package mapping

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustParse(tb testing.TB, src string) *Mapping {
	tb.Helper()
	m, err := Parse([]byte(src), "mapping.yaml")
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return m
}

// mappingErrors flattens a joined error into its *Error parts.
func mappingErrors(tb testing.TB, err error) []*Error {
	tb.Helper()
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var me *Error
		if !errors.As(err, &me) {
			tb.Fatalf("error %v (%T) is not a *mapping.Error", err, err)
		}
		out = append(out, me)
	}
	walk(err)
	return out
}

func TestParseOptions(t *testing.T) {
	src := `sheet: Customers
header_row: 3
key: Customer ID
fields:
  code: Customer Code
  card_number: { column: C }
  first_name: { column: First Name, transform: [trim, title] }
  email: { column: E-mail, transform: [trim, Lower] }
  last_name: { column: Surname, transform: trim }
  custom_date: { column: Birthday, date_format: DD/MM/YYYY }
  custom_field_3: { column: Cheeses, type: List, choices: [Gouda, Emental, Swiss] }
  custom_field_12: { column: When, type: datetime, date_format: "YYYY-MM-DD HH:mm" }
  send_no_email: { value: "true" }
  country: { column: Country, default: NZ }
  auto_add: { value: 25 }
`
	m := mustParse(t, src)
	if m.Sheet != "Customers" || m.HeaderRow != 3 || m.Key == nil || m.Key.Column != "Customer ID" || m.Key.Line != 3 {
		t.Fatalf("top level: %+v key %+v", m, m.Key)
	}
	want := []struct {
		name, column, value, def, format string
		trs                              []Transform
		typ                              CustomType
		choices                          []string
		line                             int
	}{
		{name: "code", column: "Customer Code", line: 5},
		{name: "card_number", column: "C", line: 6},
		{name: "first_name", column: "First Name", trs: []Transform{Trim, Title}, line: 7},
		{name: "email", column: "E-mail", trs: []Transform{Trim, Lower}, line: 8},
		{name: "last_name", column: "Surname", trs: []Transform{Trim}, line: 9},
		{name: "custom_date", column: "Birthday", format: "DD/MM/YYYY", line: 10},
		{name: "custom_field_3", column: "Cheeses", typ: TypeList, choices: []string{"Gouda", "Emental", "Swiss"}, line: 11},
		{name: "custom_field_12", column: "When", typ: TypeDateTime, format: "YYYY-MM-DD HH:mm", line: 12},
		{name: "send_no_email", value: "true", line: 13},
		{name: "country", column: "Country", def: "NZ", line: 14},
		{name: "auto_add", value: "25", line: 15},
	}
	if len(m.Fields) != len(want) {
		t.Fatalf("got %d fields, want %d", len(m.Fields), len(want))
	}
	for i, w := range want {
		f := m.Fields[i]
		if f.Name != w.name || f.Column != w.column || f.Value != w.value || f.Default != w.def ||
			f.DateFormat != w.format || !reflect.DeepEqual(f.Transforms, w.trs) || f.Type != w.typ ||
			!reflect.DeepEqual(f.Choices, w.choices) || f.Line != w.line {
			t.Errorf("field %d = %+v, want %+v", i, f, w)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	m := mustParse(t, "fields:\n  email: Email\n")
	if m.HeaderRow != 1 || m.Sheet != "" || m.Key != nil {
		t.Fatalf("defaults: %+v", m)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []error // sentinels, in order
		line []int
		text []string // substrings of the whole error text
	}{
		{"unknown top key", "fields:\n  email: E\nsheeet: x\n", []error{ErrUnknownKey}, []int{3}, []string{`mapping.yaml:3: unknown key "sheeet", did you mean "sheet"?`}},
		{"unknown field key", "fields:\n  first_name:\n    colum: First\n", []error{ErrUnknownKey}, []int{3},
			[]string{`mapping.yaml:3: fields.first_name: unknown key "colum", did you mean "column"? (known: column, value, default, transform, date_format, type, choices)`}},
		{"unknown api field", "fields:\n  emial: E\n", []error{ErrUnknownField}, []int{2}, []string{`did you mean "email"?`}},
		{"api field by header alias", "fields:\n  zip: Z\n", []error{ErrUnknownField}, []int{2}, []string{`did you mean "postal_code"?`}},
		{"api field case", "fields:\n  customer_pin: P\n", []error{ErrUnknownField}, []int{2}, []string{`did you mean "customer_PIN"?`}},
		{"custom field zero", "fields:\n  custom_field_0: P\n", []error{ErrUnknownField}, []int{2}, []string{"custom_field_1 to custom_field_9999"}},
		{"unknown transform", "fields:\n  email: {column: E, transform: [trim, lowr]}\n", []error{ErrBadValue}, []int{2}, []string{`unknown transform "lowr", did you mean "lower"?`}},
		{"transform not list", "fields:\n  email: {column: E, transform: {a: b}}\n", []error{ErrBadValue}, []int{2}, nil},
		{"bad date token", "fields:\n  custom_date: {column: B, date_format: DD/MMM/YYYY}\n", []error{ErrBadValue}, []int{2}, []string{`unknown token "MMM"`}},
		{"date format no year", "fields:\n  custom_date: {column: B, date_format: DD/MM}\n", []error{ErrBadValue}, []int{2}, []string{"no year"}},
		{"date format twice", "fields:\n  custom_date: {column: B, date_format: DD/MM/YYYY/YY}\n", []error{ErrBadValue}, []int{2}, []string{"year appears twice"}},
		{"date format on text", "fields:\n  email: {column: B, date_format: DD/MM/YYYY}\n", []error{ErrBadValue}, []int{2}, []string{"date_format applies only"}},
		{"bad type", "fields:\n  custom_field_2: {column: B, type: number}\n", []error{ErrBadValue}, []int{2}, []string{`unknown type "number" (known: text, date, datetime, pick, list)`}},
		{"type on non-custom", "fields:\n  email: {column: B, type: text}\n", []error{ErrBadValue}, []int{2}, []string{"type applies only"}},
		{"type on custom_field", "fields:\n  custom_field: {column: B, type: text}\n", []error{ErrBadValue}, []int{2}, nil},
		{"choices without pick", "fields:\n  custom_field_2: {column: B, type: text, choices: [a]}\n", []error{ErrBadValue}, []int{2}, []string{"choices need type: pick or type: list"}},
		{"choices on non-custom", "fields:\n  city: {column: B, choices: [a]}\n", []error{ErrBadValue}, []int{2}, nil},
		{"pick without choices", "fields:\n  custom_field_2: {column: B, type: pick}\n", []error{ErrBadValue}, []int{2}, []string{"type pick needs choices"}},
		{"choices empty", "fields:\n  custom_field_2: {column: B, type: pick, choices: []}\n", []error{ErrBadValue}, []int{2}, nil},
		{"choices duplicate", "fields:\n  custom_field_2: {column: B, type: pick, choices: [a, A]}\n", []error{ErrDuplicate}, []int{2}, nil},
		{"list choice with comma", "fields:\n  custom_field_2: {column: B, type: list, choices: [\"a,b\"]}\n", []error{ErrBadValue}, []int{2}, nil},
		{"value and column", "fields:\n  city:\n    column: B\n    value: x\n", []error{ErrBadValue}, []int{3}, []string{"both column and value"}},
		{"no source", "fields:\n  city: {default: x}\n", []error{ErrBadValue}, []int{2}, []string{"no source"}},
		{"null source", "fields:\n  city:\n", []error{ErrBadValue}, []int{2}, nil},
		{"empty column", "fields:\n  city: {column: \"  \"}\n", []error{ErrBadValue}, []int{2}, []string{"empty column"}},
		{"header_row zero", "header_row: 0\nfields:\n  city: C\n", []error{ErrBadValue}, []int{1}, nil},
		{"header_row text", "header_row: two\nfields:\n  city: C\n", []error{ErrBadValue}, []int{1}, nil},
		{"duplicate field", "fields:\n  city: C\n  email: E\n  city: D\n", []error{ErrDuplicate}, []int{4}, []string{"first at line 2"}},
		{"duplicate top key", "fields:\n  city: C\nfields:\n  email: E\n", []error{ErrDuplicate}, []int{3}, nil},
		{"no fields", "sheet: x\n", []error{ErrSyntax}, []int{1}, nil},
		{"empty fields", "fields: {}\n", []error{ErrSyntax}, []int{1}, nil},
		{"empty file", "", []error{ErrSyntax}, []int{1}, nil},
		{"not a mapping", "- a\n- b\n", []error{ErrSyntax}, []int{1}, nil},
		{"syntax error", "fields:\n  city: C\n  email: [E\n", []error{ErrSyntax}, nil, []string{"not valid YAML"}},
		{"not utf-8", "fields:\n  city: M\xfcnchen\n", []error{ErrSyntax}, []int{2}, []string{"not UTF-8"}},
		{"tab indent", "fields:\n\temail: E\n", []error{ErrSyntax}, []int{2}, []string{"tabs"}},
		{"bom and crlf", "\xef\xbb\xbffields:\r\n  email: E\r\n", nil, nil, nil},
		{"two documents", "fields:\n  city: C\n---\nfields:\n  email: E\n", []error{ErrSyntax}, []int{3}, []string{"second YAML document"}},
		{"comments only", "# nothing\n", []error{ErrSyntax}, []int{1}, []string{"empty"}},
		{"alias", "fields:\n  city: &x C\n  email: *x\n", []error{ErrSyntax}, []int{3}, nil},
		{"bad constant date", "fields:\n  custom_date: {value: 31/02/2020, date_format: DD/MM/YYYY}\n", []error{ErrBadValue}, []int{2}, []string{"value not a real date"}},
		{"bad constant email", "fields:\n  email: {value: nobody}\n", []error{ErrBadValue}, []int{2}, []string{"value not an e-mail address"}},
		{"bad default digits", "fields:\n  code: {column: A, default: abc}\n", []error{ErrBadValue}, []int{2}, []string{"default must hold digits only"}},
		{"secret default not shown", "fields:\n  customer_PIN: {column: A, default: x}\n", nil, nil, nil},
		{"value with default", "fields:\n  city: {value: a, default: b}\n", []error{ErrBadValue}, []int{2}, nil},
		{"many errors", "sheeet: 1\nfields:\n  emial: E\n  city: {colum: C}\n  custom_date: {column: D, date_format: QQ}\n",
			[]error{ErrUnknownKey, ErrUnknownField, ErrUnknownKey, ErrBadValue}, []int{1, 3, 4, 5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "mapping.yaml")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			errs := mappingErrors(t, err)
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tt.want), err)
			}
			for i, e := range errs {
				if !errors.Is(e, tt.want[i]) {
					t.Errorf("error %d %q: not %v", i, e, tt.want[i])
				}
				if tt.line != nil && e.Line != tt.line[i] {
					t.Errorf("error %d %q: line %d, want %d", i, e, e.Line, tt.line[i])
				}
				if e.Line < 1 || e.File != "mapping.yaml" {
					t.Errorf("error %d %q: bad position", i, e)
				}
			}
			for _, s := range tt.text {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestParseSecretNotInErrors(t *testing.T) {
	_, err := Parse([]byte("fields:\n  customer_PIN: {value: s3cret, transform: [digits]}\n  customer_password: {value: hunter2, type: text}\n"), "m.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	for _, secret := range []string{"s3cret", "hunter2"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(path, []byte("fields:\n  email: {column: E, transfrom: [trim]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if !errors.Is(err, ErrUnknownKey) || !strings.HasPrefix(err.Error(), path+":2: fields.email:") {
		t.Fatalf("Load: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load missing: %v", err)
	}
}
