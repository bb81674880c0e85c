package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testPassword = "s3cret-Pa55-zz9"

// testEnv is a sandbox behind httptest and a client for it.
type testEnv struct {
	sb     *sandbox.Server
	srv    *httptest.Server
	client *api.Client
}

func newEnv(tb testing.TB, cfg sandbox.Config) *testEnv {
	tb.Helper()
	cfg.UserID, cfg.AccountID, cfg.Password = "u", "acct", testPassword
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	c, err := api.New(api.Config{
		Endpoint: srv.URL, UserID: "u", AccountID: "acct", Password: api.NewSecret(testPassword),
		Timeout: 5 * time.Second, Workers: 8, UserAgent: "custimport-test",
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c.Close()
		srv.CloseClientConnections()
		srv.Close()
		_ = sb.Close()
	})
	return &testEnv{sb: sb, srv: srv, client: c}
}

// writeFile writes content to name in a temp dir and returns its path.
func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func parseMapping(tb testing.TB, y string) *mapping.Mapping {
	tb.Helper()
	m, err := mapping.Parse([]byte(y), "mapping.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// resultRow is one row of a results CSV, by column name.
type resultRow map[string]string

// readResults reads a results CSV as a script would: encoding/csv, every record as wide as
// the header, the first column named "row" (no byte order mark before it).
func readResults(tb testing.TB, path string) []resultRow {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		tb.Fatalf("results %s: %v", path, err)
	}
	if len(recs) == 0 || recs[0][0] != "row" {
		tb.Fatalf("results %s: header %q", path, recs[:min(len(recs), 1)])
	}
	var out []resultRow
	for _, rec := range recs[1:] {
		r := resultRow{}
		for i, h := range recs[0] {
			if i < len(rec) {
				r[h] = rec[i]
			}
		}
		out = append(out, r)
	}
	return out
}

// customerCSV generates n customer rows: a key column, an optional code column, names,
// e-mail. Every codeEvery-th row carries a code (0: none).
func customerCSV(n, codeEvery int) string {
	var b strings.Builder
	b.WriteString("Customer ID,Code,First Name,Last Name,Email\n")
	for i := 1; i <= n; i++ {
		code := ""
		if codeEvery > 0 && i%codeEvery == 0 {
			code = fmt.Sprintf("%016d", 7000000000000000+i)
		}
		fmt.Fprintf(&b, "C-%05d,%s,First%d,Last%d,person%d@example.com\n", i, code, i, i, i)
	}
	return b.String()
}

const customerMapping = `
key: Customer ID
fields:
  code: Code
  first_name: First Name
  last_name: Last Name
  email: { column: Email, transform: [trim, lower] }
`

// runOpts are options for a run of input against env with fast retries.
func runOpts(tb testing.TB, env *testEnv, m *mapping.Mapping, input string) Options {
	o := Options{
		Input: input, Mapping: m, Results: input + ".results.csv",
		Rate: 0, Workers: 8, Retries: 3,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		Logger: zaptest.NewLogger(tb, zaptest.Level(zap.InfoLevel)),
	}
	if env != nil {
		o.Sender = env.client
	}
	return o
}

// mustRun runs and fails the test on an error.
func mustRun(tb testing.TB, o Options) *Result {
	tb.Helper()
	res, err := Run(context.Background(), o)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// recorder wraps a Sender and records, per customer key, the order and overlap of
// requests.
type recorder struct {
	next     Sender
	mu       sync.Mutex
	active   map[string]int
	overlap  []string // keys seen with two requests at once
	order    map[string][]string
	inflight int
	maxPar   int
	calls    int
	keyOf    func([]mapping.Field) string
	seqOf    func([]mapping.Field) string
	delay    time.Duration
}

func (r *recorder) Send(ctx context.Context, fields []mapping.Field) api.Outcome {
	k := r.keyOf(fields)
	r.mu.Lock()
	r.calls++
	r.active[k]++
	if r.active[k] > 1 {
		r.overlap = append(r.overlap, k)
	}
	r.inflight++
	r.maxPar = max(r.maxPar, r.inflight)
	r.order[k] = append(r.order[k], r.seqOf(fields))
	r.mu.Unlock()
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	out := r.next.Send(ctx, fields)
	r.mu.Lock()
	r.active[k]--
	r.inflight--
	r.mu.Unlock()
	return out
}

// statusCounts counts the statuses of a results file.
func statusCounts(rows []resultRow) map[report.Status]int {
	c := map[report.Status]int{}
	for _, r := range rows {
		c[report.Status(r["status"])]++
	}
	return c
}

// leftInFlight makes the state at path as a run killed mid-request leaves it: each
// identity of known finished with its entry, then each of ids marked in flight.
func leftInFlight(tb testing.TB, path string, known map[string]state.Entry, ids ...string) {
	tb.Helper()
	st, err := state.Open(path, state.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	for id, e := range known {
		if err := st.Finish(id, e); err != nil {
			tb.Fatal(err)
		}
	}
	for _, id := range ids {
		if err := st.Begin(id); err != nil {
			tb.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}
}
