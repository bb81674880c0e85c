package mapping

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/custimport/custimport/importer/sheet"
)

// The general reasons of problems, the same for every row that has them.
const (
	ReasonNoField       = "maps to no field: no mapped cell has a value to send"
	ReasonDigits        = "must hold digits only"
	ReasonTooManyDigits = "must hold at most 64 digits" // MaxDigits
	ReasonEmail         = "not an e-mail address"
	ReasonRealDate      = "not a real date"
	ReasonDigitCount    = "must be a whole number from 1 to 32"
	ReasonInexact       = "stored as a number that Excel cannot hold exactly: store the column as text"
	ReasonPostalNumber  = "stored as a number; check leading zeros"
	ReasonCellError     = "the cell holds a spreadsheet error; the field is left out"
	// ReasonIdentityError: a spreadsheet error where the row names its customer (code,
	// card number, key). Left out, the row would create a customer or, as a key, make
	// every such row one customer: the row is invalid.
	ReasonIdentityError = "the cell holds a spreadsheet error, not the customer's identity"
	// ReasonUntracked: see Plan.WarnUntracked.
	ReasonUntracked = "no key, code or card number: the state cannot remember this customer, " +
		"so every run sends the row again and creates the customer again (map a key column)"
)

// Result is one row mapped: what to send, who it is, and what is wrong with it.
type Result struct {
	// Fields are the API fields to send, in catalogue order (numbered custom fields by
	// number). Secret fields are among them: never log them (Field.String hides them).
	// Rows' Fields may share a backing array, never past their length: appending to them
	// copies.
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
	a, _ := p.arenas.Get().(*arena)
	if a == nil {
		a = &arena{}
	}
	res := p.apply(a, row.Cells, nil, nil)
	p.arenas.Put(a)
	return res
}

// A Mapper maps rows with a Plan in one goroutine: Plan.Apply without the round trip to
// the Plan's pool of arenas that each call of Plan.Apply makes. A Mapper is not safe for
// concurrent use; its results are as Plan.Apply's, and stay valid after the Mapper is gone.
type Mapper struct {
	p *Plan
	a arena
}

// NewMapper returns a Mapper of p.
func (p *Plan) NewMapper() *Mapper { return &Mapper{p: p} }

// Apply is Plan.Apply.
func (m *Mapper) Apply(row sheet.Row) Result { return m.p.apply(&m.a, row.Cells, nil, nil) }

// ApplyTo is Apply writing the row's Fields into the array of fields, which the caller
// owns: for a caller that keeps rows' memory for use again, and knows when a row's Result
// is done with. The Result's Fields may then have room past their length, in that array
// (appending to them writes there). When fields has room for fewer fields than the Plan
// maps, an array of that room is made instead, which the caller may keep for another row
// once this one is done with.
func (m *Mapper) ApplyTo(row sheet.Row, fields []Field) Result {
	if cap(fields) < len(m.p.fields) {
		fields = make([]Field, 0, len(m.p.fields))
	}
	return m.p.apply(&m.a, row.Cells, nil, fields[:0])
}

// ApplyTexts is Apply of a row of texts: each cell String, or Empty when its text is
// empty, as every cell of a CSV file is (see sheet.TextReader). It spares building the
// row's cells.
func (m *Mapper) ApplyTexts(texts []string) Result {
	if texts == nil {
		texts = []string{}
	}
	return m.p.apply(&m.a, nil, texts, nil)
}

// ApplyTextsTo is ApplyTo of a row of texts (see ApplyTexts).
func (m *Mapper) ApplyTextsTo(texts []string, fields []Field) Result {
	if cap(fields) < len(m.p.fields) {
		fields = make([]Field, 0, len(m.p.fields))
	}
	if texts == nil {
		texts = []string{}
	}
	return m.p.apply(&m.a, nil, texts, fields[:0])
}

// textCell stands in for a cell of a row of texts (ApplyTextsTo) whose text starts with a
// printable ASCII byte: a String, its text held apart. Apply never writes it.
var textCell = sheet.Cell{Kind: sheet.String}

