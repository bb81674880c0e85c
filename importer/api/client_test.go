package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custimport/custimport/mapping"
)

// Distinctive credentials, so that a leak is easy to find.
const (
	testPassword = "Pw-7f3a&q=ü!leak"
	testAPIKey   = "KEY-9c1e-leak"
	testUA       = "custimport/test"
)

// newTestClient builds a client for endpoint with the test credentials; mod adjusts the
// config first.
func newTestClient(tb testing.TB, endpoint string, mod func(*Config)) *Client {
	tb.Helper()
	cfg := Config{
		Endpoint:  endpoint,
		UserID:    "u1",
		AccountID: "acc",
		Password:  NewSecret(testPassword),
		APIKey:    NewSecret(testAPIKey),
		Timeout:   5 * time.Second,
		Workers:   2,
		UserAgent: testUA,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}

// newServer starts an httptest server for h and counts the TCP connections it accepts.
func newServer(tb testing.TB, h http.Handler) (*httptest.Server, *atomic.Int64) {
	tb.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv, &conns
}

func answerWith(status int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// hijackAndClose takes the connection over and closes it, after reading the body or not.
func hijackAndClose(readBody bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if readBody {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		_ = conn.Close()
	}
}

var sampleFields = []mapping.Field{{Name: "first_name", Value: "Jö"}, {Name: "email", Value: "j@example.com"}}

func TestSendOutcomes(t *testing.T) {
	httpDate := func(d time.Duration) string {
		return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(d).Format(http.TimeFormat)
	}
	dated := func(retry string) map[string]string {
		return map[string]string{"Retry-After": retry, "Date": httpDate(0)}
	}
	tests := []struct {
		name    string
		handler http.Handler
		mod     func(*Config)
		want    Outcome // Latency ignored; Message checked by wantMsg
		wantMsg string  // a substring of Message
	}{
		{name: "xml new", handler: answerWith(200, nil, xmlNew),
			want: Outcome{Kind: Success, Status: "new", Code: "1234567890123456", HTTPStatus: 200}},
		{name: "xml update with card", handler: answerWith(200, nil, xmlUpdateCard),
			want: Outcome{Kind: Success, Status: "update", Code: "89898989898989", CardNumber: "1212121212", HTTPStatus: 200}},
		{name: "json new", handler: answerWith(200, map[string]string{"Content-Type": "application/json"}, jsonNew),
			mod:  func(c *Config) { c.Format = "json" },
			want: Outcome{Kind: Success, Status: "new", Code: "1234567890123456", HTTPStatus: 200}},
		{name: "json wrapped, mislabelled", handler: answerWith(200, map[string]string{"Content-Type": "text/html"}, jsonWrapped),
			want: Outcome{Kind: Success, Status: "update", Code: "42", CardNumber: "777", HTTPStatus: 200}},
		{name: "jsonp", handler: answerWith(200, nil, "cb("+jsonNew+");"),
			want: Outcome{Kind: Success, Status: "new", Code: "1234567890123456", HTTPStatus: 200}},
		{name: "201 counts as 200", handler: answerWith(201, nil, xmlNew),
			want: Outcome{Kind: Success, Status: "new", Code: "1234567890123456", HTTPStatus: 201}},
		{name: "xml error", handler: answerWith(200, nil, xmlError),
			want: Outcome{Kind: Rejected, HTTPStatus: 200}, wantMsg: "Invalid custom_date: use YYYY-MM-DD"},
		{name: "json errors list", handler: answerWith(200, nil, `{"status":"error","errors":[{"message":"Multiple customers match"}]}`),
			want: Outcome{Kind: Rejected, HTTPStatus: 200}, wantMsg: "Multiple customers match"},
		{name: "auth error in 200", handler: answerWith(200, nil, `<response status="error"><error>Authentication failed: invalid user_id, user_password or account_id</error></response>`),
			want: Outcome{Kind: CredentialsRejected, HTTPStatus: 200}, wantMsg: "Authentication failed"},
		{name: "customer's password error in 200", handler: answerWith(200, nil, `<response status="error"><error>Invalid password for this customer</error></response>`),
			want: Outcome{Kind: Rejected, HTTPStatus: 200}, wantMsg: "Invalid password for this customer"},
		{name: "customer record error in 200", handler: answerWith(200, nil, `{"status":"error","error":"account_id mismatch on customer record"}`),
			want: Outcome{Kind: Rejected, HTTPStatus: 200}, wantMsg: "account_id mismatch on customer record"},
		{name: "403 about a customer", handler: answerWith(403, nil, `<response status="error"><error>Access denied for this customer</error></response>`),
			want: Outcome{Kind: CredentialsRejected, HTTPStatus: 403}, wantMsg: "HTTP 403 Forbidden: Access denied for this customer"},
		{name: "echoed secrets are scrubbed", handler: answerWith(200, nil, `<response status="error"><error>bad value `+xmlEscape(testPassword)+` / `+url.QueryEscape(testPassword)+` / `+testAPIKey+` / 9911</error></response>`),
			want: Outcome{Kind: Rejected, HTTPStatus: 200}, wantMsg: "bad value [redacted] / [redacted] / [redacted] / [redacted]"},
		{name: "401", handler: answerWith(401, nil, "nope"),
			want: Outcome{Kind: CredentialsRejected, HTTPStatus: 401}, wantMsg: "HTTP 401 Unauthorized"},
		{name: "403 with api error", handler: answerWith(403, nil, `{"status":"error","error":"API key disabled"}`),
			want: Outcome{Kind: CredentialsRejected, HTTPStatus: 403}, wantMsg: "API key disabled"},
		{name: "429 retry-after seconds", handler: answerWith(429, map[string]string{"Retry-After": "7"}, "slow down"),
			want: Outcome{Kind: NotProcessed, HTTPStatus: 429, Throttled: true, RetryAfter: 7 * time.Second}, wantMsg: "HTTP 429"},
		{name: "429 retry-after date", handler: answerWith(429, dated(httpDate(90*time.Second)), ""),
			want: Outcome{Kind: NotProcessed, HTTPStatus: 429, Throttled: true, RetryAfter: 90 * time.Second}},
		{name: "429 retry-after capped", handler: answerWith(429, map[string]string{"Retry-After": "86400"}, ""),
			want: Outcome{Kind: NotProcessed, HTTPStatus: 429, Throttled: true, RetryAfter: MaxRetryAfter}},
		{name: "429 retry-after in the past", handler: answerWith(429, dated(httpDate(-time.Minute)), ""),
			want: Outcome{Kind: NotProcessed, HTTPStatus: 429, Throttled: true}},
		{name: "429 retry-after garbage", handler: answerWith(429, map[string]string{"Retry-After": "soon"}, ""),
			want: Outcome{Kind: NotProcessed, HTTPStatus: 429, Throttled: true}},
		{name: "503", handler: answerWith(503, map[string]string{"Retry-After": "2"}, "maintenance"),
			want: Outcome{Kind: NotProcessed, HTTPStatus: 503, RetryAfter: 2 * time.Second}, wantMsg: "HTTP 503"},
		{name: "503 with api error", handler: answerWith(503, nil, `<response status="error"><error>Down for maintenance</error></response>`),
			want: Outcome{Kind: NotProcessed, HTTPStatus: 503}, wantMsg: "HTTP 503 Service Unavailable: Down for maintenance"},
		{name: "500", handler: answerWith(500, nil, "oops"),
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 500}, wantMsg: "HTTP 500"},
		{name: "500 with api error", handler: answerWith(500, nil, xmlError),
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 500}, wantMsg: "Invalid custom_date"},
		{name: "502", handler: answerWith(502, nil, "<html>bad gateway</html>"),
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 502}, wantMsg: "HTTP 502"},
		{name: "404", handler: answerWith(404, nil, "<html>not found</html>"),
			want: Outcome{Kind: Rejected, HTTPStatus: 404, Endpoint: true}, wantMsg: "is the endpoint"},
		{name: "404 with api error", handler: answerWith(404, nil, `<response status="error"><error>Customer not found</error></response>`),
			want: Outcome{Kind: Rejected, HTTPStatus: 404}, wantMsg: "HTTP 404 Not Found: Customer not found"},
		{name: "405", handler: answerWith(405, nil, ""),
			want: Outcome{Kind: Rejected, HTTPStatus: 405, Endpoint: true}, wantMsg: "is the endpoint"},
		{name: "400 with api error", handler: answerWith(400, nil, xmlError),
			want: Outcome{Kind: Rejected, HTTPStatus: 400}, wantMsg: "HTTP 400 Bad Request: Invalid custom_date"},
		{name: "302", handler: answerWith(302, map[string]string{"Location": "https://api.example.com/api.php?token=SECRETQ"}, ""),
			want: Outcome{Kind: Rejected, HTTPStatus: 302, Endpoint: true}, wantMsg: "endpoint redirects (HTTP 302) to https://api.example.com/api.php: use that URL"},
		{name: "301 relative", handler: answerWith(301, map[string]string{"Location": "/api.php"}, ""),
			want: Outcome{Kind: Rejected, HTTPStatus: 301, Endpoint: true}, wantMsg: "/api.php: use that URL"},
		{name: "huge body with length", handler: answerWith(200, nil, strings.Repeat(" ", MaxAnswerSize)+xmlNew),
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 200}, wantMsg: "larger than 1 MiB"},
		{name: "huge body chunked", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			chunk := strings.Repeat(" ", 64<<10)
			for range 20 {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
				http.NewResponseController(w).Flush()
			}
		}), want: Outcome{Kind: MaybeProcessed, HTTPStatus: 200}, wantMsg: "larger than 1 MiB"},
		{name: "exactly 1 MiB", handler: answerWith(200, nil, xmlNew+strings.Repeat(" ", MaxAnswerSize-len(xmlNew))),
			want: Outcome{Kind: Success, Status: "new", Code: "1234567890123456", HTTPStatus: 200}},
		{name: "malformed xml", handler: answerWith(200, nil, `<response status="success"><customer status="new"><code>1</code>`),
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 200}, wantMsg: "unreadable answer"},
		{name: "malformed json", handler: answerWith(200, nil, `{"status":"success","customer":{"status":"new","code":"1"`),
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 200}, wantMsg: "unreadable answer"},
		{name: "code not digits", handler: answerWith(200, nil, `{"status":"success","customer":{"status":"new","code":"1; DROP"}}`),
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 200}, wantMsg: "unreadable answer"},
		{name: "empty 200", handler: answerWith(200, nil, ""),
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 200}, wantMsg: "empty answer"},
		{name: "closed before reading the body", handler: hijackAndClose(false),
			want: Outcome{Kind: MaybeProcessed}},
		{name: "closed after reading the body", handler: hijackAndClose(true),
			want: Outcome{Kind: MaybeProcessed}, wantMsg: "closed by the server"},
		{name: "body cut short", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Length", "1000")
			_, _ = io.WriteString(w, xmlNew[:50])
			http.NewResponseController(w).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}), want: Outcome{Kind: MaybeProcessed, HTTPStatus: 200}, wantMsg: "reading the answer"},
		{name: "no answer within the timeout", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}), mod: func(c *Config) { c.Timeout = 300 * time.Millisecond },
			want: Outcome{Kind: MaybeProcessed}, wantMsg: "waiting for the answer"},
		{name: "body stalls past the timeout", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = io.WriteString(w, "<response")
			http.NewResponseController(w).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}), mod: func(c *Config) { c.Timeout = 300 * time.Millisecond },
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 200}, wantMsg: "answer cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t, tt.handler)
			c := newTestClient(t, srv.URL, tt.mod)
			got := c.Send(context.Background(), append(sampleFields, mapping.Field{Name: "customer_PIN", Value: "9911"}))
			checkOutcome(t, got, tt.want, tt.wantMsg)
			t.Logf("%v: %s", got.Kind, got.Message)
		})
	}
}

