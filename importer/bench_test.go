package importer

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.uber.org/zap"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/gctune"
	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/mapping"
)

// benchHeader is the 13-column customer list the benchmarks generate.
var benchHeader = []string{"Customer ID", "Code", "Card Number", "First Name", "Last Name", "Email",
	"Phone", "Street", "City", "State", "Postcode", "Country", "Birthday"}

const benchMapping = `
key: Customer ID
fields:
  code: Code
  card_number: Card Number
  first_name: { column: First Name, transform: [trim, title] }
  last_name: { column: Last Name, transform: [trim, title] }
  email: { column: Email, transform: [trim, lower] }
  phone: Phone
  street1: Street
  city: City
  state: State
  postal_code: Postcode
  country: { column: Country, default: NZ }
  custom_date: { column: Birthday, date_format: DD/MM/YYYY }
`

// benchRecord is row i of the generated customer list. Every third row has a code.
func benchRecord(i int) []string {
	code := ""
	if i%3 == 0 {
		code = fmt.Sprintf("%016d", 5000000000000000+i)
	}
	return []string{
		fmt.Sprintf("C%07d", i), code, "", fmt.Sprintf("first%d", i%977), fmt.Sprintf("Last%d", i%1193),
		fmt.Sprintf("person%d@example.com", i), fmt.Sprintf("021 555 %04d", i%10000),
		fmt.Sprintf("%d Queen Street", i%300+1), "Auckland", "AUK", fmt.Sprintf("%04d", i%9000+600), "NZ",
		fmt.Sprintf("%02d/%02d/%d", i%28+1, i%12+1, 1940+i%60),
	}
}

