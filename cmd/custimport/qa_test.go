package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// qaInput writes a two-row CSV and a mapping for it into dir and returns their paths.
func qaInput(tb testing.TB, dir string) (input, mapPath string) {
	tb.Helper()
	input = filepath.Join(dir, "in.csv")
	writeTestFile(tb, input, "Customer ID,First Name\nA,Ann\nB,Bob\n")
	mapPath = filepath.Join(dir, "m.yaml")
	writeTestFile(tb, mapPath, "key: Customer ID\nfields:\n  first_name: First Name\n")
	return input, mapPath
}

// TestSummaryJSONDirectoryRefusedUpFront: --summary-json naming an existing directory
// exits 2 before any row is read or sent, and writes no results file.
func TestSummaryJSONDirectoryRefusedUpFront(t *testing.T) {
	dir := t.TempDir()
	in, mp := qaInput(t, dir)
	sumDir := filepath.Join(dir, "summary")
	if err := os.Mkdir(sumDir, 0o700); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "r.csv")
	for _, arg := range []string{sumDir, sumDir + string(filepath.Separator)} {
		t.Run(arg, func(t *testing.T) {
			code, out, errs := runCLI(t, nil, "run", "--sandbox", "--rate", "0", "--mapping", mp,
				"--results", res, "--summary-json", arg, in)
			if code != 2 || !strings.Contains(errs, "--summary-json") || !strings.Contains(errs, "directory") {
				t.Errorf("exit %d, want 2 naming --summary-json as a directory\nstdout: %s\nstderr: %s", code, out, errs)
			}
			if strings.Contains(out+errs, "new") {
				t.Errorf("rows were sent:\n%s%s", out, errs)
			}
			if _, err := os.Stat(res); err == nil {
				t.Error("a results file was written")
			}
		})
	}
}

// TestStateExportHelpSaysValuesAreExact: the help says the export is not formula-escaped.
func TestStateExportHelpSaysValuesAreExact(t *testing.T) {
	code, out, _ := runCLI(t, nil, "state", "export", "--help")
	if code != 0 || !strings.Contains(out, "written exactly as") || !strings.Contains(out, "no escaping '") {
		t.Errorf("exit %d; state export --help does not say values are written exactly:\n%s", code, out)
	}
}

// TestRateMustBeAFiniteNumber: --rate NaN, Inf or negative would mean no limit at all,
// and one below 0.001 a wait for ever; it is a bad flag value (exit 2) before anything is
// sent, from the flag or the environment.
func TestRateMustBeAFiniteNumber(t *testing.T) {
	dir := t.TempDir()
	in, mp := qaInput(t, dir)
	res := filepath.Join(dir, "r.csv")
	for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "-1", "-0.5", "1e-320", "0.0009"} {
		t.Run(v, func(t *testing.T) {
			code, out, errs := runCLI(t, nil, "run", "--sandbox", "--rate", v, "--mapping", mp, "--results", res, in)
			if code != 2 || !strings.Contains(errs, "--rate must be") {
				t.Errorf("exit %d, want 2 naming --rate\nstdout: %s\nstderr: %s", code, out, errs)
			}
			if _, err := os.Stat(res); err == nil {
				t.Error("a results file was written")
			}
		})
	}
	t.Run("environment", func(t *testing.T) {
		code, out, errs := runCLI(t, map[string]string{"CUSTIMPORT_RATE": "NaN"}, "run", "--sandbox", "--mapping", mp, "--results", res, in)
		if code != 2 || !strings.Contains(errs, "--rate must be") {
			t.Errorf("exit %d, want 2 naming --rate\nstdout: %s\nstderr: %s", code, out, errs)
		}
	})
	t.Run("zero is unlimited", func(t *testing.T) {
		code, out, errs := runCLI(t, nil, "run", "--sandbox", "--rate", "0", "--mapping", mp, "--results", res, in)
		if code != 0 {
			t.Errorf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errs)
		}
	})
}

