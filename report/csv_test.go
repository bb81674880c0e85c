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
