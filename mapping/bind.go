package mapping

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Plan is a mapping bound to one header: every column resolved to its position, every
// constant converted. It is read-only and safe for concurrent use.
type Plan struct {
	mapping   *Mapping
	header    []string
	fields    []field // in catalogue order
	keyCol    int     // -1 when the mapping has no key
	keyHeader string
	// arenas holds the *arena that Apply carves rows from, one per goroutine at a time.
	arenas sync.Pool
	// processHash: Result.Hash is a per-process fingerprint (see UseProcessHash).
	processHash bool
	hashInit    [2]uint64 // random: the hash's start value and its second half's key
	// warnUntracked: a valid row that names no customer gets ReasonUntracked (see
	// WarnUntracked).
	warnUntracked bool
}

// WarnUntracked makes Apply warn about every valid row with no key, code or card number:
// a run with a state cannot remember such a customer, so each run sends the row again
// and the API creates the customer again. Call it before the first Apply.
func (p *Plan) WarnUntracked() { p.warnUntracked = true }

// UseProcessHash makes Apply fill Result.Hash with a fingerprint that holds only within
// this process: each field's value folded in with its place in the Plan (which names it)
// by a multiply-and-fold hash keyed by a random start value, many times cheaper than the
// SHA-256. It is for runs that keep no state, where the hash only tells apart two rows of
// one customer within the file (the duplicate warning); a hash that is stored must come
// from HashFields. Call it before the first Apply.
func (p *Plan) UseProcessHash() {
	p.processHash = true
	p.hashInit = [2]uint64{rand.Uint64(), rand.Uint64()}
}

// NormalizeHeader is the form in which header texts are compared: trimmed, lower case, with
// every white space, '_' and '-' removed (a byte-order mark too), in Unicode normalisation
// form NFC, so that an accented letter typed as one code point or as a letter and a
// combining mark is one letter. Other punctuation, and accents, count.
func NormalizeHeader(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c == ' ' || c == '_' || c == '-' || (c >= 'A' && c <= 'Z') || (c >= '\t' && c <= '\r') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	// Lowered decomposed, then composed: both spellings of É end as the one é, and a
	// letter whose lower case decomposes (İ) ends the same from either spelling.
	s = norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '\ufeff' || r == '\u200b' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

// ColumnLetter returns the spreadsheet letter of a 0-based column index: 0 -> A, 27 -> AB.
func ColumnLetter(i int) string {
	if i < 0 {
		return "?"
	}
	var b [8]byte
	n := len(b)
	for i++; i > 0; i = (i - 1) / 26 {
		n--
		b[n] = byte('A' + (i-1)%26)
	}
	return string(b[n:])
}

// columnIndex reads a column letter of one to three upper-case letters, -1 otherwise.
func columnIndex(s string) int {
	if len(s) < 1 || len(s) > 3 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 'A' || c > 'Z' {
			return -1
		}
		n = n*26 + int(c-'A'+1)
	}
	return n - 1
}

