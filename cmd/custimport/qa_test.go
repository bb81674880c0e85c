package main

import (
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

// TestRateMustBeAFiniteNumber: --rate NaN, Inf or negative would mean no limit at all;
// it is a bad flag value (exit 2) before anything is sent, from the flag or the environment.
func TestRateMustBeAFiniteNumber(t *testing.T) {
	dir := t.TempDir()
	in, mp := qaInput(t, dir)
	res := filepath.Join(dir, "r.csv")
	for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "-1", "-0.5"} {
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