// checkOutcome compares got with want (Latency and Message aside), looks for wantMsg in
// the message, and makes sure that no secret leaked into it.
func checkOutcome(tb testing.TB, got, want Outcome, wantMsg string) {
	tb.Helper()
	if got.Latency <= 0 {
		tb.Errorf("Latency = %v, want > 0", got.Latency)
	}
	msg := got.Message
	got.Latency, got.Message = 0, ""
	if got != want {
		tb.Errorf("Send = %+v (message %q)\n want %+v", got, msg, want)
	}
	if !strings.Contains(msg, wantMsg) {
		tb.Errorf("Message = %q, want it to contain %q", msg, wantMsg)
	}
	if want.Kind != Success && msg == "" {
		tb.Errorf("Message is empty for %v", got.Kind)
	}
	checkNoSecret(tb, msg)
}

func checkNoSecret(tb testing.TB, s string) {
	tb.Helper()
	for _, sec := range []string{testPassword, url.QueryEscape(testPassword), xmlEscape(testPassword), testAPIKey, "9911", "leak", "SECRETQ"} {
		if strings.Contains(s, sec) {
			tb.Errorf("secret %q leaked into %q", sec, s)
		}
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestSendRequest(t *testing.T) {
	type seen struct {
		method, path, ctype, ua, key, body string
	}
	var (
		mu  sync.Mutex
		got []seen
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), r.Header.Get("api_access_key"), string(b)})
		mu.Unlock()
		_, _ = io.WriteString(w, xmlNew)
	})
	srv, _ := newServer(t, h)
	fields := []mapping.Field{
		{Name: "code", Value: "89898989898989"},
		{Name: "first_name", Value: "Jö & Co"},
		{Name: "custom_field_2", Value: "a=b+c"},
		{Name: "send_no_email", Value: "true"},
	}
	tail := "&code=89898989898989&first_name=J%C3%B6+%26+Co&custom_field_2=a%3Db%2Bc&send_no_email=true"
	head := "user_id=u1&user_password=" + url.QueryEscape(testPassword) + "&account_id=acc&type=record_customer&customer_action=edit"

	tests := []struct {
		name    string
		mod     func(*Config)
		wantKey string
		body    string
	}{
		{name: "xml with key", wantKey: testAPIKey, body: head + tail},
		{name: "json", mod: func(c *Config) { c.Format = "JSON" }, wantKey: testAPIKey, body: head + "&output=JSON" + tail},
		{name: "password only", mod: func(c *Config) { c.APIKey = Secret{} }, body: head + tail},
		{name: "key only", mod: func(c *Config) { c.Password = Secret{} }, wantKey: testAPIKey,
			body: "user_id=u1&account_id=acc&type=record_customer&customer_action=edit" + tail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			c := newTestClient(t, srv.URL+"/api.php", tt.mod)
			if o := c.Send(context.Background(), fields); o.Kind != Success {
				t.Fatalf("Send = %+v", o)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(got))
			}
			want := seen{http.MethodPost, "/api.php", "application/x-www-form-urlencoded", testUA, tt.wantKey, tt.body}
			if got[0] != want {
				t.Errorf("request\n got %+v\nwant %+v", got[0], want)
			}
			form, err := url.ParseQuery(got[0].body)
			if err != nil {
				t.Fatalf("form does not parse: %v", err)
			}
			if tt.mod == nil && form.Get("user_password") != testPassword {
				t.Errorf("user_password = %q", form.Get("user_password"))
			}
		})
	}
}

