package api

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/custimport/custimport/mapping"
)

// maxCodeLen bounds a code or card number taken from an answer: the one limit that
// validation also applies before a row is sent (mapping.MaxDigits).
const maxCodeLen = mapping.MaxDigits

// answer is an API answer, parsed and checked. Either Success with Status, Code and maybe
// CardNumber, or an error with its text (possibly empty).
type answer struct {
	Success    bool
	Status     string // "new" or "update"
	Code       string // digits
	CardNumber string // digits, or empty
	Error      string // the API's error text(s), joined with "; "; raw, not yet sanitised
}

// outcome turns a parsed answer into an Outcome: Success, or Rejected, or
// CredentialsRejected when the error text says the credentials are wrong.
func (a answer) outcome(httpStatus int) Outcome {
	if a.Success {
		return Outcome{Kind: Success, Status: a.Status, Code: a.Code, CardNumber: a.CardNumber, HTTPStatus: httpStatus}
	}
	o := Outcome{Kind: Rejected, HTTPStatus: httpStatus, Message: a.Error}
	if o.Message == "" {
		o.Message = "the API answered status error without a message"
	}
	if credentialsWrong(a.Error) {
		o.Kind = CredentialsRejected
	}
	return o
}

// errUnreadable wraps every reason an answer cannot be trusted.
var errUnreadable = errors.New("unreadable answer")

func unreadable(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUnreadable}, args...)...)
}

// parseAnswer reads an answer body as XML, JSON or JSONP, by its first byte rather than
// by its Content-Type, and checks it strictly: anything not plainly a success or an
// error is an error.
func parseAnswer(body []byte) (answer, error) {
	b := bytes.TrimLeft(bytes.TrimPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(b) == 0 {
		return answer{}, unreadable("empty answer")
	}
	switch c := b[0]; {
	case c == '<':
		return parseXML(b)
	case c == '{':
		return parseJSON(b)
	case isIdentStart(c) || c == '/':
		inner, err := unwrapJSONP(b)
		if err != nil {
			return answer{}, err
		}
		return parseJSON(inner)
	}
	return answer{}, unreadable("neither XML nor JSON")
}

// XML

type xmlAnswer struct {
	XMLName  xml.Name      `xml:"response"`
	Status   *string       `xml:"status,attr"`
	Customer []xmlCustomer `xml:"customer"`
	Errors   []string      `xml:"error"`
	// Nested: <errors><error>…</error></errors>, as the JSON form's "errors" list.
	Nested []string `xml:"errors>error"`
}

type xmlCustomer struct {
	Status     string   `xml:"status,attr"`
	Code       []string `xml:"code"`
	CardNumber []string `xml:"card_number"`
}

func parseXML(b []byte) (answer, error) {
	if a, ok := fastXML(b); ok {
		return a, nil
	}
	return parseXMLFull(b)
}

// parseXMLFull reads an XML answer with encoding/xml, strictly.
func parseXMLFull(b []byte) (answer, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = charsetReader
	var x xmlAnswer
	if err := d.Decode(&x); err != nil {
		return answer{}, unreadable("XML: %v", err)
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return answer{}, unreadable("XML after </response>: %v", err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return answer{}, unreadable("XML: text after </response>")
			}
		default:
			return answer{}, unreadable("XML: content after </response>")
		}
	}

	status := ""
	if x.Status != nil {
		status = strings.TrimSpace(*x.Status)
	}
	switch {
	case strings.EqualFold(status, "success"):
		if len(x.Customer) != 1 {
			return answer{}, unreadable("success with %d customer elements", len(x.Customer))
		}
		c := x.Customer[0]
		if len(c.Code) != 1 || len(c.CardNumber) > 1 {
			return answer{}, unreadable("success with %d code and %d card_number elements", len(c.Code), len(c.CardNumber))
		}
		card := ""
		if len(c.CardNumber) == 1 {
			card = c.CardNumber[0]
		}
		return successAnswer(c.Status, c.Code[0], card)
	case strings.EqualFold(status, "error"), x.Status == nil && len(x.Errors)+len(x.Nested) > 0:
		var texts []string
		for _, e := range append(x.Errors, x.Nested...) {
			if e = strings.TrimSpace(e); e != "" {
				texts = append(texts, e)
			}
		}
		return answer{Error: strings.Join(texts, "; ")}, nil
	case x.Status == nil:
		return answer{}, unreadable("XML response without a status")
	}
	return answer{}, unreadable("XML response status %q", clip(status))
}

