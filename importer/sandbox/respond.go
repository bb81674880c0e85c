package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
)

// format is how an answer is written, from the output, callback and condensed parameters.
type format struct {
	json      bool
	callback  string // JSONP function name; implies json
	condensed bool
}

// callbackRE is a JavaScript identifier, or a dotted path of them (ASCII only).
var callbackRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)

const maxCallback = 128

// readFormat reads the output parameters. A callback that is not a JavaScript
// identifier is refused (it would let a page inject script); the error is then
// answered as plain JSON.
func readFormat(get func(string) string) (format, string) {
	f := format{
		json:      strings.EqualFold(get("output"), "json"),
		condensed: isYes(get("condensed")),
	}
	if cb := get("callback"); cb != "" {
		if len(cb) > maxCallback || !callbackRE.MatchString(cb) {
			f.json = true
			return f, "callback " + quote(cb) + " is not a JavaScript function name"
		}
		f.json, f.callback = true, cb
	}
	return f, ""
}

func isYes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true", "1":
		return true
	}
	return false
}

// jsonAnswer is the JSON form of an answer: {"status":"success","customer":{...}} or
// {"status":"error","error":"..."}.
type jsonAnswer struct {
	Status   string        `json:"status"`
	Customer *jsonCustomer `json:"customer,omitempty"`
	Error    string        `json:"error,omitempty"`
}

type jsonCustomer struct {
	Status     string `json:"status"`
	Code       string `json:"code"`
	CardNumber string `json:"card_number,omitempty"`
}

// writeAnswer writes a success (errMsg == "") or an error answer in format f, with HTTP
// status 200 as the API does for both.
func writeAnswer(w http.ResponseWriter, f format, res result, errMsg string) {
	var body []byte
	h := w.Header()
	if f.json {
		body = encodeJSON(f, res, errMsg)
		if f.callback != "" {
			h.Set("Content-Type", "application/javascript; charset=utf-8")
		} else {
			h.Set("Content-Type", "application/json; charset=utf-8")
		}
	} else {
		body = encodeXML(res, errMsg)
		h.Set("Content-Type", "text/xml; charset=utf-8")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func encodeJSON(f format, res result, errMsg string) []byte {
	a := jsonAnswer{Status: "success"}
	if errMsg != "" {
		a.Status, a.Error = "error", errMsg
	} else {
		a.Customer = &jsonCustomer{Status: res.status, Code: res.code, CardNumber: res.card}
	}
	var (
		b   []byte
		err error
	)
	if f.condensed {
		b, err = json.Marshal(a)
	} else {
		b, err = json.MarshalIndent(a, "", "  ")
	}
	if err != nil {
		// Only strings are marshalled: this cannot happen.
		panic(err)
	}
	if f.callback == "" {
		if !f.condensed {
			b = append(b, '\n')
		}
		return b
	}
	out := make([]byte, 0, len(f.callback)+len(b)+3)
	out = append(out, f.callback...)
	out = append(out, '(')
	out = append(out, b...)
	out = append(out, ')')
	if !f.condensed {
		out = append(out, '\n')
	}
	return out
}

// encodeXML writes the answer in the shape of the API document:
//
//	<response status="success">
//	  <customer status="new">
//	    <code>1234567890123456</code>
//	    <card_number>1234567890</card_number>
//	  </customer>
//	</response>
//
// or <response status="error"><error>message</error></response>, indented alike.
func encodeXML(res result, errMsg string) []byte {
	var b bytes.Buffer
	b.Grow(200)
	if errMsg != "" {
		b.WriteString("<response status=\"error\">\n  <error>")
		_ = xml.EscapeText(&b, []byte(errMsg))
		b.WriteString("</error>\n</response>\n")
		return b.Bytes()
	}
	b.WriteString("<response status=\"success\">\n  <customer status=\"")
	b.WriteString(res.status) // "new" or "update": nothing to escape
	b.WriteString("\">\n    <code>")
	_ = xml.EscapeText(&b, []byte(res.code))
	b.WriteString("</code>\n")
	if res.card != "" {
		b.WriteString("    <card_number>")
		_ = xml.EscapeText(&b, []byte(res.card))
		b.WriteString("</card_number>\n")
	}
	b.WriteString("  </customer>\n</response>\n")
	return b.Bytes()
}