func TestSendReservedField(t *testing.T) {
	var hits atomic.Int64
	srv, _ := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	c := newTestClient(t, srv.URL, nil)
	o := c.Send(context.Background(), []mapping.Field{{Name: "first_name", Value: "x"}, {Name: "Output", Value: "JSON"}})
	if o.Kind != Rejected || !strings.Contains(o.Message, `"Output"`) {
		t.Errorf("Send = %+v, want Rejected naming the field", o)
	}
	if hits.Load() != 0 {
		t.Errorf("server saw %d requests, want 0", hits.Load())
	}
}

func TestSendNotConnected(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		c := newTestClient(t, "http://"+addr, nil)
		checkOutcome(t, c.Send(context.Background(), sampleFields), Outcome{Kind: NotProcessed}, "connection refused")
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		var hits atomic.Int64
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake error is expected
		srv.StartTLS()
		t.Cleanup(srv.Close)
		c := newTestClient(t, srv.URL, nil)
		checkOutcome(t, c.Send(context.Background(), sampleFields), Outcome{Kind: NotProcessed}, "TLS handshake failed")
		if hits.Load() != 0 {
			t.Errorf("handler ran %d times", hits.Load())
		}
	})
	t.Run("trusted certificate", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(answerWith(200, nil, xmlNew))
		srv.EnableHTTP2 = true
		srv.StartTLS()
		t.Cleanup(srv.Close)
		c := newTestClient(t, srv.URL, nil)
		c.transport.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		checkOutcome(t, c.Send(context.Background(), sampleFields), Outcome{Kind: Success, Status: "new", Code: "1234567890123456", HTTPStatus: 200}, "")
	})
	t.Run("dns", func(t *testing.T) {
		c := newTestClient(t, "https://no-such-host.invalid/api.php", func(c *Config) { c.Timeout = 5 * time.Second })
		checkOutcome(t, c.Send(context.Background(), sampleFields), Outcome{Kind: NotProcessed}, "")
	})
	t.Run("timeout waiting for a connection", func(t *testing.T) {
		release, started := make(chan struct{}), make(chan struct{}, 1)
		srv, _ := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			started <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			_, _ = io.WriteString(w, xmlNew)
		}))
		c := newTestClient(t, srv.URL, func(c *Config) { c.Workers = 1 })
		first := make(chan Outcome, 1)
		go func() { first <- c.Send(context.Background(), sampleFields) }()
		<-started // the one connection the pool allows is busy
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		checkOutcome(t, c.Send(ctx, sampleFields), Outcome{Kind: NotProcessed}, "before connecting")
		close(release)
		if o := <-first; o.Kind != Success {
			t.Errorf("first Send = %+v", o)
		}
	})
	t.Run("cancelled while waiting for the answer", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		srv, _ := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			cancel()
			<-r.Context().Done()
		}))
		c := newTestClient(t, srv.URL, nil)
		checkOutcome(t, c.Send(ctx, sampleFields), Outcome{Kind: MaybeProcessed}, "cancelled")
	})
}

