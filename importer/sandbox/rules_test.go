package sandbox

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	code16RE = regexp.MustCompile(`^[1-9][0-9]{15}$`)
	formats  = []string{"xml", "json"}
)

// ruleCase is one call against a sandbox prepared by data (loaded from a data file) and
// setup (calls that must succeed first).
type ruleCase struct {
	name   string
	data   []Customer
	setup  []map[string]string
	params map[string]string
	raw    bool // params are sent as they are: no credentials, type or action added
	// want: the answer's status ("new", "update") or "error"; errText is a substring
	// of the error message.
	want    string
	errText string
	// check looks at the answer, the setup answers and the store.
	check func(tb testing.TB, got answer, setup []answer, cs []Customer)
}

func TestRules(t *testing.T) {
	for _, tc := range ruleCases() {
		for _, format := range formats {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				runRuleCase(t, tc, format)
			})
		}
	}
}

func runRuleCase(t *testing.T, tc ruleCase, format string) {
	var path string
	if tc.data != nil {
		path = dataPath(t)
		b, err := json.Marshal(dataFile{Version: dataVersion, Customers: tc.data})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, func(c *Config) { c.DataFile = path })
	var setup []answer
	for i, p := range tc.setup {
		a := e.call(t, format, toValues(p))
		if a.Status != "success" {
			t.Fatalf("setup call %d: %+v", i+1, a)
		}
		setup = append(setup, a)
	}
	before := e.srv.Customers()
	var got answer
	if tc.raw {
		got = e.raw(t, format, toValues(tc.params))
	} else {
		got = e.call(t, format, toValues(tc.params))
	}
	if got.HTTP != 200 {
		t.Fatalf("HTTP %d, want 200: %s", got.HTTP, got.Body)
	}
	cs := e.srv.Customers()
	if tc.want == "error" {
		if got.Status != "error" || got.Error == "" || got.CustStatus != "" || got.Code != "" {
			t.Fatalf("answer %+v, want an error", got)
		}
		if !strings.Contains(got.Error, tc.errText) {
			t.Errorf("error %q, want it to say %q", got.Error, tc.errText)
		}
		if !sameCustomers(before, cs) {
			t.Errorf("an error changed the store:\nbefore %+v\nafter  %+v", before, cs)
		}
	} else {
		if got.Status != "success" || got.CustStatus != tc.want || got.Error != "" {
			t.Fatalf("answer %+v, want success with customer status %q", got, tc.want)
		}
		if find(cs, got.Code) == nil {
			t.Errorf("answered code %s is not in the store %+v", got.Code, cs)
		}
		wantLen := len(before)
		if tc.want == "new" {
			wantLen++
		}
		if len(cs) != wantLen {
			t.Errorf("store holds %d customers, want %d", len(cs), wantLen)
		}
	}
	if tc.check != nil {
		tc.check(t, got, setup, cs)
	}
}

func toValues(m map[string]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = []string{v}
	}
	return out
}

func find(cs []Customer, code string) *Customer {
	for i := range cs {
		if cs[i].Code == code {
			return &cs[i]
		}
	}
	return nil
}

func sameCustomers(a, b []Customer) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// field asserts one stored field of the customer with code.
func field(tb testing.TB, cs []Customer, code, name, want string) {
	tb.Helper()
	c := find(cs, code)
	if c == nil {
		tb.Fatalf("no customer %s in %+v", code, cs)
	}
	if got := c.Fields[name]; got != want {
		tb.Errorf("customer %s %s = %q, want %q", code, name, got, want)
	}
}

func card(tb testing.TB, cs []Customer, code, want string) {
	tb.Helper()
	c := find(cs, code)
	if c == nil {
		tb.Fatalf("no customer %s", code)
	}
	if c.CardNumber != want {
		tb.Errorf("customer %s card %q, want %q", code, c.CardNumber, want)
	}
}

func noCardInAnswer(tb testing.TB, got answer) {
	tb.Helper()
	if got.HasCard {
		tb.Errorf("answer has card_number %q; the document answers it only for card_number_generate", got.CardNumber)
	}
}

func codeIs(want string) func(testing.TB, answer, []answer, []Customer) {
	return func(tb testing.TB, got answer, _ []answer, _ []Customer) {
		tb.Helper()
		if got.Code != want {
			tb.Errorf("code %q, want %q", got.Code, want)
		}
	}
}

