package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// FuzzServeHTTP sends arbitrary query strings and form bodies: the sandbox must never
// panic, and must always answer a well-formed XML, JSON or JSONP document (or refuse at
// the HTTP level).
func FuzzServeHTTP(f *testing.F) {
	auth := "user_id=" + testUser + "&user_password=" + testPassword + "&account_id=" + testAccount +
		"&type=record_customer&customer_action=edit"
	for _, seed := range [][2]string{
		{"", auth + "&first_name=Ann"},
		{"output=JSON", auth + "&code=1234&card_number=5"},
		{"", auth + "&card_number=5&output=JSON&condensed=yes"},
		{"callback=cb", auth + "&card_number_generate=10"},
		{"", auth + "&custom_field_3=Gouda,Brie&custom_date=2010-02-30"},
		{"", auth + "&custom_field_5=2012.07.28+22:59:59&custom_field_4=Gold&auto_add=25"},
		{auth + "&email=%zz", ""},
		{"", "user_id=x&output=JSON&callback=alert(1)"},
		{"", auth + "&code=%00%ff%fe&send_no_email"},
	} {
		f.Add(seed[0], seed[1])
	}
	srv, err := New(Config{
		UserID: testUser, AccountID: testAccount, Password: testPassword, Seed: 3,
		CustomFields: map[int]CustomField{
			2: {Type: "date"}, 3: {Type: "list", Choices: []string{"Gouda", "Emental", "Swiss"}},
			4: {Type: "pick", Choices: []string{"Gold", "Silver"}}, 5: {Type: "datetime"},
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("HTTP %d for %q %q", rec.Code, query, body)
		}
		out := rec.Body.String()
		var a answer
		switch ct := rec.Header().Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/xml"):
			err = parseXMLAnswer([]byte(out), &a)
		case strings.HasPrefix(ct, "application/json"):
			err = parseJSONAnswer([]byte(out), &a)
		case strings.HasPrefix(ct, "application/javascript"):
			open := strings.IndexByte(out, '(')
			if open < 1 || !strings.HasSuffix(strings.TrimSpace(out), ")") || !callbackRE.MatchString(out[:open]) {
				t.Fatalf("JSONP %q", out)
			}
			err = parseJSONAnswer([]byte(strings.TrimSuffix(strings.TrimSpace(out[open+1:]), ")")), &a)
		default:
			t.Fatalf("Content-Type %q", ct)
		}
		if err != nil {
			t.Fatalf("answer %q: %v", out, err)
		}
		switch {
		case a.Status == "error" && a.Error != "" && a.Code == "":
		case a.Status == "success" && (a.CustStatus == "new" || a.CustStatus == "update") && a.Code != "":
		default:
			t.Fatalf("answer %q reads as %+v", out, a)
		}
	})
}

// FuzzParseCustomField: a declaration either fails with ErrCustomFieldSpec or gives a
// field that New accepts and that reads back the same when written out again.
func FuzzParseCustomField(f *testing.F) {
	for _, s := range []string{"2:text", "3:list:Gouda,Emental,Swiss", "4:PICK:a", "5:datetime", "0:text", "2:pick:", "x", "2:date:a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		n, cf, err := ParseCustomField(spec)
		if err != nil {
			if !errors.Is(err, ErrCustomFieldSpec) {
				t.Fatalf("error %v does not wrap ErrCustomFieldSpec", err)
			}
			return
		}
		if n != 1 || strings.EqualFold(cf.Type, TypeText) {
			if _, err := New(Config{UserID: "u", AccountID: "a", Password: "p", CustomFields: map[int]CustomField{n: cf}}); err != nil {
				t.Fatalf("New refuses %q: %v", spec, err)
			}
		}
		again := fmt.Sprintf("%d:%s", n, cf.Type)
		if len(cf.Choices) > 0 {
			again += ":" + strings.Join(cf.Choices, ",")
		}
		n2, cf2, err := ParseCustomField(again)
		if err != nil || n2 != n || !reflect.DeepEqual(cf, cf2) {
			t.Fatalf("%q read back from %q as %d %+v %v, want %d %+v", again, spec, n2, cf2, err, n, cf)
		}
	})
}
