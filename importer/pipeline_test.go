package importer

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestDryRunTexts: a dry run of a CSV file, whose rows travel as texts read straight into
// jobs used again and again, writes every row's input as read, padded to the header's
// width, with the secret column blanked, and warns of cells beyond the header.
func TestDryRunTexts(t *testing.T) {
	const n = 2000 // many batches: jobs are used again
	var b strings.Builder
	b.WriteString("ID,Email,Password,Note\n")
	for i := range n {
		email := fmt.Sprintf("p%d@example.com", i)
		if i%7 == 0 {
			email = "not-an-email"
		}
		pw := fmt.Sprintf("pw%d", i)
		if i%5 == 0 {
			pw = ""
		}
		switch {
		case i%11 == 0:
			fmt.Fprintf(&b, "K%d,%s\n", i, email) // short
		case i%13 == 0:
			fmt.Fprintf(&b, "K%d,%s,%s,n%d,x,y\n", i, email, pw, i) // two cells too many
		case i%17 == 0:
			fmt.Fprintf(&b, "K%d,%s,%s,n%d, ,\n", i, email, pw, i) // blank cells too many
		default:
			fmt.Fprintf(&b, "K%d,%s,%s,n%d\n", i, email, pw, i)
		}
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", b.String())
	m := parseMapping(t, "key: ID\nfields:\n  email: Email\n  customer_password: Password\n")
	out := filepath.Join(dir, "results.csv")
	if _, err := Run(context.Background(), Options{Input: in, Mapping: m, Results: out, DryRun: true, Logger: zap.NewNop()}); err != nil {
		t.Fatal(err)
	}
	rows := readRagged(t, out)
	if len(rows) != n {
		t.Fatalf("%d result rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		wantStatus, wantPw, wantNote, wantWarn := "valid", "[redacted]", fmt.Sprintf("n%d", i), false
		if i%7 == 0 {
			wantStatus = "invalid"
		}
		if i%5 == 0 {
			wantPw = ""
		}
		switch {
		case i%11 == 0:
			wantPw, wantNote = "", ""
		case i%13 == 0:
			wantWarn = true
		}
		// Every row as wide as the header: cells beyond it are left out of the results.
		if len(r) != 10 {
			t.Fatalf("row %d: %d columns, want 10", i, len(r))
		}
		warned := strings.Contains(r["message"], "warning: 2 cells were beyond the header's 4 columns ignored")
		if r["status"] != wantStatus || r["ID"] != fmt.Sprintf("K%d", i) || r["Password"] != wantPw || r["Note"] != wantNote || warned != wantWarn {
			t.Fatalf("row %d: %v; want status %s, Password %q, Note %q, warning %v", i, r, wantStatus, wantPw, wantNote, wantWarn)
		}
	}
}

// readRagged reads a results CSV whose rows may have more cells than its header (rows
// longer than the input's header), by column name; the cells beyond the header are
// counted as "extra1", "extra2" and so on.
func readRagged(tb testing.TB, path string) []resultRow {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff")))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		tb.Fatalf("results %s: %v", path, err)
	}
	var out []resultRow
	for _, rec := range recs[1:] {
		r := resultRow{}
		for i, v := range rec {
			if i < len(recs[0]) {
				r[recs[0][i]] = v
			} else {
				r[fmt.Sprintf("extra%d", i-len(recs[0])+1)] = v
			}
		}
		out = append(out, r)
	}
	return out
}
