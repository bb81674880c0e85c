package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// xmlNode is a generic XML tree, to compare answers with the document's examples.
type xmlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xmlNode  `xml:",any"`
	Text    string     `xml:",chardata"`
}

// shape renders an XML tree as element and attribute names, with attribute values
// (the statuses) but not element text; whitespace between elements is ignored.
func shape(tb testing.TB, doc string) string {
	tb.Helper()
	var n xmlNode
	if err := xml.Unmarshal([]byte(doc), &n); err != nil {
		tb.Fatalf("parse %q: %v", doc, err)
	}
	var b strings.Builder
	var walk func(xmlNode)
	walk = func(n xmlNode) {
		b.WriteString("<" + n.XMLName.Local)
		for _, a := range n.Attrs {
			fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
		}
		b.WriteString(">")
		for _, c := range n.Nodes {
			walk(c)
		}
		b.WriteString("</" + n.XMLName.Local + ">")
	}
	walk(n)
	return b.String()
}

// The document's examples, as published (comments and all).
const (
	docSuccess = `<response status="success">
  <customer status="update">          <!-- or status="new" -->
    <code>1234567890123456</code>
    <card_number>1234567890</card_number>   <!-- only when card_number_generate was set -->
  </customer>
</response>`
	docError = `<response status="error">
  <error>Error message</error>
</response>`
)

