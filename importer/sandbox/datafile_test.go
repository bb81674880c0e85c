package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataFileMustBeWritable: New refuses a data file that Save could not write, so
// that a sandbox never serves for hours and then loses every customer at shutdown.
func TestDataFileMustBeWritable(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "plain")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		root bool // the case holds for root too
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "x.json"), true},
		{"parent is a file", filepath.Join(notDir, "x.json"), true},
		{"path is a directory", dir, true},
		{"read-only directory", filepath.Join(readOnly, "x.json"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.root && os.Geteuid() == 0 {
				t.Skip("root writes into a read-only directory")
			}
			_, err := New(Config{UserID: "u", AccountID: "a", Password: "p", DataFile: tt.path})
			if !errors.Is(err, ErrDataFile) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("New: %v, want %v naming %s", err, ErrDataFile, tt.path)
			}
		})
	}

	t.Run("writable directory, no file yet", func(t *testing.T) {
		d := t.TempDir()
		s, err := New(Config{UserID: "u", AccountID: "a", Password: "p", DataFile: filepath.Join(d, "x.json")})
		if err != nil {
			t.Fatal(err)
		}
		// The check leaves nothing behind.
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Errorf("directory holds %v after New", entries)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
