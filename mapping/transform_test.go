package mapping

import "testing"

func TestTransforms(t *testing.T) {
	tests := []struct {
		tr       Transform
		in, want string
	}{
		{Trim, "  a b \t\n", "a b"},
		{Trim, "\u00a0a\u00a0", "a"},
		{Trim, "ab", "ab"},
		{Lower, "ÀNN Smith", "àNN smith"[0:0] + "ànn smith"},
		{Upper, "straße élan", "STRAßE ÉLAN"},
		{Digits, "(09) 555-12 34", "09555 1234"[0:0] + "095551234"},
		{Digits, "abc", ""},
		{Digits, "123", "123"},
		{Digits, "١٢٣", ""}, // Arabic-Indic digits are not 0-9
		{CollapseSpaces, "  van   der\t\tberg  ", "van der berg"},
		{CollapseSpaces, "a\u00a0\u00a0b", "a b"},
		{CollapseSpaces, "a b", "a b"},
		{Title, "john smith", "John Smith"},
		{Title, "JOHN SMITH", "John Smith"},
		{Title, "o'brien", "O'Brien"},
		{Title, "O'BRIEN", "O'Brien"},
		{Title, "d'arcy", "D'Arcy"},
		{Title, "don't stop", "Don't Stop"},
		{Title, "mary-jane van der berg", "Mary-Jane Van Der Berg"},
		{Title, "McDonald", "McDonald"},
		{Title, "mcDonald", "McDonald"},
		{Title, "élodie ÉMILE", "Élodie Émile"},
		{Title, "st. james (north)", "St. James (North)"},
		{Title, "3rd street", "3rd Street"},
		{Title, "ǆungla", "ǅungla"},
		{Title, "o’neill", "O’Neill"},
		{Title, "", ""},
		{Title, "  ", "  "},
	}
	for _, tt := range tests {
		t.Run(tt.tr.String()+"/"+tt.in, func(t *testing.T) {
			if got := tt.tr.Apply(tt.in); got != tt.want {
				t.Errorf("%s(%q) = %q, want %q", tt.tr, tt.in, got, tt.want)
			}
		})
	}
}

func TestParseTransform(t *testing.T) {
	for i, name := range transformNames {
		tr, ok := ParseTransform(name)
		if !ok || tr != Transform(i) || tr.String() != name {
			t.Errorf("ParseTransform(%q) = %v %v", name, tr, ok)
		}
	}
	if tr, ok := ParseTransform(" Collapse_Spaces "); !ok || tr != CollapseSpaces {
		t.Errorf("case: %v %v", tr, ok)
	}
	if _, ok := ParseTransform("strip"); ok {
		t.Error("strip accepted")
	}
}

func TestTruthyFlags(t *testing.T) {
	for _, s := range []string{"true", "TRUE", " Yes ", "y", "1", "x", "X"} {
		if !Truthy(s) {
			t.Errorf("Truthy(%q) = false", s)
		}
	}
	for _, s := range []string{"", "false", "no", "0", "n", "on", "2"} {
		if Truthy(s) {
			t.Errorf("Truthy(%q) = true", s)
		}
	}
}
