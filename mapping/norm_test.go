package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// nfc and nfd are one text in composed (é is U+00E9) and decomposed (e, U+0301) form.
func nfc(s string) string { return norm.NFC.String(s) }
func nfd(s string) string { return norm.NFD.String(s) }

// TestNormalizeHeaderUnicodeForms: a header text compares equal in either Unicode
// normalisation form, and its normalised form is composed.
func TestNormalizeHeaderUnicodeForms(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"composed and decomposed", nfc("Prénom"), nfd("Prénom")},
		{"decomposed and composed", nfd("Prénom"), nfc("Prénom")},
		{"upper case decomposed", nfd("PRÉNOM"), nfc("prénom")},
		{"several marks", nfd("Téléphone privé"), nfc("téléphone_PRIVÉ")},
		{"stacked marks", nfd("Ễ-mail"), nfc("ễmail")},
		{"hangul", nfd("이름"), nfc("이름")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.a == tt.b {
				t.Fatalf("the case tests nothing: %q is %q", tt.a, tt.b)
			}
			na, nb := NormalizeHeader(tt.a), NormalizeHeader(tt.b)
			if na != nb {
				t.Errorf("NormalizeHeader(%q) = %q, NormalizeHeader(%q) = %q: want equal", tt.a, na, tt.b, nb)
			}
			if !norm.NFC.IsNormalString(na) {
				t.Errorf("NormalizeHeader(%q) = %q, not NFC", tt.a, na)
			}
		})
	}
}

// TestBindUnicodeForms: a mapping's column binds to a header cell written in the other
// normalisation form, as key and as field, and two cells that differ only in form are
// one name, ambiguous.
func TestBindUnicodeForms(t *testing.T) {
	tests := []struct {
		name    string
		column  string   // the mapping's column text
		header  []string // the file's header
		col     int      // the column bound, -1 for an error
		wantErr error
	}{
		{"NFC mapping, NFD header", nfc("Prénom"), []string{"Id", nfd("Prénom")}, 1, nil},
		{"NFD mapping, NFC header", nfd("Prénom"), []string{"Id", nfc("Prénom")}, 1, nil},
		{"NFC mapping, NFD upper-case header", nfc("prénom"), []string{nfd("PRÉNOM"), "Id"}, 0, nil},
		{"same form", nfc("Prénom"), []string{"Id", nfc("Prénom")}, 1, nil},
		{"both forms in the header", nfc("Prénom"), []string{nfc("Prénom"), nfd("Prénom")}, -1, ErrAmbiguousColumn},
		{"accent still counts", nfc("Prénom"), []string{"Id", "Prenom2"}, -1, ErrMissingColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "key: Id\nfields:\n  first_name: " + tt.column + "\n"
			if tt.header[0] != "Id" && tt.header[1] != "Id" {
				src = "fields:\n  first_name: " + tt.column + "\n"
			}
			p, err := mustParse(t, src).Bind(tt.header)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Bind: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Bind: %v", err)
			}
			if got := p.Sources()[0].Column; got != tt.col {
				t.Errorf("first_name bound to column %d, want %d", got, tt.col)
			}
		})
	}

	t.Run("key in the other form", func(t *testing.T) {
		p, err := mustParse(t, "key: "+nfc("Numéro client")+"\nfields:\n  first_name: Name\n").Bind([]string{"Name", nfd("Numéro client")})
		if err != nil {
			t.Fatalf("Bind: %v", err)
		}
		if p.KeyColumn() != 1 {
			t.Errorf("key column %d, want 1", p.KeyColumn())
		}
	})
}

// TestSuggestUnicodeForms: init suggests the same mapping for a header written in
// either form.
func TestSuggestUnicodeForms(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		field  string // a field the header must feed
	}{
		{"fuzzy phone", []string{"Id", "Mobile privé", "Email"}, "phone"},
		{"accented email", []string{"Customer ID", "Émail"}, "email"},
		{"ambiguous in both forms", []string{"Id", nfc("Mobile privé"), nfd("Mobile privé")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			composed := SuggestMapping(mapStrings(tt.header, nfc), nil, SuggestOptions{})
			decomposed := SuggestMapping(mapStrings(tt.header, nfd), nil, SuggestOptions{})
			if !reflect.DeepEqual(fieldNames(composed), fieldNames(decomposed)) || composed.Key != decomposed.Key {
				t.Errorf("NFC header: key %d, %v\nNFD header: key %d, %v", composed.Key, fieldNames(composed), decomposed.Key, fieldNames(decomposed))
			}
			if tt.field != "" && !strings.Contains(strings.Join(fieldNames(decomposed), " "), tt.field+"<-") {
				t.Errorf("NFD header %q: %v lacks %s", tt.header, fieldNames(decomposed), tt.field)
			}
		})
	}
	t.Run("both forms are one name: referred to by letter", func(t *testing.T) {
		header := []string{"Id", nfc("Émail"), nfd("Émail")}
		s := SuggestMapping(header, nil, SuggestOptions{})
		for _, f := range s.Fields {
			if f.Name == "email" && f.Ref != "B" {
				t.Errorf("email refers to %q, want the letter B", f.Ref)
			}
		}
	})
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// fieldNames lists a suggestion's fields as name<-column.
func fieldNames(s Suggestion) []string {
	var out []string
	for _, f := range s.Fields {
		out = append(out, f.Name+"<-"+string(rune('A'+f.Column)))
	}
	return out
}

// FuzzNormalizeHeader: any text normalises to the same NFC form from its composed and
// its decomposed spelling, and normalising twice changes nothing.
func FuzzNormalizeHeader(f *testing.F) {
	for _, s := range []string{"Prénom", nfd("Prénom"), "İstanbul", "E-Mail", " Customer_ID ", "\ufeffÉCOLE", "e _\u0301", "ᾳ\u0345", "이름", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeHeader(s)
		if c, d := NormalizeHeader(nfc(s)), NormalizeHeader(nfd(s)); c != d {
			t.Fatalf("NormalizeHeader: NFC %q gives %q, NFD %q gives %q", nfc(s), c, nfd(s), d)
		}
		if !norm.NFC.IsNormalString(n) {
			t.Errorf("NormalizeHeader(%q) = %q, not NFC", s, n)
		}
		if again := NormalizeHeader(n); again != n {
			t.Errorf("NormalizeHeader(%q) = %q, then %q", s, n, again)
		}
	})
}
