package importer

import (
	"fmt"
	"testing"

	"github.com/custimport/custimport/importer/sandbox"
)

func TestKeyMemory(t *testing.T) {
	k := newKeyMemory(3)
	k.note("a", keyOutcome{code: "1"})
	k.note("b", keyOutcome{code: "2"})
	k.note("a", keyOutcome{code: "11"}) // an update keeps a's place
	k.note("c", keyOutcome{unknown: 7})
	if o, ok := k.get("a"); !ok || o.code != "11" {
		t.Errorf("a = %+v, %v; want code 11", o, ok)
	}
	k.note("d", keyOutcome{code: "4"}) // forgets the oldest: a
	if _, ok := k.get("a"); ok {
		t.Error("a still remembered past the memory's size")
	}
	for _, key := range []string{"b", "c", "d"} {
		if _, ok := k.get(key); !ok {
			t.Errorf("%s forgotten", key)
		}
	}
	if len(k.m) != 3 {
		t.Errorf("%d keys held, want 3", len(k.m))
	}
}

// TestRunKeyRepeatsFarApart: without a state, a key that comes back long after its first
// row finished updates the customer that row created rather than creating another.
func TestRunKeyRepeatsFarApart(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	csv := "Customer ID,Code,First Name,Last Name,Email\n"
	for i := range 2000 {
		csv += fmt.Sprintf("K%d,,Ann,A,a%d@example.com\n", i, i)
	}
	csv += "K5,,Anne,A,a5@example.com\n"
	in := writeFile(t, dir, "in.csv", csv)
	o := runOpts(t, env, parseMapping(t, customerMapping), in)
	mustRun(t, o)
	rows := readResults(t, in+".results.csv")
	last := rows[len(rows)-1]
	if last["status"] != "update" || last["code"] != rows[5]["code"] {
		t.Errorf("K5 again: %s with code %q, want an update of %q", last["status"], last["code"], rows[5]["code"])
	}
	if st := env.sb.Stats(); st.Created != 2000 {
		t.Errorf("sandbox created %d customers, want 2000", st.Created)
	}
}