// apply maps one row with the arena a, which it owns meanwhile: the row's cells, or its
// texts when texts is not nil (see ApplyTextsTo). Its Fields go to own's array when it is
// not nil (it has room for all the plan's fields), else to the arena.
func (p *Plan) apply(a *arena, cells []sheet.Cell, texts []string, own []Field) Result {
	var res Result
	fs := own
	if fs == nil {
		fs = p.fieldSpace(a)
	}
	// slab holds the values the row's cells do not hold as they are (transformed, dates
	// reformatted), after those of the rows before: rows share its backing array rather
	// than allocating one each.
	slab := a.bytes
	fromRow := false
	// ph: the per-process hash (UseProcessHash), folded as fields are added.
	ph := p.hashInit[0]
	var tmp sheet.Cell // a cell of a row of texts that takes the general way
	for i := range p.fields {
		f := &p.fields[i]
		// cell is the field's cell and text its text (which, for a row of texts, the cell
		// may not hold).
		cell := &noCell
		var text string
		switch {
		case texts != nil && uint(f.col) < uint(len(texts)):
			cell, text = &textCell, texts[f.col]
		case texts == nil && uint(f.col) < uint(len(cells)):
			cell = &cells[f.col]
			text = cell.Text
		case f.col < 0:
			if f.constVal != "" {
				fs = append(fs, Field{Name: f.name, Value: f.constVal})
				f.noteIdentity(&res.Identity, f.constVal)
				if p.processHash {
					ph = foldField(ph, i, f.constVal)
				}
			}
			continue
		}
		v := text
		// A text starting with a printable ASCII byte is not blank: the usual case, tested
		// inline. Other cells take the general way.
		if v == "" || v[0]-'!' >= 0x7f-'!' || cell.Kind != sheet.String {
			if cell == &textCell {
				tmp = sheet.Cell{Text: text}
				if text != "" {
					tmp.Kind = sheet.String
				}
				cell = &tmp
			}
			var next action
			if v, next = f.unusual(cell, &res); next == actSkip {
				continue
			} else if next == actDefault {
				fs = append(fs, Field{Name: f.name, Value: v})
				f.noteIdentity(&res.Identity, v)
				if p.processHash {
					ph = foldField(ph, i, v)
				}
				continue
			}
		}
		if !f.plain {
			var reason string
			v, slab, reason = f.convertInto(slab, v, cell)
			if reason != "" {
				res.Problems = append(res.Problems, f.problem(reason, text, false))
				continue
			}
		}
		if v == "" {
			continue
		}
		if f.postal && cell.Kind == sheet.Number {
			res.Problems = append(res.Problems, f.problem(ReasonPostalNumber, text, true))
		}
		fs = append(fs, Field{Name: f.name, Value: v})
		if f.ident != identNone {
			f.noteIdentity(&res.Identity, v)
		}
		if p.processHash {
			ph = foldField(ph, i, v)
		}
		fromRow = true
	}
	// The row's fields and values stay where they are: the arena is passed on past them.
	a.bytes = slab
	if own == nil {
		a.fields = a.fields[:len(a.fields)+len(fs)]
		res.Fields = fs[:len(fs):len(fs)]
	} else {
		res.Fields = fs
	}
	// A row whose own cells give nothing to send is invalid; when a cell was refused, that
	// problem says enough.
	if !fromRow && res.Valid() {
		res.Problems = append(res.Problems, Problem{Reason: ReasonNoField})
	}
	switch {
	case p.keyCol < 0:
	case texts != nil && p.keyCol < len(texts):
		res.Identity.Key = trimSpace(texts[p.keyCol])
	case texts == nil && p.keyCol < len(cells):
		if c := &cells[p.keyCol]; c.Kind == sheet.Error {
			res.Problems = append(res.Problems, Problem{Field: "key", Column: p.keyHeader,
				Reason: ReasonIdentityError, Value: c.Text})
		} else {
			res.Identity.Key = trimSpace(c.Text)
		}
	}
	if p.warnUntracked && res.Identity == (Identity{}) && res.Valid() {
		res.Problems = append(res.Problems, Problem{Reason: ReasonUntracked, Warning: true})
	}
	if p.processHash {
		h := mix64(ph ^ uint64(len(fs)))
		binary.LittleEndian.PutUint64(res.Hash[:8], h)
		binary.LittleEndian.PutUint64(res.Hash[8:], mix64(h+p.hashInit[1]))
	} else {
		res.Hash = HashFields(res.Fields)
	}
	return res
}

// action is what Apply does with a field after unusual.
type action uint8

