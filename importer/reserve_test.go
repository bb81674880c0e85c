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
