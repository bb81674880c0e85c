package importer

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/report"
)

// TestDryRunStateDuplicateKey: a file with two rows of one key and other data sends both
// every night (the second row undoes the first). A dry run with the state must not say
// that the second row, equal to what the state last sent, would not be sent.
func TestDryRunStateDuplicateKey(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	const mappingYAML = "key: ID\nfields:\n  first_name: First\n"
	in := writeFile(t, dir, "dd.csv", "ID,First\nD1,Ann\nD1,Anne\nD2,Bob\n")
	runWithState(t, env, statePath, in, mappingYAML, false)
	_, rows := runWithState(t, env, statePath, in, mappingYAML, false)
	if c := statusCounts(rows); c[report.StatusUpdate] != 2 || c[report.StatusUnchanged] != 1 {
		t.Fatalf("second night %v, want 2 update (both D1 rows), 1 unchanged", c)
	}

	o := runOpts(t, env, parseMapping(t, mappingYAML), in)
	o.DryRun, o.Store = true, openStore(t, statePath, true)
	res := mustRun(t, o)
	want := map[string]int{"unchanged": 1, "update_remembered": 1, "send": 1, "not_in_state": 0, "unknown": 0}
	if !maps.Equal(res.Summary.Predicted, want) {
		t.Errorf("predicted %v, want %v", res.Summary.Predicted, want)
	}
	rows = readResults(t, in+".results.csv")
	if m := rows[0]["message"]; strings.Contains(m, "would not be sent") || !strings.Contains(m, "would update customer") {
		t.Errorf("row 2: %q", rows[0]["message"])
	}
	if m := rows[1]["message"]; strings.Contains(m, "would not be sent") || !strings.Contains(m, "this one would be sent after it") {
		t.Errorf("row 3: %q", m)
	}
	if m := rows[2]["message"]; !strings.Contains(m, "unchanged since the last run: would not be sent") {
		t.Errorf("row 4: %q", m)
	}
}
