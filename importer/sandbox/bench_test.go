package sandbox

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSandbox measures the requests per second the sandbox serves over loopback
// with keep-alive to 8 concurrent clients, against a bare net/http handler answering a
// fixed XML body, in the same run with the same client. The figure that matters is
// x-bare: the sandbox's rate over the bare handler's (target: at least 0.5).
func BenchmarkSandbox(b *testing.B) {
	const clients = 8
	const fixed = "<response status=\"success\">\n  <customer status=\"new\">\n    <code>1234567890123456</code>\n  </customer>\n</response>\n"
	bare := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = io.WriteString(w, fixed)
	}))
	srv, err := New(Config{UserID: testUser, AccountID: testAccount, Password: testPassword, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	sb := newServer(b, srv)
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxIdleConns: 2 * clients}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	b.Cleanup(tr.CloseIdleConnections)

	// A realistic import: new customers with a card number each, and some updates of
	// the same customers by code.
	base := edit(params("first_name", "Ann", "last_name", "Lee", "email", "ann@example.com",
		"phone", "555-555-2455", "custom_date", "1970-07-14", "send_no_email", "true"))
	body := func(i int64) string {
		p := cloneValues(base)
		if i%4 == 3 {
			p.Set("code", strconv.FormatInt(i-1, 10))
		} else {
			p.Set("code", strconv.FormatInt(i, 10))
			p.Set("card_number", strconv.FormatInt(9_000_000+i, 10))
		}
		return p.Encode()
	}
	bodies := make([]string, 4096)
	for i := range bodies {
		bodies[i] = body(int64(i))
	}

	run := func(url string, n int) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(n) {
						return
					}
					resp, err := client.Post(url, "application/x-www-form-urlencoded", strings.NewReader(bodies[i%int64(len(bodies))]))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("HTTP %d", resp.StatusCode)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	// Warm both up: connections open, code paths hot.
	run(bare.URL, 200)
	run(sb.URL+"/", 200)
	b.ResetTimer()
	// Alternate the two in rounds, so that a busy machine slows both alike.
	const rounds = 10
	var tBare, tSandbox time.Duration
	for r := range rounds {
		n := b.N / rounds
		if r == 0 {
			n += b.N % rounds
		}
		tBare += run(bare.URL, n)
		tSandbox += run(sb.URL+"/", n)
	}
	b.StopTimer()
	bareRate := float64(b.N) / tBare.Seconds()
	sandboxRate := float64(b.N) / tSandbox.Seconds()
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(sandboxRate, "sandbox-req/s")
	b.ReportMetric(sandboxRate/bareRate, "x-bare")
	if st := srv.Stats(); st.Errors != 0 {
		b.Errorf("sandbox answered %d errors", st.Errors)
	}
}
