package mapping

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The fast paths of Apply must give exactly what the general code gives: these tests hold
// each against its general counterpart.

// TestTitleASCII: the byte-wise title of ASCII text is the rune-wise one, for every string
// of up to six bytes from an alphabet of the cases that matter.
func TestTitleASCII(t *testing.T) {
	const alphabet = "aZ'1 -"
	var walk func(prefix string, n int)
	count := 0
	walk = func(prefix string, n int) {
		got, ok := titleASCII(prefix)
		if !ok {
			t.Fatalf("titleASCII(%q) refused ASCII", prefix)
		}
		if want := titleWords(prefix); got != want {
			t.Fatalf("titleASCII(%q) = %q, want %q", prefix, got, want)
		}
		count++
		if n == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			walk(prefix+alphabet[i:i+1], n-1)
		}
	}
	walk("", 6)
	for _, s := range []string{"o'brien", "O'BRIEN", "McDonald", "deVito", "don't", "d'arcy", "JOHN SMITH", "first42", "Last42",
		"mary-jane o'neil-smith", "a'b'c'd", strings.Repeat("ab cD ", 30)} {
		got, _ := titleASCII(s)
		if want := titleWords(s); got != want {
			t.Errorf("titleASCII(%q) = %q, want %q", s, got, want)
		}
	}
	if _, ok := titleASCII("zoë"); ok {
		t.Error("titleASCII took non-ASCII text")
	}
}

func TestValidEmail(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"a@b.co", true}, {"A@B.CO", true}, {"a.b+c@mail.example.co.nz", true}, {"person42@example.com", true},
		{"é@x.yz", true}, {"x@é.yz", true}, {"x@y.éé", true}, {"a@b-c.de", true},
		{"", false}, {"@", false}, {"a@", false}, {"@b.co", false}, {"a@b", false}, {"a@b.c", false}, {"a@b.12", false},
		{"a@b.1x", true}, {"a@@b.co", false}, {"a@b@c.de", false}, {"a b@c.de", false}, {"a\tb@c.de", false},
		{"a\u00a0b@c.de", false}, {"a..b@c.de", false}, {".a@b.co", false}, {"a.@b.co", false}, {"a(b@c.de", false},
		{`a"b@c.de`, false}, {"a;b@c.de", false}, {"a@b..co", false}, {"a@.b.co", false}, {"a@b.co.", false},
		{"a@-b.co", false}, {"a@b-.co", false}, {"a@b_c.de", false}, {"a\x7f@b.co", false},
		{strings.Repeat("a", 64) + "@b.co", true}, {strings.Repeat("a", 65) + "@b.co", false},
		{"a@" + strings.Repeat("b", 63) + ".co", true}, {"a@" + strings.Repeat("b", 64) + ".co", false},
		{"a@" + strings.Repeat("b.", 126) + "co", false}, {"a@" + strings.Repeat("b.", 125) + "co", true},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if got := validEmail(tt.s); got != tt.want {
				t.Errorf("validEmail(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

// TestMatchDirect: for layouts that need no backtracking, the direct match agrees with the
// backtracking one.
func TestMatchDirect(t *testing.T) {
	layouts := []string{"DD/MM/YYYY", "D/M/YY", "D/M/YYYY", "YYYY-MM-DD", "YYYYMMDD", "M.D.YYYY HH:mm", "YYYY-MM-DDTHH:mm:ss", "DD MM YYYY", "YYYY-MM-DD HH:mm"}
	pieces := []string{"0", "1", "2", "9", "12", "31", "123", "2000", "19999", "/", "-", ".", " ", ":", "T", "x", ""}
	r := rand.New(rand.NewPCG(7, 8))
	for _, lay := range layouts {
		l, err := compileLayout(lay)
		if err != nil {
			t.Fatal(err)
		}
		if !l.direct {
			t.Fatalf("%s: not direct", lay)
		}
		for range 20000 {
			var b strings.Builder
			for range r.IntN(12) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			s := b.String()
			c1, c2 := civil{mo: -1}, civil{mo: -1}
			ok1, ok2 := l.matchDirect(s, &c1), l.match(s, 0, &c2)
			if ok1 != ok2 || (ok1 && c1 != c2) {
				t.Fatalf("%s %q: direct %v %+v, backtracking %v %+v", lay, s, ok1, c1, ok2, c2)
			}
		}
	}
	for _, lay := range []string{"YYYYMD", "DMYYYY", "YYYYMDD"} {
		if l, err := compileLayout(lay); err != nil || l.direct {
			t.Errorf("%s: direct or bad (%v)", lay, err)
		}
	}
}

// TestApplyHash: the hash Apply builds as it goes is HashFields of the fields it sends,
// including constants, defaults, and rows too long for its stack buffer.
func TestApplyHash(t *testing.T) {
	p := mustBind(t, benchMapping, benchHeader...)
	for i := range 300 {
		r := p.Apply(benchRowN(i))
		if r.Hash != HashFields(r.Fields) {
			t.Fatalf("row %d: hash %x, HashFields %x", i, r.Hash, HashFields(r.Fields))
		}
	}
	src := `fields:
  first_name: {column: Name, default: Anon}
  street1: Street
  send_no_email: {value: "true"}
`
	q := mustBind(t, src, "Name", "Street")
	for _, street := range []string{"", "1 Main St", strings.Repeat("x", 127), strings.Repeat("x", 128), strings.Repeat("long street ", 100)} {
		t.Run(fmt.Sprint(len(street)), func(t *testing.T) {
			r := q.Apply(textRow("", street))
			if r.Hash != HashFields(r.Fields) {
				t.Errorf("hash %x, HashFields %x (%v)", r.Hash, HashFields(r.Fields), r.Fields)
			}
		})
	}
}

// TestFoldFieldDistinct: the per-process hash tells apart values of every length up to 40
// that differ in one byte, values split differently between two fields, and the same
// value in another field.
func TestFoldFieldDistinct(t *testing.T) {
	seen := make(map[uint64]string)
	note := func(h uint64, what string) {
		t.Helper()
		if prev, ok := seen[h]; ok {
			t.Fatalf("%s and %s hash the same", prev, what)
		}
		seen[h] = what
	}
	const start = 0x243f6a8885a308d3
	for n := 0; n <= 40; n++ {
		base := []byte(strings.Repeat("a", n))
		note(foldField(start, 0, string(base)), fmt.Sprintf("%q", base))
		note(foldField(start, 1, string(base)), fmt.Sprintf("field 1 %q", base))
		for i := range n {
			for _, c := range []byte{'b', 0, 0xff} {
				v := append([]byte(nil), base...)
				v[i] = c
				note(foldField(start, 0, string(v)), fmt.Sprintf("%q", v))
			}
		}
	}
	const s = "person42@example.com"
	for i := 0; i <= len(s); i++ {
		note(foldField(foldField(start, 0, s[:i]), 1, s[i:]), fmt.Sprintf("%q + %q", s[:i], s[i:]))
	}
}
