package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/mapping"
)

// repoRoot is the repository's root, two folders up from this package.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// runCLI runs the program in-process with env as its environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func TestHelpEverywhere(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"run", "--help"}, {"validate", "--help"}, {"init", "--help"},
		{"sandbox", "--help"}, {"state", "--help"}, {"state", "export", "--help"}, {"version", "--help"},
	} {
		code, out, errs := runCLI(t, nil, args...)
		if code != 0 || out == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	_, out, _ := runCLI(t, nil, "run", "--help")
	for _, flag := range []string{"--dry-run", "--mapping", "--sandbox", "--max-errors", "--summary-json", "--password-file", "Exit codes"} {
		if !strings.Contains(out, flag) {
			t.Errorf("run --help lacks %s", flag)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "custimport ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// TestExitCodes runs the commands the way a script does and checks the contract's codes.
func TestExitCodes(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	sample := filepath.Join(root, "samples", "customers.csv")
	mapPath := filepath.Join(root, "samples", "mapping.yaml")
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte("Customer ID,First Name\nA,Ann\nB,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	goodMap := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(goodMap, []byte("key: Customer ID\nfields:\n  first_name: First Name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badMap := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badMap, []byte("fields:\n  first_nme: First Name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := func(name string) string { return filepath.Join(dir, name) }
	sbs, err := sandbox.New(sandbox.Config{UserID: "demo", AccountID: "demo", Password: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	sb := httptest.NewServer(sbs)
	defer sb.Close()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("demo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"valid file", nil, []string{"validate", "--mapping", goodMap, "--results", res("a.csv"), good}, 0, "2 valid"},
		{"sample has invalid rows", nil, []string{"validate", "--mapping", mapPath, "--results", res("b.csv"), sample}, 1, "invalid"},
		{"dry run flag", nil, []string{"run", "--dry-run", "--mapping", goodMap, "--results", res("c.csv"), good}, 0, "valid"},
		{"sandbox run", nil, []string{"run", "--sandbox", "--rate", "0", "--mapping", goodMap, "--results", res("d.csv"), good}, 0, "2 new"},
		{"env sets a flag", map[string]string{"CUSTIMPORT_MAPPING": goodMap, "CUSTIMPORT_RESULTS": res("e.csv")}, []string{"validate", good}, 0, "valid"},
		{"flag beats env", map[string]string{"CUSTIMPORT_MAPPING": badMap}, []string{"validate", "--mapping", goodMap, "--results", res("f.csv"), good}, 0, "valid"},
		{"bad env value", map[string]string{"CUSTIMPORT_WORKERS": "many"}, []string{"validate", "--mapping", goodMap, good}, 2, "CUSTIMPORT_WORKERS"},
		{"bad mapping names its line", nil, []string{"validate", "--mapping", badMap, good}, 2, "bad.yaml:2"},
		{"missing input", nil, []string{"validate", "--mapping", goodMap, res("nope.csv")}, 2, "nope.csv"},
		{"missing credentials", nil, []string{"run", "--mapping", goodMap, "--endpoint", "https://api.example.com", good}, 2, "--user-id"},
		{"insecure endpoint", map[string]string{"CUSTIMPORT_PASSWORD": "pw"}, []string{"run", "--mapping", goodMap, "--endpoint", "http://api.example.com", "--user-id", "u", "--account-id", "a", "--no-state", good}, 2, "http"},
		{"bad flag value", nil, []string{"run", "--format", "yaml", "--mapping", goodMap, good}, 2, "--format"},
		{"unknown flag", nil, []string{"run", "--frobnicate", good}, 2, "frobnicate"},
		{"credentials refused", map[string]string{"CUSTIMPORT_PASSWORD": "wrong"}, []string{"run", "--endpoint", sb.URL, "--user-id", "demo", "--account-id", "demo", "--no-state", "--mapping", goodMap, "--results", res("g.csv"), good}, 3, "credentials"},
		{"real endpoint", map[string]string{"CUSTIMPORT_PASSWORD": "demo"}, []string{"run", "--endpoint", sb.URL, "--user-id", "demo", "--account-id", "demo", "--state", res("s.db"), "--format", "json", "--mapping", goodMap, "--results", res("h.xlsx"), good}, 0, "2 new"},
		{"nightly rerun", map[string]string{"CUSTIMPORT_PASSWORD": "demo"}, []string{"run", "--endpoint", sb.URL, "--user-id", "demo", "--account-id", "demo", "--state", res("s.db"), "--mapping", goodMap, "--results", res("i.csv"), good}, 0, "2 unchanged"},
		{"env endpoint gives way to --sandbox", map[string]string{"CUSTIMPORT_ENDPOINT": "https://api.example.com"}, []string{"run", "--sandbox", "--rate", "0", "--mapping", goodMap, "--results", res("l.csv"), good}, 0, "2 new"},
		{"both on the command line", nil, []string{"run", "--sandbox", "--endpoint", "https://api.example.com", "--mapping", goodMap, good}, 2, "contradict"},
		{"summary json", nil, []string{"run", "--sandbox", "--rate", "0", "--mapping", goodMap, "--results", res("k.csv"), "--summary-json", res("summary.json"), good}, 0, "2 new"},
		{"summary json in a missing directory", nil, []string{"run", "--sandbox", "--rate", "0", "--mapping", goodMap, "--results", res("m.csv"), "--summary-json", res("no/such/dir/s.json"), good}, 2, "--summary-json"},
		{"summary json of a failed start", nil, []string{"validate", "--mapping", badMap, "--summary-json", res("failed.json"), good}, 2, "bad.yaml:2"},
		{"password file", nil, []string{"run", "--endpoint", sb.URL, "--user-id", "demo", "--account-id", "demo", "--password-file", pwFile, "--no-state", "--mapping", goodMap, "--results", res("j.csv"), good}, 0, "2 new"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, c.env, c.args...)
			if code != c.code || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d, want %d; output lacks %q?\nstdout: %s\nstderr: %s", code, c.code, c.want, out, errs)
			}
			if c.name == "summary json of a failed start" {
				b, err := os.ReadFile(res("failed.json"))
				if err != nil || !strings.Contains(string(b), `"stopped": true`) || !strings.Contains(string(b), "bad.yaml:2") {
					t.Errorf("summary JSON of a failed start: %s (%v); want stopped with the error", b, err)
				}
			}
			if c.name == "summary json" {
				b, err := os.ReadFile(res("summary.json"))
				if err != nil || !strings.Contains(string(b), `"new": 2`) {
					t.Errorf("summary JSON %s (%v) lacks the counts", b, err)
				}
			}
		})
	}
}

// TestInitOutputLoads: what init prints for the sample loads as a mapping and binds.
func TestInitOutputLoads(t *testing.T) {
	root := repoRoot(t)
	for _, in := range []string{"customers.csv", "customers.xlsx"} {
		code, out, errs := runCLI(t, nil, "init", filepath.Join(root, "samples", in))
		if code != 0 {
			t.Fatalf("init %s: exit %d: %s", in, code, errs)
		}
		m, err := mapping.Parse([]byte(out), "init.yaml")
		if err != nil {
			t.Fatalf("init %s output does not load: %v\n%s", in, err, out)
		}
		if m.Key == nil || len(m.Fields) < 8 {
			t.Errorf("init %s: key %v, %d fields:\n%s", in, m.Key, len(m.Fields), out)
		}
	}
}

// buildBinary builds custimport into a temp dir for tests that need separate processes.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "custimport")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("go build: %v", err)
	}
	return bin
}

// TestStateLocked: a second run on a state file another run holds exits 2 at once,
// naming the file and the other run's process id.
func TestStateLocked(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeTestFile(t, in, "Customer ID,First Name\nA,Ann\n")
	mp := filepath.Join(dir, "m.yaml")
	writeTestFile(t, mp, "key: Customer ID\nfields:\n  first_name: First Name\n")
	statePath := filepath.Join(dir, "state.db")
	held, err := state.Open(statePath, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, errs := runCLI(t, nil, "run", "--sandbox", "--state", statePath, "--mapping", mp, in)
	if code != 2 || !strings.Contains(errs, statePath) || !strings.Contains(errs, fmt.Sprint(os.Getpid())) {
		t.Errorf("exit %d, stderr %q: want 2, naming %s and pid %d", code, errs, statePath, os.Getpid())
	}
}

// TestInitGuessesHeaderRow: init finds a header below title rows in real workbooks.
func TestInitGuessesHeaderRow(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "..", "shared", "realdata", "xlsx")
	for file, want := range map[string]string{
		"calamine_header-row.xlsx":  "header_row: 9",
		"tealeg_inlineStrings.xlsx": "header_row: 10",
	} {
		path := filepath.Join(dir, file)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s: %v", path, err)
		}
		code, out, errs := runCLI(t, nil, "init", path)
		if code != 0 || !strings.Contains(out, want+"\n") {
			t.Errorf("init %s: exit %d, want %q in:\n%s%s", file, code, want, out, errs)
		}
	}
}

// TestCSVTitleAboveHeader: a semicolon CSV with a title line above its header. init finds
// the header and its delimiter, and validate reads the file with the mapping init wrote.
func TestCSVTitleAboveHeader(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "title.csv")
	if err := os.WriteFile(in, []byte("Report for shop\nFirst Name;Email\nAnn;ann@example.com\nBob;bob@\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, nil, "init", in)
	if code != 0 || !strings.Contains(out, "header_row: 2\n") || !strings.Contains(out, "first_name: {column: First Name") {
		t.Fatalf("init: exit %d:\n%s%s", code, out, errs)
	}
	m := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(m, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "r.csv")
	code, out, errs = runCLI(t, nil, "validate", "--mapping", m, "--results", res, in)
	if code != 1 || !strings.Contains(out+errs, "1 valid, 1 invalid") {
		t.Fatalf("validate: exit %d, want 1 with 1 valid, 1 invalid:\n%s%s", code, out, errs)
	}
}

// TestSheetOnCSV: --sheet names a sheet of a workbook; given with a CSV input it is an
// error (exit 2), not silently ignored.
func TestSheetOnCSV(t *testing.T) {
	root := repoRoot(t)
	res := filepath.Join(t.TempDir(), "r.csv")
	code, out, errs := runCLI(t, nil, "validate", "--sheet", "Customers", "--mapping", filepath.Join(root, "samples", "mapping.yaml"),
		"--results", res, filepath.Join(root, "samples", "customers.csv"))
	if code != 2 || !strings.Contains(errs, "--sheet applies to .xlsx files only") {
		t.Fatalf("exit %d, want 2 naming --sheet:\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(res); err == nil {
		t.Error("a results file was written")
	}
}

// TestValidateWithStatePrintsProblemsOnly: after a run, a dry run with the state prints
// its invalid rows and warnings, not a line per unchanged row; the summary counts them.
func TestValidateWithStatePrintsProblemsOnly(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	st := filepath.Join(dir, "s.db")
	m, in := filepath.Join(root, "samples", "mapping.yaml"), filepath.Join(root, "samples", "customers.csv")
	if code, out, errs := runCLI(t, nil, "run", "--sandbox", "--rate", "0", "--state", st, "--mapping", m,
		"--results", filepath.Join(dir, "r1.csv"), in); code != 1 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, nil, "validate", "--state", st, "--mapping", m, "--results", filepath.Join(dir, "r2.csv"), in)
	if code != 1 {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out, "would not be sent") || !strings.Contains(out, ": invalid: ") {
		t.Errorf("validate printed:\n%s", out)
	}
	if !strings.Contains(out+errs, "with the state: 41 would be unchanged") {
		t.Errorf("no prediction line in:\n%s%s", out, errs)
	}
}
