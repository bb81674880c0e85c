package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Credentials every test server accepts.
const (
	testUser     = "john1970"
	testAccount  = "greatwidgets"
	testPassword = "1959caadac9b13dcb3"
	testKey      = "k3y-0f-th3-us3r"
)

// env is a sandbox behind a real HTTP server, and a client for it.
type env struct {
	srv    *Server
	ts     *httptest.Server
	client *http.Client
}

// newEnv starts a sandbox with the test credentials and seed 1; change lets a test
// adjust the configuration first.
func newEnv(tb testing.TB, change func(*Config)) *env {
	tb.Helper()
	cfg := Config{
		UserID: testUser, AccountID: testAccount, Password: testPassword, APIKey: testKey,
		Seed:   1,
		Logger: zaptest.NewLogger(tb),
		CustomFields: map[int]CustomField{
			2: {Type: "Date"},
			3: {Type: "list", Choices: []string{"Gouda", "Emental", "Swiss"}},
			4: {Type: "PICK", Choices: []string{"Gold", "Silver"}},
			5: {Type: "datetime"},
		},
	}
	if change != nil {
		change(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	ts := newServer(tb, srv)
	return &env{srv: srv, ts: ts, client: ts.Client()}
}

// newServer serves h on a loopback port until the test ends.
func newServer(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(func() {
		ts.Client().CloseIdleConnections()
		ts.Close()
	})
	return ts
}

// answer is a parsed API answer, whatever its format.
type answer struct {
	HTTP       int
	Status     string // success or error
	CustStatus string // new or update
	Code       string
	CardNumber string
	HasCard    bool
	Error      string
	Body       string
}

// params builds form values from name, value pairs.
func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// edit adds the credentials and the call's type and action to p (unless p sets them).
func edit(p url.Values) url.Values {
	out := url.Values{}
	for k, v := range map[string]string{
		"user_id": testUser, "user_password": testPassword, "account_id": testAccount,
		"type": "record_customer", "customer_action": "edit",
	} {
		out.Set(k, v)
	}
	for k, v := range p {
		out[k] = v
	}
	return out
}

// call POSTs p (credentials added) asking for format ("xml" or "json") and parses the answer.
func (e *env) call(tb testing.TB, format string, p url.Values) answer {
	tb.Helper()
	return e.raw(tb, format, edit(p))
}

// raw POSTs p as it is, with output=JSON when format is "json".
func (e *env) raw(tb testing.TB, format string, p url.Values) answer {
	tb.Helper()
	if format == "json" {
		p = cloneValues(p)
		p.Set("output", "JSON")
	}
	resp, err := e.client.PostForm(e.ts.URL+"/", p)
	if err != nil {
		tb.Fatalf("POST: %v", err)
	}
	return readAnswer(tb, resp, format)
}

func cloneValues(p url.Values) url.Values {
	out := url.Values{}
	for k, v := range p {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func readAnswer(tb testing.TB, resp *http.Response, format string) answer {
	tb.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read answer: %v", err)
	}
	a := answer{HTTP: resp.StatusCode, Body: string(b)}
	if resp.StatusCode != http.StatusOK {
		return a
	}
	var perr error
	if format == "json" {
		perr = parseJSONAnswer(b, &a)
	} else {
		perr = parseXMLAnswer(b, &a)
	}
	if perr != nil {
		tb.Fatalf("answer %q: %v", b, perr)
	}
	return a
}

// xmlResponse is the document's XML answer; unknown elements make parseXMLAnswer fail.
type xmlResponse struct {
	XMLName  xml.Name `xml:"response"`
	Status   string   `xml:"status,attr"`
	Customer *struct {
		Status     string  `xml:"status,attr"`
		Code       string  `xml:"code"`
		CardNumber *string `xml:"card_number"`
		Other      []any   `xml:",any"`
	} `xml:"customer"`
	Error *string `xml:"error"`
	Other []any   `xml:",any"`
}

func parseXMLAnswer(b []byte, a *answer) error {
	var r xmlResponse
	if err := xml.Unmarshal(b, &r); err != nil {
		return err
	}
	if len(r.Other) > 0 || (r.Customer != nil && len(r.Customer.Other) > 0) {
		return errUnexpected
	}
	a.Status = r.Status
	if r.Customer != nil {
		a.CustStatus, a.Code = r.Customer.Status, r.Customer.Code
		if r.Customer.CardNumber != nil {
			a.CardNumber, a.HasCard = *r.Customer.CardNumber, true
		}
	}
	if r.Error != nil {
		a.Error = *r.Error
	}
	return nil
}

type jsonResponse struct {
	Status   string `json:"status"`
	Customer *struct {
		Status     string  `json:"status"`
		Code       string  `json:"code"`
		CardNumber *string `json:"card_number"`
	} `json:"customer"`
	Error string `json:"error"`
}

func parseJSONAnswer(b []byte, a *answer) error {
	var r jsonResponse
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return err
	}
	if dec.More() {
		return errUnexpected
	}
	a.Status, a.Error = r.Status, r.Error
	if r.Customer != nil {
		a.CustStatus, a.Code = r.Customer.Status, r.Customer.Code
		if r.Customer.CardNumber != nil {
			a.CardNumber, a.HasCard = *r.Customer.CardNumber, true
		}
	}
	return nil
}

type testError string

func (e testError) Error() string { return string(e) }

const errUnexpected = testError("unexpected content in answer")

// dataPath returns a data file path in a fresh temporary directory.
func dataPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "sandbox.json")
}
