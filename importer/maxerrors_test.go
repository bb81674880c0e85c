package importer

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/report"
)

// TestMaxErrorsCountsThisRun: rows that end unknown because an earlier run's request
// never got its answer are not sent, and do not count towards --max-errors: a nightly
// run with --max-errors 2 and three such rows still sends its new rows.
func TestMaxErrorsCountsThisRun(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	// A run killed while M1..M3 were in flight.
	st, err := state.Open(statePath, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"M1", "M2", "M3"} {
		if err := st.Begin("key:" + k); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, dir, "m.csv", "ID,First\nM1,A\nM2,B\nM3,C\nM4,D\nM5,E\n")
	st, err = state.Open(statePath, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := runOpts(t, env, parseMapping(t, "key: ID\nfields:\n  first_name: First\n"), in)
	o.Store, o.MaxErrors = st, 2
	res := mustRun(t, o)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if errors.Is(res.Stopped, ErrMaxErrors) || res.ExitCode() != 1 {
		t.Fatalf("stopped %v, exit %d; want no stop and exit 1", res.Stopped, res.ExitCode())
	}
	c := statusCounts(readResults(t, in+".results.csv"))
	if c[report.StatusUnknown] != 3 || c[report.StatusNew] != 2 || res.Summary.Requests != 2 {
		t.Errorf("counts %v, %d requests; want 3 unknown, 2 new, 2 requests", c, res.Summary.Requests)
	}
}
