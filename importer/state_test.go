package importer

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

func openStore(tb testing.TB, path string, readOnly bool) *state.Store {
	tb.Helper()
	st, err := state.Open(path, state.Options{ReadOnly: readOnly})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// runWithState runs input against env with the state at path and returns the results.
func runWithState(tb testing.TB, env *testEnv, statePath, input, mappingYAML string, force bool) (*Result, []resultRow) {
	tb.Helper()
	st, err := state.Open(statePath, state.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	o := runOpts(tb, env, parseMapping(tb, mappingYAML), input)
	o.Store, o.Force = st, force
	res := mustRun(tb, o)
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}
	return res, readResults(tb, input+".results.csv")
}

// TestNightlySync: the second run of an unchanged file sends nothing; changing five
// rows sends exactly those five, as updates of the customers the first run created,
// in a file that has no code column at all.
func TestNightlySync(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	const mapping = "key: Customer ID\nfields:\n  first_name: First Name\n  last_name: Last Name\n  email: Email\n"
	csv := customerCSV(100, 0) // a Code column with no codes in it
	in := writeFile(t, dir, "night.csv", csv)

	_, rows := runWithState(t, env, statePath, in, mapping, false)
	if c := statusCounts(rows); c[report.StatusNew] != 100 {
		t.Fatalf("first night: %v, want 100 new", c)
	}
	codes := map[string]string{}
	for _, r := range rows {
		codes[r["Customer ID"]] = r["code"]
	}

	before := env.sb.Stats().Requests
	res, rows := runWithState(t, env, statePath, in, mapping, false)
	if c := statusCounts(rows); c[report.StatusUnchanged] != 100 || res.Summary.Requests != 0 || env.sb.Stats().Requests != before {
		t.Fatalf("second night: %v, %d requests; want 100 unchanged and none sent", c, res.Summary.Requests)
	}
	for _, r := range rows {
		if r["code"] != codes[r["Customer ID"]] {
			t.Errorf("unchanged row %s shows code %q, want %q", r["row"], r["code"], codes[r["Customer ID"]])
		}
	}

	changed := csv
	for _, i := range []string{"3", "17", "42", "77", "99"} {
		changed = strings.Replace(changed, "First"+i+",", "Changed"+i+",", 1)
	}
	writeFile(t, dir, "night.csv", changed)
	before = env.sb.Stats().Requests
	res, rows = runWithState(t, env, statePath, in, mapping, false)
	c := statusCounts(rows)
	if c[report.StatusUpdate] != 5 || c[report.StatusUnchanged] != 95 || res.Summary.Requests != 5 {
		t.Fatalf("third night: %v, %d requests; want 5 update, 95 unchanged, 5 requests", c, res.Summary.Requests)
	}
	if got := env.sb.Stats().Requests - before; got != 5 {
		t.Errorf("the sandbox received %d requests, want 5", got)
	}
	if st := env.sb.Stats(); st.Created != 100 {
		t.Errorf("%d customers created over three nights, want 100", st.Created)
	}
	for _, r := range rows {
		if r["status"] == "update" && r["code"] != codes[r["Customer ID"]] {
			t.Errorf("row %s updated %s, not its customer %s", r["row"], r["code"], codes[r["Customer ID"]])
		}
	}

	// --force sends every row again, still as updates.
	_, rows = runWithState(t, env, statePath, in, mapping, true)
	if c := statusCounts(rows); c[report.StatusUpdate] != 100 {
		t.Errorf("forced: %v, want 100 update", c)
	}
}

// TestResumeInFlight: rows an earlier run left in flight (a crash between sending and
// recording the answer) are re-sent when they name their customer, and end unknown
// when they do not.
func TestResumeInFlight(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	in := writeFile(t, dir, "in.csv", "Customer ID,Code,First Name,Last Name,Email\n"+
		"A,,Ann,A,a@example.com\n"+
		"B,4000000000000004,Bob,B,b@example.com\n"+
		"C,,Cy,C,c@example.com\n")
	st := openStore(t, statePath, false)
	for _, id := range []string{"key:A", "key:B"} {
		if err := st.Begin(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	_, rows := runWithState(t, env, statePath, in, customerMapping, false)
	want := []string{"unknown", "new", "new"}
	for i, w := range want {
		if rows[i]["status"] != w {
			t.Errorf("row %s: %s (%s), want %s", rows[i]["row"], rows[i]["status"], rows[i]["message"], w)
		}
	}
	if rows[0]["attempts"] != "0" {
		t.Errorf("the unknown row was sent")
	}
	// A second run still refuses to send row A blind.
	_, rows = runWithState(t, env, statePath, in, customerMapping, false)
	if rows[0]["status"] != "unknown" || rows[1]["status"] != "unchanged" {
		t.Errorf("rerun: A %s, B %s; want unknown and unchanged", rows[0]["status"], rows[1]["status"])
	}
	// --force is the merchant saying "send it": A goes out, and later runs know its code.
	_, rows = runWithState(t, env, statePath, in, customerMapping, true)
	if rows[0]["status"] != "new" {
		t.Errorf("forced: A %s (%s), want new", rows[0]["status"], rows[0]["message"])
	}
	_, rows = runWithState(t, env, statePath, in, customerMapping, false)
	if rows[0]["status"] != "unchanged" {
		t.Errorf("after the forced run: A %s, want unchanged", rows[0]["status"])
	}
}

// TestDryRunLeavesState: a dry run reads the state, says what would happen, and leaves
// the file byte-identical.
func TestDryRunLeavesState(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	in := writeFile(t, dir, "in.csv", customerCSV(10, 0))
	runWithState(t, env, statePath, in, customerMapping, false)
	writeFile(t, dir, "in.csv", strings.Replace(customerCSV(10, 0), "First3,", "Other,", 1))

	sum := func() [32]byte {
		b, err := os.ReadFile(statePath)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	h := sum()
	st := openStore(t, statePath, true)
	o := runOpts(t, nil, parseMapping(t, customerMapping), in)
	o.DryRun, o.Store = true, st
	mustRun(t, o)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if sum() != h {
		t.Error("the dry run changed the state file")
	}
	rows := readResults(t, in+".results.csv")
	for _, r := range rows {
		if r["status"] != "valid" {
			t.Errorf("row %s: %s", r["row"], r["status"])
		}
		wantUnchanged := r["First Name"] != "Other"
		if got := strings.Contains(r["message"], "unchanged"); got != wantUnchanged {
			t.Errorf("row %s message %q", r["row"], r["message"])
		}
		if !wantUnchanged && !strings.Contains(r["message"], "would update customer") {
			t.Errorf("changed row %s message %q should say it would update its customer", r["row"], r["message"])
		}
	}
}

// TestCardGenerateOnce: card_number_generate gives a customer a card on the night that
// creates it, and is not sent again once the state knows its card (each request for one
// would replace the card), in this run or a later one.
func TestCardGenerateOnce(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	const mapping = "key: Customer ID\nfields:\n  first_name: First Name\n  card_number_generate: { value: \"10\" }\n"
	in := writeFile(t, dir, "cards.csv", "Customer ID,First Name\nK1,Ann\nK2,Bob\nK1,Anne\n")
	_, rows := runWithState(t, env, statePath, in, mapping, false)
	card := rows[0]["card_number"]
	if len(card) != 10 {
		t.Fatalf("first night: K1's card %q, want 10 digits", card)
	}
	if rows[2]["status"] != "update" || rows[2]["card_number"] != "" && rows[2]["card_number"] != card {
		t.Errorf("K1's second row in the same run: %s with card %q; want an update keeping card %s", rows[2]["status"], rows[2]["card_number"], card)
	}
	writeFile(t, dir, "cards.csv", "Customer ID,First Name\nK1,Annie\nK2,Bob\n")
	_, rows = runWithState(t, env, statePath, in, mapping, false)
	if rows[0]["status"] != "update" {
		t.Fatalf("second night: K1 %s, want update", rows[0]["status"])
	}
	found := false
	for _, c := range env.sb.Customers() {
		if c.Fields["first_name"] != "Annie" {
			continue
		}
		found = true
		if c.CardNumber != card {
			t.Errorf("K1's card is %q after the second night, want it kept as %s", c.CardNumber, card)
		}
	}
	if !found {
		t.Error("the sandbox holds no customer named Annie after the second night")
	}
}

// TestDryRunChangedRow: a dry run with state says a changed row of a customer with a
// code of its own would be sent, and shows the code (the input's Code column is headed
// input_Code in the results: see report.inputColumns).
func TestDryRunChangedRow(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	in := writeFile(t, dir, "in.csv", customerCSV(4, 1)) // every row has a code
	runWithState(t, env, statePath, in, customerMapping, false)
	writeFile(t, dir, "in.csv", strings.Replace(customerCSV(4, 1), "First3,", "Other,", 1))
	st := openStore(t, statePath, true)
	o := runOpts(t, nil, parseMapping(t, customerMapping), in)
	o.DryRun, o.Store = true, st
	mustRun(t, o)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range readResults(t, in+".results.csv") {
		changed := r["First Name"] == "Other"
		if got := strings.Contains(r["message"], "changed since the last run: would be sent"); got != changed {
			t.Errorf("row %s (changed %v): message %q", r["row"], changed, r["message"])
		}
		if r["code"] != r["input_Code"] {
			t.Errorf("row %s shows code %q, want its own %q", r["row"], r["code"], r["input_Code"])
		}
	}
}

// markCounter wraps a Store, counting the identities marked in flight and not yet
// answered (the rows a crash would leave unknown), and the most of them at once; and
// the identities reserved and not yet marked (those a crash of the machine would leave
// unknown too), and the most of them at once.
type markCounter struct {
	Store
	delay   time.Duration // added to every Begin: a slow disk
	mu      sync.Mutex
	open    map[string]bool
	maxOpen int
	begins  int

	reserved      map[string]bool
	maxReserved   int
	reserves      int // Reserve calls
	unreserves    int
	beginUnmarked []string // Begins of identities not reserved
}

func (m *markCounter) Reserve(ids []string) error {
	m.mu.Lock()
	if m.reserved == nil {
		m.reserved = map[string]bool{}
	}
	m.reserves++
	for _, id := range ids {
		m.reserved[id] = true
	}
	m.maxReserved = max(m.maxReserved, len(m.reserved))
	m.mu.Unlock()
	return m.Store.Reserve(ids)
}

func (m *markCounter) Unreserve(id string) {
	m.mu.Lock()
	delete(m.reserved, id)
	m.unreserves++
	m.mu.Unlock()
	m.Store.Unreserve(id)
}

func (m *markCounter) Begin(id string) error {
	m.mu.Lock()
	m.open[id] = true
	m.begins++
	m.maxOpen = max(m.maxOpen, len(m.open))
	if !m.reserved[id] {
		m.beginUnmarked = append(m.beginUnmarked, id)
	}
	delete(m.reserved, id)
	m.mu.Unlock()
	time.Sleep(m.delay)
	return m.Store.Begin(id)
}

func (m *markCounter) FinishAsync(id string, e state.Entry) {
	m.Store.FinishAsync(id, e)
	m.mu.Lock()
	delete(m.open, id)
	m.mu.Unlock()
}

func (m *markCounter) Abandon(id, status string) error {
	err := m.Store.Abandon(id, status)
	m.mu.Lock()
	delete(m.open, id)
	m.mu.Unlock()
	return err
}

// TestMarksBounded: with a state, rows that could create a customer are marked ahead
// of a free worker, yet never more than --workers are marked and unanswered at once (a
// crash leaves at most that many unknown), no more than --workers requests are on their
// way at once, every row is sent once, and rows that name their customer are sent while
// the marks wait on a slow disk.
func TestMarksBounded(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", customerCSV(300, 3)) // every third row has a code
	rec := &recorder{
		next: env.client, active: map[string]int{}, order: map[string][]string{},
		keyOf: func(f []mapping.Field) string { return fieldOf(f, "email") },
		seqOf: func(f []mapping.Field) string { return fieldOf(f, "email") },
	}
	const workers = 4
	mc := &markCounter{Store: openStore(t, filepath.Join(dir, "state.db"), false), delay: 3 * time.Millisecond,
		open: map[string]bool{}}
	o := runOpts(t, env, parseMapping(t, customerMapping), in)
	o.Sender, o.Store, o.Workers = rec, mc, workers
	res := mustRun(t, o)
	rows := readResults(t, in+".results.csv")
	if c := statusCounts(rows); c[report.StatusNew] != 300 || res.ExitCode() != 0 {
		t.Fatalf("statuses %v, exit %d; want 300 new", c, res.ExitCode())
	}
	if mc.begins != 200 {
		t.Errorf("%d rows marked, want the 200 without a code", mc.begins)
	}
	if mc.maxOpen > workers {
		t.Errorf("%d rows marked and unanswered at once, want at most %d", mc.maxOpen, workers)
	}
	if mc.maxOpen < 2 {
		t.Errorf("at most %d rows marked at once: marks did not overlap", mc.maxOpen)
	}
	if rec.maxPar > workers {
		t.Errorf("%d requests at once, want at most %d", rec.maxPar, workers)
	}
	if rec.calls != 300 || len(rec.overlap) > 0 {
		t.Errorf("%d requests (overlaps %v), want 300 and none", rec.calls, rec.overlap)
	}
}

// TestReservationsGrouped: rows that could create a customer are reserved before their
// marks, many in one Reserve (one sync), never more than reserveWindow × --workers at once; a run
// stopped midway clears the reservations of the rows it did not send, and leaves in
// flight only rows it sent.
func TestReservationsGrouped(t *testing.T) {
	for _, stop := range []bool{false, true} {
		t.Run(map[bool]string{false: "whole run", true: "stopped"}[stop], func(t *testing.T) {
			env := newEnv(t, sandbox.Config{Latency: time.Millisecond})
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", customerCSV(600, 3))
			const workers = 4
			statePath := filepath.Join(dir, "state.db")
			mc := &markCounter{Store: openStore(t, statePath, false), open: map[string]bool{}}
			o := runOpts(t, env, parseMapping(t, customerMapping), in)
			o.Store, o.Workers = mc, workers
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if stop {
				sent := 0
				o.OnRow = func(_ int, st report.Status, _ []string) {
					if st == report.StatusNew {
						if sent++; sent == 100 {
							cancel()
						}
					}
				}
			}
			res, err := Run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(mc.beginUnmarked) > 0 {
				t.Errorf("%d rows marked without a reservation, e.g. %s", len(mc.beginUnmarked), mc.beginUnmarked[0])
			}
			if mc.maxReserved > reserveWindow*workers {
				t.Errorf("%d rows reserved and not marked at once, want at most %d", mc.maxReserved, reserveWindow*workers)
			}
			if len(mc.reserved) != 0 {
				t.Errorf("%d reservations left neither marked nor cleared", len(mc.reserved))
			}
			c := statusCounts(readResults(t, in+".results.csv"))
			if !stop {
				if c[report.StatusNew] != 600 || res.ExitCode() != 0 {
					t.Fatalf("statuses %v, exit %d; want 600 new", c, res.ExitCode())
				}
				if mc.begins != 400 || mc.reserves > mc.begins/2 {
					t.Errorf("%d Reserve calls for %d marks: reservations not grouped", mc.reserves, mc.begins)
				}
				return
			}
			if c[report.StatusSkipped] == 0 || res.ExitCode() != 3 {
				t.Fatalf("statuses %v, exit %d; want some skipped, exit 3", c, res.ExitCode())
			}
			if err := mc.Store.(*state.Store).Close(); err != nil {
				t.Fatal(err)
			}
			st := openStore(t, statePath, true)
			stats, err := st.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if stats.InFlight != 0 {
				t.Errorf("%d identities left in flight by a run that stopped cleanly", stats.InFlight)
			}
			t.Logf("statuses %v, %d Reserve calls, %d cleared, %d marks; state %+v", c, mc.reserves, mc.unreserves, mc.begins, stats)
		})
	}
}
