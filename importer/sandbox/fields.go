package sandbox

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The custom field types of an account, as ParseCustomField and CustomField.Type name them.
const (
	TypeText     = "text"
	TypeDate     = "date"
	TypeDatetime = "datetime"
	TypePick     = "pick"
	TypeList     = "list"
)

// ErrCustomFieldSpec is wrapped by every error of ParseCustomField and of a Config's
// CustomFields.
var ErrCustomFieldSpec = errors.New("bad custom field")

// maxCustomField is the highest custom field number, as mapping.CustomFieldNumber reads them.
const maxCustomField = 9999

// CustomField is one custom field declared in the simulated account.
type CustomField struct {
	// Type is text, date, datetime, pick or list, in any case.
	Type string
	// Choices are the values a pick or list field accepts.
	Choices []string
}

// ParseCustomField reads a custom field declaration N:TYPE[:choice,choice], for example
// "3:list:Gouda,Emental,Swiss" or "2:date". TYPE is text, date, datetime, pick or list in
// any case; pick and list need choices, the other types take none.
func ParseCustomField(spec string) (int, CustomField, error) {
	parts := strings.SplitN(spec, ":", 3)
	if len(parts) < 2 {
		return 0, CustomField{}, fmt.Errorf("%w %q: want N:TYPE[:choice,choice]", ErrCustomFieldSpec, spec)
	}
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n < 1 || n > maxCustomField {
		return 0, CustomField{}, fmt.Errorf("%w %q: field number must be a whole number from 1 to %d", ErrCustomFieldSpec, spec, maxCustomField)
	}
	cf := CustomField{Type: strings.TrimSpace(parts[1])}
	if len(parts) == 3 {
		for _, c := range strings.Split(parts[2], ",") {
			if c = strings.TrimSpace(c); c != "" {
				cf.Choices = append(cf.Choices, c)
			}
		}
	}
	if err := cf.check(); err != nil {
		return 0, CustomField{}, fmt.Errorf("%w %q: %v", ErrCustomFieldSpec, spec, err)
	}
	return n, cf, nil
}

// check reports what is wrong with a declaration.
func (cf CustomField) check() error {
	switch t := strings.ToLower(cf.Type); t {
	case TypeText, TypeDate, TypeDatetime:
		if len(cf.Choices) > 0 {
			return fmt.Errorf("type %s takes no choices", t)
		}
	case TypePick, TypeList:
		if len(cf.Choices) == 0 {
			return fmt.Errorf("type %s needs choices", t)
		}
		seen := make(map[string]bool, len(cf.Choices))
		for _, c := range cf.Choices {
			if c == "" || strings.Contains(c, ",") {
				return fmt.Errorf("choice %q: must be non-empty and hold no comma", c)
			}
			if seen[c] {
				return fmt.Errorf("choice %q given twice", c)
			}
			seen[c] = true
		}
	default:
		return fmt.Errorf("unknown type %q (want text, date, datetime, pick or list)", cf.Type)
	}
	return nil
}

var (
	dateRE     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	datetimeRE = regexp.MustCompile(`^[0-9]{4}\.[0-9]{2}\.[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$`)
)

// validDate reports whether s is a real date written YYYY-MM-DD.
func validDate(s string) bool {
	if !dateRE.MatchString(s) {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// validDatetime reports whether s is a real date and time written YYYY.MM.DD HH:MM:SS.
func validDatetime(s string) bool {
	if !datetimeRE.MatchString(s) {
		return false
	}
	_, err := time.Parse("2006.01.02 15:04:05", s)
	return err == nil
}

// validate checks a value sent for custom field n against its type. An empty value
// clears the field and is always accepted.
func (cf CustomField) validate(n int, v string) error {
	if v == "" {
		return nil
	}
	switch strings.ToLower(cf.Type) {
	case TypeDate:
		if !validDate(v) {
			return fmt.Errorf("custom field %d expects a date as YYYY-MM-DD, got %s", n, quote(v))
		}
	case TypeDatetime:
		if !validDatetime(v) {
			return fmt.Errorf("custom field %d expects a date and time as YYYY.MM.DD HH:MM:SS, got %s", n, quote(v))
		}
	case TypePick:
		if !cf.isChoice(v) {
			return fmt.Errorf("custom field %d expects one of %s, got %s", n, strings.Join(cf.Choices, ", "), quote(v))
		}
	case TypeList:
		for _, item := range strings.Split(v, ",") {
			if !cf.isChoice(strings.TrimSpace(item)) {
				return fmt.Errorf("custom field %d expects a comma-separated list of %s, got %s", n, strings.Join(cf.Choices, ", "), quote(item))
			}
		}
	}
	return nil
}

func (cf CustomField) isChoice(v string) bool {
	for _, c := range cf.Choices {
		if c == v {
			return true
		}
	}
	return false
}

// quote shows a value sent by a client in an error message, cut short when long.
func quote(v string) string {
	const max = 64
	if len(v) > max {
		return strconv.Quote(v[:max]) + "..."
	}
	return strconv.Quote(v)
}
