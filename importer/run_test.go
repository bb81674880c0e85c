package importer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

// TestRunStatuses produces new, update, invalid and error for real against the sandbox
// and checks every row of the results file against the sandbox's store.
func TestRunStatuses(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	// Row 3 updates the customer row 2 creates (same code); row 4 is invalid (e-mail);
	// row 5 is rejected by the API (custom field 7 is not declared in the account);
	// row 6 has a code that matches nobody: the API creates it with that code.
	in := writeFile(t, dir, "in.csv", `Code,First Name,Email,Note
1111222233334444,Ann,ann@example.com,
1111222233334444,Anne,ann@example.com,
,Bob,bob@,
,Cy,cy@example.com,rejected
5555,Dee,dee@example.com,
`)
	m := parseMapping(t, `
fields:
  code: Code
  first_name: First Name
  email: Email
  custom_field_7: Note
`)
	res := mustRun(t, runOpts(t, env, m, in))
	rows := readResults(t, in+".results.csv")
	want := []struct {
		row    string
		status report.Status
		msg    string
	}{
		{"2", report.StatusNew, ""},
		{"3", report.StatusUpdate, ""},
		{"4", report.StatusInvalid, "email"},
		{"5", report.StatusError, "custom field"},
		{"6", report.StatusNew, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d result rows, want %d", len(rows), len(want))
	}
	customers := map[string]sandbox.Customer{}
	for _, c := range env.sb.Customers() {
		customers[c.Code] = c
	}
	for i, w := range want {
		r := rows[i]
		if r["row"] != w.row || report.Status(r["status"]) != w.status {
			t.Errorf("result %d: row %s status %s, want row %s status %s (%s)", i, r["row"], r["status"], w.row, w.status, r["message"])
		}
		if !strings.Contains(r["message"], w.msg) {
			t.Errorf("row %s: message %q lacks %q", r["row"], r["message"], w.msg)
		}
		if w.status == report.StatusNew || w.status == report.StatusUpdate {
			c, ok := customers[r["code"]]
			if !ok {
				t.Errorf("row %s: code %q not in the sandbox", r["row"], r["code"])
			} else if r["status"] == "new" && c.Fields["first_name"] == "" {
				t.Errorf("row %s: sandbox customer has no first name", r["row"])
			}
		}
	}
	if rows[4]["code"] != "5555" {
		t.Errorf("row 6 code %q, want the code it sent (5555)", rows[4]["code"])
	}
	if got := customers["1111222233334444"].Fields["first_name"]; got != "Anne" {
		t.Errorf("the update was not applied last: first_name %q", got)
	}
	if res.ExitCode() != 1 || res.Stopped != nil {
		t.Errorf("exit %d stopped %v, want 1 and nil", res.ExitCode(), res.Stopped)
	}
	if st := env.sb.Stats(); st.Created != 2 || st.Updated != 1 {
		t.Errorf("sandbox created %d updated %d, want 2 and 1", st.Created, st.Updated)
	}
}

// TestRunUnknownAfterDrop: the sandbox applies each call and then drops the connection.
// A row with no code or card may have created a customer: it ends unknown after one
// attempt. A row with a code is repeated, and lands on the same customer every time.
func TestRunUnknownAfterDrop(t *testing.T) {
	env := newEnv(t, sandbox.Config{DropRate: 1})
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "Customer ID,Code,First Name,Last Name,Email\n"+
		"A,,Ann,A,a@example.com\n"+
		"B,9000000000000001,Bob,B,b@example.com\n")
	o := runOpts(t, env, parseMapping(t, customerMapping), in)
	o.Retries = 2
	mustRun(t, o)
	rows := readResults(t, in+".results.csv")
	if rows[0]["status"] != "unknown" || rows[0]["attempts"] != "1" {
		t.Errorf("row without code: %s after %s attempts, want unknown after 1", rows[0]["status"], rows[0]["attempts"])
	}
	if rows[1]["status"] != "error" || rows[1]["attempts"] != "3" {
		t.Errorf("row with code: %s after %s attempts, want error after 3", rows[1]["status"], rows[1]["attempts"])
	}
	st := env.sb.Stats()
	if st.Created != 2 || st.Updated != 2 {
		t.Errorf("sandbox created %d, updated %d; want 2 (one each) and 2 (the code row's repeats)", st.Created, st.Updated)
	}
}

