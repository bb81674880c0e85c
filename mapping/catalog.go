package mapping

import (
	"regexp"
	"strconv"
	"strings"
)

// Rule is how an API field's value is checked before it is sent.
type Rule uint8

// The rules of the API's fields.
const (
	RuleText        Rule = iota // any text
	RuleDigits                  // digits only: code, card_number
	RuleEmail                   // an e-mail address
	RuleDate                    // a date, sent as YYYY-MM-DD: custom_date
	RuleFlag                    // presence flag: a true-ish value sends the field, anything else leaves it out
	RuleDigitCount              // a whole number from 1 to 32: card_number_generate
	RuleCustomField             // custom_field_N: checked by its declared type
)

// FieldSpec describes one field of the record_customer/edit call.
type FieldSpec struct {
	Name string
	Rule Rule
	// Secret fields never appear in results, logs or error messages.
	Secret bool
	// ExactNumber fields are identifiers: an XLSX number cell that Excel cannot hold
	// exactly (more than 15 significant digits, or E-notation) is refused.
	ExactNumber bool
	// Headers are header texts commonly used for this field, normalised (see NormalizeHeader);
	// custimport init matches on them.
	Headers []string
	// Doc is one line for the mapping reference.
	Doc string
}

// catalog is the API's field list, in the order of the vendor's documentation. It is never
// modified; Fields and Lookup hand out copies.
var catalog = []FieldSpec{
	{Name: "code", Rule: RuleDigits, ExactNumber: true, Doc: "the customer's internal id; updates that customer when it exists",
		Headers: []string{"code", "customercode", "loyaltycode", "internalid", "loyaltyid"}},
	{Name: "new_code", Rule: RuleFlag, Doc: "flag: present when true-ish"},
	{Name: "card_number", Rule: RuleDigits, ExactNumber: true, Doc: "loyalty card number",
		Headers: []string{"cardnumber", "card", "cardno", "loyaltycard", "loyaltycardnumber", "membershipnumber", "memberno", "membernumber"}},
	{Name: "card_number_generate", Rule: RuleDigitCount, Doc: "ask the API to generate a card number of this many digits (1-32)"},
	{Name: "first_name", Doc: "first name",
		Headers: []string{"firstname", "givenname", "forename", "first", "fname", "christianname"}},
	{Name: "last_name", Doc: "last name",
		Headers: []string{"lastname", "surname", "familyname", "last", "lname"}},
	{Name: "phone", ExactNumber: true, Doc: "phone number",
		Headers: []string{"phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "cell", "cellphone", "telephone", "tel", "phone1", "primaryphone", "contactnumber"}},
	{Name: "email", Rule: RuleEmail, Doc: "e-mail address",
		Headers: []string{"email", "emailaddress", "mail", "emailaddr", "e-mail"}},
	{Name: "street1", Doc: "street address, line 1",
		Headers: []string{"street1", "street", "address", "address1", "addressline1", "streetaddress", "billingstreet", "mailingstreet"}},
	{Name: "street2", Doc: "street address, line 2",
		Headers: []string{"street2", "address2", "addressline2", "apartment", "suite", "unit"}},
	{Name: "city", Doc: "city",
		Headers: []string{"city", "town", "suburb", "locality", "billingcity", "mailingcity"}},
	{Name: "state", Doc: "state or region",
		Headers: []string{"state", "region", "province", "county", "stateprovince", "billingstate", "mailingstate"}},
	{Name: "postal_code", ExactNumber: true, Doc: "postal code",
		Headers: []string{"postalcode", "postcode", "zip", "zipcode", "postal", "billingpostalcode", "mailingpostalcode"}},
	{Name: "country", Doc: "country",
		Headers: []string{"country", "countrycode", "nation", "billingcountry", "mailingcountry"}},
	{Name: "custom_date", Rule: RuleDate, Doc: "a date, sent as YYYY-MM-DD (often the birthday)",
		Headers: []string{"customdate", "birthday", "dob", "dateofbirth", "birthdate", "birth", "bday"}},
	{Name: "custom_field", Doc: "free text",
		Headers: []string{"customfield", "notes", "note", "comment", "comments"}},
	{Name: "customer_username", Doc: "API-only user name",
		Headers: []string{"customerusername", "username", "login"}},
	{Name: "customer_password", Secret: true, Doc: "customer's password (secret)",
		Headers: []string{"customerpassword", "password"}},
	{Name: "customer_PIN", Secret: true, Doc: "customer's PIN (secret)",
		Headers: []string{"customerpin", "pin"}},
	{Name: "send_no_email", Rule: RuleFlag, Doc: "flag: suppress the new-customer e-mail when true-ish"},
	{Name: "auto_add", Doc: "amount added to the customer's account (points, visits, dollars or a product)"},
	{Name: "custom_field_N", Rule: RuleCustomField, Doc: "an account's custom field number N; see type and choices"},
}

var customFieldRE = regexp.MustCompile(`^custom_field_([1-9][0-9]{0,3})$`)

// Fields returns the catalogue of API fields in documentation order. The last entry,
// custom_field_N, stands for every numbered custom field.
func Fields() []FieldSpec {
	out := make([]FieldSpec, len(catalog))
	copy(out, catalog)
	return out
}

// Lookup returns the spec of an API field by its exact name; custom_field_1 ... custom_field_9999
// all give the custom_field_N spec with Name set to the asked name.
func Lookup(name string) (FieldSpec, bool) {
	for _, f := range catalog {
		if f.Name == name && f.Rule != RuleCustomField {
			return f, true
		}
	}
	if CustomFieldNumber(name) > 0 {
		f := catalog[len(catalog)-1]
		f.Name = name
		return f, true
	}
	return FieldSpec{}, false
}

// CustomFieldNumber returns N for custom_field_N, or 0 for any other name.
func CustomFieldNumber(name string) int {
	m := customFieldRE.FindStringSubmatch(name)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// MaxDigits is the most digits a code or card number may hold. The API documents no
// limit (its generated codes have 16 digits, generated card numbers at most 32); the
// client refuses a longer one in an answer as unreadable, so validation must refuse a
// longer one before it is sent: a row the API accepts but whose answer the client
// cannot read ends unknown (or error, after retries).
const MaxDigits = 64

// IsSecret reports whether the named request field must never be shown: the API
// password and the customer's password and PIN.
func IsSecret(name string) bool {
	switch name {
	case "user_password", "user_api_key", "customer_password", "customer_PIN":
		return true
	}
	return false
}

// Truthy reports whether a flag cell's text turns the flag on: true, yes, y, 1 or x, in any case.
func Truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1", "x":
		return true
	}
	return false
}
