package importer

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/importer/state"
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

// TestDryRunStatePredictsRun: for rows a crashed run left in flight, a dry run with the
// state predicts what the real run then does: unknown where it ends unknown, sent where
// it sends. (A known card means card_number_generate is not sent again, so the row can
// be repeated; --force sends whatever the state says.)
func TestDryRunStatePredictsRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fields   string      // mapping lines beyond first_name
		entry    state.Entry // what the crashed run's state holds, then marked in flight
		force    bool
		wantSent bool
	}{
		{"no code", "  card_number_generate: {value: \"8\"}\n", state.Entry{}, false, false},
		{"code and card known, card_number_generate", "  card_number_generate: {value: \"8\"}\n",
			state.Entry{Code: "1000000000000001", CardNumber: "55550001", Status: "new"}, false, true},
		{"code, auto_add", "  auto_add: {value: \"25\"}\n",
			state.Entry{Code: "1000000000000001", Status: "new"}, false, false},
		{"code, auto_add, --force", "  auto_add: {value: \"25\"}\n",
			state.Entry{Code: "1000000000000001", Status: "new"}, true, true},
		{"no code, --force", "  card_number_generate: {value: \"8\"}\n", state.Entry{}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, sandbox.Config{})
			dir := t.TempDir()
			statePath := filepath.Join(dir, "state.db")
			known := map[string]state.Entry{}
			if tc.entry != (state.Entry{}) {
				known["key:K1"] = tc.entry
			}
			leftInFlight(t, statePath, known, "key:K1")
			mappingYAML := "key: ID\nfields:\n  first_name: First\n" + tc.fields
			in := writeFile(t, dir, "in.csv", "ID,First\nK1,Ann\n")

			o := runOpts(t, env, parseMapping(t, mappingYAML), in)
			o.DryRun, o.Force, o.Store = true, tc.force, openStore(t, statePath, true)
			res := mustRun(t, o)
			predictedUnknown := res.Summary.Predicted["unknown"] == 1
			if err := o.Store.(*state.Store).Close(); err != nil {
				t.Fatal(err)
			}
			_, rows := runWithState(t, env, statePath, in, mappingYAML, tc.force)
			sent := rows[0]["status"] == string(report.StatusNew) || rows[0]["status"] == string(report.StatusUpdate)
			if sent != tc.wantSent || rows[0]["status"] != string(report.StatusUnknown) && !sent {
				t.Fatalf("the run: %s (%s), want sent %v", rows[0]["status"], rows[0]["message"], tc.wantSent)
			}
			if !sent && rows[0]["code"] != tc.entry.Code {
				t.Errorf("unknown row shows code %q, want the remembered %q", rows[0]["code"], tc.entry.Code)
			}
			if predictedUnknown == sent {
				t.Errorf("the dry run predicted %v (unknown: %v); the run %s the row", res.Summary.Predicted,
					predictedUnknown, map[bool]string{true: "sent", false: "did not send"}[sent])
			}
		})
	}
}

// TestDryRunStateEarlierRowNames: a row left in flight without a code is sent by the
// real run when an earlier row of its key in the file names the customer (it passes its
// code on), and the dry run says so, row by row.
func TestDryRunStateEarlierRowNames(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	leftInFlight(t, statePath, nil, "key:K1")
	const mappingYAML = "key: ID\nfields:\n  code: Code\n  first_name: First\n"
	in := writeFile(t, dir, "in.csv", "ID,Code,First\nK1,,Ann\nK1,6101000000000001,Anne\nK1,,Annie\n")

	o := runOpts(t, env, parseMapping(t, mappingYAML), in)
	o.DryRun, o.Store = true, openStore(t, statePath, true)
	mustRun(t, o)
	if err := o.Store.(*state.Store).Close(); err != nil {
		t.Fatal(err)
	}
	predicted := readResults(t, in+".results.csv")
	_, rows := runWithState(t, env, statePath, in, mappingYAML, false)
	for i, r := range rows {
		wouldBeUnknown := strings.Contains(predicted[i]["message"], "would end unknown")
		if (r["status"] == string(report.StatusUnknown)) != wouldBeUnknown {
			t.Errorf("row %s: the run made it %s (%s); the dry run said %q", r["row"], r["status"], r["message"], predicted[i]["message"])
		}
	}
}
