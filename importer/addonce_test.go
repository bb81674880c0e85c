package importer

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/importer/state"
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
			if tc.status == "error" && !strings.Contains(rows[0]["message"], "may have been applied") {
				t.Errorf("message %q does not say the request may have been applied", rows[0]["message"])
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

// TestNamedUnknownHoldsLaterRows: a row that names its customer by code and ends
// unknown (auto_add, no answer) may have made the customer under another code (the
// API's rule 3): a later row of the same key without a code is not sent, whether it
// comes right after it or thousands of rows later.
func TestNamedUnknownHoldsLaterRows(t *testing.T) {
	for _, between := range []int{0, 3000} {
		t.Run(fmt.Sprintf("%d rows between", between), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("Customer ID,Code,First Name,Last Name,Email\n")
			b.WriteString("B,9000000000000001,Bob,B,b@example.com\n")
			for i := range between {
				fmt.Fprintf(&b, "O%d,,Other,O,o%d@example.com\n", i, i)
			}
			b.WriteString("B,,Bobby,B,b@example.com\n")
			in := writeFile(t, t.TempDir(), "in.csv", b.String())
			var mu sync.Mutex
			var sentB int
			o := runOpts(t, nil, parseMapping(t, addOnceMapping), in)
			o.Sender = senderFunc(func(_ context.Context, fs []mapping.Field) api.Outcome {
				if fieldOf(fs, "first_name") == "Other" {
					return api.Outcome{Kind: api.Success, Status: "new", Code: "1"}
				}
				mu.Lock()
				sentB++
				mu.Unlock()
				return api.Outcome{Kind: api.MaybeProcessed, Message: "connection reset"}
			})
			mustRun(t, o)
			rows := readResults(t, in+".results.csv")
			first, last := rows[0], rows[len(rows)-1]
			if first["status"] != "unknown" || last["status"] != "unknown" || sentB != 1 {
				t.Errorf("first B row %s, last B row %s (%s), %d requests for B; want both unknown, 1 request",
					first["status"], last["status"], last["message"], sentB)
			}
		})
	}
}

// TestRejectedCodeGoesOn: a row named by its code that the API rejects passes that code
// to a later row of its key without one, which updates that customer rather than make
// a new one; but a code the state remembers for the key goes first (the API may have
// refused the row's code itself).
func TestRejectedCodeGoesOn(t *testing.T) {
	for _, remembered := range []string{"", "4108263931473242"} {
		t.Run("remembered="+remembered, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", "Customer ID,Code,First Name,Last Name,Email\n"+
				"B,9998000000000001,Bob,B,b@example.com\n"+
				"B,,Bobby,B,b@example.com\n")
			var codes []string
			o := runOpts(t, nil, parseMapping(t, customerMapping), in)
			o.Workers = 1
			o.Sender = senderFunc(func(_ context.Context, fs []mapping.Field) api.Outcome {
				codes = append(codes, fieldOf(fs, "code"))
				if len(codes) == 1 {
					return api.Outcome{Kind: api.Rejected, Message: "card number already belongs to another customer"}
				}
				return api.Outcome{Kind: api.Success, Status: "update", Code: fieldOf(fs, "code")}
			})
			if remembered != "" {
				st, err := state.Open(filepath.Join(dir, "state.db"), state.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := st.Finish("key:B", state.Entry{Code: remembered, Status: "new"}); err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				o.Store = st
			}
			mustRun(t, o)
			want := cmp.Or(remembered, "9998000000000001")
			if len(codes) != 2 || codes[1] != want {
				t.Errorf("requests with codes %q; want the second with %s", codes, want)
			}
		})
	}
}

// TestUnknownShowsSentCode: a row left in flight that ends unknown shows the code it
// was sent with (its own), the customer to check, not another the state remembers.
func TestUnknownShowsSentCode(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	leftInFlight(t, statePath, map[string]state.Entry{"key:B": {Code: "8424614578368245", Status: "new"}}, "key:B")
	// Points only on the first row: the second could be repeated, were it named.
	in := writeFile(t, dir, "in.csv", "Customer ID,Code,First Name,Last Name,Email,Points\n"+
		"B,9000000000007202,Bob,B,b@example.com,25\n"+
		"B,,Bobby,B,b@example.com,\n")
	_, rows := runWithState(t, env, statePath, in, customerMapping+"  auto_add: Points\n", false)
	if rows[0]["status"] != "unknown" || rows[0]["code"] != "9000000000007202" {
		t.Errorf("%s with code %q, want unknown with the code it was sent with", rows[0]["status"], rows[0]["code"])
	}
	// The code it shows is no answer: the request may have made the customer under
	// another (the API's rule 3), so the next row of the key is not sent with it.
	if rows[1]["status"] != "unknown" || env.sb.Stats().Requests != 0 {
		t.Errorf("next row of the key: %s (%s), %d requests; want unknown, none sent",
			rows[1]["status"], rows[1]["message"], env.sb.Stats().Requests)
	}
}
