package mapping

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/custimport/custimport/importer/sheet"
)

// The general reasons of problems, the same for every row that has them.
const (
	ReasonNoField      = "maps to no field: no mapped cell has a value to send"
	ReasonDigits       = "must hold digits only"
	ReasonEmail        = "not an e-mail address"
	ReasonRealDate     = "not a real date"
	ReasonDigitCount   = "must be a whole number from 1 to 32"
	ReasonInexact      = "stored as a number that Excel cannot hold exactly: store the column as text"
	ReasonPostalNumber = "stored as a number; check leading zeros"
	ReasonCellError    = "the cell holds a spreadsheet error; the field is left out"
)

// Result is one row mapped: what to send, who it is, and what is wrong with it.
type Result struct {
	// Fields are the API fields to send, in catalogue order (numbered custom fields by
	// number). Secret fields are among them: never log them (Field.String hides them).
	Fields []Field
	// Identity names the row's customer.
	Identity Identity
	// Problems are the row's errors and warnings, in field order.
	Problems []Problem
	// Hash is a fingerprint of Fields (names and values, secrets included), the same across
	// runs and machines: the first 16 bytes of the SHA-256 of a length-prefixed encoding.
	Hash [16]byte
}

// Valid reports whether the row may be sent: it has no problem other than warnings.
func (r Result) Valid() bool {
	for _, p := range r.Problems {
		if !p.Warning {
			return false
		}
	}
	return true
}

// Value returns the value the row sends for the named field, and whether it sends it.
func (r Result) Value(name string) (string, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Apply maps one row. Cells missing at the end of a short row are empty.
func (p *Plan) Apply(row sheet.Row) Result {
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
				fs, h = addField(fs, h, &res.Identity, f, f.constVal)
			}
			continue
		}
		cell := &noCell
		if f.col < len(row.Cells) {
			cell = &row.Cells[f.col]
		}
		if cell.Kind == sheet.Error {
			res.Problems = append(res.Problems, f.problem(ReasonCellError, cell.Text, true))
			cell = &noCell
		}
		// A text starting with a printable ASCII byte is not blank: the usual case, tested inline.
		if t := cell.Text; cell.Kind != sheet.Date && (t == "" || t[0] <= ' ' || t[0] >= 0x7f) && isBlank(t) {
			if f.defVal != "" {
				fs, h = addField(fs, h, &res.Identity, f, f.defVal)
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
			v, reason = f.convert(cell.Text, cell)
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
		h = append(h, f.hashName...)
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
		res.Identity.Key = strings.TrimSpace(row.Cells[p.keyCol].Text)
	}
	sum := sha256.Sum256(h)
	copy(res.Hash[:], sum[:16])
	return res
}

// noCell stands in for a cell missing at the end of a short row. Apply never writes it.
var noCell sheet.Cell

// addField appends a field to send to fs and its encoding (as HashFields encodes it) to h,
// and notes it in id when it names the customer.
func addField(fs []Field, h []byte, id *Identity, f *field, v string) ([]Field, []byte) {
	fs = append(fs, Field{Name: f.name, Value: v})
	f.noteIdentity(id, v)
	h = append(h, f.hashName...)
	return fs, appendLenString(h, v)
}

// noteIdentity notes v in id when the field names the customer.
func (f *field) noteIdentity(id *Identity, v string) {
	switch f.ident {
	case identCode:
		id.Code = v
	case identCard:
		id.CardNumber = v
	}
}

// HashFields is the fingerprint of a set of fields to send, as in Result.Hash. (Apply
// builds the same encoding as it goes: keep the two alike.)
func HashFields(fields []Field) [16]byte {
	// The encoding is hashed from a stack buffer when it fits (it nearly always does).
	var buf [1024]byte
	b := buf[:0]
	for _, f := range fields {
		b = appendLenString(b, f.Name)
		b = appendLenString(b, f.Value)
	}
	sum := sha256.Sum256(b)
	var h [16]byte
	copy(h[:], sum[:16])
	return h
}

// appendLenString appends s prefixed by its length as a uvarint.
func appendLenString(b []byte, s string) []byte {
	if len(s) < 0x80 {
		b = append(b, byte(len(s)))
	} else {
		b = binary.AppendUvarint(b, uint64(len(s)))
	}
	return append(b, s...)
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			if s[i] < 0x80 {
				return false
			}
			return strings.TrimSpace(s[i:]) == ""
		}
	}
	return true
}

// exactNumber reports whether a number as an XLSX file stores it is one Excel holds
// exactly: not in E-notation, and no more than 15 significant digits.
func exactNumber(raw string) bool {
	sig := 0
	started := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == 'e' || c == 'E':
			return false
		case c >= '1' && c <= '9':
			started = true
			sig++
		case c == '0':
			if started {
				sig++
			}
		}
	}
	// Trailing zeros after a decimal point are not significant, but Excel never writes them.
	return sig <= 15
}

