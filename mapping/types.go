package mapping

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Field is one API field and the value a row gives it, ready to send.
type Field struct {
	Name  string
	Value string
}

// String shows the field as name=value, with the value of a secret field hidden.
func (f Field) String() string {
	if IsSecret(f.Name) {
		return f.Name + "=[redacted]"
	}
	return f.Name + "=" + f.Value
}

// Identity is what names a customer across rows and runs.
type Identity struct {
	Code       string // the row's code, after transforms
	CardNumber string // the row's card_number, after transforms
	Key        string // the mapping's key column, as read (trimmed)
}

// Problem is one thing wrong (or, as a warning, worth a look) with one row.
type Problem struct {
	Field   string // the API field, or "" when the problem is the row's
	Column  string // the source column's header text, when one column is to blame
	Reason  string // the general reason, the same for every row with this problem, e.g. "not a date in DD/MM/YYYY"
	Value   string // the offending value; empty for secret fields
	Warning bool   // a warning: the row is sent all the same
	// Summary is the reason as the run's summary counts it, when Reason names something
	// of this row only (which earlier row); "" when it is Reason.
	Summary string
}

// String renders the problem for the results file's message column.
func (p Problem) String() string {
	var b strings.Builder
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		if p.Column != "" && !strings.EqualFold(p.Column, p.Field) {
			fmt.Fprintf(&b, " (%s)", p.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	if p.Value != "" && !IsSecret(p.Field) {
		if n := utf8.RuneCountInString(p.Value); n > maxQuoted {
			// The input column beside the message holds the whole value.
			fmt.Fprintf(&b, ": %q… (%d characters)", firstRunes(p.Value, maxQuoted), n)
		} else {
			fmt.Fprintf(&b, ": %q", p.Value)
		}
	}
	return b.String()
}

// maxQuoted is how many characters of a value a problem's text quotes at most.
const maxQuoted = 100

// firstRunes returns the first n characters of s.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
