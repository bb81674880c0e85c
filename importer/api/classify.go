package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// credentialWords are the phrases of an API error text that name the API user's
// credentials (user_id, user_password, user_api_key, account_id, the api_access_key header)
// or their refusal. The one list; credentialsWrong applies it.
var credentialWords = regexp.MustCompile(`(?i)` +
	`\bauthenticat(e|ed|ion)\b|\bcredentials?\b|\bapi[ _-]?(access[ _-]?)?key\b|` +
	`\buser_id\b|\baccount_id\b|\buser_password\b|\buser_api_key\b|` +
	`\bunauthori[sz]ed\b|\bnot authori[sz]ed\b|\baccess denied\b|\bpermission denied\b|` +
	`\binvalid (user|account)\b|\bunknown (user|account)\b|` +
	// The account or the API user refused as a whole.
	`\baccount (is |has been )?(suspended|disabled|locked|closed|expired|inactive|deactivated|not found)\b|` +
	`\bapi (user|access)\b|\bip( address)?\b.*\b(whitelist(ed)?|allowlist(ed)?|not allowed|blocked)\b`)

// passwordWords are the words that name a password or a log-in without saying whose.
// Alone ("Wrong password", "Login failed") they are the credentials'; in a rule about a
// value being written (dataRuleWords) they are a customer's password or user name.
var passwordWords = regexp.MustCompile(`(?i)\bpassword\b|\blog ?in\b`)

// dataRuleWords are phrases that state a rule for a value being written ("must be at least
// 12 characters", "too short", "already taken"): credentials are checked, never validated
// like this, so such a text is about the row's data.
var dataRuleWords = regexp.MustCompile(`(?i)` +
	`\bmust (be|have|contain|consist|include|match|not)\b|\bat (least|most) \d+|` +
	`\btoo (short|long|weak|simple|common)\b|\b\d+ (characters?|chars?|digits?)\b|` +
	`\balready (taken|in use|exists|used|registered)\b|\bis taken\b`)

// rowWords are the words of an error text about the row's customer: the customer, its
// record or its own fields (customer_password, customer_PIN, customer_username), a member,
// a card. The API user's credentials are never spoken of in these terms, so such a text is
// the row's error even when it also says "password", "access denied" or "account_id"
// ("Invalid password for this customer", "account_id mismatch on customer record").
// "customer" is matched anywhere in a word: customer_PIN, customers, customer's. A user
// name is the customer's (customer_username: the API user is a user_id), and so are custom
// fields and the account type.
var rowWords = regexp.MustCompile(`(?i)customer|\bmembers?\b|\bcard|\buser ?names?\b|custom[ _]?field|\baccount type\b`)

// credentialsWrong reports whether an API error text says the API user's credentials were
// refused, e.g. "Authentication failed: invalid user_id, user_password or account_id".
// A text about the row's customer (rowWords) never is: a wrong credential would fail every
// row, a customer's own data only that row, and only the former may stop the run.
func credentialsWrong(msg string) bool {
	if rowWords.MatchString(msg) {
		return false
	}
	if credentialWords.MatchString(msg) {
		return true
	}
	return passwordWords.MatchString(msg) && !dataRuleWords.MatchString(msg)
}

// transportOutcome classifies a request that got no HTTP answer. Before a connection was
// obtained (dial, DNS, TLS handshake, a timeout or cancellation while connecting) the
// request surely did not reach the API; after it, it may have.
func transportOutcome(err error, gotConn, wrote bool, timeout time.Duration) Outcome {
	msg := describe(err, timeout)
	if !gotConn || (!wrote && isConnectError(err)) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			msg = "timed out before connecting"
		case isTimeout(err):
			msg = "timed out before connecting: " + msg
		}
		return Outcome{Kind: NotProcessed, Message: msg}
	}
	if !wrote {
		return Outcome{Kind: MaybeProcessed, Message: "sending the request: " + msg}
	}
	return Outcome{Kind: MaybeProcessed, Message: "waiting for the answer: " + msg}
}

// isConnectError reports errors that happen only while connecting.
func isConnectError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) || isTLSError(err)
}

func isTLSError(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		record  tls.RecordHeaderError
		alert   tls.AlertError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) ||
		errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) ||
		strings.Contains(err.Error(), "tls: ")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// describe says what went wrong in words, without the request's URL (it may carry a
// query with a secret).
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within " + timeout.String()
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "DNS: host " + dns.Name + " not found"
		}
		return "DNS lookup failed: " + dns.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: " + err.Error()
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server before the answer was complete"
	case isTLSError(err):
		return "TLS handshake failed: " + err.Error()
	case isTimeout(err):
		return "timed out (" + timeout.String() + "): " + err.Error()
	}
	return err.Error()
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date (relative to the
// answer's Date header, else now), capped at MaxRetryAfter; 0 when absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		if n > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else {
		at, err := http.ParseTime(v)
		if err != nil {
			return 0
		}
		if date, err := http.ParseTime(h.Get("Date")); err == nil {
			now = date
		}
		d = at.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// sanitize makes an untrusted text fit for a results file and a terminal: every secret
// (raw or form-encoded) replaced, invalid UTF-8 replaced, control and bidi characters
// removed, white space collapsed, and at most maxMessageLen characters kept.
// shortSecret is the length under which a secret is redacted only where it stands as a
// word of its own: a password "e" redacted inside every word would both garble the
// message and give the password away, as would a PIN 1234 redacted inside a card number.
const shortSecret = 8

// redact replaces sec in s with [redacted]: everywhere when sec is long, else only where
// no letter or digit touches it.
func redact(s, sec string) string {
	if len(sec) >= shortSecret {
		return strings.ReplaceAll(s, sec, redacted)
	}
	var b strings.Builder
	last := 0
	for i := 0; i+len(sec) <= len(s); {
		k := strings.Index(s[i:], sec)
		if k < 0 {
			break
		}
		start, end := i+k, i+k+len(sec)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if start > 0 && isWordRune(before) || end < len(s) && isWordRune(after) {
			i = start + 1
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(redacted)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func sanitize(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		s = redact(s, sec)
		if enc := url.QueryEscape(sec); enc != sec {
			s = redact(s, enc)
		}
		if enc := url.PathEscape(sec); enc != sec {
			s = redact(s, enc)
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	out := make([]rune, 0, min(len(s), maxMessageLen+1))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = space || unicode.IsSpace(r)
			continue
		}
		if unicode.Is(unicode.Cf, r) { // bidi overrides, zero-width characters
			continue
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
		}
		space = false
		out = append(out, r)
		if len(out) > maxMessageLen {
			out = append(out[:maxMessageLen-1], '…')
			break
		}
	}
	return string(out)
}
