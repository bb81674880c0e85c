// Package api is the client of the customer API's record_customer/edit call: one request
// in, one classified Outcome out. It knows the wire format; it does not retry (the caller
// owns retries, because they share a rate limiter across workers).
package api

import (
	"fmt"
	"time"

	"go.uber.org/zap/zapcore"
)

// Secret holds a credential. It prints, formats, marshals and logs as [redacted]; only
// Reveal gives the value, and only the client calls it, to build a request body.
type Secret struct{ v string }

// NewSecret wraps a credential.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the credential itself.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether no credential was given.
func (s Secret) IsZero() bool { return s.v == "" }

const redacted = "[redacted]"

func (s Secret) String() string                               { return redacted }
func (s Secret) GoString() string                             { return redacted }
func (s Secret) Format(f fmt.State, _ rune)                   { _, _ = f.Write([]byte(redacted)) }
func (s Secret) MarshalText() ([]byte, error)                 { return []byte(redacted), nil }
func (s Secret) MarshalLogObject(zapcore.ObjectEncoder) error { return nil }

// Kind classifies what became of one request.
type Kind uint8

// The kinds of outcome, as the contract's retry rules need them.
const (
	// Success: the API applied the row; Status is "new" or "update".
	Success Kind = iota + 1
	// Rejected: the API answered status="error" for this row, or the server refused the
	// request (another 4xx, a redirect); never retried.
	Rejected
	// CredentialsRejected: the API refused the credentials; the run must stop.
	CredentialsRejected
	// NotProcessed: the request surely was not applied (connection refused, DNS, TLS
	// handshake, HTTP 429, HTTP 503); safe to retry.
	NotProcessed
	// MaybeProcessed: the request may have been applied (timeout after sending, connection
	// reset, other 5xx, an unreadable answer); retry only when the row names its customer.
	MaybeProcessed
)

func (k Kind) String() string {
	switch k {
	case Success:
		return "success"
	case Rejected:
		return "rejected"
	case CredentialsRejected:
		return "credentials rejected"
	case NotProcessed:
		return "not processed"
	case MaybeProcessed:
		return "maybe processed"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Outcome is what one request came to.
type Outcome struct {
	Kind       Kind
	Status     string // Success: "new" or "update"
	Code       string // Success: the customer's code
	CardNumber string // Success: the card number, when the API returned one
	// Message is the API's error text (Rejected, CredentialsRejected) or a description of
	// the failure; it never holds a secret.
	Message    string
	HTTPStatus int // 0 when no HTTP answer came
	// Endpoint (Rejected) says that the endpoint itself refused the request, not the API:
	// a redirect, or HTTP 404 or 405 without an answer of the API's. Every request would
	// be refused the same way.
	Endpoint   bool
	Throttled  bool          // HTTP 429
	RetryAfter time.Duration // from a Retry-After header; 0 when absent
	Latency    time.Duration
}