func TestXMLMatchesDocument(t *testing.T) {
	e := newEnv(t, nil)
	post := func(p map[string]string) string {
		t.Helper()
		resp, err := e.client.PostForm(e.ts.URL+"/", edit(toValues(p)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
			t.Errorf("Content-Type %q, want text/xml", ct)
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	withCard := strings.Replace(docSuccess, `status="update"`, `status="new"`, 1)
	noCard := strings.Replace(withCard, "<card_number>1234567890</card_number>", "", 1)
	tests := []struct {
		name string
		p    map[string]string
		doc  string
	}{
		{"generated card", map[string]string{"first_name": "Ann", "card_number_generate": "10"}, withCard},
		{"no card", map[string]string{"first_name": "Ann", "card_number": "42"}, noCard},
		{"update", map[string]string{"card_number": "42", "card_number_generate": ""}, strings.Replace(noCard, `"new"`, `"update"`, 1)},
		{"error", map[string]string{}, docError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := post(tc.p)
			if g, w := shape(t, got), shape(t, tc.doc); g != w {
				t.Errorf("shape\n got %s\nwant %s\nbody %s", g, w, got)
			}
			// The literal layout too: the document's indentation, element by element.
			re := strings.NewReplacer("1234567890123456", "", "1234567890", "", "Error message", "")
			gotLines := strings.Split(strings.TrimSpace(got), "\n")
			for i, l := range gotLines {
				gotLines[i] = re.Replace(strings.TrimRightFunc(l, func(r rune) bool { return r == ' ' }))
			}
			var wantLines []string
			for _, l := range strings.Split(tc.doc, "\n") {
				if k := strings.Index(l, "<!--"); k >= 0 {
					l = l[:k]
				}
				l = re.Replace(strings.TrimRight(l, " "))
				if strings.TrimSpace(l) != "" {
					wantLines = append(wantLines, l)
				}
			}
			for i := range gotLines {
				gotLines[i] = stripText(gotLines[i])
			}
			for i := range wantLines {
				wantLines[i] = stripText(wantLines[i])
			}
			if !reflect.DeepEqual(gotLines, wantLines) {
				t.Errorf("layout\n got %q\nwant %q", gotLines, wantLines)
			}
		})
	}
}

// stripText drops the text between an opening and a closing tag on one line.
func stripText(l string) string {
	i := strings.Index(l, ">")
	j := strings.LastIndex(l, "</")
	if i >= 0 && j > i && !strings.HasPrefix(strings.TrimSpace(l), "</") {
		return l[:i+1] + l[j:]
	}
	return l
}

func TestJSONFormats(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name     string
		p        map[string]string
		ct       string
		check    func(t *testing.T, body string)
		jsonBody func(string) string // the JSON inside the body
	}{
		{"pretty", map[string]string{"output": "JSON", "first_name": "Ann"}, "application/json",
			func(t *testing.T, body string) {
				if !strings.Contains(body, "\n  \"status\": \"success\"") {
					t.Errorf("not indented: %s", body)
				}
			}, nil},
		{"lower case output", map[string]string{"output": "json", "first_name": "Ann"}, "application/json", nil, nil},
		{"condensed", map[string]string{"output": "JSON", "condensed": "yes", "first_name": "Ann", "card_number_generate": "8"}, "application/json",
			func(t *testing.T, body string) {
				if strings.ContainsAny(body, " \n\t") {
					t.Errorf("condensed answer has white space: %q", body)
				}
				if !strings.HasPrefix(body, `{"status":"success","customer":{"status":"new","code":"`) || !strings.Contains(body, `","card_number":"`) {
					t.Errorf("condensed answer %q", body)
				}
			}, nil},
		{"jsonp", map[string]string{"callback": "handle.answer", "first_name": "Ann"}, "application/javascript",
			func(t *testing.T, body string) {
				if !strings.HasPrefix(body, "handle.answer({") || !strings.HasSuffix(strings.TrimSpace(body), "})") {
					t.Errorf("JSONP answer %q", body)
				}
			}, func(b string) string {
				return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(b), "handle.answer("), ")")
			}},
		{"jsonp condensed", map[string]string{"output": "JSON", "callback": "$cb_1", "condensed": "yes", "first_name": "Ann"}, "application/javascript",
			func(t *testing.T, body string) {
				if !strings.HasPrefix(body, `$cb_1({"status":"success"`) || !strings.HasSuffix(body, "}})") {
					t.Errorf("JSONP answer %q", body)
				}
			}, func(b string) string { return strings.TrimSuffix(strings.TrimPrefix(b, "$cb_1("), ")") }},
		{"json error", map[string]string{"output": "JSON", "condensed": "yes"}, "application/json",
			func(t *testing.T, body string) {
				if !strings.HasPrefix(body, `{"status":"error","error":"at least one`) {
					t.Errorf("error answer %q", body)
				}
			}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.client.PostForm(e.ts.URL+"/", edit(toValues(tc.p)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ct) {
				t.Errorf("Content-Type %q, want %s", ct, tc.ct)
			}
			if tc.check != nil {
				tc.check(t, string(b))
			}
			body := string(b)
			if tc.jsonBody != nil {
				body = tc.jsonBody(body)
			}
			var a answer
			if err := parseJSONAnswer([]byte(body), &a); err != nil {
				t.Fatalf("JSON %q: %v", body, err)
			}
		})
	}
}

func TestBadCallbackRefused(t *testing.T) {
	e := newEnv(t, nil)
	for _, cb := range []string{"alert(1)", "a b", "1abc", "x.", "é", strings.Repeat("a", 200)} {
		t.Run(cb, func(t *testing.T) {
			a := e.raw(t, "json", edit(params("first_name", "Ann", "callback", cb)))
			if a.Status != "error" || !strings.Contains(a.Error, "callback") {
				t.Errorf("answer %+v, want a callback error as plain JSON", a)
			}
		})
	}
	if n := len(e.srv.Customers()); n != 0 {
		t.Errorf("a refused call was applied: %d customers", n)
	}
}

