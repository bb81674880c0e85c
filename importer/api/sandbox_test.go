package api

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/mapping"
)

// newSandbox serves the sandbox API, accepting the test credentials, behind httptest.
func newSandbox(tb testing.TB, mod func(*sandbox.Config)) (*sandbox.Server, string) {
	tb.Helper()
	cfg := sandbox.Config{UserID: "u1", AccountID: "acc", Password: testPassword, APIKey: testAPIKey, Seed: 7}
	if mod != nil {
		mod(&cfg)
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		tb.Fatalf("sandbox.New: %v", err)
	}
	srv := httptest.NewServer(sb)
	tb.Cleanup(func() {
		srv.Close()
		_ = sb.Close()
	})
	return sb, srv.URL + "/api.php"
}

func TestSandbox(t *testing.T) {
	for _, format := range []string{"xml", "json"} {
		t.Run(format, func(t *testing.T) {
			sb, endpoint := newSandbox(t, nil)
			ctx := context.Background()
			withFormat := func(c *Config) { c.Format = format }

			t.Run("new then update", func(t *testing.T) {
				c := newTestClient(t, endpoint, withFormat)
				o := c.Send(ctx, []mapping.Field{{Name: "first_name", Value: "Ann"}, {Name: "card_number_generate", Value: "10"}})
				if o.Kind != Success || o.Status != "new" || len(o.Code) != 16 || len(o.CardNumber) != 10 {
					t.Fatalf("first Send = %+v", o)
				}
				o2 := c.Send(ctx, []mapping.Field{{Name: "code", Value: o.Code}, {Name: "last_name", Value: "Lee"}})
				want := Outcome{Kind: Success, Status: "update", Code: o.Code, HTTPStatus: 200}
				o2.Latency = 0
				if o2.CardNumber == o.CardNumber {
					o2.CardNumber = "" // an API may echo the card number on update
				}
				if o2 != want {
					t.Errorf("second Send = %+v, want %+v", o2, want)
				}
				if st := sb.Stats(); st.Created != 1 || st.Updated != 1 {
					t.Errorf("sandbox stats = %+v", st)
				}
			})
			t.Run("password only", func(t *testing.T) {
				c := newTestClient(t, endpoint, func(c *Config) { withFormat(c); c.APIKey = Secret{} })
				if o := c.Send(ctx, sampleFields); o.Kind != Success {
					t.Errorf("Send = %+v", o)
				}
			})
			t.Run("rejected row", func(t *testing.T) {
				c := newTestClient(t, endpoint, withFormat)
				o := c.Send(ctx, []mapping.Field{{Name: "custom_date", Value: "04-03-2010"}})
				if o.Kind != Rejected || !strings.Contains(o.Message, "custom_date") {
					t.Errorf("Send = %+v, want Rejected about custom_date", o)
				}
			})
			t.Run("wrong password", func(t *testing.T) {
				c := newTestClient(t, endpoint, func(c *Config) {
					withFormat(c)
					c.APIKey, c.Password = Secret{}, NewSecret("wrong-"+testPassword)
				})
				o := c.Send(ctx, sampleFields)
				if o.Kind != CredentialsRejected {
					t.Errorf("Send = %+v, want CredentialsRejected", o)
				}
				checkNoSecret(t, o.Message)
			})
			t.Run("wrong key", func(t *testing.T) {
				c := newTestClient(t, endpoint, func(c *Config) { withFormat(c); c.APIKey = NewSecret("nope") })
				if o := c.Send(ctx, sampleFields); o.Kind != CredentialsRejected {
					t.Errorf("Send = %+v, want CredentialsRejected", o)
				}
			})
		})
	}
}

func TestSandboxFaults(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*sandbox.Config)
		want Outcome
	}{
		{name: "throttle", mod: func(c *sandbox.Config) { c.ThrottleRate, c.RetryAfter = 1, 3*time.Second },
			want: Outcome{Kind: NotProcessed, HTTPStatus: 429, Throttled: true, RetryAfter: 3 * time.Second}},
		{name: "fail before", mod: func(c *sandbox.Config) { c.FailRate = 1 },
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 500}},
		{name: "fail after", mod: func(c *sandbox.Config) { c.FailRate, c.FailMode = 1, sandbox.FailAfter },
			want: Outcome{Kind: MaybeProcessed, HTTPStatus: 500}},
		{name: "drop", mod: func(c *sandbox.Config) { c.DropRate = 1 },
			want: Outcome{Kind: MaybeProcessed}},
		{name: "latency past the timeout", mod: func(c *sandbox.Config) { c.Latency = 2 * time.Second },
			want: Outcome{Kind: MaybeProcessed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, endpoint := newSandbox(t, tt.mod)
			c := newTestClient(t, endpoint, func(c *Config) { c.Timeout = 300 * time.Millisecond })
			o := c.Send(context.Background(), sampleFields)
			checkOutcome(t, o, tt.want, "")
		})
	}
}
