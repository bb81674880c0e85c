package mapping

import (
	"strings"
	"testing"
)

// TestSuggestPunctuatedHeaders: init recognises headers written with punctuation,
// brackets, qualifiers and "#"/"No" for number; the suggestion loads and binds.
func TestSuggestPunctuatedHeaders(t *testing.T) {
	tests := []struct {
		header string
		field  string // "" for the key
	}{
		{"Loyalty Card #", "card_number"},
		{"Card No.", "card_number"},
		{"Card Nr", "card_number"},
		{"Phone # (mobile)", "phone"},
		{"Phone No.", "phone"},
		{"Email: primary", "email"},
		{"E-mail address:", "email"},
		{"[City]", "city"},
		{"{Zip}", "postal_code"},
		{"(Post Code)", "postal_code"},
		{"First Name (given)", "first_name"},
		{"Customer #", ""},
		{"Customer No.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			header := []string{tt.header, "Last Name"}
			s := SuggestMapping(header, nil, SuggestOptions{})
			if tt.field == "" {
				if s.Key != 0 {
					t.Errorf("key %d, want column A %q", s.Key, tt.header)
				}
			} else if !hasField(s, tt.field, 0) {
				t.Errorf("fields %+v: want %s from column A %q", s.Fields, tt.field, tt.header)
			}
			out := Suggest(header, nil, SuggestOptions{})
			m, err := Parse(out, "suggested.yaml")
			if err != nil {
				t.Fatalf("suggestion does not load: %v\n%s", err, out)
			}
			if _, err := m.Bind(header); err != nil {
				t.Fatalf("suggestion does not bind: %v\n%s", err, out)
			}
		})
	}
}

func hasField(s Suggestion, name string, col int) bool {
	for _, f := range s.Fields {
		if f.Name == name && f.Column == col {
			return true
		}
	}
	return false
}

// TestSuggestNoTransformOnSecrets: a transform would change a secret (a trimmed
// password is another password), so init suggests none for secret fields.
func TestSuggestNoTransformOnSecrets(t *testing.T) {
	for _, header := range [][]string{
		{"customer_password", "customer_PIN", "First Name"},
		{"Password", "PIN", "First Name"},
	} {
		t.Run(strings.Join(header, ","), func(t *testing.T) {
			s := SuggestMapping(header, nil, SuggestOptions{})
			seen := 0
			for _, f := range s.Fields {
				if IsSecret(f.Name) {
					seen++
					if len(f.Transforms) > 0 {
						t.Errorf("%s: transforms %v, want none", f.Name, f.Transforms)
					}
				}
			}
			if seen != 2 {
				t.Fatalf("%d secret fields suggested, want 2: %+v", seen, s.Fields)
			}
			m, err := Parse(Suggest(header, nil, SuggestOptions{}), "s.yaml")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range m.Fields {
				if IsSecret(f.Name) && len(f.Transforms) > 0 {
					t.Errorf("loaded %s with transforms %v", f.Name, f.Transforms)
				}
			}
		})
	}
}

// TestSuggestNoMatchComment: when no column is recognised, the mapping's comment says
// so and lists every column.
func TestSuggestNoMatchComment(t *testing.T) {
	out := string(Suggest([]string{"foo", " bar ", ""}, nil, SuggestOptions{}))
	for _, want := range []string{"No column matched an API field", `The columns are: A "foo", B "bar", C "".`, "fields: {}"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// FuzzHeaderForms: any header gives its NormalizeHeader form first, forms without
// punctuation, and a suggestion that loads and binds.
func FuzzHeaderForms(f *testing.F) {
	for _, h := range []string{"Loyalty Card #", "Card No.", "Phone # (mobile)", "Email: primary", "[City]", "{Zip}", "((", ":", "a: (b", "No", "#"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		forms := headerForms(h)
		if len(forms) == 0 || forms[0] != NormalizeHeader(h) {
			t.Fatalf("headerForms(%q) = %q", h, forms)
		}
		header := []string{h, "Last Name"}
		out := Suggest(header, nil, SuggestOptions{})
		m, err := Parse(out, "s.yaml")
		if err != nil {
			t.Fatalf("suggestion for %q does not load: %v\n%s", h, err, out)
		}
		if _, err := m.Bind(header); err != nil {
			t.Fatalf("suggestion for %q does not bind: %v\n%s", h, err, out)
		}
	})
}

// TestSuggestPrefersHeaderAsWritten: a header as written beats one that matches only once
// its qualifier is dropped ("Email" over "Email (old)", whatever their order), and a
// qualified or loosely matching header never names a field that decides whose account
// is changed, or a secret: "Code (legacy)" is no code, "Password Hint" no password.
func TestSuggestPrefersHeaderAsWritten(t *testing.T) {
	header := []string{"Customer ID", "Card Number (old)", "Email (old)", "Email", "Code (legacy)",
		"Password Hint", "Card Number (new)"}
	s := SuggestMapping(header, nil, SuggestOptions{})
	if !hasField(s, "email", 3) {
		t.Errorf("fields %+v: want email from D \"Email\"", s.Fields)
	}
	for _, f := range s.Fields {
		switch f.Name {
		case "code", "card_number", "customer_password", "customer_PIN":
			t.Errorf("%s suggested from column %d %q: want it left to the merchant", f.Name, f.Column, header[f.Column])
		}
	}
}