func TestConnectionReuse(t *testing.T) {
	t.Run("sequential", func(t *testing.T) {
		srv, conns := newServer(t, answerWith(200, nil, xmlNew))
		c := newTestClient(t, srv.URL, nil)
		for i := range 200 {
			if o := c.Send(context.Background(), sampleFields); o.Kind != Success {
				t.Fatalf("request %d: %+v", i, o)
			}
		}
		if n := conns.Load(); n != 1 {
			t.Errorf("200 sequential requests opened %d connections, want 1", n)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		const workers = 3
		srv, conns := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			time.Sleep(2 * time.Millisecond)
			_, _ = io.WriteString(w, xmlNew)
		}))
		c := newTestClient(t, srv.URL, func(c *Config) { c.Workers = workers })
		var wg sync.WaitGroup
		errs := make(chan error, 4*workers)
		for w := range 4 * workers { // more goroutines than workers: the pool must hold
			wg.Go(func() {
				for i := range 25 {
					if o := c.Send(context.Background(), sampleFields); o.Kind != Success {
						errs <- fmt.Errorf("goroutine %d request %d: %+v", w, i, o)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := conns.Load(); n > workers || n == 0 {
			t.Errorf("opened %d connections, want 1..%d", n, workers)
		}
	})
}

func TestNew(t *testing.T) {
	base := Config{Endpoint: "https://api.clienttoolbox.com", UserID: "u", AccountID: "a", Password: NewSecret(testPassword)}
	tests := []struct {
		name string
		mod  func(*Config)
		want error
	}{
		{name: "ok", mod: func(*Config) {}},
		{name: "key instead of password", mod: func(c *Config) { c.Password, c.APIKey = Secret{}, NewSecret(testAPIKey) }},
		{name: "loopback http", mod: func(c *Config) { c.Endpoint = "http://127.0.0.1:8080/api.php" }},
		{name: "no user", mod: func(c *Config) { c.UserID = " " }, want: ErrCredentials},
		{name: "no account", mod: func(c *Config) { c.AccountID = "" }, want: ErrCredentials},
		{name: "no password nor key", mod: func(c *Config) { c.Password = Secret{} }, want: ErrCredentials},
		{name: "insecure", mod: func(c *Config) { c.Endpoint = "http://api.example.com" }, want: ErrInsecureEndpoint},
		{name: "insecure allowed", mod: func(c *Config) { c.Endpoint, c.AllowInsecureHTTP = "http://api.example.com", true }},
		{name: "bad format", mod: func(c *Config) { c.Format = "yaml" }, want: ErrConfig},
		{name: "negative timeout", mod: func(c *Config) { c.Timeout = -1 }, want: ErrConfig},
		{name: "negative workers", mod: func(c *Config) { c.Workers = -1 }, want: ErrConfig},
		{name: "password in url", mod: func(c *Config) { c.Endpoint = "https://u:" + testPassword + "@api.example.com/?k=" + testAPIKey }, want: ErrEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mod(&cfg)
			c, err := New(cfg)
			if c != nil {
				c.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("New: %v, want %v", err, tt.want)
			}
			if err != nil {
				checkNoSecret(t, err.Error())
			}
			if cfg.Endpoint == base.Endpoint {
				checkNoSecret(t, fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg))
			}
		})
	}
}

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		raw      string
		insecure bool
		want     error
	}{
		{raw: "https://api.clienttoolbox.com"},
		{raw: "https://white.label.example/api.php"},
		{raw: "https://[2001:db8::1]:8443/api.php"},
		{raw: "http://127.0.0.1:8080"},
		{raw: "http://127.9.9.9"},
		{raw: "http://[::1]:8080/api.php"},
		{raw: "http://localhost:8080"},
		{raw: "http://LOCALHOST."},
		{raw: "http://example.com", insecure: true},
		{raw: "http://example.com", want: ErrInsecureEndpoint},
		{raw: "http://10.0.0.1", want: ErrInsecureEndpoint},
		{raw: "http://localhost.example.com", want: ErrInsecureEndpoint},
		{raw: "http://[::ffff:8.8.8.8]", want: ErrInsecureEndpoint},
		{raw: "", want: ErrEndpoint},
		{raw: "api.clienttoolbox.com", want: ErrEndpoint},
		{raw: "ftp://api.clienttoolbox.com", want: ErrEndpoint},
		{raw: "https://", want: ErrEndpoint},
		{raw: "https:///api.php", want: ErrEndpoint},
		{raw: "https://u:p@api.example.com", want: ErrEndpoint},
		{raw: "https://api.example.com/%zz", want: ErrEndpoint},
		{raw: "/api.php", want: ErrEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if err := CheckEndpoint(tt.raw, tt.insecure); !errors.Is(err, tt.want) {
				t.Errorf("CheckEndpoint(%q, %v) = %v, want %v", tt.raw, tt.insecure, err, tt.want)
			}
		})
	}
}
