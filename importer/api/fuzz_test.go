package api

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzParseResponse feeds arbitrary answers to the parser: it must never panic, and it
// may report success only with status new or update and a code (and card number, if any)
// of 1 to 64 digits. Whatever error text it finds must come out of sanitize clean.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		xmlNew, xmlUpdateCard, xmlError, jsonNew, jsonWrapped,
		"cb(" + jsonNew + ");",
		`{"status":"error","errors":["a",{"message":"b"}]}`,
		`{"status":"success","customer":{"status":"new","code":12345}}`,
		`<response status="error"><error>Authentication failed</error></response>`,
		`<response status="error"><error>bad password xsecret-pwy for user (secret-pw)</error></response>`,
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><response status=\"error\"><error>caf\xe9</error></response>",
		"", "{", "<", "cb(", "\ufeff{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseAnswer(body)
		if fast, ok := fastXML(body); ok {
			// The fast path must agree with the full parse.
			full, ferr := parseXMLFull(body)
			if ferr != nil || full != fast {
				t.Errorf("fastXML = %+v, full parse = %+v, %v", fast, full, ferr)
			}
		}
		if err != nil {
			if a != (answer{}) {
				t.Errorf("error %v with a non-zero answer %+v", err, a)
			}
			return
		}
		if a.Success {
			if a.Status != "new" && a.Status != "update" {
				t.Errorf("success with status %q", a.Status)
			}
			if !isDigits(a.Code) {
				t.Errorf("success with code %q", a.Code)
			}
			if a.CardNumber != "" && !isDigits(a.CardNumber) {
				t.Errorf("success with card number %q", a.CardNumber)
			}
			if a.Error != "" {
				t.Errorf("success with error %q", a.Error)
			}
			return
		}
		o := a.outcome(200)
		if o.Kind != Rejected && o.Kind != CredentialsRejected {
			t.Errorf("error answer gave %v", o.Kind)
		}
		// A secret of shortSecret bytes or more never comes out, wherever it stands.
		msg := sanitize(o.Message, []string{"secret-pw"})
		if !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > maxMessageLen || strings.Contains(msg, "secret-pw") {
			t.Errorf("sanitize gave %q", msg)
		}
		for _, r := range msg {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("sanitize left %U in %q", r, msg)
			}
		}
	})
}