func TestHTTP(t *testing.T) {
	e := newEnv(t, nil)
	do := func(t *testing.T, method, path, ct string, body io.Reader) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, e.ts.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	form := edit(params("first_name", "Ann")).Encode()
	t.Run("api.php", func(t *testing.T) {
		resp, body := do(t, "POST", "/api.php", "application/x-www-form-urlencoded", strings.NewReader(form))
		if resp.StatusCode != 200 || !strings.Contains(body, `status="new"`) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("GET query", func(t *testing.T) {
		resp, body := do(t, "GET", "/?"+form+"&output=JSON", "", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, `"status": "new"`) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("multipart", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range edit(params("first_name", "Mo")) {
			_ = mw.WriteField(k, v[0])
		}
		_ = mw.Close()
		resp, body := do(t, "POST", "/", mw.FormDataContentType(), &buf)
		if resp.StatusCode != 200 || !strings.Contains(body, `status="new"`) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		resp, body := do(t, "POST", "/", "application/x-www-form-urlencoded", strings.NewReader(form+"&first_name=%zz"))
		var a answer
		if resp.StatusCode != 200 || parseXMLAnswer([]byte(body), &a) != nil || a.Status != "error" || !strings.Contains(a.Error, "malformed") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("405", func(t *testing.T) {
		for _, m := range []string{"PUT", "DELETE", "PATCH"} {
			resp, _ := do(t, m, "/", "", nil)
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" {
				t.Errorf("%s: %d, Allow %q", m, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
		resp, _ := do(t, "POST", "/_sandbox/stats", "", nil)
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST stats: %d", resp.StatusCode)
		}
	})
	t.Run("413", func(t *testing.T) {
		big := form + "&custom_field=" + strings.Repeat("x", MaxBody)
		resp, _ := do(t, "POST", "/", "application/x-www-form-urlencoded", strings.NewReader(big))
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("404", func(t *testing.T) {
		resp, _ := do(t, "POST", "/other", "application/x-www-form-urlencoded", strings.NewReader(form))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
}

func TestAPIAccessKeyHeader(t *testing.T) {
	tests := []struct {
		name   string
		header string
		key    string // Config.APIKey
		p      map[string]string
		want   string
	}{
		{"header key", "api_access_key", testKey, map[string]string{"user_id": testUser, "account_id": testAccount}, "success"},
		{"canonical header", "Api-Access-Key", testKey, map[string]string{"user_id": testUser, "account_id": testAccount}, "success"},
		{"header wins over a right password", "api_access_key", testKey, map[string]string{"user_id": testUser, "account_id": testAccount, "user_password": testPassword, "wrong": "1"}, "error"},
		{"no key configured", "api_access_key", "", map[string]string{"user_id": testUser, "account_id": testAccount}, "error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.APIKey = tc.key })
			p := toValues(tc.p)
			p["type"], p["customer_action"], p["first_name"] = []string{"record_customer"}, []string{"edit"}, []string{"Ann"}
			req, _ := http.NewRequest("POST", e.ts.URL+"/", strings.NewReader(encode(p)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			v := testKey
			if tc.p["wrong"] != "" {
				v = "not-the-key"
			}
			req.Header[tc.header] = []string{v}
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			a := readAnswer(t, resp, "xml")
			if a.Status != tc.want {
				t.Errorf("answer %+v, want %s", a, tc.want)
			}
			if tc.want == "error" && !strings.Contains(a.Error, "Authentication failed") {
				t.Errorf("error %q", a.Error)
			}
		})
	}
}

func encode(p map[string][]string) string {
	var parts []string
	for k, v := range p {
		parts = append(parts, k+"="+v[0])
	}
	return strings.Join(parts, "&")
}

func TestConcurrentSameNewCard(t *testing.T) {
	e := newEnv(t, nil)
	const n = 32
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			resp, err := e.client.PostForm(e.ts.URL+"/", edit(params("card_number", "99990000", "first_name", fmt.Sprint("n", i))))
			if err != nil {
				t.Error(err)
				return
			}
			answers[i] = readAnswer(t, resp, "xml")
		})
	}
	close(start)
	wg.Wait()
	counts := map[string]int{}
	for _, a := range answers {
		counts[a.CustStatus]++
		if a.Code != answers[0].Code {
			t.Errorf("codes differ: %s and %s", a.Code, answers[0].Code)
		}
	}
	if counts["new"] != 1 || counts["update"] != n-1 {
		t.Errorf("statuses %v, want 1 new and %d update", counts, n-1)
	}
	if cs := e.srv.Customers(); len(cs) != 1 || cs[0].CardNumber != "99990000" || cs[0].Edits != n-1 {
		t.Errorf("store %+v, want one customer with the card", cs)
	}
}

func TestPersistence(t *testing.T) {
	path := dataPath(t)
	cfg := Config{UserID: "u", AccountID: "a", Password: "p", Seed: 7, DataFile: path}
	s1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestClient(t, s1)
	for _, p := range []map[string]string{
		{"first_name": "Ann", "card_number_generate": "9", "customer_PIN": "1234"},
		{"code": "42", "auto_add": "25", "send_no_email": ""},
		{"code": "42", "auto_add": "Free coffee", "custom_field_1": "likes cheese"},
	} {
		p["user_id"], p["account_id"], p["user_password"] = "u", "a", "p"
		p["type"], p["customer_action"] = "record_customer", "edit"
		if a := ts.post(t, p); a.Status != "success" {
			t.Fatalf("call %v: %+v", p, a)
		}
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("data file mode %v, want 0600", fi.Mode().Perm())
	}
	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := s1.Customers(), s2.Customers(); !sameCustomers(a, b) || len(a) != 2 {
		t.Errorf("round trip\n got %+v\nwant %+v", b, a)
	}
	// The loaded card and code are known: a card match updates, not creates.
	card := s2.Customers()[0].CardNumber
	ts2 := newTestClient(t, s2)
	a := ts2.post(t, map[string]string{"user_id": "u", "account_id": "a", "user_password": "p",
		"type": "record_customer", "customer_action": "edit", "card_number": card, "first_name": "Anne"})
	if a.CustStatus != "update" {
		t.Errorf("after reload: %+v", a)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing but the data file is left in the directory.
	entries, _ := os.ReadDir(strings.TrimSuffix(path, "sandbox.json"))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the data file", len(entries))
	}

	t.Run("missing file is empty", func(t *testing.T) {
		s, err := New(Config{UserID: "u", AccountID: "a", Password: "p", DataFile: dataPath(t)})
		if err != nil || len(s.Customers()) != 0 {
			t.Fatalf("New: %v, %d customers", err, len(s.Customers()))
		}
	})
	t.Run("corrupt file", func(t *testing.T) {
		p := dataPath(t)
		_ = os.WriteFile(p, []byte("{not json"), 0o600)
		if _, err := New(Config{UserID: "u", AccountID: "a", Password: "p", DataFile: p}); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("New: %v, want an error naming the file", err)
		}
	})
	t.Run("duplicate codes", func(t *testing.T) {
		p := dataPath(t)
		_ = os.WriteFile(p, []byte(`{"version":1,"customers":[{"code":"1"},{"code":"1"}]}`), 0o600)
		if _, err := New(Config{UserID: "u", AccountID: "a", Password: "p", DataFile: p}); err == nil {
			t.Errorf("New accepted two customers with one code")
		}
	})
}

// testClient posts to a Server through a real HTTP server.
type testClient struct {
	url    string
	client *http.Client
}

func newTestClient(tb testing.TB, s *Server) *testClient {
	ts := newServer(tb, s)
	return &testClient{url: ts.URL, client: ts.Client()}
}

func (c *testClient) post(tb testing.TB, p map[string]string) answer {
	tb.Helper()
	resp, err := c.client.PostForm(c.url+"/", toValues(p))
	if err != nil {
		tb.Fatal(err)
	}
	return readAnswer(tb, resp, "xml")
}

func TestSeedIsReproducible(t *testing.T) {
	codes := func() []string {
		e := newEnv(t, func(c *Config) { c.Seed = 42 })
		var out []string
		for range 3 {
			a := e.call(t, "xml", params("first_name", "A", "card_number_generate", "12"))
			out = append(out, a.Code, a.CardNumber)
		}
		return out
	}
	a, b := codes(), codes()
	if !reflect.DeepEqual(a, b) {
		t.Errorf("seed 42 gave %v then %v", a, b)
	}
}

func TestFaults(t *testing.T) {
	call := params("code", "123", "first_name", "Ann")
	tests := []struct {
		name    string
		cfg     func(*Config)
		status  int
		applied bool
		dropped bool
		faults  Faults
		check   func(t *testing.T, resp *http.Response)
	}{
		{name: "fail before", cfg: func(c *Config) { c.FailRate = 1 }, status: 500, faults: Faults{FailBefore: 1}},
		{name: "fail after", cfg: func(c *Config) { c.FailRate, c.FailMode = 1, FailAfter }, status: 500, applied: true, faults: Faults{FailAfter: 1}},
		{name: "throttle", cfg: func(c *Config) { c.ThrottleRate, c.RetryAfter = 1, 1500*time.Millisecond }, status: 429, faults: Faults{Throttle: 1},
			check: func(t *testing.T, resp *http.Response) {
				if ra := resp.Header.Get("Retry-After"); ra != "2" {
					t.Errorf("Retry-After %q, want 2", ra)
				}
			}},
		{name: "throttle default", cfg: func(c *Config) { c.ThrottleRate = 1 }, status: 429, faults: Faults{Throttle: 1},
			check: func(t *testing.T, resp *http.Response) {
				if ra := resp.Header.Get("Retry-After"); ra != "1" {
					t.Errorf("Retry-After %q, want 1", ra)
				}
			}},
		{name: "drop", cfg: func(c *Config) { c.DropRate = 1 }, dropped: true, applied: true, faults: Faults{Drop: 1}},
		{name: "no fault", cfg: func(c *Config) { c.FailRate, c.ThrottleRate, c.DropRate = 0, 0, 0 }, status: 200, applied: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			resp, err := e.client.PostForm(e.ts.URL+"/", edit(call))
			switch {
			case tc.dropped:
				if err == nil {
					resp.Body.Close()
					t.Fatalf("the connection was answered: %d", resp.StatusCode)
				}
			case err != nil:
				t.Fatal(err)
			default:
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Errorf("HTTP %d, want %d", resp.StatusCode, tc.status)
				}
				if tc.check != nil {
					tc.check(t, resp)
				}
			}
			if n := len(e.srv.Customers()); (n == 1) != tc.applied {
				t.Errorf("store holds %d customers, applied %v", n, tc.applied)
			}
			st := e.srv.Stats()
			if st.Faults != tc.faults || st.Requests != 1 {
				t.Errorf("stats %+v, want faults %+v and 1 request", st, tc.faults)
			}
		})
	}
}

func TestFaultRates(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ThrottleRate, c.FailRate, c.Logger = 0.3, 0.3, nil })
	const n = 200
	for i := range n {
		resp, err := e.client.PostForm(e.ts.URL+"/", edit(params("code", fmt.Sprint(i+1), "first_name", "A")))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	st := e.srv.Stats()
	// 30% throttled, then 30% of the rest failed: expect about 60 and 42.
	if st.Faults.Throttle < 30 || st.Faults.Throttle > 90 || st.Faults.FailBefore < 20 || st.Faults.FailBefore > 70 {
		t.Errorf("faults %+v out of %d calls", st.Faults, n)
	}
	if got := int64(len(e.srv.Customers())); got != st.Created || got != n-st.Faults.Throttle-st.Faults.FailBefore {
		t.Errorf("%d customers, stats %+v", got, st)
	}
}

func TestLatency(t *testing.T) {
	tests := []struct {
		name     string
		min, max time.Duration
	}{
		{"fixed", 60 * time.Millisecond, 0},
		{"range", 30 * time.Millisecond, 60 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Latency, c.LatencyMax = tc.min, tc.max })
			for range 3 {
				start := time.Now()
				a := e.call(t, "xml", params("first_name", "A"))
				if d := time.Since(start); d < tc.min {
					t.Errorf("answered in %v, want at least %v", d, tc.min)
				}
				if a.Status != "success" {
					t.Errorf("answer %+v", a)
				}
			}
		})
	}
}

func TestStatsAndCustomersEndpoints(t *testing.T) {
	e := newEnv(t, nil)
	e.call(t, "xml", params("code", "1", "first_name", "Ann", "customer_password", "hunter2", "customer_PIN", "9876"))
	e.call(t, "json", params("code", "1", "last_name", "Lee"))
	e.call(t, "xml", params("first_name", "Bo", "send_no_email", "1"))
	e.call(t, "xml", params("custom_field_9", "x"))
	e.raw(t, "xml", params("first_name", "Cy"))
	resp, err := e.client.Get(e.ts.URL + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st Stats
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("stats %s: %v", b, err)
	}
	want := Stats{Requests: 5, Created: 2, Updated: 1, Errors: 2, WelcomeEmails: 1}
	if st != want || st != e.srv.Stats() {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	for _, k := range []string{`"requests"`, `"created"`, `"updated"`, `"errors"`, `"fail_before"`, `"fail_after"`, `"throttle"`, `"drop"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("stats JSON lacks %s: %s", k, b)
		}
	}

	resp, err = e.client.Get(e.ts.URL + "/_sandbox/customers")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "9876") {
		t.Errorf("customers dump shows a secret: %s", b)
	}
	var cs []Customer
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Fields["customer_password"] != "[redacted]" || cs[0].Fields["last_name"] != "Lee" {
		t.Errorf("customers %+v", cs)
	}
	// The store itself keeps the secret.
	if e.srv.Customers()[0].Fields["customer_password"] != "hunter2" {
		t.Errorf("secret not stored")
	}
}

func TestParseCustomField(t *testing.T) {
	tests := []struct {
		spec string
		n    int
		want CustomField
		err  bool
	}{
		{spec: "2:text", n: 2, want: CustomField{Type: "text"}},
		{spec: "3:DATE", n: 3, want: CustomField{Type: "DATE"}},
		{spec: "4:Datetime", n: 4, want: CustomField{Type: "Datetime"}},
		{spec: "5:pick:Gold,Silver", n: 5, want: CustomField{Type: "pick", Choices: []string{"Gold", "Silver"}}},
		{spec: "6:list: Gouda , Emental,Swiss", n: 6, want: CustomField{Type: "list", Choices: []string{"Gouda", "Emental", "Swiss"}}},
		{spec: "9999:text", n: 9999, want: CustomField{Type: "text"}},
		{spec: "2", err: true},
		{spec: "x:text", err: true},
		{spec: "0:text", err: true},
		{spec: "10000:text", err: true},
		{spec: "2:number", err: true},
		{spec: "2:pick", err: true},
		{spec: "2:list:", err: true},
		{spec: "2:text:a,b", err: true},
		{spec: "2:pick:a,a", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			n, cf, err := ParseCustomField(tc.spec)
			if tc.err {
				if err == nil || !errors.Is(err, ErrCustomFieldSpec) {
					t.Errorf("ParseCustomField(%q) = %d, %+v, %v; want ErrCustomFieldSpec", tc.spec, n, cf, err)
				}
				return
			}
			if err != nil || n != tc.n || !reflect.DeepEqual(cf, tc.want) {
				t.Errorf("ParseCustomField(%q) = %d, %+v, %v; want %d, %+v", tc.spec, n, cf, err, tc.n, tc.want)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
	}{
		{"no password", func(c *Config) { c.Password = "" }},
		{"fail rate", func(c *Config) { c.FailRate = 1.5 }},
		{"drop rate", func(c *Config) { c.DropRate = -0.1 }},
		{"fail mode", func(c *Config) { c.FailMode = "during" }},
		{"latency range", func(c *Config) { c.Latency, c.LatencyMax = time.Second, time.Millisecond }},
		{"field 1 not text", func(c *Config) { c.CustomFields = map[int]CustomField{1: {Type: "date"}} }},
		{"bad type", func(c *Config) { c.CustomFields = map[int]CustomField{2: {Type: "money"}} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{UserID: "u", AccountID: "a", Password: "p"}
			tc.change(&c)
			if _, err := New(c); !errors.Is(err, ErrConfig) {
				t.Errorf("New: %v, want ErrConfig", err)
			}
		})
	}
}
