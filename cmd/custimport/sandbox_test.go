package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startSandboxCmd runs custimport sandbox with args until the returned stop is called;
// it returns the base URL the command printed and stop, which gives the exit code.
func startSandboxCmd(tb testing.TB, env map[string]string, args ...string) (string, *lockedBuffer, func() int) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"sandbox"}, args...), strings.NewReader(""), &stdout, &stderr,
			func(k string) string { return env[k] })
	}()
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			tb.Fatalf("sandbox did not stop; stderr:\n%s", stderr.String())
			return -1
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if u, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "listening on "); ok {
			return u, &stderr, stop
		}
		select {
		case code := <-done:
			cancel()
			tb.Fatalf("sandbox exited %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	tb.Fatalf("no URL printed; stderr:\n%s", stderr.String())
	return "", nil, nil
}

func postSandbox(tb testing.TB, base string, v url.Values) string {
	tb.Helper()
	resp, err := http.PostForm(base+"/api.php", v)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func sandboxCall(user, password, account string, kv ...string) url.Values {
	v := url.Values{"user_id": {user}, "user_password": {password}, "account_id": {account},
		"type": {"record_customer"}, "customer_action": {"edit"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestSandboxCommandServesAndSaves(t *testing.T) {
	data := filepath.Join(t.TempDir(), "customers.json")
	env := map[string]string{"CUSTIMPORT_PASSWORD": "s3cret-pw", "CUSTIMPORT_ACCOUNT_ID": "shop"}
	base, stderr, stop := startSandboxCmd(t, env, "--addr", "127.0.0.1:0", "--data", data, "--user-id", "me",
		"--custom-field", "2:date", "--custom-field", "3:PICK:Gold,Silver", "--seed", "5", "--log-format", "json")

	if got := postSandbox(t, base, sandboxCall("me", "demo", "shop", "first_name", "Ann")); !strings.Contains(got, "Authentication failed") {
		t.Errorf("the default password was accepted: %s", got)
	}
	got := postSandbox(t, base, sandboxCall("me", "s3cret-pw", "shop", "first_name", "Ann", "custom_field_2", "2020-02-29", "custom_field_3", "Gold"))
	if !strings.Contains(got, `<customer status="new">`) {
		t.Errorf("answer %s", got)
	}
	if got := postSandbox(t, base, sandboxCall("me", "s3cret-pw", "shop", "custom_field_4", "x")); !strings.Contains(got, "custom field 4 does not exist") {
		t.Errorf("answer %s", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	logs := stderr.String()
	if strings.Contains(logs, "s3cret-pw") {
		t.Errorf("the password reached the log:\n%s", logs)
	}
	for _, want := range []string{`"user_id":"me"`, `"account_id":"shop"`, "from CUSTIMPORT_PASSWORD", "sandbox stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatalf("--data not saved: %v", err)
	}
	var saved struct {
		Customers []json.RawMessage `json:"customers"`
	}
	if err := json.Unmarshal(b, &saved); err != nil || len(saved.Customers) != 1 {
		t.Fatalf("data file %s: %v", b, err)
	}

	// A restart finds the customer: its card-less code is updated, not duplicated.
	var code struct {
		Customers []struct {
			Code string `json:"code"`
		} `json:"customers"`
	}
	_ = json.Unmarshal(b, &code)
	base, stderr, stop = startSandboxCmd(t, env, "--addr", "127.0.0.1:0", "--data", data, "--user-id", "me")
	got = postSandbox(t, base, sandboxCall("me", "s3cret-pw", "shop", "code", code.Customers[0].Code, "last_name", "Lee"))
	if !strings.Contains(got, `status="update"`) {
		t.Errorf("after restart: %s", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
}

func TestSandboxCommandRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"remote address", []string{"--addr", "0.0.0.0:0"}, "not a loopback"},
		{"all interfaces", []string{"--addr", ":0"}, "not a loopback"},
		{"bad custom field", []string{"--custom-field", "2:money"}, "--custom-field"},
		{"field 1 typed", []string{"--custom-field", "1:date"}, "custom_field_1"},
		{"duplicate field", []string{"--custom-field", "2:date", "--custom-field", "2:text"}, "declared twice"},
		{"bad latency", []string{"--latency", "fast"}, "--latency"},
		{"latency range backwards", []string{"--latency", "200ms-20ms"}, "--latency"},
		{"fail rate", []string{"--fail-rate", "2"}, "fail rate"},
		{"fail mode", []string{"--fail-mode", "sometimes"}, "fail mode"},
		{"arguments", []string{"extra"}, "unknown command"},
		{"data in a missing directory", []string{"--data", filepath.Join(t.TempDir(), "no", "dir", "x.json")}, filepath.Join("no", "dir", "x.json")},
		{"data is a directory", []string{"--data", t.TempDir()}, "is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			// A command that wrongly starts serving stops here instead of hanging the test.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			code := run(ctx, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, tc.args...),
				strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q, want it to say %q", stderr.String(), tc.want)
			}
			if strings.Contains(stdout.String(), "listening") {
				t.Errorf("served before refusing: %q", stdout.String())
			}
		})
	}
}

func TestParseLatency(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi time.Duration
		err    bool
	}{
		{in: "50ms", lo: 50 * time.Millisecond},
		{in: "20ms-200ms", lo: 20 * time.Millisecond, hi: 200 * time.Millisecond},
		{in: " 1s - 2s ", lo: time.Second, hi: 2 * time.Second},
		{in: "0s", lo: 0},
		{in: "fast", err: true},
		{in: "10ms-", err: true},
		{in: "-10ms", err: true},
		{in: "2s-1s", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			lo, hi, err := parseLatency(tc.in)
			if (err != nil) != tc.err || lo != tc.lo || hi != tc.hi {
				t.Errorf("parseLatency(%q) = %v, %v, %v", tc.in, lo, hi, err)
			}
		})
	}
}
