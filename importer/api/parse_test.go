package api

import (
	"errors"
	"strings"
	"testing"
)

const (
	xmlNew = `<?xml version="1.0" encoding="UTF-8"?>
<response status="success">
  <customer status="new">
    <code>1234567890123456</code>
  </customer>
</response>`
	xmlUpdateCard = `<response status="success"><customer status="update"><code>89898989898989</code><card_number>1212121212</card_number></customer></response>`
	xmlError      = `<response status="error"><error>Invalid custom_date: use YYYY-MM-DD</error></response>`
	jsonNew       = `{"status":"success","customer":{"status":"new","code":"1234567890123456"}}`
	jsonWrapped   = `{"response":{"status":"success","customer":{"status":"update","code":"42","card_number":"777"}}}`
)

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		name string
		body string
		want answer
		bad  bool // unreadable
	}{
		{name: "xml new", body: xmlNew, want: answer{Success: true, Status: "new", Code: "1234567890123456"}},
		{name: "xml update with card", body: xmlUpdateCard, want: answer{Success: true, Status: "update", Code: "89898989898989", CardNumber: "1212121212"}},
		{name: "xml status case", body: `<response status="SUCCESS"><customer status="Update"><code> 7 </code></customer></response>`, want: answer{Success: true, Status: "update", Code: "7"}},
		{name: "xml bom and space", body: "\ufeff\n  " + xmlNew, want: answer{Success: true, Status: "new", Code: "1234567890123456"}},
		{name: "xml latin1", body: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><response status=\"error\"><error>caf\xe9</error></response>", want: answer{Error: "café"}},
		{name: "xml error", body: xmlError, want: answer{Error: "Invalid custom_date: use YYYY-MM-DD"}},
		{name: "xml two errors", body: `<response status="error"><error>a</error><error> b </error></response>`, want: answer{Error: "a; b"}},
		{name: "xml error without message", body: `<response status="error"></response>`, want: answer{}},
		{name: "xml nested errors", body: `<response status="error"><errors><error>nested one</error><error>two</error></errors></response>`, want: answer{Error: "nested one; two"}},
		{name: "xml comment after root", body: xmlNew + "<!-- served by x -->\n", want: answer{Success: true, Status: "new", Code: "1234567890123456"}},
		{name: "xml cdata code", body: `<response status="success"><customer status="new"><code><![CDATA[55]]></code></customer></response>`, want: answer{Success: true, Status: "new", Code: "55"}},
		{name: "xml code not digits", body: `<response status="success"><customer status="new"><code>12a</code></customer></response>`, bad: true},
		{name: "xml code too long", body: `<response status="success"><customer status="new"><code>` + strings.Repeat("1", 65) + `</code></customer></response>`, bad: true},
		{name: "xml code missing", body: `<response status="success"><customer status="new"></customer></response>`, bad: true},
		{name: "xml two codes", body: `<response status="success"><customer status="new"><code>1</code><code>2</code></customer></response>`, bad: true},
		{name: "xml two customers", body: `<response status="success"><customer status="new"><code>1</code></customer><customer status="new"><code>2</code></customer></response>`, bad: true},
		{name: "xml card not digits", body: `<response status="success"><customer status="new"><code>1</code><card_number>x</card_number></customer></response>`, bad: true},
		{name: "xml customer status odd", body: `<response status="success"><customer status="deleted"><code>1</code></customer></response>`, bad: true},
		{name: "xml no status", body: `<response><customer status="new"><code>1</code></customer></response>`, bad: true},
		{name: "xml status odd", body: `<response status="pending"></response>`, bad: true},
		{name: "xml wrong root", body: `<html><body>502 Bad Gateway</body></html>`, bad: true},
		{name: "xml truncated", body: xmlNew[:len(xmlNew)-20], bad: true},
		{name: "xml trailing element", body: xmlNew + "<response/>", bad: true},
		{name: "xml trailing text", body: xmlNew + "junk", bad: true},
		{name: "xml unknown encoding", body: `<?xml version="1.0" encoding="EBCDIC"?><response status="error"/>`, bad: true},
		{name: "xml entity", body: `<!DOCTYPE r [<!ENTITY a "aaaa">]><response status="error"><error>&a;</error></response>`, bad: true},

		{name: "json new", body: jsonNew, want: answer{Success: true, Status: "new", Code: "1234567890123456"}},
		{name: "json wrapped", body: jsonWrapped, want: answer{Success: true, Status: "update", Code: "42", CardNumber: "777"}},
		{name: "json numeric code", body: `{"status":"success","customer":{"status":"new","code":1234567890123456,"card_number":99}}`, want: answer{Success: true, Status: "new", Code: "1234567890123456", CardNumber: "99"}},
		{name: "json null card", body: `{"status":"success","customer":{"status":"new","code":"1","card_number":null}}`, want: answer{Success: true, Status: "new", Code: "1"}},
		{name: "json error string", body: `{"status":"error","error":"Multiple customers match card_number"}`, want: answer{Error: "Multiple customers match card_number"}},
		{name: "json errors list", body: `{"status":"error","errors":["a",{"message":"b"},{"code":3}]}`, want: answer{Error: "a; b"}},
		{name: "json error without status", body: `{"error":"bad"}`, want: answer{Error: "bad"}},
		{name: "json wrapped error", body: `{"response":{"status":"error","errors":[{"message":"x"}]}}`, want: answer{Error: "x"}},
		{name: "json error message key", body: `{"status":"error","message":"m"}`, want: answer{Error: "m"}},
		{name: "json float code", body: `{"status":"success","customer":{"status":"new","code":1.5e3}}`, bad: true},
		{name: "json negative code", body: `{"status":"success","customer":{"status":"new","code":-1}}`, bad: true},
		{name: "json no customer", body: `{"status":"success"}`, bad: true},
		{name: "json customer not object", body: `{"status":"success","customer":[1]}`, bad: true},
		{name: "json status not string", body: `{"status":1}`, bad: true},
		{name: "json no status", body: `{"customer":{"status":"new","code":"1"}}`, bad: true},
		{name: "json response not object", body: `{"response":"ok"}`, bad: true},
		{name: "json trailing", body: jsonNew + "x", bad: true},
		{name: "json truncated", body: jsonNew[:20], bad: true},
		{name: "json array", body: `[1]`, bad: true},

		{name: "jsonp", body: `cb(` + jsonNew + `);`, want: answer{Success: true, Status: "new", Code: "1234567890123456"}},
		{name: "jsonp dotted spaced", body: "/**/ jQuery1_2.$cb ( " + jsonWrapped + " ) ;\n", want: answer{Success: true, Status: "update", Code: "42", CardNumber: "777"}},
		{name: "jsonp error", body: `fn({"status":"error","error":"nope"})`, want: answer{Error: "nope"}},
		{name: "jsonp no paren", body: `cb ` + jsonNew, bad: true},
		{name: "jsonp unclosed", body: `cb(` + jsonNew, bad: true},
		{name: "jsonp bad name", body: `a..b(` + jsonNew + `)`, bad: true},
		{name: "jsonp array", body: `cb([1])`, bad: true},
		{name: "jsonp code", body: `alert(1)`, bad: true},

		{name: "empty", body: "", bad: true},
		{name: "spaces", body: " \n\t", bad: true},
		{name: "plain text", body: "OK", bad: true},
		{name: "digit", body: "1", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAnswer([]byte(tt.body))
			if tt.bad {
				if err == nil {
					t.Fatalf("parseAnswer = %+v, want unreadable", got)
				}
				if !errors.Is(err, errUnreadable) {
					t.Errorf("error %v is not errUnreadable", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAnswer: %v", err)
			}
			if got != tt.want {
				t.Errorf("parseAnswer = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCredentialsWrong(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want bool
	}{
		// The API user's credentials: the run stops.
		{"sandbox", "Authentication failed: invalid user_id, user_password or account_id", true},
		{"authentication failed", "Authentication failed", true},
		{"could not authenticate", "Could not authenticate", true},
		{"invalid credentials", "Invalid credentials", true},
		{"wrong password", "Wrong password", true},
		{"user_password is wrong", "user_password is wrong", true},
		{"user_password required", "user_password must be provided", true},
		{"invalid api key", "Invalid API key", true},
		{"invalid api access key", "Invalid API access key", true},
		{"api_access_key", "api_access_key not valid", true},
		{"user_api_key", "user_api_key revoked", true},
		{"unknown account_id", "Unknown account_id", true},
		{"user_id", "No such user_id", true},
		{"login failed", "Login failed", true},
		{"unauthorized", "Unauthorized", true},
		{"not authorised", "You are not authorised to use this call", true},
		{"permission denied", "Permission denied", true},
		// "Access denied" alone names no customer, card or field of the row, so it is about
		// the caller (the API user lacks the right to this call): every row would fail the
		// same way, as with HTTP 403, which is CredentialsRejected too. It stops the run.
		{"access denied alone", "Access denied", true},
		{"access denied upper case", "ACCESS DENIED", true},
		{"invalid user", "Invalid user", true},
		{"account suspended", "Account suspended", true},
		{"account not found", "Account not found", true},
		{"invalid api user", "Invalid API user", true},
		{"api access not enabled", "API access not enabled for this user", true},
		{"ip not whitelisted", "IP address not whitelisted", true},
		{"ip blocked", "Your IP 10.0.0.1 is blocked", true},

		// A customer's own data: the row's error, the run goes on.
		{"invalid user name", "Invalid user name", false},
		{"unknown account type", "Unknown account type", false},
		{"access denied for custom field", "Access denied for custom field 3", false},
		{"invalid password for this customer", "Invalid password for this customer", false},
		{"access denied for this customer", "Access denied for this customer", false},
		{"account_id mismatch on customer record", "account_id mismatch on customer record", false},
		{"customer_password length", "customer_password must be at least 12 characters", false},
		{"customer_password too short", "customer_password too short", false},
		{"customer's password", "The customer's password must have 6 characters", false},
		{"customer_PIN invalid", "customer_PIN invalid", false},
		{"customer_PIN digits", "customer_PIN must be digits", false},
		{"customer_username taken", "customer_username taken", false},
		{"authentication of the customer", "Authentication failed for customer 1234", false},
		{"card access denied", "Access denied: card_number belongs to another account", false},
		{"member password", "Invalid password for member", false},
		{"password rule", "Password must be at least 12 characters", false},
		{"password too weak", "password too weak", false},
		{"login taken", "Login already taken", false},
		{"custom_date", "Invalid custom_date: use YYYY-MM-DD", false},
		{"several customers", "Multiple customers match this card_number", false},
		{"custom field", "custom_field_3 expects a date", false},
		{"sandbox row error", "card_number_generate must be a number of digits from 1 to 32, got \"x\"", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := credentialsWrong(tt.msg); got != tt.want {
				t.Errorf("credentialsWrong(%q) = %v, want %v", tt.msg, got, tt.want)
			}
		})
	}
}

// FuzzCredentialsWrong checks the classifier on arbitrary texts: it never panics, a text
// that speaks of a customer is never a credentials error wherever the word stands, the
// sandbox's credentials error is one after any text that speaks of no customer, card or
// member, and for ASCII texts the answer does not depend on letter case.
func FuzzCredentialsWrong(f *testing.F) {
	for _, s := range []string{
		"Authentication failed: invalid user_id, user_password or account_id",
		"Invalid password for this customer", "Access denied for this customer",
		"account_id mismatch on customer record", "customer_password must be at least 12 characters",
		"Access denied", "Invalid API access key", "customer_PIN invalid", "Password must be at least 12 characters",
		"", "\xff",
	} {
		f.Add(s, uint(3))
	}
	const authFailed = "Authentication failed: invalid user_id, user_password or account_id"
	f.Fuzz(func(t *testing.T, msg string, at uint) {
		got := credentialsWrong(msg)
		i := int(at % uint(len(msg)+1))
		if with := msg[:i] + " customer " + msg[i:]; credentialsWrong(with) {
			t.Errorf("credentialsWrong(%q) = true for a text about a customer", with)
		}
		if !rowWords.MatchString(msg) {
			if with := msg + "; " + authFailed; !credentialsWrong(with) {
				t.Errorf("credentialsWrong(%q) = false with the sandbox's credentials error", with)
			}
		}
		if isASCII(msg) {
			if up, low := credentialsWrong(strings.ToUpper(msg)), credentialsWrong(strings.ToLower(msg)); up != got || low != got {
				t.Errorf("credentialsWrong(%q) = %v, upper case %v, lower case %v", msg, got, up, low)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestSanitize(t *testing.T) {
	long := strings.Repeat("é", 600)
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{name: "plain", in: "bad date", want: "bad date"},
		{name: "controls", in: "a\x00b\x1b[31mc\r\nd\t\te", want: "ab[31mc d e"},
		{name: "bidi", in: "abc\u202edef", want: "abcdef"},
		{name: "invalid utf8", in: "a\xffb", want: "a\ufffdb"},
		{name: "trim", in: "  x  ", want: "x"},
		{name: "secret", in: "password s3cr3t+/ wrong (s3cr3t%2B%2F)", secrets: []string{"s3cr3t+/"}, want: "password [redacted] wrong ([redacted])"},
		{name: "long", in: long, want: strings.Repeat("é", maxMessageLen-1) + "…"},
		{name: "long secret inside a word", in: "keyxs3cr3t+/y", secrets: []string{"s3cr3t+/"}, want: "keyx[redacted]y"},
		// A short secret only where it stands alone: redacted inside words, it would
		// garble the message and give itself away.
		{name: "short password inside words", in: "Card number matches multiple customers", secrets: []string{"e"},
			want: "Card number matches multiple customers"},
		{name: "short PIN inside a number", in: "card 5512345678 taken", secrets: []string{"1234"}, want: "card 5512345678 taken"},
		{name: "short PIN alone", in: "PIN 1234 is wrong (1234)", secrets: []string{"1234"}, want: "PIN [redacted] is wrong ([redacted])"},
		{name: "short secret whole", in: "1234", secrets: []string{"1234"}, want: "[redacted]"},
		{name: "short secret next to a letter after", in: "pin=1234x, 1234", secrets: []string{"1234"}, want: "pin=1234x, [redacted]"},
		{name: "short secret next to accents", in: "é1234é 1234é", secrets: []string{"1234"}, want: "é1234é 1234é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitize(tt.in, tt.secrets); got != tt.want {
				t.Errorf("sanitize = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFastXML(t *testing.T) {
	tests := []struct {
		name string
		body string
		fast bool
	}{
		{"documented new", xmlNew, true},
		{"documented update with card", xmlUpdateCard, true},
		{"crlf", strings.ReplaceAll(xmlNew, "\n", "\r\n"), true},
		{"trailing space", xmlUpdateCard + "\n\n", true},
		{"space in code", `<response status="success"><customer status="new"><code> 1</code></customer></response>`, false},
		{"extra attribute", `<response status="success" v="2"><customer status="new"><code>1</code></customer></response>`, false},
		{"single quotes", `<response status='success'><customer status='new'><code>1</code></customer></response>`, false},
		{"other declaration", `<?xml version="1.0" encoding="ISO-8859-1"?>` + xmlUpdateCard, false},
		{"cdata", `<response status="success"><customer status="new"><code><![CDATA[1]]></code></customer></response>`, false},
		{"extra element", `<response status="success"><customer status="new"><code>1</code><x/></customer></response>`, false},
		{"65 digits", `<response status="success"><customer status="new"><code>` + strings.Repeat("1", 65) + `</code></customer></response>`, false},
		{"error", xmlError, false},
		{"trailing junk", xmlUpdateCard + "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fast, ok := fastXML([]byte(tt.body))
			if ok != tt.fast {
				t.Fatalf("fastXML ok = %v, want %v", ok, tt.fast)
			}
			full, err := parseXMLFull([]byte(tt.body))
			if ok && (err != nil || full != fast) {
				t.Errorf("fastXML = %+v; full parse = %+v, %v", fast, full, err)
			}
		})
	}
}