// field is a FieldMapping compiled for fast use on every row.
type field struct {
	name   string
	order  int // catalogue position, then custom field number
	col    int // index in the row; -1 for a constant
	header string
	rule   Rule
	ctype  CustomType
	secret bool
	// hideValue: the field's column also feeds a secret field.
	hideValue bool
	ident     identKind // the field is part of the row's Identity
	hashName  string    // the name as HashFields encodes it
	plain     bool      // convert gives a non-blank text as it is: no transform, no rule
	exact     bool
	postal    bool
	trs       []Transform
	layouts   []*dateLayout
	// dateReason is "not a date in <format>".
	dateReason   string
	choices      []string
	choiceReason string
	constVal     string // the constant, converted; col < 0
	defVal       string // the default, converted; "" when none
}

// identKind says which part of a row's Identity a field gives.
type identKind uint8

const (
	identNone identKind = iota
	identCode
	identCard
)

func (f *field) problem(reason, value string, warning bool) Problem {
	if f.secret || f.hideValue {
		value = ""
	}
	return Problem{Field: f.name, Column: f.header, Reason: reason, Value: value, Warning: warning}
}

var isoDate = mustLayout("YYYY-MM-DD")

var dateTimeLayouts = []*dateLayout{
	mustLayout("YYYY-MM-DD HH:mm:ss"),
	mustLayout("YYYY-MM-DD HH:mm"),
	mustLayout("YYYY-MM-DDTHH:mm:ss"),
	mustLayout("YYYY.MM.DD HH:mm:ss"),
	isoDate,
}

func mustLayout(s string) *dateLayout {
	l, err := compileLayout(s)
	if err != nil {
		panic(err)
	}
	return l
}

// compileField prepares a field mapping for rows; the column is left unresolved (-1).
func compileField(fm *FieldMapping) field {
	f := field{
		name:   fm.Name,
		col:    -1,
		rule:   fm.Spec.Rule,
		ctype:  fm.Type,
		secret: fm.Spec.Secret || IsSecret(fm.Name),
		exact:  fm.Spec.ExactNumber,
		postal: fm.Name == "postal_code",
		trs:    fm.Transforms,
	}
	f.hashName = string(appendLenString(nil, fm.Name))
	switch fm.Name {
	case "code":
		f.ident = identCode
	case "card_number":
		f.ident = identCard
	}
	f.order = len(catalog) - 1
	for i, c := range catalog {
		if c.Name == fm.Name && c.Rule != RuleCustomField {
			f.order = i
		}
	}
	f.order = f.order*10000 + CustomFieldNumber(fm.Name)
	isDate := f.rule == RuleDate || (f.rule == RuleCustomField && (f.ctype == TypeDate || f.ctype == TypeDateTime))
	if isDate {
		switch {
		case fm.layout != nil:
			f.layouts = []*dateLayout{fm.layout}
		case fm.DateFormat != "":
			if l, err := compileLayout(fm.DateFormat); err == nil {
				f.layouts = []*dateLayout{l}
			}
		case f.rule == RuleCustomField && f.ctype == TypeDateTime:
			f.layouts = dateTimeLayouts
		default:
			f.layouts = []*dateLayout{isoDate}
		}
		if len(f.layouts) == 0 {
			f.layouts = []*dateLayout{isoDate}
		}
		f.dateReason = "not a date in " + f.layouts[0].src
	}
	f.plain = len(f.trs) == 0 && f.rule == RuleText && len(f.layouts) == 0
	if len(fm.Choices) > 0 {
		f.choices = fm.Choices
		f.choiceReason = "not one of the choices (" + strings.Join(fm.Choices, ", ") + ")"
	}
	return f
}

// convert transforms a cell's text and checks it against the field's rule. It returns the
// value to send ("" to send nothing) or the reason it cannot be sent. cell may be nil (a
// constant or a default).
func (f *field) convert(s string, cell *sheet.Cell) (string, string) {
	if cell != nil && cell.Kind == sheet.Date && len(f.layouts) > 0 {
		return f.formatDate(civilOf(cell.Time)), ""
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
		return s, ""
	case RuleEmail:
		s = strings.TrimSpace(s)
		if s != "" && !validEmail(s) {
			return "", ReasonEmail
		}
		return s, ""
	case RuleDate:
		return f.date(s)
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
			return f.date(s)
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
			return f.list(s)
		}
		return s, ""
	}
	return s, ""
}

var smallInts = func() [33]string {
	var a [33]string
	for i := range a {
		a[i] = strconv.Itoa(i)
	}
	return a
}()

func (f *field) date(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	unreal := false
	for _, l := range f.layouts {
		c, err := l.parse(s)
		if err == nil {
			return f.formatDate(c), ""
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

func (f *field) formatDate(c civil) string {
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

func (f *field) choice(s string) (string, bool) {
	for _, c := range f.choices {
		if strings.EqualFold(c, s) {
			return c, true
		}
	}
	return "", false
}

func (f *field) list(s string) (string, string) {
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

// badLocal marks the bytes an e-mail address's local part may not hold (besides white space
// and control characters).
var badLocal = func() (t [256]bool) {
	for _, c := range []byte(`()<>[]\,;:"`) {
		t[c] = true
	}
	return t
}()

// validEmail accepts local@domain.tld: no white space, one @, a domain of dot-separated
// labels of letters, digits and hyphens (or non-ASCII), and a top-level label of two or more
// characters that is not all digits.
func validEmail(s string) bool {
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
