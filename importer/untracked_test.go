package importer

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

// TestUntrackedRowsWarned: with a state, a row with no key, code or card number is sent
// and warned about (the state cannot remember it: the next night creates it again), and
// a row with a key is not; without a state, neither is.
func TestUntrackedRowsWarned(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	const mappingYAML = "key: Customer ID\nfields:\n  first_name: First Name\n  email: Email\n"
	in := writeFile(t, dir, "u.csv", "Customer ID,First Name,Email\nC1,Ann,ann@example.com\n,Bob,bob@example.com\n")
	_, rows := runWithState(t, env, filepath.Join(dir, "state.db"), in, mappingYAML, false)
	if len(rows) != 2 || rows[0]["status"] != string(report.StatusNew) || rows[1]["status"] != string(report.StatusNew) {
		t.Fatalf("rows %v, want both new", rows)
	}
	if strings.Contains(rows[0]["message"], mapping.ReasonUntracked) || !strings.Contains(rows[1]["message"], "warning: "+mapping.ReasonUntracked) {
		t.Errorf("messages %q, %q: want the warning on the second row only", rows[0]["message"], rows[1]["message"])
	}

	o := runOpts(t, env, parseMapping(t, mappingYAML), in)
	mustRun(t, o)
	for _, r := range readResults(t, in+".results.csv") {
		if strings.Contains(r["message"], mapping.ReasonUntracked) {
			t.Errorf("row %s without a state: %q", r["row"], r["message"])
		}
	}
}
