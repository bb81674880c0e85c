package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/custimport/custimport/mapping"
)

// Defaults applied by New to a Config's zero fields.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultWorkers   = 4
	DefaultUserAgent = "custimport"
)

// Limits on what the client accepts from the API.
const (
	// MaxAnswerSize is the largest answer body read; a larger one is not trusted.
	MaxAnswerSize = 1 << 20
	// MaxRetryAfter caps a Retry-After header, so that a server cannot park a run.
	MaxRetryAfter = 5 * time.Minute
	// maxMessageLen caps an error text taken from an answer, in characters.
	maxMessageLen = 500
)

// Errors of New and CheckEndpoint, for errors.Is.
var (
	// ErrEndpoint: the endpoint is not an absolute http(s) URL with a host.
	ErrEndpoint = errors.New("bad endpoint")
	// ErrInsecureEndpoint: an http:// endpoint on a host that is not a loopback address.
	ErrInsecureEndpoint = errors.New("insecure endpoint")
	// ErrCredentials: a credential is missing.
	ErrCredentials = errors.New("missing credentials")
	// ErrConfig: some other setting is out of range.
	ErrConfig = errors.New("bad client setting")
)

// reservedFields are set by the client itself; a mapped field may not override them.
var reservedFields = map[string]bool{
	"user_id": true, "user_password": true, "user_api_key": true, "account_id": true,
	"type": true, "customer_action": true, "output": true, "callback": true, "condensed": true,
}

// Config is what a Client needs: where to send, who is sending, and how.
type Config struct {
	// Endpoint is the URL the form is POSTed to, e.g. https://api.clienttoolbox.com.
	Endpoint string
	// UserID and AccountID are sent with every request.
	UserID, AccountID string
	// Password is sent as user_password. Password or APIKey is required.
	Password Secret
	// APIKey, when set, is sent as the api_access_key header.
	APIKey Secret
	// Format is the answer format asked for: "xml" (the default) or "json".
	Format string
	// Timeout bounds one request, from dialling to the last byte of the answer (default 30s).
	Timeout time.Duration
	// Workers is the number of concurrent requests the caller makes; it sizes the
	// connection pool (default 4).
	Workers int
	// AllowInsecureHTTP permits an http:// endpoint on a non-loopback host.
	AllowInsecureHTTP bool
	// UserAgent is sent as the User-Agent header, e.g. "custimport/1.0" (default "custimport").
	UserAgent string
}

// Client sends record_customer/edit requests. It is safe for concurrent use. It never
// retries: one Send is one request.
type Client struct {
	endpoint   string // validated URL
	formHead   string // the encoded credentials and constant parameters
	apiKey     Secret
	userAgentV []string // userAgent as a header value
	timeout    time.Duration
	secrets    []string // values to scrub from every message
	transport  *http.Transport
	http       *http.Client
}

