package report

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestSummaryJSONIsPrivate: the summary JSON carries the API's error texts (e-mails,
// names), so it is written 0600 like the results file, also over an older 0644 summary.
func TestSummaryJSONIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	tests := []struct {
		name     string
		existing bool
	}{
		{"new file", false},
		{"over a world-readable file", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "summary.json")
			if tt.existing {
				if err := os.WriteFile(path, []byte("{}\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := runSummary().WriteJSON(path); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("summary written %v, want -rw-------", perm)
			}
		})
	}
}