// TestPasswordFileOneLine: a password file holds one line; a single trailing LF or CRLF
// is allowed, more lines are refused (exit 2) naming the file, never showing its content.
func TestPasswordFileOneLine(t *testing.T) {
	dir := t.TempDir()
	in, mp := qaInput(t, dir)
	tests := []struct {
		name    string
		content string
		code    int
		want    string
	}{
		{"no newline", "s3cret", 0, "2 new"},
		{"LF", "s3cret\n", 0, "2 new"},
		{"CRLF", "s3cret\r\n", 0, "2 new"},
		{"two lines", "s3cret\nsecondline", 2, "more than one line"},
		{"two lines and LF", "s3cret\nsecondline\n", 2, "more than one line"},
		{"CRLF lines", "s3cret\r\nsecondline\r\n", 2, "more than one line"},
		{"blank lines after it (echo >>)", "s3cret\n\n", 0, "2 new"},
		{"CRLF blank lines after it", "s3cret\r\n\r\n", 0, "2 new"},
		{"CR inside", "s3cret\rsecondline", 2, "more than one line"},
		{"only a newline", "\n", 2, "is empty"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pw := filepath.Join(dir, fmt.Sprintf("pw%d", i))
			writeTestFile(t, pw, tt.content)
			res := filepath.Join(dir, fmt.Sprintf("r%d.csv", i))
			code, out, errs := runCLI(t, nil, "run", "--sandbox", "--rate", "0", "--password-file", pw,
				"--mapping", mp, "--results", res, in)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Errorf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tt.code, tt.want, out, errs)
			}
			if tt.code == 2 && !strings.Contains(errs, pw) {
				t.Errorf("the error does not name the file %s: %s", pw, errs)
			}
			if strings.Contains(out+errs, "s3cret") || strings.Contains(out+errs, "secondline") {
				t.Errorf("the output shows the password file's content:\n%s%s", out, errs)
			}
		})
	}
}

// TestInitNoColumnRecognised: init on a header it recognises nothing in prints the
// mapping with a comment listing the columns and says so on stderr too (the contract
// gives init no exit code for it: 0).
func TestInitNoColumnRecognised(t *testing.T) {
	in := filepath.Join(t.TempDir(), "odd.csv")
	writeTestFile(t, in, "foo,bar\n1,2\n")
	code, out, errs := runCLI(t, nil, "init", in)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errs)
	}
	for _, s := range []string{out, errs} {
		if !strings.Contains(s, "No column matched an API field") || !strings.Contains(s, `A "foo", B "bar"`) {
			t.Errorf("stdout and stderr must both say no column was recognised, listing them:\nstdout: %s\nstderr: %s", out, errs)
		}
	}
	if !strings.Contains(out, "fields: {}") {
		t.Errorf("stdout lacks the mapping:\n%s", out)
	}
}

// TestMappingSheetMissingNamesItsLine: a sheet: the workbook lacks is an error (exit 2)
// that names the mapping file's line of sheet:; a --sheet the workbook lacks is the
// flag's, so no mapping line is named.
func TestMappingSheetMissingNamesItsLine(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(repoRoot(t), "samples", "customers.xlsx")
	mp := filepath.Join(dir, "m.yaml")
	writeTestFile(t, mp, "key: Customer ID\nsheet: Nope\nfields:\n  first_name: First Name\n")
	res := filepath.Join(dir, "r.csv")
	code, out, errs := runCLI(t, nil, "validate", "--mapping", mp, "--results", res, in)
	if code != 2 || !strings.Contains(errs, `no sheet named "Nope"`) || !strings.Contains(errs, mp+":2") {
		t.Errorf("exit %d, want 2 naming %s:2\nstdout: %s\nstderr: %s", code, mp, out, errs)
	}
	code, out, errs = runCLI(t, nil, "validate", "--sheet", "Other", "--mapping", mp, "--results", res, in)
	if code != 2 || !strings.Contains(errs, `no sheet named "Other"`) || strings.Contains(errs, mp+":2") {
		t.Errorf("--sheet: exit %d, want 2 without the mapping's line\nstdout: %s\nstderr: %s", code, out, errs)
	}
}