const (
	actConvert action = iota // convert the text
	actSkip                  // leave the field out
	actDefault               // send the field's default
)

// unusual is Apply's way for a cell that is not a string starting with a printable ASCII
// byte: an error, a blank, a number, a date. It returns the text to convert or the default
// to send, and what to do; a problem is noted in res.
func (f *field) unusual(cell *sheet.Cell, res *Result) (string, action) {
	if cell.Kind == sheet.Error {
		if f.ident != identNone {
			res.Problems = append(res.Problems, f.problem(ReasonIdentityError, cell.Text, false))
			return "", actSkip
		}
		res.Problems = append(res.Problems, f.problem(ReasonCellError, cell.Text, true))
		cell = &noCell
	}
	if cell.Kind != sheet.Date && isBlank(cell.Text) {
		if f.defVal != "" {
			return f.defVal, actDefault
		}
		return "", actSkip
	}
	if f.exact && cell.Kind == sheet.Number && !exactNumber(cell.Raw) {
		res.Problems = append(res.Problems, f.problem(ReasonInexact, cell.Text, false))
		return "", actSkip
	}
	return cell.Text, actConvert
}

// arena holds the arrays that Apply carves many rows' Fields and made values from: one
// allocation of 8 KiB for the Fields of some twenty rows (fieldChunk) and one of 4 KiB
// (slabChunk) for the values of a hundred or so, rather than two per row. Rows share them
// and keep them alive until the last of them is dropped, which in an importer's pipeline
// is soon after its neighbours. The parts of either below its length belong to rows and
// are never written again; a full one is left to its rows and replaced.
type arena struct {
	fields []Field
	bytes  []byte
}

// fieldChunk is how many fields an arena's Fields array holds.
const fieldChunk = 256

// fieldSpace makes room in a for the fields of one row and returns that room as an empty
// slice.
func (p *Plan) fieldSpace(a *arena) []Field {
	if cap(a.fields)-len(a.fields) < len(p.fields) {
		a.fields = make([]Field, 0, max(fieldChunk, len(p.fields)))
	}
	n := len(a.fields)
	return a.fields[n:n:cap(a.fields)]
}

// Blank reports whether a cell's text holds nothing but spaces: the mapping reads it as
// an empty cell.
func Blank(s string) bool { return trimSpace(s) == "" }

// trimSpace is strings.TrimSpace, with the usual case of text that starts and ends with a
// printable ASCII byte (so has nothing to trim) tested inline.
func trimSpace(s string) string {
	if len(s) > 0 && s[0]-'!' < 0x7f-'!' && s[len(s)-1]-'!' < 0x7f-'!' {
		return s
	}
	return strings.TrimSpace(s)
}

// noCell stands in for a cell missing at the end of a short row. Apply never writes it.
var noCell sheet.Cell

// noteIdentity notes v in id when the field names the customer.
func (f *field) noteIdentity(id *Identity, v string) {
	switch f.ident {
	case identCode:
		id.Code = v
	case identCard:
		id.CardNumber = v
	}
}

// HashFields is the fingerprint of a set of fields to send, as in Result.Hash.
func HashFields(fields []Field) [16]byte {
	// The encoding is hashed from a stack buffer when it fits (it nearly always does).
	var buf [512]byte
	b := buf[:0]
	for i := range fields {
		b = appendLenString(b, fields[i].Name)
		b = appendLenString(b, fields[i].Value)
	}
	sum := sha256.Sum256(b)
	var h [16]byte
	copy(h[:], sum[:16])
	return h
}

// foldField folds the field at index i of the plan, of value v, into h, the per-process
// hash (UseProcessHash) of the fields before it. The index stands for the field's name:
// within a Plan, the same index is the same name. It is a multiply-and-fold hash in the
// manner of wyhash, eight bytes at a time, keyed by the random start value of h: far
// cheaper than a call of maphash per field, and as good for telling rows apart within one
// process.
func foldField(h uint64, i int, v string) uint64 {
	const k1, k2, k3 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3
	// The index and the length go into the multiplier, apart from the bytes.
	h = mum(h^k3, k1^(uint64(i)<<32|uint64(len(v))))
	s := v
	for len(s) > 8 {
		h = mum(h^load64(s), k1)
		s = s[8:]
	}
	// The last one to eight bytes (of a length known): each byte is in t.
	var t uint64
	switch n := len(s); {
	case n >= 4:
		t = uint64(load32(s)) | uint64(load32(s[n-4:]))<<32
	case n > 0:
		t = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
	}
	return mum(h^t^k3, k2)
}

