package importer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/mapping"
)

// addOnceMapping sends 25 points with every row (auto_add): a request that adds them
// each time it is applied.
const addOnceMapping = customerMapping + "  auto_add: {value: \"25\"}\n"

// TestAutoAddNotRepeated: the sandbox applies each call, then drops the connection. A
// row with a code is repeated after such a failure, as the contract's rule has it, unless
// it sends auto_add: each repeat would add the points again, so it ends unknown after
// one attempt.
func TestAutoAddNotRepeated(t *testing.T) {
	for _, tc := range []struct {
		name, mapping, status, attempts string
		updated                         int64
	}{
		{name: "code", mapping: customerMapping, status: "error", attempts: "3", updated: 3},
		{name: "code and auto_add", mapping: addOnceMapping, status: "unknown", attempts: "1", updated: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, sandbox.Config{DropRate: 1})
			in := writeFile(t, t.TempDir(), "in.csv", "Customer ID,Code,First Name,Last Name,Email\n"+
				"B,9000000000000001,Bob,B,b@example.com\n")
			o := runOpts(t, env, parseMapping(t, tc.mapping), in)
			o.Retries = 2
			mustRun(t, o)
			rows := readResults(t, in+".results.csv")
			if rows[0]["status"] != tc.status || rows[0]["attempts"] != tc.attempts {
				t.Fatalf("%s after %s attempts (%q), want %s after %s", rows[0]["status"], rows[0]["attempts"],
					rows[0]["message"], tc.status, tc.attempts)
			}
			if tc.status == "unknown" && !strings.Contains(rows[0]["message"], "auto_add") {
				t.Errorf("message %q does not say why", rows[0]["message"])
			}
			// The first call creates the customer (its code matched none), the repeats
			// update it.
			if st := env.sb.Stats(); st.Created+st.Updated != tc.updated {
				t.Errorf("sandbox applied %d calls, want %d", st.Created+st.Updated, tc.updated)
			}
		})
	}
}

// TestAutoAddInFlightNotResent: after a kill, a row with a code and auto_add that was in
// flight is not sent again by the rerun (it may have been applied); --force sends it.
func TestAutoAddInFlightNotResent(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	st := openStore(t, statePath, false)
	if err := st.Begin("key:B"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, dir, "in.csv", "Customer ID,Code,First Name,Last Name,Email\n"+
		"B,9000000000000001,Bob,B,b@example.com\n")
	_, rows := runWithState(t, env, statePath, in, addOnceMapping, false)
	if rows[0]["status"] != "unknown" || rows[0]["attempts"] != "0" || env.sb.Stats().Requests != 0 {
		t.Fatalf("rerun: %s, %s attempts, %d requests; want unknown, none sent", rows[0]["status"], rows[0]["attempts"], env.sb.Stats().Requests)
	}
	_, rows = runWithState(t, env, statePath, in, addOnceMapping, true)
	if rows[0]["status"] != "new" || env.sb.Stats().Requests != 1 {
		t.Fatalf("with --force: %s, %d requests; want new, 1", rows[0]["status"], env.sb.Stats().Requests)
	}
}

// TestNamedUnknownPassesItsCode: a row that names its customer by code and ends unknown
// (auto_add, no answer) cannot have created another customer: a later row of the same
// key without a code is sent with that code, not left unknown.
func TestNamedUnknownPassesItsCode(t *testing.T) {
	in := writeFile(t, t.TempDir(), "in.csv", "Customer ID,Code,First Name,Last Name,Email\n"+
		"B,9000000000000001,Bob,B,b@example.com\n"+
		"B,,Bobby,B,b@example.com\n")
	var sent [][]mapping.Field
	o := runOpts(t, nil, parseMapping(t, addOnceMapping), in)
	o.Sender = senderFunc(func(_ context.Context, fs []mapping.Field) api.Outcome {
		sent = append(sent, fs)
		if len(sent) == 1 {
			return api.Outcome{Kind: api.MaybeProcessed, Message: "connection reset"}
		}
		return api.Outcome{Kind: api.Success, Status: "update", Code: fieldValue(fs, "code")}
	})
	o.Workers = 1
	mustRun(t, o)
	rows := readResults(t, in+".results.csv")
	if rows[0]["status"] != "unknown" {
		t.Fatalf("row 2: %s (%s), want unknown", rows[0]["status"], rows[0]["message"])
	}
	if rows[1]["status"] != "update" || len(sent) != 2 || fieldValue(sent[1], "code") != "9000000000000001" {
		t.Errorf("row 3: %s (%s), %d requests; want it sent with the code of row 2", rows[1]["status"], rows[1]["message"], len(sent))
	}
}
