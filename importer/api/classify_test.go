package api

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestTransportOutcome(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://h/?k=SECRETQ", Err: err} }
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "x", Addr: "1.2.3.4:443"}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name           string
		err            error
		gotConn, wrote bool
		want           Kind
		wantMsg        string
	}{
		{"refused", wrap(refused), false, false, NotProcessed, "connection refused"},
		{"dns", wrap(&net.DNSError{Name: "nosuch.example", Err: "no such host", IsNotFound: true}), false, false, NotProcessed, "host nosuch.example not found"},
		{"tls", wrap(x509.UnknownAuthorityError{}), false, false, NotProcessed, "TLS handshake failed"},
		{"deadline while connecting", wrap(context.DeadlineExceeded), false, false, NotProcessed, "timed out before connecting"},
		{"cancelled while connecting", wrap(context.Canceled), false, false, NotProcessed, "cancelled"},
		{"redial after a dead idle connection", wrap(dial), true, false, NotProcessed, ""},
		{"reset while sending", wrap(reset), true, false, MaybeProcessed, "sending the request: connection reset"},
		{"reset after sending", wrap(reset), true, true, MaybeProcessed, "waiting for the answer: connection reset"},
		{"eof after sending", wrap(io.EOF), true, true, MaybeProcessed, "closed by the server"},
		{"deadline after sending", wrap(context.DeadlineExceeded), true, true, MaybeProcessed, "no answer within 30s"},
		{"cancelled after sending", wrap(context.Canceled), true, true, MaybeProcessed, "cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := transportOutcome(tt.err, tt.gotConn, tt.wrote, 30*time.Second)
			if o.Kind != tt.want {
				t.Errorf("Kind = %v, want %v (message %q)", o.Kind, tt.want, o.Message)
			}
			checkOutcomeMessage(t, o.Message, tt.wantMsg)
		})
	}
}

func checkOutcomeMessage(tb testing.TB, msg, want string) {
	tb.Helper()
	if msg == "" || !strings.Contains(msg, want) {
		tb.Errorf("Message = %q, want it to contain %q", msg, want)
	}
	checkNoSecret(tb, msg)
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name        string
		retry, date string
		want        time.Duration
	}{
		{"absent", "", "", 0},
		{"seconds", "12", "", 12 * time.Second},
		{"zero", "0", "", 0},
		{"spaces", " 3 ", "", 3 * time.Second},
		{"capped", "301", "", MaxRetryAfter},
		{"huge", "99999999999999999999999", "", 0},
		{"negative", "-5", "", 0},
		{"fraction", "1.5", "", 0},
		{"date from now", at(45 * time.Second), "", 45 * time.Second},
		{"date from the answer's date", at(45 * time.Second), at(40 * time.Second), 5 * time.Second},
		{"date past", at(-time.Hour), "", 0},
		{"date far", at(24 * time.Hour), "", MaxRetryAfter},
		{"bad date", "Friday", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retry != "" {
				h.Set("Retry-After", tt.retry)
			}
			if tt.date != "" {
				h.Set("Date", tt.date)
			}
			if got := retryAfter(h, now); got != tt.want {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"12", "0", "-1", "Fri, 27 Nov 2026 04:00:45 GMT", "x", "18446744073709551616"} {
		f.Add(s, "Fri, 27 Nov 2026 04:00:00 GMT")
	}
	now := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retry, date string) {
		h := http.Header{"Retry-After": {retry}, "Date": {date}}
		if d := retryAfter(h, now); d < 0 || d > MaxRetryAfter {
			t.Errorf("retryAfter(%q, %q) = %v", retry, date, d)
		}
	})
}

func TestSendCancelledBefore(t *testing.T) {
	var hits atomic.Int64
	srv, _ := newServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	c := newTestClient(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := c.Send(ctx, sampleFields)
	if o.Kind != NotProcessed {
		t.Errorf("Send = %+v, want NotProcessed", o)
	}
	checkOutcomeMessage(t, o.Message, "cancelled")
	if hits.Load() != 0 {
		t.Errorf("server saw %d requests", hits.Load())
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatal("ctx not cancelled")
	}
}