// mum is the 128-bit product of a and b folded to 64 bits.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// load64 returns the first eight bytes of s, little-endian.
func load64(s string) uint64 {
	_ = s[7] // one bounds check for all eight
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load32 returns the first four bytes of s, little-endian.
func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// mix64 is a 64-bit finaliser (murmur3's fmix64).
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
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
	v, _, reason := f.convertInto(nil, s, cell)
	// A made value would keep a whole slab alive.
	return strings.Clone(v), reason
}

// convertInto is convert writing the values it makes (rather than takes from s) into slab,
// which it returns.
func (f *field) convertInto(slab []byte, s string, cell *sheet.Cell) (string, []byte, string) {
	if cell != nil && cell.Kind == sheet.Date && len(f.layouts) > 0 {
		if cell.Time.IsZero() {
			// A day Excel shows but that never was (1900-02-29).
			return "", slab, ReasonRealDate
		}
		v, slab := f.appendDate(slab, civilOf(cell.Time), cell.Text)
		return v, slab, ""
	}
	for _, t := range f.trs {
		s, slab = t.applyInto(slab, s)
	}
	switch f.rule {
	case RuleText:
		return s, slab, ""
	case RuleDigits:
		s = trimSpace(s)
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return "", slab, ReasonDigits
			}
		}
		if len(s) > MaxDigits {
			return "", slab, ReasonTooManyDigits
		}
		return s, slab, ""
	case RuleEmail:
		s = trimSpace(s)
		if s != "" && !validEmail(s) {
			return "", slab, ReasonEmail
		}
		return s, slab, ""
	case RuleDate:
		return f.date(slab, s)
	case RuleFlag:
		if !Truthy(s) {
			return "", slab, ""
		}
		if f.name == "new_code" {
			return "Yes", slab, ""
		}
		return "true", slab, ""
	case RuleDigitCount:
		s = trimSpace(s)
		if s == "" {
			return "", slab, ""
		}
		n, ok := atoiDigits(s)
		if !ok || len(s) > 4 || n < 1 || n > 32 {
			return "", slab, ReasonDigitCount
		}
		return smallInts[n], slab, ""
	case RuleCustomField:
		switch f.ctype {
		case TypeDate, TypeDateTime:
			return f.date(slab, s)
		case TypePick:
			s = trimSpace(s)
			if s == "" {
				return "", slab, ""
			}
			if c, ok := f.choice(s); ok {
				return c, slab, ""
			}
			return "", slab, f.choiceReason
		case TypeList:
			return f.list(slab, s)
		}
		return s, slab, ""
	}
	return s, slab, ""
}

// slabChunk is the smallest backing array growSlab starts: room for the values of a
// hundred rows or so.
const slabChunk = 4096

// growSlab returns slab with room for n more bytes. A full slab is not copied: a new one
// is started, and the strings already made from the old one keep it alive.
func growSlab(slab []byte, n int) []byte {
	if cap(slab)-len(slab) >= n {
		return slab
	}
	return make([]byte, 0, max(n, slabChunk))
}

// appendSlab appends b to slab and returns the appended bytes as a string sharing slab's
// array. The bytes of a slab below its length are never written again, which makes the
// sharing safe.
func appendSlab(slab []byte, b []byte) (string, []byte) {
	if len(b) == 0 {
		return "", slab
	}
	slab = growSlab(slab, len(b))
	off := len(slab)
	slab = append(slab, b...)
	return slabString(slab, off), slab
}

// slabString returns slab[off:] as a string sharing slab's array (see appendSlab).
func slabString(slab []byte, off int) string {
	if off == len(slab) {
		return ""
	}
	return unsafe.String(&slab[off], len(slab)-off)
}

var smallInts = func() [33]string {
	var a [33]string
	for i := range a {
		a[i] = strconv.Itoa(i)
	}
	return a
}()

