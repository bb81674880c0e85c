package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputsNeverOverwriteInputs: --results and --summary-json that name the input,
// the mapping, the password file, the state file or each other are refused with exit 2
// before anything is read or written, however the path is spelled.
func TestOutputsNeverOverwriteInputs(t *testing.T) {
	dir := t.TempDir()
	const (
		inText  = "Customer ID,First Name\nA,Ann\nB,Bob\n"
		mapText = "key: Customer ID\nfields:\n  first_name: First Name\n"
		pwText  = "demo\n"
	)
	in := filepath.Join(dir, "in.csv")
	mp := filepath.Join(dir, "m.yaml")
	pw := filepath.Join(dir, "pw")
	statePath := filepath.Join(dir, "state.db")
	writeTestFile(t, in, inText)
	writeTestFile(t, mp, mapText)
	writeTestFile(t, pw, pwText)
	// An input named like the partial file of results "p.csv" or "p.xlsx".
	pin := filepath.Join(dir, "p.partial.csv")
	writeTestFile(t, pin, inText)
	hard := filepath.Join(dir, "hard.csv")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "sym.csv")
	if err := os.Symlink(in, sym); err != nil {
		t.Fatal(err)
	}
	linkDir := filepath.Join(dir, "linkdir")
	if err := os.Symlink(dir, linkDir); err != nil {
		t.Fatal(err)
	}
	// Relative spellings are resolved against the working directory.
	t.Chdir(dir)
	res := filepath.Join(dir, "ok.results.csv")

	validate := func(args ...string) []string {
		return append([]string{"validate", "--mapping", mp, "--no-state"}, args...)
	}
	sandboxRun := func(args ...string) []string {
		return append([]string{"run", "--sandbox", "--rate", "0", "--mapping", mp}, args...)
	}
	tests := []struct {
		name string
		args []string
		want []string // in stderr: both paths, named
	}{
		{"results is the input", validate("--results", in, in), []string{"--results", "input", in}},
		{"results is ./input", validate("--results", "./in.csv", in), []string{"--results", "./in.csv", in}},
		{"results is a hard link to the input", validate("--results", hard, in), []string{"--results", hard, in}},
		{"results is a symlink to the input", validate("--results", sym, in), []string{"--results", sym, in}},
		{"results is the input through a linked dir", validate("--results", filepath.Join(linkDir, "in.csv"), in), []string{"--results", "input"}},
		{"results is the mapping", validate("--results", mp, in), []string{"--results", "mapping", mp}},
		{"summary is the input", validate("--results", res, "--summary-json", in, in), []string{"--summary-json", "input", in}},
		{"summary is the mapping", validate("--results", res, "--summary-json", mp, in), []string{"--summary-json", "mapping", mp}},
		{"summary is the mapping of a failing run", validate("--results", res, "--summary-json", mp, "--workers", "0", in), []string{"--summary-json", "mapping"}},
		{"summary is the results", validate("--results", res, "--summary-json", "./ok.results.csv", in), []string{"--summary-json", "--results", res}},
		{"summary is the default results", validate("--summary-json", filepath.Join(dir, "in.results.csv"), in), []string{"--summary-json", "--results", "in.results.csv"}},
		{"summary is the results, neither existing, through a linked dir", validate("--results", filepath.Join(dir, "new.csv"), "--summary-json", filepath.Join(linkDir, "new.csv"), in), []string{"--summary-json", "--results"}},
		{"results is the password file", sandboxRun("--password-file", pw, "--results", pw, in), []string{"--results", "--password-file", pw}},
		{"summary is the password file", sandboxRun("--password-file", pw, "--results", res, "--summary-json", pw, in), []string{"--summary-json", "--password-file", pw}},
		{"results is the state file", sandboxRun("--state", statePath, "--results", statePath, in), []string{"--results", "--state", statePath}},
		{"summary is the state file", sandboxRun("--state", statePath, "--results", res, "--summary-json", "state.db", in), []string{"--summary-json", "--state", statePath}},
		{"results' partial file is the input", validate("--results", filepath.Join(dir, "p.csv"), pin), []string{"partial file of --results", "input", pin}},
		{"XLSX results' CSV partial file is the input", validate("--results", filepath.Join(dir, "p.xlsx"), pin), []string{"partial file of --results", "input", pin}},
		{"summary is the results' partial file", validate("--results", res, "--summary-json", filepath.Join(dir, "ok.results.partial.csv"), in), []string{"--summary-json", "partial file of --results"}},
		{"results is the default state file", []string{"validate", "--mapping", mp, "--account-id", "acc", "--results", filepath.Join(dir, "xdg", "custimport", "acc.db"), in}, []string{"--results", "--state"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case starts from the original files, whatever an earlier one did.
			writeTestFile(t, in, inText)
			writeTestFile(t, mp, mapText)
			writeTestFile(t, pw, pwText)
			writeTestFile(t, pin, inText)
			env := map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "xdg")}
			code, out, errs := runCLI(t, env, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
			for path, want := range map[string]string{in: inText, mp: mapText, pw: pwText, pin: inText} {
				if b, err := os.ReadFile(path); err != nil || string(b) != want {
					t.Errorf("%s changed: %q, %v", path, b, err)
				}
			}
			for _, p := range []string{statePath, res, filepath.Join(dir, "p.csv"), filepath.Join(dir, "p.xlsx"), filepath.Join(dir, "new.csv"), filepath.Join(dir, "in.results.csv"), filepath.Join(dir, "xdg")} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s was written", p)
					_ = os.RemoveAll(p)
				}
			}
		})
	}

	// Distinct files still work, the default results path included.
	t.Run("distinct paths", func(t *testing.T) {
		code, out, errs := runCLI(t, nil, validate("--summary-json", filepath.Join(dir, "s.json"), in)...)
		if code != 0 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, "in.results.csv")); err != nil {
			t.Error(err)
		}
	})
}

func TestSamePath(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	writeTestFile(t, a, "x")
	if err := os.Link(a, filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(a, filepath.Join(dir, "sym")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "subl")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	tests := []struct {
		name string
		x, y string
		same bool
	}{
		{"equal", a, a, true},
		{"relative and absolute", "a", a, true},
		{"dot slash", "./a", "a", true},
		{"dot dot", "sub/../a", "a", true},
		{"hard link", "hard", "a", true},
		{"symlink", "sym", "a", true},
		{"missing, linked dir", "subl/n", "sub/n", true},
		{"missing, same name", "n", "./n", true},
		{"different", "a", "b", false},
		{"missing, different dirs", "sub/n", "n", false},
		{"empty", "", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := samePath(tt.x, tt.y); got != tt.same {
				t.Errorf("samePath(%q, %q) = %v, want %v", tt.x, tt.y, got, tt.same)
			}
		})
	}
}
