package importer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

// TestEndpointStopsRun: an endpoint that refuses requests itself (a redirect, HTTP 404
// or 405 with no answer of the API's), or an API that no request of the run reaches,
// stops the run (exit 3) instead of failing every row on its own, each through its
// retries. Once the API has answered, rows that cannot reach it fail one by one
// (--max-errors is for that), and the run goes on; so do rows of an API that answers, if
// only 503 (busy).
func TestEndpointStopsRun(t *testing.T) {
	const rows = 40
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr + "/api"
	}
	server := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL + "/api"
	}
	for _, tc := range []struct {
		name     string
		endpoint func() string
		sender   Sender // instead of a client of endpoint
		want     error  // the stop's cause; nil: no stop
		message  string // in the stop's cause, or in the failed rows
	}{
		{"redirect", func() string {
			return server(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://elsewhere.example/api", http.StatusFound)
			})
		}, nil, ErrEndpoint, "endpoint redirects (HTTP 302)"},
		{"not found", func() string { return server(http.NotFound) }, nil, ErrEndpoint, "HTTP 404"},
		{"method not allowed", func() string {
			return server(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusMethodNotAllowed)
			})
		}, nil, ErrEndpoint, "HTTP 405"},
		{"connection refused", closed, nil, ErrUnreachable, "connect"},
		{"unreachable after a success", nil, &flakySender{ok: 3}, nil, "connection refused"},
		{"unreachable after answers that rejected rows", nil, &flakySender{ok: 3,
			first: &api.Outcome{Kind: api.Rejected, HTTPStatus: 200, Message: "Invalid custom field"}}, nil, "connection refused"},
		{"busy from the start (HTTP 503)", func() string {
			return server(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
			})
		}, nil, nil, "HTTP 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := writeFile(t, t.TempDir(), "in.csv", customerCSV(rows, 0))
			o := runOpts(t, nil, parseMapping(t, customerMapping), in)
			o.Workers, o.Retries = 2, 2
			if tc.sender != nil {
				o.Sender = tc.sender
			} else {
				o.Sender = benchClient(t, tc.endpoint(), o.Workers)
			}
			res := mustRun(t, o)
			c := statusCounts(readResults(t, in+".results.csv"))
			if tc.want == nil {
				wantNew := 0
				if f, ok := tc.sender.(*flakySender); ok && f.first == nil {
					wantNew = 3
				}
				if res.Stopped != nil || res.ExitCode() != 1 || c[report.StatusNew] != wantNew || c[report.StatusError] != rows-wantNew {
					t.Fatalf("stopped %v, exit %d, counts %v; want no stop, exit 1, %d new and the rest error",
						res.Stopped, res.ExitCode(), c, wantNew)
				}
				return
			}
			if !errors.Is(res.Stopped, tc.want) || res.ExitCode() != 3 || !strings.Contains(res.Stopped.Error(), tc.message) {
				t.Fatalf("stopped %v, exit %d; want %v naming %q, exit 3", res.Stopped, res.ExitCode(), tc.want, tc.message)
			}
			// The rows at the workers when it stopped end error; the others were not tried.
			if c[report.StatusError] > o.Workers || c[report.StatusError]+c[report.StatusSkipped] != rows {
				t.Errorf("counts %v; want at most %d error, the rest skipped", c, o.Workers)
			}
		})
	}
}

// flakySender answers ok times (a success, or first when set), then fails as a refused
// connection does.
type flakySender struct {
	mu    sync.Mutex
	ok    int
	first *api.Outcome
}

func (f *flakySender) Send(context.Context, []mapping.Field) api.Outcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ok > 0 {
		f.ok--
		if f.first != nil {
			return *f.first
		}
		return api.Outcome{Kind: api.Success, Status: "new", Code: "1"}
	}
	return api.Outcome{Kind: api.NotProcessed, Message: "connection refused"}
}
