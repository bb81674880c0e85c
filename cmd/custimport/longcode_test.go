package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custimport/custimport/mapping"
)

// TestLongCodeInvalidNotUnknown: a code longer than the client reads in an answer is
// invalid before it is sent, rather than sent and ended unknown; the longest it reads is
// sent and answered.
func TestLongCodeInvalidNotUnknown(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeTestFile(t, in, "Code,First Name\n"+strings.Repeat("1", mapping.MaxDigits+1)+",Ann\n"+strings.Repeat("2", mapping.MaxDigits)+",Bob\n")
	mp := filepath.Join(dir, "m.yaml")
	writeTestFile(t, mp, "fields:\n  code: Code\n  first_name: First Name\n")
	res := filepath.Join(dir, "r.csv")
	code, out, errs := runCLI(t, nil, "run", "--sandbox", "--rate", "0", "--mapping", mp, "--results", res, in)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	b, err := os.ReadFile(res)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "2,invalid,") || !strings.HasPrefix(lines[2], "3,new,") {
		t.Errorf("results:\n%s\nwant row 2 invalid, row 3 new", b)
	}
}
