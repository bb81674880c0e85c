package report

import (
	"strings"
	"testing"
)

// TestHasSpecial checks hasSpecial against strings.ContainsAny on every short string of
// an alphabet of special, plain and non-ASCII bytes, and on longer strings with one
// special byte at each place.
func TestHasSpecial(t *testing.T) {
	alpha := []byte("ab,\"\r\nxé\x00\xff")
	var rec func(prefix []byte, depth int)
	rec = func(prefix []byte, depth int) {
		s := string(prefix)
		if got, want := hasSpecial(s), strings.ContainsAny(s, ",\"\r\n"); got != want {
			t.Fatalf("hasSpecial(%q) = %v", s, got)
		}
		if depth == 0 {
			return
		}
		for _, c := range alpha {
			rec(append(prefix, c), depth-1)
		}
	}
	rec(nil, 5)
	for n := 0; n < 40; n++ {
		for p := 0; p < n; p++ {
			for _, c := range ",\"\r\n" {
				b := []byte(strings.Repeat("x", n))
				b[p] = byte(c)
				if !hasSpecial(string(b)) {
					t.Fatalf("missed %q", b)
				}
			}
		}
		if hasSpecial(strings.Repeat("é", n)) {
			t.Fatal("false positive")
		}
	}
}

// TestAppendRowLine: a row with a Line is written exactly as the same row without one,
// for cells of every kind a Line may hold (formula starts, spaces, backslashes,
// non-ASCII, empty), alone and together.
func TestAppendRowLine(t *testing.T) {
	cells := []string{"", "x", "Auckland", "=1+2", "+64 21", "-5", "@home", " lead", "trail ", `\.`, `\x`,
		"é", "ünïcode", "\tx", "0021", "a;b", "'quoted'"}
	check := func(input []string) {
		t.Helper()
		r := Row{Number: 7, Status: StatusValid, Messages: []string{"a note"}, Input: input}
		want := string(appendRow(nil, r))
		r.Line = strings.Join(input, ",")
		if got := string(appendRow(nil, r)); got != want {
			t.Fatalf("cells %q: with the line %q, without %q", input, got, want)
		}
	}
	for _, a := range cells {
		for _, b := range cells {
			check([]string{a, b})
			check([]string{a, "mid", b})
		}
	}
	check([]string{""})
	check(cells)
}