// writeBenchCSV writes an n-row customer CSV.
func writeBenchCSV(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	_ = w.Write(benchHeader)
	for i := 1; i <= n; i++ {
		_ = w.Write(benchRecord(i))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// writeBenchXLSX writes an n-row customer workbook with real date cells for Birthday.
func writeBenchXLSX(tb testing.TB, path string, n int) {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		tb.Fatal(err)
	}
	row := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		row[i] = h
	}
	_ = sw.SetRow("A1", row)
	for i := 1; i <= n; i++ {
		rec := benchRecord(i)
		for c, v := range rec {
			row[c] = v
		}
		row[12] = excelize.Cell{StyleID: dateStyle, Value: time.Date(1940+i%60, time.Month(i%12+1), i%28+1, 0, 0, 0, 0, time.UTC)}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
}

func benchOptions(tb testing.TB, input, results string) Options {
	m, err := mapping.Parse([]byte(benchMapping), "bench.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return Options{Input: input, Mapping: m, Results: results, DryRun: true, Logger: zap.NewNop()}
}

// BenchmarkDryRunCSV: a dry run of a 1,000,000-row, 13-column CSV (read, map, validate,
// duplicate index, results file) against a bare encoding/csv read loop over the same
// file, measured in the same iteration. x-bare is our throughput over the bare loop's.
func BenchmarkDryRunCSV(b *testing.B) {
	rows := envInt("BENCH_ROWS", 1_000_000)
	in := filepath.Join(b.TempDir(), "customers.csv")
	writeBenchCSV(b, in, rows)
	benchDryRun(b, in, rows, bareCSVLoop)
}

// benchDryRun times the dry run of in (rows data rows) against bare, a loop that reads
// the same file with no work of ours, in every iteration, the two taking turns at going first.
func benchDryRun(b *testing.B, in string, rows int, bare func(testing.TB, string) int) {
	// As the custimport binary runs (cmd/custimport tunes the same unless GOGC or
	// GOMEMLIMIT is set).
	defer gctune.Tune(gctune.Floor, gctune.Min).Stop()
	var bareTime, ours, bareCPU, oursCPU time.Duration
	results := in + ".results.csv"
	runBare := func() {
		c0 := cpuTime()
		t0 := time.Now()
		if n := bare(b, in); n != rows+1 {
			b.Fatalf("bare loop read %d rows", n)
		}
		bareTime += time.Since(t0)
		bareCPU += cpuTime() - c0
	}
	runOurs := func() {
		c0 := cpuTime()
		t0 := time.Now()
		res, err := Run(context.Background(), benchOptions(b, in, results))
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)
		oursCPU += cpuTime() - c0
		if res.Summary.Counts["valid"] != rows {
			b.Fatalf("counts %v", res.Summary.Counts)
		}
	}
	settle := func() {
		b.StopTimer()
		settleDisk()
		b.StartTimer()
	}
	for i := 0; b.Loop(); i++ {
		// Every iteration writes its results file afresh, as the first does: renamed over
		// the last iteration's, the run would also pay for freeing that file's blocks
		// (about 130 ms for 1,000,000 rows on a disk mounted with discard).
		b.StopTimer()
		if err := os.Remove(results); err != nil && !errors.Is(err, fs.ErrNotExist) {
			b.Fatal(err)
		}
		b.StartTimer()
		// The two take turns going first: the second of a pair runs amid the first's
		// garbage and after its reads of the file. Neither runs while the system writes
		// what the other (or the removal above) left for the disk.
		if i%2 == 0 {
			settle()
			runBare()
			settle()
			runOurs()
		} else {
			settle()
			runOurs()
			settle()
			runBare()
		}
	}
	b.ReportMetric(bareTime.Seconds()/ours.Seconds(), "x-bare")
	if oursCPU > 0 {
		// CPU time over CPU time: what a row costs us in work against the bare loop,
		// whatever else the machine is doing (our run uses more than one core).
		b.ReportMetric(bareCPU.Seconds()/oursCPU.Seconds(), "cpu-x-bare")
	}
	b.ReportMetric(float64(rows)*float64(b.N)/ours.Seconds(), "rows/s")
}

func bareCSVLoop(tb testing.TB, path string) int {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	r.ReuseRecord = true
	n := 0
	for {
		_, err := r.Read()
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

// BenchmarkDryRunXLSX: a dry run of a 200,000-row workbook against a bare excelize
// Rows/Columns loop over the same workbook, in the same iteration.
func BenchmarkDryRunXLSX(b *testing.B) {
	rows := envInt("BENCH_XLSX_ROWS", 200_000)
	in := filepath.Join(b.TempDir(), "customers.xlsx")
	writeBenchXLSX(b, in, rows)
	benchDryRun(b, in, rows, bareXLSXLoop)
}

func bareXLSXLoop(tb testing.TB, path string) int {
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for rows.Next() {
		if _, err := rows.Columns(); err != nil {
			tb.Fatal(err)
		}
		n++
	}
	if err := rows.Close(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// countingServer is the sandbox behind httptest, counting the TCP connections opened
// and the time of every request.
type countingServer struct {
	*httptest.Server
	sb    *sandbox.Server
	conns atomic.Int64
	mu    sync.Mutex
	times []time.Time

	stopOnce sync.Once
}

func newCountingServer(tb testing.TB, record bool) *countingServer {
	sb, err := sandbox.New(sandbox.Config{UserID: "u", AccountID: "a", Password: "p", Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	cs := &countingServer{sb: sb}
	h := http.Handler(sb)
	if record {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cs.mu.Lock()
			cs.times = append(cs.times, time.Now())
			cs.mu.Unlock()
			sb.ServeHTTP(w, r)
		})
	}
	cs.Server = httptest.NewUnstartedServer(h)
	cs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			cs.conns.Add(1)
		}
	}
	cs.Start()
	tb.Cleanup(cs.stop)
	return cs
}

// stop stops the server and its sandbox; later calls do nothing.
func (cs *countingServer) stop() {
	cs.stopOnce.Do(func() {
		cs.Close()
		_ = cs.sb.Close()
	})
}

func benchClient(tb testing.TB, endpoint string, workers int) *api.Client {
	c, err := api.New(api.Config{Endpoint: endpoint, UserID: "u", AccountID: "a", Password: api.NewSecret("p"),
		Timeout: 10 * time.Second, Workers: workers, UserAgent: "custimport-bench"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// BenchmarkSend: custimport end to end (20,000 rows, 8 workers, no rate limit, no state)
// against a bare loop of 8 goroutines posting the same forms with one http.Client, both
// to the same in-process sandbox over loopback, in the same iteration.
func BenchmarkSend(b *testing.B) {
	benchSend(b, false)
}

// BenchmarkSendState is BenchmarkSend's run with a state database (x-nostate: its
// throughput over the same run with no state).
func BenchmarkSendState(b *testing.B) {
	benchSend(b, true)
}

func benchSend(b *testing.B, withState bool) {
	// As the custimport binary runs (cmd/custimport tunes the same unless GOGC or
	// GOMEMLIMIT is set).
	defer gctune.Tune(gctune.Floor, gctune.Min).Stop()
	const workers = 8
	rows := envInt("BENCH_SEND_ROWS", 20_000)
	dir := b.TempDir()
	in := filepath.Join(dir, "customers.csv")
	writeBenchCSV(b, in, rows)
	m, err := mapping.Parse([]byte(benchMapping), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	// The forms the bare loop posts: the same fields custimport sends.
	forms := benchForms(b, in, m)
	var base, ours, baseCPU, oursCPU time.Duration
	var conns int64
	// Each side runs against a sandbox of its own, started for it and stopped after it:
	// sent second to the same one, custimport would meet the customers the bare loop
	// made (updates where the bare loop had creations, a store twice the size), and a
	// sandbox left running would hold its customers on the heap through the runs after.
	timed := func(side func() *countingServer) (wall, cpu time.Duration, srv *countingServer) {
		c0 := cpuTime()
		t0 := time.Now()
		srv = side()
		return time.Since(t0), cpuTime() - c0, srv
	}
	baseline := func() *countingServer {
		srv := newCountingServer(b, false)
		defer srv.stop()
		if withState {
			if err := runBench(b, srv.URL, m, in, dir, workers, ""); err != nil {
				b.Fatal(err)
			}
		} else {
			bareSend(b, srv.URL, forms, workers)
		}
		return srv
	}
	custimport := func() *countingServer {
		srv := newCountingServer(b, false)
		defer srv.stop()
		statePath := ""
		if withState {
			statePath = filepath.Join(dir, fmt.Sprintf("state-%d.db", time.Now().UnixNano()))
		}
		if err := runBench(b, srv.URL, m, in, dir, workers, statePath); err != nil {
			b.Fatal(err)
		}
		return srv
	}
	for i := 0; b.Loop(); i++ {
		// The sides take turns going first: the second of a pair runs amid the first's
		// garbage, and would be the slower for that alone.
		var bw, bc, ow, oc time.Duration
		var srv *countingServer
		if i%2 == 0 {
			bw, bc, _ = timed(baseline)
			ow, oc, srv = timed(custimport)
		} else {
			ow, oc, srv = timed(custimport)
			bw, bc, _ = timed(baseline)
		}
		conns += srv.conns.Load()
		base += bw
		ours += ow
		baseCPU += bc
		oursCPU += oc
	}
	if oursCPU > 0 {
		// The same ratio in CPU time (client and sandbox together), steadier than wall
		// time on a shared machine.
		b.ReportMetric(baseCPU.Seconds()/oursCPU.Seconds(), "cpu-x-base")
	}
	if withState {
		b.ReportMetric(base.Seconds()/ours.Seconds(), "x-nostate")
	} else {
		b.ReportMetric(base.Seconds()/ours.Seconds(), "x-bare")
	}
	b.ReportMetric(float64(rows)*float64(b.N)/ours.Seconds(), "rows/s")
	b.ReportMetric(float64(conns)/float64(b.N), "conns")
}

// runBench runs custimport once against endpoint.
func runBench(tb testing.TB, endpoint string, m *mapping.Mapping, in, dir string, workers int, statePath string) error {
	o := Options{Input: in, Mapping: m, Results: filepath.Join(dir, "results.csv"), Workers: workers,
		Sender: benchClient(tb, endpoint, workers), Logger: zap.NewNop(), Rate: 0}
	if statePath != "" {
		st, err := state.Open(statePath, state.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		o.Store = st
	}
	res, err := Run(context.Background(), o)
	if err != nil {
		return err
	}
	if res.ExitCode() != 0 {
		return fmt.Errorf("exit %d: %v", res.ExitCode(), res.Summary.Counts)
	}
	return nil
}

// benchForms maps every row of in to the form custimport would post.
func benchForms(tb testing.TB, in string, m *mapping.Mapping) []string {
	forms := []string{}
	o := benchOptions(tb, in, filepath.Join(tb.TempDir(), "r.csv"))
	o.Mapping = m
	fields := [][]mapping.Field{}
	o.Sender = senderFunc(func(_ context.Context, f []mapping.Field) api.Outcome {
		fields = append(fields, f)
		return api.Outcome{Kind: api.Success, Status: "new", Code: "1"}
	})
	o.DryRun, o.Workers, o.Rate = false, 1, 0
	if _, err := Run(context.Background(), o); err != nil {
		tb.Fatal(err)
	}
	for _, fs := range fields {
		v := url.Values{"user_id": {"u"}, "user_password": {"p"}, "account_id": {"a"},
			"type": {"record_customer"}, "customer_action": {"edit"}}
		for _, f := range fs {
			v.Set(f.Name, f.Value)
		}
		forms = append(forms, v.Encode())
	}
	return forms
}

type senderFunc func(context.Context, []mapping.Field) api.Outcome

func (f senderFunc) Send(ctx context.Context, fs []mapping.Field) api.Outcome { return f(ctx, fs) }

// bareSend posts every form with workers goroutines sharing one http.Client.
func bareSend(tb testing.TB, endpoint string, forms []string, workers int) {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(forms) {
					return
				}
				resp, err := client.Post(endpoint, "application/x-www-form-urlencoded", strings.NewReader(forms[i]))
				if err != nil {
					tb.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
}

// BenchmarkRate50: 1,000 rows at --rate 50 (20 s): the achieved rate, its error against
// 50, and the most requests any one-second window held (at most rate + burst = 51).
func BenchmarkRate50(b *testing.B) {
	rows := envInt("BENCH_RATE_ROWS", 1000)
	dir := b.TempDir()
	in := filepath.Join(dir, "customers.csv")
	writeBenchCSV(b, in, rows)
	m, err := mapping.Parse([]byte(benchMapping), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var achieved, worstSent, worstArrived float64
	for b.Loop() {
		srv := newCountingServer(b, true)
		client := benchClient(b, srv.URL, 8)
		var mu sync.Mutex
		var sent []time.Time
		o := Options{Input: in, Mapping: m, Results: filepath.Join(dir, "results.csv"), Workers: 8, Rate: 50, Burst: 1,
			Logger: zap.NewNop(),
			Sender: senderFunc(func(ctx context.Context, f []mapping.Field) api.Outcome {
				mu.Lock()
				sent = append(sent, time.Now())
				mu.Unlock()
				return client.Send(ctx, f)
			})}
		if _, err := Run(context.Background(), o); err != nil {
			b.Fatal(err)
		}
		achieved = float64(len(sent)-1) / sent[len(sent)-1].Sub(sent[0]).Seconds()
		worstSent = max(worstSent, busiestSecond(sent))
		worstArrived = max(worstArrived, busiestSecond(srv.times))
	}
	b.ReportMetric(achieved, "req/s")
	b.ReportMetric(100*(achieved-50)/50, "%err")
	// Requests leaving custimport in any one second: at most rate + burst. Arrivals at the
	// server can bunch a little more when the machine delays a goroutine.
	b.ReportMetric(worstSent, "max-1s-sent")
	b.ReportMetric(worstArrived, "max-1s-arrived")
}

// busiestSecond is the most of ts (in time order) inside any window shorter than a second.
func busiestSecond(ts []time.Time) float64 {
	worst, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= time.Second {
			j++
		}
		worst = max(worst, i-j+1)
	}
	return float64(worst)
}

// BenchmarkNightly: a nightly run over N unchanged rows (the state says every row was
// sent with these fields: no request leaves) against the dry run of the same file.
// x-dryrun is the nightly run's time over the dry run's (the target is at most 2).
func BenchmarkNightly(b *testing.B) {
	rows := envInt("BENCH_ROWS", 1_000_000)
	dir := b.TempDir()
	in := filepath.Join(dir, "customers.csv")
	writeBenchCSV(b, in, rows)
	statePath := filepath.Join(dir, "state.db")
	seedState(b, in, statePath)
	m, err := mapping.Parse([]byte(benchMapping), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	never := senderFunc(func(context.Context, []mapping.Field) api.Outcome {
		panic("a request was sent for an unchanged row")
	})
	// As the custimport binary runs (cmd/custimport tunes the same unless GOGC or
	// GOMEMLIMIT is set).
	defer gctune.Tune(gctune.Floor, gctune.Min).Stop()
	var dry, nightly time.Duration
	for b.Loop() {
		// Both results files written afresh in every iteration (see benchDryRun).
		b.StopTimer()
		for _, name := range []string{"dry.csv", "night.csv"} {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				b.Fatal(err)
			}
		}
		// Neither run is timed while the system writes what came before it to disk:
		// the removals above, and the dry run's results, which it does not sync.
		settleDisk()
		b.StartTimer()
		t0 := time.Now()
		if _, err := Run(context.Background(), benchOptions(b, in, filepath.Join(dir, "dry.csv"))); err != nil {
			b.Fatal(err)
		}
		dry += time.Since(t0)
		b.StopTimer()
		settleDisk()
		b.StartTimer()
		t1 := time.Now()
		st, err := state.Open(statePath, state.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := Run(context.Background(), Options{Input: in, Mapping: m, Results: filepath.Join(dir, "night.csv"),
			Sender: never, Store: st, Workers: 8, Logger: zap.NewNop()})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		if res.Summary.Counts["unchanged"] != rows {
			b.Fatalf("counts %v", res.Summary.Counts)
		}
		nightly += time.Since(t1)
	}
	b.ReportMetric(nightly.Seconds()/dry.Seconds(), "x-dryrun")
	b.ReportMetric(float64(rows)*float64(b.N)/nightly.Seconds(), "rows/s")
}

// seedState records every row of in as sent, as a first night would have.
func seedState(tb testing.TB, in, statePath string) {
	st, err := state.Open(statePath, state.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := mapping.Parse([]byte(benchMapping), "bench.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	var n atomic.Int64
	o := Options{Input: in, Mapping: m, Results: filepath.Join(tb.TempDir(), "seed.csv"), Store: st, Workers: 64, Logger: zap.NewNop(),
		Sender: senderFunc(func(_ context.Context, f []mapping.Field) api.Outcome {
			code := fieldValueOr(f, "code", fmt.Sprintf("%016d", 9000000000000000+n.Add(1)))
			return api.Outcome{Kind: api.Success, Status: "new", Code: code}
		})}
	if _, err := Run(context.Background(), o); err != nil {
		tb.Fatal(err)
	}
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}
}

func fieldValueOr(fs []mapping.Field, name, def string) string {
	if v := fieldOf(fs, name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err == nil && n > 0 {
		return n
	}
	return def
}