// TestRunUnknownKeyLane: after a row of a key ends unknown (it may have created the
// customer), later rows of that key without a code are not sent either, with or without
// a state: each would create the customer again.
func TestRunUnknownKeyLane(t *testing.T) {
	for _, withState := range []bool{false, true} {
		t.Run(fmt.Sprintf("state=%v", withState), func(t *testing.T) {
			env := newEnv(t, sandbox.Config{DropRate: 1})
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", "Customer ID,Code,First Name,Last Name,Email\n"+
				"K1,,Ann,A,a@example.com\n"+
				"K1,,Anne,A,a@example.com\n"+
				"K1,,Annie,A,a@example.com\n"+
				"K2,,Bob,B,b@example.com\n")
			o := runOpts(t, env, parseMapping(t, customerMapping), in)
			if withState {
				o.Store = openStore(t, filepath.Join(dir, "state.db"), false)
			}
			mustRun(t, o)
			rows := readResults(t, in+".results.csv")
			for i, r := range rows {
				if r["status"] != "unknown" {
					t.Errorf("row %d: %s, want unknown", i+2, r["status"])
				}
			}
			for _, i := range []int{1, 2} {
				if !strings.Contains(rows[i]["message"], "earlier row of this customer (row 2)") || rows[i]["attempts"] != "0" {
					t.Errorf("row %d: %q after %s attempts, want the earlier row named and no attempt", i+2, rows[i]["message"], rows[i]["attempts"])
				}
			}
			if st := env.sb.Stats(); st.Created != 2 {
				t.Errorf("sandbox created %d customers, want 2 (one per key)", st.Created)
			}
		})
	}
}

// TestRunInputErrorMidway: the input turns unreadable after rows were sent. The rows
// before the break are sent as any others, however far the reader had got when it broke;
// then the run stops like any other stop (exit 3), the results file complete up to the
// last row read and in place.
func TestRunInputErrorMidway(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Customer ID,Code,First Name,Last Name,Email\n")
	for i := range 500 {
		fmt.Fprintf(&b, "K%d,,Ann,A,a%d@example.com\n", i, i)
	}
	b.WriteString("Z1,,\"Bad,Quote,x@example.com\n") // unterminated quote to the end
	in := writeFile(t, dir, "in.csv", b.String())
	o := runOpts(t, env, parseMapping(t, customerMapping), in)
	o.Workers = 2
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v, want a result that says it stopped", err)
	}
	if !errors.Is(res.Stopped, ErrInput) || res.ExitCode() != 3 {
		t.Fatalf("stopped %v, exit %d; want ErrInput and 3", res.Stopped, res.ExitCode())
	}
	if !strings.Contains(res.Summary.StopReason, "502") {
		t.Errorf("stop reason %q does not name row 502", res.Summary.StopReason)
	}
	rows := readResults(t, in+".results.csv")
	if len(rows) != 500 {
		t.Fatalf("%d result rows, want the 500 rows read", len(rows))
	}
	c := statusCounts(rows)
	if c[report.StatusNew] != 500 {
		t.Errorf("counts %v, want the 500 rows read new", c)
	}
	if st := env.sb.Stats(); st.Created != int64(c[report.StatusNew]) {
		t.Errorf("sandbox created %d, results say %d new", st.Created, c[report.StatusNew])
	}
}

// TestRunMaxErrors stops after N failed rows: the rest are skipped, exit 3. A limit
// reached by the last row stops nothing: the run went through every row, exit 1.
func TestRunMaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rows     int
		wantExit int
		stopped  bool
	}{
		{"rows left", 40, 3, true},
		{"reached by the last row", 3, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, sandbox.Config{})
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", rejectedRowsCSV(tc.rows))
			o := runOpts(t, env, parseMapping(t, rejectedRowsMapping), in)
			o.MaxErrors, o.Workers = 3, 1
			res := mustRun(t, o)
			if errors.Is(res.Stopped, ErrMaxErrors) != tc.stopped || res.ExitCode() != tc.wantExit ||
				res.Summary.Stopped != tc.stopped {
				t.Fatalf("stopped %v (summary %v), exit %d; want stopped %v, exit %d",
					res.Stopped, res.Summary.Stopped, res.ExitCode(), tc.stopped, tc.wantExit)
			}
			c := statusCounts(readResults(t, in+".results.csv"))
			if c[report.StatusError] != 3 || c[report.StatusSkipped] != tc.rows-3 {
				t.Errorf("counts %v, want 3 error and %d skipped", c, tc.rows-3)
			}
		})
	}
}