func ruleCases() []ruleCase {
	m := func(kv ...string) map[string]string {
		out := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return []ruleCase{
		// Credentials.
		{name: "credentials/right", params: m("first_name", "Ann"), want: "new"},
		{name: "credentials/wrong password", raw: true, want: "error", errText: "Authentication failed",
			params: m("user_id", testUser, "user_password", "nope", "account_id", testAccount, "type", "record_customer", "customer_action", "edit", "first_name", "Ann")},
		{name: "credentials/wrong user", raw: true, want: "error", errText: "Authentication failed",
			params: m("user_id", "jane", "user_password", testPassword, "account_id", testAccount, "type", "record_customer", "customer_action", "edit", "first_name", "Ann")},
		{name: "credentials/wrong account", raw: true, want: "error", errText: "Authentication failed",
			params: m("user_id", testUser, "user_password", testPassword, "account_id", "other", "type", "record_customer", "customer_action", "edit", "first_name", "Ann")},
		{name: "credentials/missing password", raw: true, want: "error", errText: "Authentication failed",
			params: m("user_id", testUser, "account_id", testAccount, "type", "record_customer", "customer_action", "edit", "first_name", "Ann")},
		{name: "credentials/missing all", raw: true, want: "error", errText: "Authentication failed",
			params: m("type", "record_customer", "customer_action", "edit", "first_name", "Ann")},
		{name: "credentials/api key", raw: true, want: "new",
			params: m("user_id", testUser, "user_api_key", testKey, "account_id", testAccount, "type", "record_customer", "customer_action", "edit", "first_name", "Ann")},
		{name: "credentials/wrong api key", raw: true, want: "error", errText: "Authentication failed",
			params: m("user_id", testUser, "user_api_key", "x", "user_password", testPassword, "account_id", testAccount, "type", "record_customer", "customer_action", "edit", "first_name", "Ann")},
		{name: "credentials/secret never in error", raw: true, want: "error", errText: "Authentication failed",
			params: m("user_id", testUser, "user_password", "s3cr3t-typo", "account_id", testAccount, "type", "record_customer", "customer_action", "edit", "first_name", "Ann"),
			check: func(tb testing.TB, got answer, _ []answer, _ []Customer) {
				if strings.Contains(got.Body, "s3cr3t") {
					tb.Errorf("answer shows the password: %s", got.Body)
				}
			}},

		// Type and action.
		{name: "type/missing", raw: true, want: "error", errText: "type",
			params: m("user_id", testUser, "user_password", testPassword, "account_id", testAccount, "customer_action", "edit", "first_name", "Ann")},
		{name: "type/wrong", params: m("type", "customer_info", "first_name", "Ann"), want: "error", errText: "type"},
		{name: "action/missing", raw: true, want: "error", errText: "customer_action",
			params: m("user_id", testUser, "user_password", testPassword, "account_id", testAccount, "type", "record_customer", "first_name", "Ann")},
		{name: "action/wrong", params: m("customer_action", "delete", "first_name", "Ann"), want: "error", errText: "customer_action"},

		// Rule 1 and 8: code names an existing customer: update.
		{name: "rule1/code updates", setup: []map[string]string{m("code", "1111", "first_name", "Ann", "city", "Anytown")},
			params: m("code", "1111", "last_name", "Lee"), want: "update",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				codeIs("1111")(tb, got, nil, cs)
				noCardInAnswer(tb, got)
				field(tb, cs, "1111", "first_name", "Ann")
				field(tb, cs, "1111", "last_name", "Lee")
				field(tb, cs, "1111", "city", "Anytown")
				if c := find(cs, "1111"); c.Edits != 1 {
					tb.Errorf("edits %d, want 1", c.Edits)
				}
			}},
		{name: "rule1/code alone is a field", setup: []map[string]string{m("code", "1111", "first_name", "Ann")},
			params: m("code", "1111"), want: "update", check: codeIs("1111")},
		{name: "rule8/generated code updates", setup: []map[string]string{m("first_name", "Ann")},
			params: m("email", "ann@example.com"), want: "new",
			check: func(tb testing.TB, got answer, setup []answer, cs []Customer) {
				if got.Code == setup[0].Code {
					tb.Errorf("a call without code reused code %s", got.Code)
				}
			}},

		// Rule 2: no code: new, random 16 digits.
		{name: "rule2/no code is new", params: m("first_name", "Bob", "email", "bob@example.com"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				if !code16RE.MatchString(got.Code) {
					tb.Errorf("code %q is not 16 digits", got.Code)
				}
				noCardInAnswer(tb, got)
				field(tb, cs, got.Code, "email", "bob@example.com")
			}},
		{name: "rule2/empty code is no code", params: m("code", "", "first_name", "Bob"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, _ []Customer) {
				if !code16RE.MatchString(got.Code) {
					tb.Errorf("code %q is not 16 digits", got.Code)
				}
			}},

		// Rule 3: a code that matches nothing: new customer with that code.
		{name: "rule3/unknown code is new with it", setup: []map[string]string{m("code", "1111", "first_name", "Ann")},
			params: m("code", "424242", "first_name", "Cy"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				codeIs("424242")(tb, got, nil, cs)
				field(tb, cs, "424242", "first_name", "Cy")
			}},

		// Rule 5: card_number without code.
		{name: "rule5/one card match updates", setup: []map[string]string{m("card_number", "5550001", "first_name", "Ann")},
			params: m("card_number", "5550001", "phone", "555-555-2455"), want: "update",
			check: func(tb testing.TB, got answer, setup []answer, cs []Customer) {
				codeIs(setup[0].Code)(tb, got, nil, cs)
				noCardInAnswer(tb, got)
				field(tb, cs, got.Code, "phone", "555-555-2455")
				field(tb, cs, got.Code, "first_name", "Ann")
			}},
		{name: "rule5/several card matches", want: "error", errText: "matches 2 customers",
			data: []Customer{
				{Code: "1000000000000001", CardNumber: "777", Created: now, Updated: now},
				{Code: "1000000000000002", CardNumber: "777", Created: now, Updated: now},
			},
			params: m("card_number", "777", "first_name", "Dee")},
		{name: "rule5/several card matches, code decides", want: "update",
			data: []Customer{
				{Code: "1000000000000001", CardNumber: "777", Created: now, Updated: now},
				{Code: "1000000000000002", CardNumber: "777", Created: now, Updated: now},
			},
			params: m("code", "1000000000000002", "card_number", "777", "first_name", "Dee"), check: codeIs("1000000000000002")},
		{name: "rule5/card matches a code", setup: []map[string]string{m("code", "8888", "card_number", "1234", "first_name", "Ann")},
			params: m("card_number", "8888", "first_name", "Eve"), want: "update",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				codeIs("8888")(tb, got, nil, cs)
				card(tb, cs, "8888", "8888") // edit replaced the old card 1234
				field(tb, cs, "8888", "first_name", "Eve")
			}},
		{name: "rule5/old card freed after replace",
			setup:  []map[string]string{m("code", "8888", "card_number", "1234", "first_name", "Ann"), m("card_number", "8888", "first_name", "Eve")},
			params: m("card_number", "1234", "first_name", "Fay"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				card(tb, cs, got.Code, "1234")
			}},
		{name: "rule5/card card match wins over code match",
			setup:  []map[string]string{m("code", "9999", "first_name", "Ann"), m("code", "1", "card_number", "9999", "first_name", "Bo")},
			params: m("card_number", "9999", "first_name", "Cal"), want: "update", check: codeIs("1")},
		{name: "rule5/no match is new", setup: []map[string]string{m("card_number", "1234", "first_name", "Ann")},
			params: m("card_number", "4321", "first_name", "Gus"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				if !code16RE.MatchString(got.Code) {
					tb.Errorf("code %q is not 16 digits", got.Code)
				}
				card(tb, cs, got.Code, "4321")
				noCardInAnswer(tb, got)
			}},
		{name: "rule5/card of another customer with code", want: "error", errText: "already belongs",
			setup:  []map[string]string{m("card_number", "1234", "first_name", "Ann"), m("code", "2222", "first_name", "Bo")},
			params: m("code", "2222", "card_number", "1234")},
		{name: "rule5/card of another customer, new code", want: "error", errText: "already belongs",
			setup:  []map[string]string{m("card_number", "1234", "first_name", "Ann")},
			params: m("code", "3333", "card_number", "1234")},
		{name: "rule5/code updates and sets card", setup: []map[string]string{m("code", "2222", "card_number", "1", "first_name", "Bo")},
			params: m("code", "2222", "card_number", "2"), want: "update",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) { card(tb, cs, "2222", "2") }},

		// Rule 6: card_number_generate.
		{name: "rule6/generate 10 digits", params: m("first_name", "Hal", "card_number_generate", "10"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				if !got.HasCard || !regexp.MustCompile(`^[0-9]{10}$`).MatchString(got.CardNumber) {
					tb.Fatalf("card_number %q (present %v), want 10 digits", got.CardNumber, got.HasCard)
				}
				card(tb, cs, got.Code, got.CardNumber)
			}},
		{name: "rule6/generate 1 digit", params: m("card_number_generate", "1"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, _ []Customer) {
				if len(got.CardNumber) != 1 {
					tb.Errorf("card_number %q, want 1 digit", got.CardNumber)
				}
			}},
		{name: "rule6/generate 32 digits", params: m("card_number_generate", "32"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, _ []Customer) {
				if len(got.CardNumber) != 32 {
					tb.Errorf("card_number %q, want 32 digits", got.CardNumber)
				}
			}},
		{name: "rule6/generate replaces card on update", setup: []map[string]string{m("code", "2222", "card_number", "1", "first_name", "Bo")},
			params: m("code", "2222", "card_number_generate", "12"), want: "update",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				if len(got.CardNumber) != 12 {
					tb.Fatalf("card_number %q, want 12 digits", got.CardNumber)
				}
				card(tb, cs, "2222", got.CardNumber)
			}},
		{name: "rule6/generate 0", params: m("first_name", "Hal", "card_number_generate", "0"), want: "error", errText: "card_number_generate"},
		{name: "rule6/generate 33", params: m("first_name", "Hal", "card_number_generate", "33"), want: "error", errText: "card_number_generate"},
		{name: "rule6/generate text", params: m("first_name", "Hal", "card_number_generate", "ten"), want: "error", errText: "card_number_generate"},
		{name: "rule6/generate signed", params: m("first_name", "Hal", "card_number_generate", "+5"), want: "error", errText: "card_number_generate"},
		{name: "rule6/generate and card", params: m("card_number", "12", "card_number_generate", "5"), want: "error", errText: "not both"},

		// Rule 7: at least one optional field.
		{name: "rule7/nothing", params: m(), want: "error", errText: "at least one"},
		{name: "rule7/only unknown", params: m("favourite_colour", "blue", "output_fmt", "x"), want: "error", errText: "at least one"},
		{name: "rule7/only empty", params: m("first_name", "", "email", ""), want: "error", errText: "at least one"},
		{name: "rule7/one field", params: m("postal_code", "55555"), want: "new"},
		{name: "rule7/unknown ignored", params: m("first_name", "Ivy", "loyalty_tier", "gold"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				if _, ok := find(cs, got.Code).Fields["loyalty_tier"]; ok {
					tb.Errorf("unknown parameter stored")
				}
			}},

		// Rule 9: custom_date.
		{name: "rule9/iso date", params: m("first_name", "Jo", "custom_date", "1970-07-14"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				field(tb, cs, got.Code, "custom_date", "1970-07-14")
			}},
		{name: "rule9/ambiguous date", params: m("first_name", "Jo", "custom_date", "04-03-2010"), want: "error", errText: "custom_date"},
		{name: "rule9/not a real date", params: m("first_name", "Jo", "custom_date", "2010-02-30"), want: "error", errText: "custom_date"},
		{name: "rule9/short parts", params: m("first_name", "Jo", "custom_date", "2010-2-3"), want: "error", errText: "custom_date"},
		{name: "rule9/with time", params: m("first_name", "Jo", "custom_date", "2010-02-03T00:00:00Z"), want: "error", errText: "custom_date"},

		// Rules 10 to 12: API-only fields and secrets are kept.
		{name: "rule10-12/app fields", params: m("customer_username", "jdoe1970", "customer_password", "ilovecheese", "customer_PIN", "1234"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				field(tb, cs, got.Code, "customer_username", "jdoe1970")
				field(tb, cs, got.Code, "customer_password", "ilovecheese")
				field(tb, cs, got.Code, "customer_PIN", "1234")
				if strings.Contains(got.Body, "ilovecheese") {
					tb.Errorf("answer shows a secret")
				}
			}},

		// Rule 13: auto_add.
		{name: "rule13/points add up", setup: []map[string]string{m("code", "5", "auto_add", "25")},
			params: m("code", "5", "auto_add", "10.5"), want: "update",
			check: func(tb testing.TB, _ answer, _ []answer, cs []Customer) {
				if c := find(cs, "5"); c.Balance != 35.5 {
					tb.Errorf("balance %v, want 35.5", c.Balance)
				}
			}},
		{name: "rule13/product", params: m("code", "6", "auto_add", "Free coffee"), want: "new",
			check: func(tb testing.TB, _ answer, _ []answer, cs []Customer) {
				if c := find(cs, "6"); len(c.Products) != 1 || c.Products[0] != "Free coffee" || c.Balance != 0 {
					tb.Errorf("products %q balance %v", c.Products, c.Balance)
				}
			}},

		// Rule 14: send_no_email by presence.
		{name: "rule14/welcome e-mail", params: m("code", "7", "first_name", "Kim"), want: "new",
			check: func(tb testing.TB, _ answer, _ []answer, cs []Customer) {
				if c := find(cs, "7"); c.WelcomeEmails != 1 {
					tb.Errorf("welcome e-mails %d, want 1", c.WelcomeEmails)
				}
			}},
		{name: "rule14/presence suppresses", params: m("code", "7", "first_name", "Kim", "send_no_email", "false"), want: "new",
			check: func(tb testing.TB, _ answer, _ []answer, cs []Customer) {
				if c := find(cs, "7"); c.WelcomeEmails != 0 {
					tb.Errorf("welcome e-mails %d, want 0", c.WelcomeEmails)
				}
			}},
		{name: "rule14/alone counts as a field", params: m("send_no_email", ""), want: "new"},
		{name: "rule14/update sends none", setup: []map[string]string{m("code", "7", "first_name", "Kim", "send_no_email", "true")},
			params: m("code", "7", "first_name", "Kimberley"), want: "update",
			check: func(tb testing.TB, _ answer, _ []answer, cs []Customer) {
				if c := find(cs, "7"); c.WelcomeEmails != 0 {
					tb.Errorf("welcome e-mails %d, want 0", c.WelcomeEmails)
				}
			}},

		// Rule 15: custom fields.
		{name: "rule15/field 1 is text", params: m("custom_field_1", "1kg Emental Cheese"), want: "new",
			check: func(tb testing.TB, got answer, _ []answer, cs []Customer) {
				field(tb, cs, got.Code, "custom_field_1", "1kg Emental Cheese")
			}},
		{name: "rule15/undeclared", params: m("first_name", "Lu", "custom_field_9", "x"), want: "error", errText: "custom field 9 does not exist"},
		{name: "rule15/field 0", params: m("first_name", "Lu", "custom_field_0", "x"), want: "error", errText: "custom field 0 does not exist"},
		{name: "rule15/date ok", params: m("custom_field_2", "2012-07-28"), want: "new"},
		{name: "rule15/date bad", params: m("custom_field_2", "28/07/2012"), want: "error", errText: "custom field 2"},
		{name: "rule15/datetime ok", params: m("custom_field_5", "2012.07.28 22:59:59"), want: "new"},
		{name: "rule15/datetime dashes", params: m("custom_field_5", "2012-07-28 22:59:59"), want: "error", errText: "custom field 5"},
		{name: "rule15/datetime unreal", params: m("custom_field_5", "2012.02.30 22:59:59"), want: "error", errText: "custom field 5"},
		{name: "rule15/datetime date only", params: m("custom_field_5", "2012.07.28"), want: "error", errText: "custom field 5"},
		{name: "rule15/list ok", params: m("custom_field_3", "Gouda,Emental,Swiss"), want: "new"},
		{name: "rule15/list spaced", params: m("custom_field_3", "Gouda, Swiss"), want: "new"},
		{name: "rule15/list bad", params: m("custom_field_3", "Gouda,Brie"), want: "error", errText: `"Brie"`},
		{name: "rule15/pick ok", params: m("custom_field_4", "Gold"), want: "new"},
		{name: "rule15/pick two", params: m("custom_field_4", "Gold,Silver"), want: "error", errText: "custom field 4"},
		{name: "rule15/pick case", params: m("custom_field_4", "gold"), want: "error", errText: "custom field 4"},
		{name: "rule15/all problems told", params: m("custom_field_2", "x", "custom_field_9", "y", "custom_date", "z"), want: "error", errText: "custom_date must be",
			check: func(tb testing.TB, got answer, _ []answer, _ []Customer) {
				for _, want := range []string{"custom field 2 expects", "custom field 9 does not exist"} {
					if !strings.Contains(got.Error, want) {
						tb.Errorf("error %q lacks %q", got.Error, want)
					}
				}
			}},
	}
}