func (f *field) date(slab []byte, s string) (string, []byte, string) {
	s = trimSpace(s)
	if s == "" {
		return "", slab, ""
	}
	if l := f.layouts[0]; l.isoFast && !(f.rule == RuleCustomField && f.ctype == TypeDateTime) {
		// The usual text of the first layout, sent as YYYY-MM-DD.
		if v, slab, ok := l.appendISO(slab, s); ok {
			return v, slab, ""
		}
	}
	unreal := false
	for _, l := range f.layouts {
		c, err := l.parseTrimmed(s)
		if err == nil {
			v, slab := f.appendDate(slab, c, s)
			return v, slab, ""
		}
		if err == ErrNotRealDate {
			unreal = true
		}
	}
	if unreal {
		return "", slab, ReasonRealDate
	}
	return "", slab, f.dateReason
}

// appendDate formats c as the field sends it. When that is the text as read, it returns
// read; otherwise it appends the date to slab.
func (f *field) appendDate(slab []byte, c civil, read string) (string, []byte) {
	var buf [19]byte
	var b []byte
	if f.rule == RuleCustomField && f.ctype == TypeDateTime {
		b = c.appendDateTime(buf[:0])
	} else {
		b = c.appendDate(buf[:0], '-')
	}
	if string(b) == read {
		return read, slab
	}
	return appendSlab(slab, b)
}

func (f *field) choice(s string) (string, bool) {
	for _, c := range f.choices {
		if strings.EqualFold(c, s) {
			return c, true
		}
	}
	return "", false
}

func (f *field) list(slab []byte, s string) (string, []byte, string) {
	if strings.TrimSpace(s) == "" {
		return "", slab, ""
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
			return "", slab, f.choiceReason
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, c...)
	}
	if string(b) == s {
		return s, slab, ""
	}
	v, slab := appendSlab(slab, b)
	return v, slab, ""
}

// Byte classes of validEmail: the ASCII bytes other than the dot that an e-mail
// address's local part and its domain's labels may hold. (Dots and non-ASCII bytes, which
// both may hold, take a second look.)
const (
	emailLocalPlain = 1 << iota
	emailLabelPlain
)

var emailClass = func() (t [256]uint8) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = emailLocalPlain
	}
	for _, c := range []byte(`()<>[]\,;:"@.`) {
		t[c] = 0
	}
	t['-'] |= emailLabelPlain
	for c := '0'; c <= '9'; c++ {
		t[c] |= emailLabelPlain
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= emailLabelPlain
		t[c-'a'+'A'] |= emailLabelPlain
	}
	return t
}()

// validEmail accepts local@domain.tld: no white space, one @, a domain of dot-separated
// labels of letters, digits and hyphens (or non-ASCII), and a top-level label of two or more
// characters that is not all digits. The local part is at most 64 bytes of printable
// characters but ()<>[]\,;:" and @, with no leading, trailing or double dot; the address is
// at most 254 bytes, a label at most 63.
func validEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	nonASCII := -1 // the first non-ASCII byte
	at := 0
	for {
		for at < len(s) && emailClass[s[at]]&emailLocalPlain != 0 {
			at++
		}
		if at == len(s) {
			return false // no @
		}
		c := s[at]
		if c == '@' {
			break
		}
		switch {
		case c == '.':
			if at == 0 || s[at-1] == '.' {
				return false
			}
		case c >= utf8.RuneSelf:
			if nonASCII < 0 {
				nonASCII = at
			}
		default:
			return false
		}
		at++
	}
	if at == 0 || at > 64 || s[at-1] == '.' {
		return false
	}
	labels := 0
	start := at + 1 // of the current label
	for i := start; ; i++ {
		for i < len(s) && emailClass[s[i]]&emailLabelPlain != 0 {
			i++
		}
		if i < len(s) && s[i] != '.' {
			if s[i] < utf8.RuneSelf {
				return false
			}
			if nonASCII < 0 {
				nonASCII = i
			}
			continue
		}
		// The label s[start:i] ends.
		if i == start || i-start > 63 || s[start] == '-' || s[i-1] == '-' {
			return false
		}
		labels++
		if i == len(s) {
			break
		}
		start = i + 1
	}
	last := s[start:]
	if labels < 2 || len(last) < 2 {
		return false
	}
	if _, allDigits := atoiDigits(last); allDigits {
		return false
	}
	return nonASCII < 0 || !strings.ContainsFunc(s[nonASCII:], unicode.IsSpace)
}