// TestRunCancel: a cancelled context (a signal) lets in-flight rows finish and skips
// the rest; every row is in the results, exit 3.
func TestRunCancel(t *testing.T) {
	env := newEnv(t, sandbox.Config{Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", customerCSV(200, 0))
	o := runOpts(t, env, parseMapping(t, customerMapping), in)
	o.Workers = 4
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	o.OnRow = func(_ int, st report.Status, _ []string) {
		if st == report.StatusNew {
			once.Do(cancel)
		}
	}
	res, err := Run(ctx, o)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.Stopped, ErrStopped) || res.ExitCode() != 3 {
		t.Fatalf("stopped %v exit %d, want ErrStopped and 3", res.Stopped, res.ExitCode())
	}
	rows := readResults(t, in+".results.csv")
	c := statusCounts(rows)
	if len(rows) != 200 || c[report.StatusSkipped] == 0 || c[report.StatusNew] == 0 {
		t.Fatalf("%d rows, counts %v: want 200 with some new and some skipped", len(rows), c)
	}
	if int64(c[report.StatusNew]) != env.sb.Stats().Created {
		t.Errorf("%d rows new but the sandbox created %d", c[report.StatusNew], env.sb.Stats().Created)
	}
	for _, r := range rows {
		if r["status"] == "skipped" && r["attempts"] != "0" {
			t.Errorf("skipped row %s has %s attempts", r["row"], r["attempts"])
		}
	}
}

// TestRunFaults runs through every fault the sandbox injects at once and checks the
// contract's promises: every row ends in exactly one status, no customer is created
// twice, and every new/update row carries the code the sandbox holds for it.
func TestRunFaults(t *testing.T) {
	for _, mode := range []string{sandbox.FailBefore, sandbox.FailAfter} {
		t.Run("fail-"+mode, func(t *testing.T) {
			env := newEnv(t, sandbox.Config{FailRate: 0.15, FailMode: mode, ThrottleRate: 0.08,
				RetryAfter: time.Millisecond, DropRate: 0.1, Seed: 7})
			dir := t.TempDir()
			const n = 200
			in := writeFile(t, dir, "in.csv", customerCSV(n, 3))
			o := runOpts(t, env, parseMapping(t, customerMapping), in)
			o.Retries = 6
			mustRun(t, o)
			rows := readResults(t, in+".results.csv")
			if len(rows) != n {
				t.Fatalf("%d rows, want %d", len(rows), n)
			}
			byCode := map[string]sandbox.Customer{}
			byEmail := map[string]int{}
			for _, c := range env.sb.Customers() {
				byCode[c.Code] = c
				byEmail[c.Fields["email"]]++
			}
			for email, k := range byEmail {
				if k > 1 {
					t.Errorf("customer %s created %d times", email, k)
				}
			}
			for i, r := range rows {
				if r["row"] != strconv.Itoa(i+2) {
					t.Fatalf("result %d is row %s: not in input order", i, r["row"])
				}
				switch r["status"] {
				case "new", "update":
					c, ok := byCode[r["code"]]
					if !ok || c.Fields["email"] != r["Email"] {
						t.Errorf("row %s: code %s is not the sandbox's customer for %s", r["row"], r["code"], r["Email"])
					}
				case "unknown":
					if r["input_Code"] != "" {
						t.Errorf("row %s has a code but ended unknown", r["row"])
					}
				case "error":
				default:
					t.Errorf("row %s: unexpected status %q", r["row"], r["status"])
				}
			}
			st := env.sb.Stats()
			if st.Faults.Throttle == 0 || st.Faults.Drop == 0 {
				t.Errorf("faults not exercised: %+v", st.Faults)
			}
		})
	}
}

// TestRunLanes: rows of one customer reach the API one after another in file order;
// rows of different customers overlap.
func TestRunLanes(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Customer ID,First Name,Seq\n")
	for i := range 120 {
		fmt.Fprintf(&b, "K%d,Name,%d\n", i%6, i)
	}
	in := writeFile(t, dir, "in.csv", b.String())
	m := parseMapping(t, "key: Customer ID\nfields:\n  first_name: First Name\n  custom_field_1: Seq\n")
	rec := &recorder{
		next: env.client, active: map[string]int{}, order: map[string][]string{}, delay: 2 * time.Millisecond,
		keyOf: func(f []mapping.Field) string {
			s, _ := strconv.Atoi(fieldOf(f, "custom_field_1"))
			return fmt.Sprint(s % 6)
		},
		seqOf: func(f []mapping.Field) string { return fieldOf(f, "custom_field_1") },
	}
	o := runOpts(t, env, m, in)
	o.Sender = rec
	mustRun(t, o)
	if len(rec.overlap) > 0 {
		t.Errorf("rows of one customer overlapped: %v", rec.overlap)
	}
	for k, seqs := range rec.order {
		for i := 1; i < len(seqs); i++ {
			a, _ := strconv.Atoi(seqs[i-1])
			c, _ := strconv.Atoi(seqs[i])
			if c <= a {
				t.Errorf("customer %s: row %d sent after row %d", k, c, a)
			}
		}
	}
	if rec.maxPar < 2 {
		t.Errorf("at most %d requests at once: rows of different customers did not overlap", rec.maxPar)
	}
	// Without a state, the lanes still pass the code on: K0's later rows update the
	// customer its first row created instead of creating five more.
	if st := env.sb.Stats(); st.Created != 6 || st.Updated != 114 {
		t.Errorf("created %d updated %d, want 6 and 114", st.Created, st.Updated)
	}
}

// TestRunLimiter: every request waits on the one shared limiter, and the rate holds.
func TestRunLimiter(t *testing.T) {
	env := newEnv(t, sandbox.Config{ThrottleRate: 0.2, RetryAfter: time.Millisecond, Seed: 3})
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", customerCSV(60, 0))
	o := runOpts(t, env, parseMapping(t, customerMapping), in)
	o.Rate, o.Burst = 200, 1
	res := mustRun(t, o)
	if res.Waits != int64(res.Summary.Requests) {
		t.Errorf("%d limiter waits for %d requests", res.Waits, res.Summary.Requests)
	}
	if res.Summary.Throttled == 0 || res.Summary.Retries == 0 {
		t.Errorf("no throttling seen: %+v", res.Summary)
	}
}

// TestRunSecrets: the password and secret fields never reach a log line, the results
// file, or an error.
func TestRunSecrets(t *testing.T) {
	env := newEnv(t, sandbox.Config{DropRate: 0.3, Seed: 5})
	dir := t.TempDir()
	const pin = "918273"
	var b strings.Builder
	b.WriteString("Customer ID,First Name,PIN,Password\n")
	for i := range 30 {
		fmt.Fprintf(&b, "K%d,Name%d,%s,pw-%s-%d\n", i, i, pin, pin, i)
	}
	in := writeFile(t, dir, "in.csv", b.String())
	m := parseMapping(t, "key: Customer ID\nfields:\n  first_name: First Name\n  customer_PIN: PIN\n  customer_password: Password\n")
	core, logs := observer.New(zap.DebugLevel)
	o := runOpts(t, env, m, in)
	o.Logger = zap.New(core)
	mustRun(t, o)
	results, err := os.ReadFile(in + ".results.csv")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(results), pin) || strings.Contains(string(results), testPassword) {
		t.Errorf("a secret reached the results file:\n%s", results)
	}
	rowLines := logs.FilterMessage("row").All()
	if len(rowLines) != 30 {
		t.Fatalf("%d debug lines for 30 rows: the test proves nothing", len(rowLines))
	}
	for _, k := range []string{"row", "status", "attempts", "latency"} {
		if _, ok := rowLines[0].ContextMap()[k]; !ok {
			t.Errorf("a row's debug line lacks %q: %v", k, rowLines[0].ContextMap())
		}
	}
	for _, e := range logs.All() {
		line := fmt.Sprint(e.Message, e.ContextMap())
		if strings.Contains(line, pin) || strings.Contains(line, testPassword) {
			t.Errorf("a secret reached the log: %s", line)
		}
	}
	// An API client error names no secret either.
	_, err = api.New(api.Config{Endpoint: "http://example.com", UserID: "u", AccountID: "a", Password: api.NewSecret(testPassword)})
	if err == nil || strings.Contains(err.Error(), testPassword) {
		t.Errorf("insecure endpoint: err %v", err)
	}
}

