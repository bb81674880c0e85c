package mapping

// The reference implementation of Apply: Apply as it was before its per-row slab and fast
// paths, kept to hold the fast code to byte-identical results (see TestApplyMatchesReference
// and FuzzApplyMatchesReference). It uses the exported, allocating Transform.Apply.

import (
	"crypto/sha256"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/custimport/custimport/importer/sheet"
)

func refApply(p *Plan, row sheet.Row) Result {
	var res Result
	// hb collects the encoding HashFields hashes, as fields are added. (Collecting the
	// fields on the stack and copying them out at their final size measured slower.)
	var hb [1024]byte
	fs, h := make([]Field, 0, len(p.fields)), hb[:0]
	fromRow := false
	for i := range p.fields {
		f := &p.fields[i]
		if f.col < 0 {
			if f.constVal != "" {
				fs, h = refAddField(fs, h, &res.Identity, f, f.constVal)
			}
			continue
		}
		cell := &noCell
		if f.col < len(row.Cells) {
			cell = &row.Cells[f.col]
		}
		if cell.Kind == sheet.Error {
			if f.ident != identNone {
				res.Problems = append(res.Problems, f.problem(ReasonIdentityError, cell.Text, false))
				continue
			}
			res.Problems = append(res.Problems, f.problem(ReasonCellError, cell.Text, true))
			cell = &noCell
		}
		// A text starting with a printable ASCII byte is not blank: the usual case, tested inline.
		if t := cell.Text; cell.Kind != sheet.Date && (t == "" || t[0] <= ' ' || t[0] >= 0x7f) && isBlank(t) {
			if f.defVal != "" {
				fs, h = refAddField(fs, h, &res.Identity, f, f.defVal)
			}
			continue
		}
		if f.exact && cell.Kind == sheet.Number && !exactNumber(cell.Raw) {
			res.Problems = append(res.Problems, f.problem(ReasonInexact, cell.Text, false))
			continue
		}
		v := cell.Text
		if !f.plain {
			var reason string
			v, reason = refConvert(f, cell.Text, cell)
			if reason != "" {
				res.Problems = append(res.Problems, f.problem(reason, cell.Text, false))
				continue
			}
		}
		if v == "" {
			continue
		}
		if f.postal && cell.Kind == sheet.Number {
			res.Problems = append(res.Problems, f.problem(ReasonPostalNumber, cell.Text, true))
		}
		// addField, by hand: this is the path of nearly every field.
		fs = append(fs, Field{Name: f.name, Value: v})
		if f.ident != identNone {
			f.noteIdentity(&res.Identity, v)
		}
		h = appendLenString(h, f.name)
		h = appendLenString(h, v)
		fromRow = true
	}
	res.Fields = fs
	// A row whose own cells give nothing to send is invalid; when a cell was refused, that
	// problem says enough.
	if !fromRow && res.Valid() {
		res.Problems = append(res.Problems, Problem{Reason: ReasonNoField})
	}
	if p.keyCol >= 0 && p.keyCol < len(row.Cells) {
		if c := row.Cells[p.keyCol]; c.Kind == sheet.Error {
			res.Problems = append(res.Problems, Problem{Field: "key", Column: p.keyHeader,
				Reason: ReasonIdentityError, Value: c.Text})
		} else {
			res.Identity.Key = strings.TrimSpace(c.Text)
		}
	}
	sum := sha256.Sum256(h)
	copy(res.Hash[:], sum[:16])
	return res
}

func refAddField(fs []Field, h []byte, id *Identity, f *field, v string) ([]Field, []byte) {
	fs = append(fs, Field{Name: f.name, Value: v})
	f.noteIdentity(id, v)
	h = appendLenString(h, f.name)
	return fs, appendLenString(h, v)
}

