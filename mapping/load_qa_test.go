package mapping

import (
	"errors"
	"strings"
	"testing"
)

// TestParseEmptyConstant: a constant value that is empty (or only spaces, or null, or
// emptied by its transforms) would send nothing on every row; it is a mapping error that
// names the line. A flag's false constant stays allowed: it leaves the field out.
func TestParseEmptyConstant(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int // 0: no error
	}{
		{"empty string", "fields:\n  city: { value: \"\" }\n", 2},
		{"single quotes", "fields:\n  first_name: {column: A}\n  city: {value: ''}\n", 3},
		{"spaces", "fields:\n  city:\n    value: \"  \"\n", 3},
		{"null", "fields:\n  city:\n    value:\n", 3},
		{"emptied by digits", "fields:\n  code: {value: abc, transform: [digits]}\n", 2},
		{"false flag", "fields:\n  first_name: A\n  send_no_email: {value: \"no\"}\n", 0},
		{"true flag", "fields:\n  send_no_email: {value: \"true\"}\n", 0},
		{"empty flag (false, as \"no\")", "fields:\n  first_name: A\n  send_no_email: {value: \"\"}\n", 0},
		{"constant", "fields:\n  country: {value: NZ}\n", 0},
		{"empty default", "fields:\n  country: {column: C, default: \"\"}\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "m.yaml")
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			errs := mappingErrors(t, err)
			if len(errs) != 1 || !errors.Is(errs[0], ErrBadValue) || errs[0].Line != tt.line || !strings.Contains(err.Error(), "value") {
				t.Errorf("error %v, want one ErrBadValue at line %d", err, tt.line)
			}
		})
	}
}

// TestParseSheetLine: the mapping remembers the line of sheet:, for errors about it.
func TestParseSheetLine(t *testing.T) {
	m, err := Parse([]byte("# c\nkey: ID\nsheet: Customers\nfields:\n  city: C\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Sheet != "Customers" || m.SheetLine != 3 {
		t.Fatalf("sheet %q at line %d, want Customers at 3", m.Sheet, m.SheetLine)
	}
	if m := mustParse(t, "fields:\n  city: C\n"); m.SheetLine != 0 {
		t.Errorf("no sheet: line %d, want 0", m.SheetLine)
	}
}