// TestRunCredentialsRejected stops the run at the first refusal of the credentials.
func TestRunCredentialsRejected(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	c, err := api.New(api.Config{Endpoint: env.srv.URL, UserID: "u", AccountID: "acct",
		Password: api.NewSecret("wrong"), Timeout: time.Second, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", customerCSV(50, 0))
	o := runOpts(t, env, parseMapping(t, customerMapping), in)
	o.Sender, o.Workers = c, 1
	res := mustRun(t, o)
	if !errors.Is(res.Stopped, ErrCredentials) || res.ExitCode() != 3 {
		t.Fatalf("stopped %v exit %d, want ErrCredentials and 3", res.Stopped, res.ExitCode())
	}
	cnt := statusCounts(readResults(t, in+".results.csv"))
	if cnt[report.StatusError] != 1 || cnt[report.StatusSkipped] != 49 {
		t.Errorf("counts %v, want 1 error and 49 skipped", cnt)
	}
}

// TestDryRunSendsNothing: validate never calls the sender.
func TestDryRunSendsNothing(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "Customer ID,Code,First Name,Last Name,Email\nA,,Ann,A,a@example.com\nB,12x,Bob,B,b@\n")
	o := runOpts(t, nil, parseMapping(t, customerMapping), in)
	o.DryRun = true
	var msgs []string
	o.OnRow = func(n int, st report.Status, m []string) { msgs = append(msgs, fmt.Sprint(n, st, m)) }
	res := mustRun(t, o)
	rows := readResults(t, in+".results.csv")
	if rows[0]["status"] != "valid" || rows[1]["status"] != "invalid" || res.ExitCode() != 1 {
		t.Fatalf("rows %v exit %d", rows, res.ExitCode())
	}
	// Both of row 3's problems are reported, not only the first.
	if !strings.Contains(rows[1]["message"], "code") || !strings.Contains(rows[1]["message"], "email") {
		t.Errorf("row 3 message %q should name code and email", rows[1]["message"])
	}
	if len(msgs) != 2 {
		t.Errorf("OnRow saw %d rows", len(msgs))
	}
}

// TestRunConnections: a run opens no more TCP connections than it has workers: they are
// kept alive and reused, never churned.
func TestRunConnections(t *testing.T) {
	srv := newCountingServer(t, false)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", customerCSV(3000, 0))
	o := runOpts(t, nil, parseMapping(t, customerMapping), in)
	o.Workers = 8
	o.Sender = benchClient(t, srv.URL, o.Workers)
	mustRun(t, o)
	// One connection per worker, kept alive throughout. net/http's transport does drop a
	// connection whose request write it has not heard finish within 50 ms of reading the
	// answer (maxWriteWaitBeforeConnReuse); on a starved machine (this test under the race
	// detector beside other packages' tests) that happens now and then, and the next
	// request dials anew. Two such replacements over 3,000 requests are tolerated; churn
	// of our own making (a connection per request, or per retry) would show as hundreds.
	if got := srv.conns.Load(); got > int64(o.Workers)+2 {
		t.Errorf("%d connections opened for %d workers", got, o.Workers)
	}
}

// TestRunMalformedInput: an unterminated quote midway ends the run there, with an error
// naming the row; the rows before it go through as any others, the same whether the
// reader got to the break early (a small file) or late. The results file (in place) and
// the summary hold them. Exit 2 when no request was sent (a dry run, or no valid row
// before the break): nothing was attempted; else 3, stopped early.
func TestRunMalformedInput(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dryRun   bool
		input    string
		want     []string // row:status
		wantExit int
	}{
		{"dry run", true, "Customer ID,First Name\nA,Ann\nB,Bob\nC,\"Cy\nD,Dee\n",
			[]string{"2:valid", "3:valid"}, 2},
		{"run", false, "Customer ID,First Name\nA,Ann\nB,Bob\nC,\"Cy\nD,Dee\n",
			[]string{"2:new", "3:new"}, 3},
		{"run, nothing valid before it", false, "Customer ID,First Name\nA,\nB,\nC,\"Cy\nD,Dee\n",
			[]string{"2:invalid", "3:invalid"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, sandbox.Config{})
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", tc.input)
			o := runOpts(t, env, parseMapping(t, "key: Customer ID\nfields:\n  first_name: First Name\n"), in)
			o.DryRun = tc.dryRun
			res := mustRun(t, o)
			if !errors.Is(res.Stopped, ErrInput) || res.ExitCode() != tc.wantExit || !strings.Contains(res.Summary.StopReason, "row 4") {
				t.Fatalf("stopped %v, exit %d; want ErrInput naming row 4, exit %d", res.Stopped, res.ExitCode(), tc.wantExit)
			}
			var got []string
			for _, r := range readResults(t, in+".results.csv") {
				got = append(got, r["row"]+":"+r["status"])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("results %v, want %v", got, tc.want)
			}
			if n := res.Summary.Counts[report.Status(strings.SplitN(tc.want[0], ":", 2)[1])]; n != 2 {
				t.Errorf("summary counts %v, want the 2 rows read", res.Summary.Counts)
			}
		})
	}
}