func refConvert(f *field, s string, cell *sheet.Cell) (string, string) {
	if cell != nil && cell.Kind == sheet.Date && len(f.layouts) > 0 {
		if cell.Time.IsZero() {
			return "", ReasonRealDate
		}
		return refFormatDate(f, civilOf(cell.Time)), ""
	}
	for _, t := range f.trs {
		s = t.Apply(s)
	}
	switch f.rule {
	case RuleText:
		return s, ""
	case RuleDigits:
		s = strings.TrimSpace(s)
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return "", ReasonDigits
			}
		}
		if len(s) > MaxDigits {
			return "", ReasonTooManyDigits
		}
		return s, ""
	case RuleEmail:
		s = strings.TrimSpace(s)
		if s != "" && !refValidEmail(s) {
			return "", ReasonEmail
		}
		return s, ""
	case RuleDate:
		return refDate(f, s)
	case RuleFlag:
		if !Truthy(s) {
			return "", ""
		}
		if f.name == "new_code" {
			return "Yes", ""
		}
		return "true", ""
	case RuleDigitCount:
		s = strings.TrimSpace(s)
		if s == "" {
			return "", ""
		}
		n, ok := atoiDigits(s)
		if !ok || len(s) > 4 || n < 1 || n > 32 {
			return "", ReasonDigitCount
		}
		return smallInts[n], ""
	case RuleCustomField:
		switch f.ctype {
		case TypeDate, TypeDateTime:
			return refDate(f, s)
		case TypePick:
			s = strings.TrimSpace(s)
			if s == "" {
				return "", ""
			}
			if c, ok := f.choice(s); ok {
				return c, ""
			}
			return "", f.choiceReason
		case TypeList:
			return refList(f, s)
		}
		return s, ""
	}
	return s, ""
}

func refDate(f *field, s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	unreal := false
	for _, l := range f.layouts {
		c, err := l.parse(s)
		if err == nil {
			return refFormatDate(f, c), ""
		}
		if err == ErrNotRealDate {
			unreal = true
		}
	}
	if unreal {
		return "", ReasonRealDate
	}
	return "", f.dateReason
}

func refFormatDate(f *field, c civil) string {
	if f.rule == RuleCustomField && f.ctype == TypeDateTime {
		var buf [19]byte
		return string(c.appendDateTime(buf[:0]))
	}
	b := [10]byte{
		byte('0' + c.y/1000%10), byte('0' + c.y/100%10), byte('0' + c.y/10%10), byte('0' + c.y%10), '-',
		byte('0' + c.mo/10%10), byte('0' + c.mo%10), '-', byte('0' + c.d/10%10), byte('0' + c.d%10),
	}
	return string(b[:])
}

func refList(f *field, s string) (string, string) {
	if strings.TrimSpace(s) == "" {
		return "", ""
	}
	var stack [128]byte
	b := stack[:0]
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		c, ok := f.choice(item)
		if !ok {
			return "", f.choiceReason
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, c...)
	}
	return string(b), ""
}

func refValidEmail(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		} else if c >= utf8.RuneSelf {
			if strings.ContainsFunc(s[i:], unicode.IsSpace) {
				return false
			}
			break
		}
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || len(s) > 254 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c == 0x7f || badLocal[c] || (c == '.' && local[i-1] == '.') {
			return false
		}
	}
	labels := 0
	last := ""
	for start := 0; start <= len(domain); {
		end := start
		for end < len(domain) && domain[end] != '.' {
			end++
		}
		label := domain[start:end]
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 0x80 || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			if !ok {
				return false
			}
		}
		labels++
		last = label
		start = end + 1
	}
	if labels < 2 || len(last) < 2 {
		return false
	}
	_, allDigits := atoiDigits(last)
	return !allDigits
}

// badLocal marks the bytes an e-mail address's local part may not hold (besides white space
// and control characters).
var badLocal = func() (t [256]bool) {
	for _, c := range []byte(`()<>[]\,;:"`) {
		t[c] = true
	}
	return t
}()