// New checks cfg and builds a Client with its own connection pool. Close it when done.
func New(cfg Config) (*Client, error) {
	if err := CheckEndpoint(cfg.Endpoint, cfg.AllowInsecureHTTP); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(cfg.UserID) == "":
		return nil, fmt.Errorf("%w: user id is empty", ErrCredentials)
	case strings.TrimSpace(cfg.AccountID) == "":
		return nil, fmt.Errorf("%w: account id is empty", ErrCredentials)
	case cfg.Password.IsZero() && cfg.APIKey.IsZero():
		return nil, fmt.Errorf("%w: neither a password nor an API key is set", ErrCredentials)
	}
	output := ""
	switch strings.ToLower(strings.TrimSpace(cfg.Format)) {
	case "", "xml":
	case "json":
		output = "JSON"
	default:
		return nil, fmt.Errorf("%w: format %q: want xml or json", ErrConfig, cfg.Format)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: timeout %v is negative", ErrConfig, cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("%w: workers %d is negative", ErrConfig, cfg.Workers)
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}

	var head strings.Builder
	head.WriteString("user_id=" + url.QueryEscape(cfg.UserID))
	if !cfg.Password.IsZero() {
		head.WriteString("&user_password=" + url.QueryEscape(cfg.Password.Reveal()))
	}
	head.WriteString("&account_id=" + url.QueryEscape(cfg.AccountID))
	head.WriteString("&type=record_customer&customer_action=edit")
	if output != "" {
		head.WriteString("&output=" + output)
	}

	var secrets []string
	for _, s := range []Secret{cfg.Password, cfg.APIKey} {
		if !s.IsZero() {
			secrets = append(secrets, s.Reveal())
		}
	}

	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          cfg.Workers,
		MaxIdleConnsPerHost:   cfg.Workers,
		MaxConnsPerHost:       cfg.Workers,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return &Client{
		endpoint:   cfg.Endpoint,
		formHead:   head.String(),
		apiKey:     cfg.APIKey,
		userAgentV: []string{cfg.UserAgent},
		timeout:    cfg.Timeout,
		secrets:    secrets,
		transport:  tr,
		http: &http.Client{
			Transport: tr,
			// A POST that follows a redirect arrives as a GET without its form: the
			// redirect is reported instead (see Send).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// CheckEndpoint reports whether raw is an endpoint the client may send credentials to:
// an absolute http or https URL with a host and no user:password part; http only when the
// host is a loopback address (127.0.0.0/8, ::1, localhost) or allowInsecure is set.
func CheckEndpoint(raw string, allowInsecure bool) error {
	if strings.TrimSpace(raw) == "" {
		return fmt.Errorf("%w: endpoint is empty", ErrEndpoint)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the whole URL, which may carry a secret.
		return fmt.Errorf("%w: endpoint does not parse as a URL", ErrEndpoint)
	}
	if u.User != nil {
		return fmt.Errorf("%w: endpoint must not carry user:password@; credentials go in --user-id and the password settings", ErrEndpoint)
	}
	shown := u.Scheme + "://" + u.Host + u.Path
	switch u.Scheme {
	case "https", "http":
	default:
		return fmt.Errorf("%w: endpoint %q: want an http:// or https:// URL", ErrEndpoint, shown)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%w: endpoint %q has no host", ErrEndpoint, shown)
	}
	if u.Scheme == "http" && !allowInsecure && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%w: endpoint %q: credentials would travel in clear text; use https:// (or, on a network you trust, --allow-insecure-http)", ErrInsecureEndpoint, shown)
	}
	return nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	if i := strings.IndexByte(h, '%'); i >= 0 { // IPv6 zone
		h = h[:i]
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// Send posts one record_customer/edit request carrying fields, in order, and classifies
// what became of it. It makes exactly one attempt, bounded by the client's timeout and ctx.
//
// The classification:
//   - Success: a 2xx answer with status success, customer status new or update, and a
//     code of digits (and a card number of digits, if any).
//   - Rejected: a 2xx answer with status error; another 4xx (400, 404, 405, 413, ...); a
//     3xx redirect (a redirected POST would arrive as a GET without its form, so it is not
//     followed, and a repeat would be redirected again: the message names the URL to use
//     instead; a caller may stop the run when Rejected comes with a 3xx HTTPStatus); a
//     field that would override one of the client's own parameters (no request is sent).
//   - CredentialsRejected: HTTP 401 or 403, or an error text that says the credentials are
//     wrong ("Authentication failed: invalid user_id, user_password or account_id").
//   - NotProcessed: no connection was made (refused, DNS, TLS handshake, a timeout or
//     cancellation while connecting or waiting for a free connection of the pool); HTTP
//     429 (Throttled) and 503, with RetryAfter from a Retry-After header.
//   - MaybeProcessed: the connection failed or timed out once the request had started
//     going out; HTTP 408 and 5xx other than 503; an answer cut short, larger than
//     MaxAnswerSize or unreadable.
//
// Message never holds the credentials, the form, or the value of a secret field, even
// when the server echoes them; API error texts are cleaned of control characters and cut
// to 500 characters.
func (c *Client) Send(ctx context.Context, fields []mapping.Field) Outcome {
	start := time.Now()
	o := c.send(ctx, fields)
	o.Latency = time.Since(start)
	if o.Message != "" {
		o.Message = sanitize(o.Message, c.scrubList(fields))
	}
	return o
}

func (c *Client) send(ctx context.Context, fields []mapping.Field) Outcome {
	body, bad := c.form(fields)
	if bad != "" {
		return Outcome{Kind: Rejected, Message: fmt.Sprintf("field %q is set by the client itself and may not be mapped", bad)}
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var gotConn, wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(body))
	if err != nil {
		return Outcome{Kind: NotProcessed, Message: "building the request failed"}
	}
	// The header's values are shared by every request, read-only; keys are canonical.
	req.Header = http.Header{"Content-Type": formType, "User-Agent": c.userAgentV, "Accept": acceptTypes}
	if !c.apiKey.IsZero() {
		req.Header.Set("api_access_key", c.apiKey.Reveal())
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return transportOutcome(err, gotConn.Load(), wrote.Load(), c.timeout)
	}
	defer resp.Body.Close()
	return c.answerOutcome(ctx, resp)
}

// Header values every request carries, shared read-only.
var (
	formType    = []string{"application/x-www-form-urlencoded"}
	acceptTypes = []string{"application/xml, application/json, text/xml, text/javascript;q=0.9, */*;q=0.1"}
)

// form encodes the request body: the credentials and constants, then fields in order. It
// returns the name of the first field that would override a parameter of the client's.
func (c *Client) form(fields []mapping.Field) (string, string) {
	n := len(c.formHead)
	for _, f := range fields {
		n += len(f.Name) + len(f.Value) + 2
	}
	var b strings.Builder
	b.Grow(n + n/4)
	b.WriteString(c.formHead)
	for _, f := range fields {
		if reservedFields[strings.ToLower(f.Name)] {
			return "", f.Name
		}
		b.WriteByte('&')
		b.WriteString(url.QueryEscape(f.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.Value))
	}
	return b.String(), ""
}

// scrubList is every value that must not appear in a message: the credentials and the
// secret fields of this request, raw and form-encoded.
func (c *Client) scrubList(fields []mapping.Field) []string {
	out := c.secrets
	for _, f := range fields {
		if f.Value != "" && mapping.IsSecret(f.Name) {
			out = append(out[:len(out):len(out)], f.Value)
		}
	}
	return out
}

// answerOutcome classifies an HTTP answer: its status first, then its body.
func (c *Client) answerOutcome(ctx context.Context, resp *http.Response) Outcome {
	code := resp.StatusCode
	o := Outcome{HTTPStatus: code}
	// Built only for an answer that needs it (not for a success).
	statusText := func() string { return fmt.Sprintf("HTTP %d %s", code, http.StatusText(code)) }

	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		o.Kind = NotProcessed
		o.Throttled = code == http.StatusTooManyRequests
		o.RetryAfter = retryAfter(resp.Header, time.Now())
		o.Message = statusText()
		// The API's own words, when it gave an error answer (as for a 500).
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if a, err := parseAnswer(body); err == nil && !a.Success && a.Error != "" {
			o.Message += ": " + a.Error
		}
		return o
	case code >= 300 && code < 400:
		drain(resp.Body)
		o.Kind, o.Endpoint = Rejected, true
		o.Message = redirectMessage(resp)
		return o
	}

	body, err := readLimited(resp)
	if err != nil {
		o.Kind = MaybeProcessed
		switch {
		case errors.Is(err, errTooLarge):
			o.Message = "answer larger than 1 MiB"
		case ctx.Err() != nil:
			o.Message = "answer cut short: " + describe(err, c.timeout)
		default:
			o.Message = "reading the answer: " + describe(err, c.timeout)
		}
		if code >= 400 && code < 500 && code != http.StatusRequestTimeout {
			// The status line already said the row was refused.
			o.Kind, o.Message = c4xxKind(code), statusText()
		}
		return o
	}
	a, perr := parseAnswer(body)

	switch {
	case code >= 200 && code < 300:
		if perr != nil {
			return Outcome{Kind: MaybeProcessed, HTTPStatus: code, Message: perr.Error()}
		}
		return a.outcome(code)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		o.Kind = CredentialsRejected
		o.Message = statusText()
		if perr == nil && a.Error != "" {
			o.Message = statusText() + ": " + a.Error
		}
		return o
	case code >= 500 || code == http.StatusRequestTimeout:
		o.Kind = MaybeProcessed
		o.Message = statusText()
		if perr == nil && !a.Success && a.Error != "" {
			o.Message = statusText() + ": " + a.Error
		}
		return o
	default: // another 4xx: the server refused the request; a repeat gets the same answer
		if perr == nil && !a.Success {
			o = a.outcome(code)
			o.Message = statusText() + ": " + o.Message
			return o
		}
		o.Kind = c4xxKind(code)
		o.Message = statusText()
		if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
			o.Message += ": is the endpoint the API's URL?"
			o.Endpoint = true
		}
		return o
	}
}

func c4xxKind(code int) Kind {
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		return CredentialsRejected
	}
	return Rejected
}

// redirectMessage tells the user where the endpoint points. A redirect is reported as
// Rejected rather than retried: every later request would be redirected the same way.
func redirectMessage(resp *http.Response) string {
	msg := fmt.Sprintf("endpoint redirects (HTTP %d)", resp.StatusCode)
	loc, err := resp.Location()
	if err != nil {
		return msg + ": set the endpoint to the API's own URL"
	}
	shown := loc.Scheme + "://" + loc.Host + loc.EscapedPath()
	return msg + " to " + shown + ": use that URL as the endpoint"
}

var errTooLarge = errors.New("answer too large")

// readLimited reads the whole body, at most MaxAnswerSize bytes.
func readLimited(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > MaxAnswerSize {
		return nil, errTooLarge
	}
	capHint := 512
	if resp.ContentLength > 0 {
		capHint = int(resp.ContentLength) + 1
	}
	buf := make([]byte, 0, capHint)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > MaxAnswerSize {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// drain reads what is left of a small body so that its connection can be reused.
func drain(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10)) }