// TestRowsWrittenAsTheyFinish: a real run writes each finished row (results, progress,
// OnRow) while the next is on its way, not once a batch of rows has gathered: the
// second request waits until the first row was reported.
func TestRowsWrittenAsTheyFinish(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", customerCSV(5, 0))
	reported := make(chan int, 10)
	var calls atomic.Int32
	o := runOpts(t, nil, parseMapping(t, customerMapping), in)
	o.Workers = 1
	o.OnRow = func(number int, _ report.Status, _ []string) { reported <- number }
	o.Sender = senderFunc(func(ctx context.Context, _ []mapping.Field) api.Outcome {
		if calls.Add(1) == 2 {
			select {
			case n := <-reported:
				if n != 2 {
					t.Errorf("first row reported: %d, want 2", n)
				}
			case <-time.After(10 * time.Second):
				t.Error("the first row was not reported while the second was sent")
			}
		}
		return api.Outcome{Kind: api.Success, Status: "new", Code: fmt.Sprint(1000 + calls.Load())}
	})
	if res := mustRun(t, o); res.ExitCode() != 0 {
		t.Fatalf("exit %d: %v", res.ExitCode(), res.Summary.Counts)
	}
}

// TestInputBreakAfterStop: a run that something else stopped (--max-errors, a refused
// endpoint) and whose input also breaks says both, keeps its results file and summary,
// and ends 3: when the limit came on the last row before the break, the run still did
// not read its whole input.
func TestInputBreakAfterStop(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rows    int // good rows before the break
		handler http.HandlerFunc
		max     int
		want    error
	}{
		// All 10 rows are rejected; the 10th reaches --max-errors, and nothing is
		// left to skip before the break.
		{"max errors on the last row before the break", 10, nil, 10, ErrMaxErrors},
		// The stop comes long before the reader reaches the break (which skipRest
		// then meets).
		{"endpoint refused, break far ahead", 3000, http.NotFound, 0, ErrEndpoint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, sandbox.Config{})
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", rejectedRowsCSV(tc.rows)+"Z,\"unterminated\nP,x\n")
			o := runOpts(t, env, parseMapping(t, rejectedRowsMapping), in)
			o.MaxErrors, o.Workers = tc.max, 2
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				t.Cleanup(srv.Close)
				o.Sender = benchClient(t, srv.URL+"/api", o.Workers)
			}
			res := mustRun(t, o)
			if !errors.Is(res.Stopped, tc.want) || !errors.Is(res.Stopped, ErrInput) || res.ExitCode() != 3 {
				t.Fatalf("stopped %v, exit %d; want %v and ErrInput, exit 3", res.Stopped, res.ExitCode(), tc.want)
			}
			rows := readResults(t, in+".results.csv") // in place, not left partial
			if len(rows) != tc.rows || res.Summary.Requests == 0 || !res.Summary.Stopped {
				t.Errorf("%d result rows, summary %d requests, stopped %v; want %d rows, requests, stopped",
					len(rows), res.Summary.Requests, res.Summary.Stopped, tc.rows)
			}
		})
	}
}

// rejectedRowsCSV is n rows that rejectedRowsMapping maps to custom field 9, which the
// sandbox does not have: the API rejects every one.
func rejectedRowsCSV(n int) string {
	var b strings.Builder
	b.WriteString("First Name,Note\n")
	for i := range n {
		fmt.Fprintf(&b, "P%d,bad\n", i)
	}
	return b.String()
}

const rejectedRowsMapping = "fields:\n  first_name: First Name\n  custom_field_9: Note\n"
