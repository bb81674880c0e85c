package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestInitSamples: init's suggestions for the repository's samples map City to city and
// Suburb to the second address line, and say the XLSX birthdays are real date cells.
func TestInitSamples(t *testing.T) {
	root := repoRoot(t)
	tests := []struct {
		input  string
		want   []string
		reject []string
	}{
		{input: "customers.csv",
			want:   []string{"city: {column: City,", "street2: {column: Suburb,", "street1: {column: Street,", "date_format: DD/MM/YYYY"},
			reject: []string{`J "City"`, "city: {column: Suburb", "real date cells"}},
		{input: "customers.xlsx",
			want: []string{"city: {column: City,", "street2: {column: Suburb,",
				"46 of 49 sampled values are real date cells: no date_format needed", "1 of 3 sampled text values read as YYYY-MM-DD"},
			reject: []string{`J "City"`, "sampled dates", "date_format:"}},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			code, out, errs := runCLI(t, nil, "init", filepath.Join(root, "samples", tt.input))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(out, r) {
					t.Errorf("output has %q:\n%s", r, out)
				}
			}
		})
	}
}

// TestInitHeaderRowFlag: --help shows one default for --header-row; the flag takes a row
// number of 1 or more.
func TestInitHeaderRowFlag(t *testing.T) {
	_, help, _ := runCLI(t, nil, "init", "--help")
	line := ""
	for l := range strings.SplitSeq(help, "\n") {
		if strings.Contains(l, "--header-row") {
			line = l
		}
	}
	if strings.Count(line, "default") != 1 || !strings.Contains(line, "(default: guessed)") {
		t.Errorf("--header-row help %q: want one default, (default: guessed)", line)
	}
	in := filepath.Join(repoRoot(t), "samples", "customers.csv")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"guessed", nil, 0},
		{"first row", []string{"--header-row", "1"}, 0},
		{"zero", []string{"--header-row", "0"}, exitUsage},
		{"negative", []string{"--header-row", "-1"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"init"}, tt.args...), in)
			code, out, errs := runCLI(t, nil, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, errs)
			}
			if tt.code == 0 && !strings.Contains(out, "key: Customer ID") {
				t.Errorf("output:\n%s", out)
			}
		})
	}
}
