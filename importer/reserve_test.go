package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEstimateRows(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var big strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&big, "C%07d,Ann,Smith,ann%d@example.com\n", i, i)
	}
	cr := strings.ReplaceAll(big.String(), "\n", "\r")
	tests := []struct {
		name     string
		path     string
		min, max int
	}{
		{"lines of even length", write("big.csv", big.String()), 19000, 21000},
		{"CR-only line ends", write("cr.csv", cr), 19000, 21000},
		{"small file: no hint", write("small.csv", "a,b\n1,2\n"), 0, 0},
		{"xlsx: no hint", write("big.xlsx", big.String()), 0, 0},
		{"missing file: no hint", filepath.Join(dir, "none.csv"), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := estimateRows(tt.path); got < tt.min || got > tt.max {
				t.Errorf("estimateRows = %d, want %d..%d", got, tt.min, tt.max)
			}
		})
	}
}

// TestReserveTarget checks the duplicate index's reservations in steps: never more than
// reserveStep times the rows seen, up to the estimate.
func TestReserveTarget(t *testing.T) {
	tests := []struct {
		name                  string
		seen, hint, entries   int
		wantReserve, wantNext int
	}{
		{"first step of a large file", 1024, 1_000_000, 1365, 91_728, 65_536},
		{"the estimate reached", 65_536, 1_000_000, 87_381, 1_399_994, 0},
		{"a file estimated small", 1024, 5_000, 1024, 5_250, 0},
		{"an estimate far too large", 1024, 2_800_000, 1024, 68_812, 65_536},
		{"a file larger than 64 steps", 65_536, 10_000_000, 65_536, 4_404_019, 4_194_304},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reserve, next := reserveTarget(tt.seen, tt.hint, tt.entries)
			if reserve != tt.wantReserve || next != tt.wantNext {
				t.Errorf("reserveTarget(%d, %d, %d) = %d, %d; want %d, %d", tt.seen, tt.hint, tt.entries, reserve, next, tt.wantReserve, tt.wantNext)
			}
		})
	}
}