// fastXML reads the documented success answer when it comes in its plain form: an
// optional UTF-8 declaration, the elements in order, white space between them, digits
// inside, nothing else. It accepts only documents that encoding/xml reads the same way
// (FuzzParseResponse checks that); for anything else it reports false and parseXML does
// the full parse. It saves most of the parse's cost on the answer of nearly every row.
func fastXML(b []byte) (answer, bool) {
	p := b
	for _, decl := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="utf-8"?>`, `<?xml version="1.0"?>`} {
		if bytes.HasPrefix(p, []byte(decl)) {
			p = p[len(decl):]
			break
		}
	}
	lit := func(s string) bool {
		p = bytes.TrimLeft(p, " \t\r\n")
		if !bytes.HasPrefix(p, []byte(s)) {
			return false
		}
		p = p[len(s):]
		return true
	}
	digits := func(end string) (string, bool) {
		i := 0
		for i < len(p) && i <= maxCodeLen && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		if i == 0 || i > maxCodeLen || !bytes.HasPrefix(p[i:], []byte(end)) {
			return "", false
		}
		d := string(p[:i])
		p = p[i+len(end):]
		return d, true
	}
	if !lit(`<response status="success">`) || !lit(`<customer status="`) {
		return answer{}, false
	}
	a := answer{Success: true}
	switch {
	case bytes.HasPrefix(p, []byte(`new">`)):
		a.Status, p = "new", p[len(`new">`):]
	case bytes.HasPrefix(p, []byte(`update">`)):
		a.Status, p = "update", p[len(`update">`):]
	default:
		return answer{}, false
	}
	var ok bool
	if !lit("<code>") {
		return answer{}, false
	}
	if a.Code, ok = digits("</code>"); !ok {
		return answer{}, false
	}
	if lit("<card_number>") {
		if a.CardNumber, ok = digits("</card_number>"); !ok {
			return answer{}, false
		}
	}
	if !lit("</customer>") || !lit("</response>") || len(bytes.TrimLeft(p, " \t\r\n")) != 0 {
		return answer{}, false
	}
	return a, true
}

// charsetReader lets the XML decoder read the single-byte encodings an old PHP API might
// declare; anything else is refused.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1", "l1":
		return charmap.ISO8859_1.NewDecoder().Reader(in), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(in), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", clip(label))
}

// JSON

// jsonAnswer is the JSON answer's object. (encoding/json matches keys case-insensitively;
// harmless here.)
type jsonAnswer struct {
	Status   json.RawMessage `json:"status"`
	Customer json.RawMessage `json:"customer"`
	Error    json.RawMessage `json:"error"`
	Errors   json.RawMessage `json:"errors"`
	Message  json.RawMessage `json:"message"`
	Response json.RawMessage `json:"response"`
}

type jsonCustomer struct {
	Status     json.RawMessage `json:"status"`
	Code       json.RawMessage `json:"code"`
	CardNumber json.RawMessage `json:"card_number"`
}

func parseJSON(b []byte) (answer, error) {
	var obj jsonAnswer
	if err := json.Unmarshal(b, &obj); err != nil {
		return answer{}, unreadable("JSON: %v", err)
	}
	if obj.Status == nil && obj.Response != nil {
		if !isJSONObject(obj.Response) {
			return answer{}, unreadable("JSON: response is not an object")
		}
		var inner jsonAnswer
		if err := json.Unmarshal(obj.Response, &inner); err != nil {
			return answer{}, unreadable("JSON response: %v", err)
		}
		obj = inner
	}

	status, hasStatus, err := jsonString(obj.Status)
	if err != nil {
		return answer{}, unreadable("JSON status: %v", err)
	}
	status = strings.TrimSpace(status)
	var errText string
	if !hasStatus || !strings.EqualFold(status, "success") {
		errText = jsonErrors(obj)
	}
	switch {
	case hasStatus && strings.EqualFold(status, "success"):
		var c jsonCustomer
		if !isJSONObject(obj.Customer) || json.Unmarshal(obj.Customer, &c) != nil {
			return answer{}, unreadable("JSON success without a customer object")
		}
		cs, _, err := jsonString(c.Status)
		if err != nil {
			return answer{}, unreadable("JSON customer status: %v", err)
		}
		code, _, err := jsonDigits(c.Code)
		if err != nil {
			return answer{}, unreadable("JSON customer code: %v", err)
		}
		card, _, err := jsonDigits(c.CardNumber)
		if err != nil {
			return answer{}, unreadable("JSON customer card_number: %v", err)
		}
		return successAnswer(cs, code, card)
	case hasStatus && strings.EqualFold(status, "error"), !hasStatus && errText != "":
		return answer{Error: errText}, nil
	case !hasStatus:
		return answer{}, unreadable("JSON answer without a status")
	}
	return answer{}, unreadable("JSON status %q", clip(status))
}

func isJSONObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

// jsonString reads an optional string; null counts as absent. raw is valid JSON (it
// comes out of a decoded document), so a string without escapes is its own value.
func jsonString(raw json.RawMessage) (string, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, errors.New("not a string")
	}
	return s, true, nil
}

// jsonDigits reads an optional identifier given as a string or as a whole number.
func jsonDigits(raw json.RawMessage) (string, bool, error) {
	if len(raw) > 0 && raw[0] >= '0' && raw[0] <= '9' {
		if !isDigits(string(raw)) {
			return "", false, errors.New("not a whole number")
		}
		return string(raw), true, nil
	}
	return jsonString(raw)
}

// jsonErrors gathers the error texts of an answer: "error" (a string, an object with a
// message, or a list), "errors" (the same), else "message".
func jsonErrors(obj jsonAnswer) string {
	texts := appendErrTexts(nil, obj.Error, 0)
	texts = appendErrTexts(texts, obj.Errors, 0)
	if len(texts) == 0 {
		texts = appendErrTexts(texts, obj.Message, 0)
	}
	return strings.Join(texts, "; ")
}

func appendErrTexts(texts []string, raw json.RawMessage, depth int) []string {
	if len(raw) == 0 || depth > 3 {
		return texts
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s = strings.TrimSpace(s); s != "" {
				texts = append(texts, s)
			}
		}
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			for _, item := range list {
				texts = appendErrTexts(texts, item, depth+1)
			}
		}
	case '{':
		var o map[string]json.RawMessage
		if json.Unmarshal(raw, &o) == nil {
			for _, k := range []string{"message", "error", "msg", "description"} {
				if v, ok := o[k]; ok {
					return appendErrTexts(texts, v, depth+1)
				}
			}
		}
	}
	return texts
}

// JSONP

// unwrapJSONP strips a callback(…) wrapper, with an optional "/**/" prefix and ";"
// suffix, and returns the JSON inside. The callback must be a (dotted) identifier.
func unwrapJSONP(b []byte) ([]byte, error) {
	b = bytes.TrimPrefix(b, []byte("/**/"))
	b = bytes.TrimLeft(b, " \t\r\n")
	i := 0
	for i < len(b) && i <= 256 && (isIdentStart(b[i]) || (i > 0 && (b[i] >= '0' && b[i] <= '9' || b[i] == '.'))) {
		if b[i] == '.' && (i+1 == len(b) || !isIdentStart(b[i+1])) {
			return nil, unreadable("JSONP: bad callback name")
		}
		i++
	}
	if i == 0 || i > 256 {
		return nil, unreadable("JSONP: bad callback name")
	}
	rest := bytes.TrimLeft(b[i:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '(' {
		return nil, unreadable("neither XML nor JSON")
	}
	rest = bytes.TrimRight(rest[1:], " \t\r\n")
	rest = bytes.TrimRight(bytes.TrimSuffix(rest, []byte(";")), " \t\r\n")
	if len(rest) == 0 || rest[len(rest)-1] != ')' {
		return nil, unreadable("JSONP: no closing parenthesis")
	}
	inner := bytes.TrimSpace(rest[:len(rest)-1])
	if len(inner) == 0 || inner[0] != '{' {
		return nil, unreadable("JSONP: not an object inside the callback")
	}
	return inner, nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

// checks

func successAnswer(status, code, card string) (answer, error) {
	status = strings.ToLower(strings.TrimSpace(status))
	if status != "new" && status != "update" {
		return answer{}, unreadable("customer status %q: want new or update", clip(status))
	}
	code, card = strings.TrimSpace(code), strings.TrimSpace(card)
	if !isDigits(code) {
		return answer{}, unreadable("customer code %q is not 1 to %d digits", clip(code), maxCodeLen)
	}
	if card != "" && !isDigits(card) {
		return answer{}, unreadable("card_number %q is not 1 to %d digits", clip(card), maxCodeLen)
	}
	return answer{Success: true, Status: status, Code: code, CardNumber: card}, nil
}

// isDigits reports whether s is 1 to maxCodeLen ASCII digits.
func isDigits(s string) bool {
	if len(s) == 0 || len(s) > maxCodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens a value quoted in a parse error; sanitize does the rest.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