// Bind resolves the mapping's columns against a header (the header row's cell texts) and
// gives the plan that maps rows. Every column the header lacks, and every name that matches
// two header columns, is an *Error at its mapping line; all are joined.
func (m *Mapping) Bind(header []string) (*Plan, error) {
	p := &Plan{mapping: m, header: header, keyCol: -1}
	byNorm := make(map[string][]int, len(header))
	for i, h := range header {
		if n := NormalizeHeader(h); n != "" {
			byNorm[n] = append(byNorm[n], i)
		}
	}
	var errs []error
	resolve := func(column, path string, line, col int) int {
		i, msg, sentinel := resolveColumn(column, header, byNorm)
		if sentinel != nil {
			errs = append(errs, &Error{File: m.File, Line: max(line, 1), Column: col, Path: path, Msg: msg, Err: sentinel})
		}
		return i
	}
	if m.Key != nil {
		p.keyCol = resolve(m.Key.Column, "key", m.Key.Line, m.Key.Col)
		if p.keyCol >= 0 {
			p.keyHeader = headerName(header, p.keyCol)
		}
	}
	for i := range m.Fields {
		fm := &m.Fields[i]
		f := compileField(fm)
		if fm.HasValue {
			f.constVal, _ = f.convert(fm.Value, nil)
		} else {
			f.col = resolve(fm.Column, "fields."+fm.Name, fm.Line, fm.Col)
			if f.col < 0 {
				continue
			}
			f.header = headerName(header, f.col)
			if fm.HasDefault {
				f.defVal, _ = f.convert(fm.Default, nil)
			}
		}
		p.fields = append(p.fields, f)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// A column that feeds a secret field is secret wherever it is used: a problem of another
	// field fed by it must not show its value either.
	secretCols := p.SecretColumns()
	for i := range p.fields {
		if slices.Contains(secretCols, p.fields[i].col) {
			p.fields[i].hideValue = true
		}
	}
	slices.SortStableFunc(p.fields, func(a, b field) int { return a.order - b.order })
	return p, nil
}

// headerName is how problems name a column: its header text, else its letter.
func headerName(header []string, i int) string {
	if i < len(header) {
		if h := strings.TrimSpace(header[i]); h != "" {
			return h
		}
	}
	return ColumnLetter(i)
}

// resolveColumn finds a column by header text, else by letter. When it cannot, it says why
// and gives ErrMissingColumn or ErrAmbiguousColumn.
func resolveColumn(column string, header []string, byNorm map[string][]int) (int, string, error) {
	idx := byNorm[NormalizeHeader(column)]
	switch {
	case len(idx) == 1:
		return idx[0], "", nil
	case len(idx) > 1:
		var names, uses []string
		for _, i := range idx {
			names = append(names, fmt.Sprintf("%s %q", ColumnLetter(i), strings.TrimSpace(header[i])))
			uses = append(uses, "column: "+ColumnLetter(i))
		}
		return -1, fmt.Sprintf("column %q matches %d header columns, %s: name one by its letter (%s)",
			column, len(idx), strings.Join(names, " and "), strings.Join(uses, " or ")), ErrAmbiguousColumn
	}
	if i := columnIndex(column); i >= 0 {
		if i < len(header) {
			return i, "", nil
		}
		if len(header) == 0 {
			return -1, fmt.Sprintf("column %s: the header is empty", column), ErrMissingColumn
		}
		// A name the header lacks may look like a letter ("ID"): say both.
		return -1, fmt.Sprintf("column %q is not in the header, and as a column letter, %s is beyond the header's last column, %s; the header has %s",
			column, column, ColumnLetter(len(header)-1), describeHeader(header)), ErrMissingColumn
	}
	var b strings.Builder
	fmt.Fprintf(&b, "column %q is not in the header", column)
	if c := closestHeader(column, header); c >= 0 {
		fmt.Fprintf(&b, " (closest: %s %q)", ColumnLetter(c), strings.TrimSpace(header[c]))
	}
	b.WriteString("; the header has ")
	b.WriteString(describeHeader(header))
	return -1, b.String(), ErrMissingColumn
}

// describeHeader lists a header's columns as A "Id", B "Name", ...
func describeHeader(header []string) string {
	const most = 60
	var parts []string
	for i, h := range header {
		if i == most {
			parts = append(parts, fmt.Sprintf("... (%d columns)", len(header)))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %q", ColumnLetter(i), strings.TrimSpace(h)))
	}
	if len(parts) == 0 {
		return "no columns"
	}
	return strings.Join(parts, ", ")
}

// closestHeader is the header column whose text is nearest to column, or -1 when none is
// near enough to be a typo.
func closestHeader(column string, header []string) int {
	want := NormalizeHeader(column)
	best, bestD := -1, 1<<30
	for i, h := range header {
		n := NormalizeHeader(h)
		if n == "" {
			continue
		}
		d := editDistance(want, n)
		if d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 || bestD > maxTypos(want) {
		return -1
	}
	return best
}

// Mapping returns the mapping the plan was bound from.
func (p *Plan) Mapping() *Mapping { return p.mapping }

// Header returns the header the plan was bound to.
func (p *Plan) Header() []string { return p.header }

// Source is where one sent field comes from, as bound.
type Source struct {
	Field  string // the API field
	Column int    // 0-based index in the row; -1 for a constant
	Header string // the column's header text (or letter); "" for a constant
	Secret bool
}

// Sources lists the plan's fields in the order they are sent.
func (p *Plan) Sources() []Source {
	out := make([]Source, len(p.fields))
	for i, f := range p.fields {
		out[i] = Source{Field: f.name, Column: f.col, Header: f.header, Secret: f.secret}
	}
	return out
}

// Columns returns the 0-based indexes of the input columns the plan reads (fields and
// key), ascending, each once.
func (p *Plan) Columns() []int {
	var out []int
	for _, f := range p.fields {
		if f.col >= 0 {
			out = append(out, f.col)
		}
	}
	if p.keyCol >= 0 {
		out = append(out, p.keyCol)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SecretColumns returns the 0-based indexes of the input columns that feed a secret field,
// ascending, so that results and logs can blank them.
func (p *Plan) SecretColumns() []int {
	var out []int
	for _, f := range p.fields {
		if f.secret && f.col >= 0 {
			out = append(out, f.col)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// KeyColumn returns the 0-based index of the key column, or -1 when the mapping has none.
func (p *Plan) KeyColumn() int { return p.keyCol }

// KeyHeader returns the key column's header text, or "" when the mapping has none.
func (p *Plan) KeyHeader() string { return p.keyHeader }

// String describes the plan, one field a line: "email <- C "E-mail"". Constants of secret
// fields are not shown.
func (p *Plan) String() string {
	var b strings.Builder
	for _, f := range p.fields {
		b.WriteString(f.name)
		b.WriteString(" <- ")
		if f.col < 0 {
			if f.secret {
				b.WriteString("(secret constant)")
			} else {
				b.WriteString(strconv.Quote(f.constVal))
			}
		} else {
			fmt.Fprintf(&b, "%s %q", ColumnLetter(f.col), f.header)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
