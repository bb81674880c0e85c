package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// TestHeaderUnicodeForms: a file whose header is written decomposed (e and U+0301, as
// macOS and some exports write it) validates against a mapping typed composed, and the
// reverse; init matches the decomposed header to the fields it knows.
func TestHeaderUnicodeForms(t *testing.T) {
	tests := []struct {
		name            string
		header, mapping norm.Form
	}{
		{"NFD header, NFC mapping", norm.NFD, norm.NFC},
		{"NFC header, NFD mapping", norm.NFC, norm.NFD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.csv")
			writeTestFile(t, in, tt.header.String("Numéro client,Prénom,Mobile privé\nC1,Zoé,+33 6 12 34 56 78\nC2,Léa,+33 6 98 76 54 32\n"))
			mp := filepath.Join(dir, "m.yaml")
			writeTestFile(t, mp, tt.mapping.String("key: Numéro client\nfields:\n  first_name: PRÉNOM\n  phone: mobile_privé\n"))
			code, out, errs := runCLI(t, nil, "validate", "--mapping", mp, "--no-state", in)
			if code != 0 || !strings.Contains(out+errs, "2 valid") {
				t.Errorf("validate: exit %d, want 0 with 2 valid\nstdout: %s\nstderr: %s", code, out, errs)
			}

			code, out, errs = runCLI(t, nil, "init", in)
			if code != 0 {
				t.Fatalf("init: exit %d: %s", code, errs)
			}
			// The column is named as the header writes it.
			if want := tt.header.String("phone: {column: Mobile privé,"); !strings.Contains(out, want) {
				t.Errorf("init output lacks %q:\n%s", want, out)
			}
			// What init wrote binds to the file.
			gen := filepath.Join(dir, "gen.yaml")
			if err := os.WriteFile(gen, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs = runCLI(t, nil, "validate", "--mapping", gen, "--no-state", "--results", filepath.Join(dir, "gen.csv"), in)
			if code != 0 {
				t.Errorf("validate with init's mapping: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
			}
		})
	}
}
