package mapping

import (
	"strconv"
	"strings"
	"testing"
)

// TestApplyDigitsAtMostMaxDigits: a code or card number of more than MaxDigits digits is
// invalid before it is sent, since the client could not read an answer that carries it;
// MaxDigits digits are valid. The reason names the limit.
func TestApplyDigitsAtMostMaxDigits(t *testing.T) {
	if !strings.Contains(ReasonTooManyDigits, strconv.Itoa(MaxDigits)) {
		t.Fatalf("ReasonTooManyDigits %q does not name MaxDigits %d", ReasonTooManyDigits, MaxDigits)
	}
	p := mustBind(t, "fields:\n  code: Code\n  card_number: {column: Card, transform: digits}\n", "Code", "Card")
	long, most := strings.Repeat("1", MaxDigits+1), strings.Repeat("9", MaxDigits)
	tests := []struct {
		name       string
		code, card string
		reason     string
	}{
		{"code of MaxDigits", most, "", ""},
		{"code of MaxDigits+1", long, "", ReasonTooManyDigits},
		{"code of MaxDigits+1 in spaces", " " + long + " ", "", ReasonTooManyDigits},
		{"card of MaxDigits", "", most, ""},
		{"card of MaxDigits+1 after digits", "", "1-" + long, ReasonTooManyDigits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := p.Apply(textRow(tt.code, tt.card))
			if tt.reason == "" {
				if !res.Valid() {
					t.Errorf("invalid: %+v", res.Problems)
				}
				return
			}
			if res.Valid() || len(res.Problems) != 1 || res.Problems[0].Reason != tt.reason {
				t.Errorf("problems %+v, want one %q", res.Problems, tt.reason)
			}
		})
	}
}

// TestProblemStringLongValue: a problem quotes at most 100 characters of its value (the
// results file's input columns hold the whole value), counting characters, not bytes.
func TestProblemStringLongValue(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"short", "ann@", `email: not an e-mail address: "ann@"`},
		{"100 characters", strings.Repeat("é", 100), `email: not an e-mail address: "` + strings.Repeat("é", 100) + `"`},
		{"40,000 characters", strings.Repeat("x", 40_000), `email: not an e-mail address: "` + strings.Repeat("x", 100) + `"… (40000 characters)`},
		{"101 accented", strings.Repeat("é", 101), `email: not an e-mail address: "` + strings.Repeat("é", 100) + `"… (101 characters)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Problem{Field: "email", Reason: ReasonEmail, Value: tt.value}
			if got := p.String(); got != tt.want {
				t.Errorf("String() = %.160q, want %.160q", got, tt.want)
			}
		})
	}
}
