package mapping

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of ParseDate.
var (
	// ErrDateFormat: the text is not written in the layout.
	ErrDateFormat = errors.New("not in the date format")
	// ErrNotRealDate: the text has the layout's shape but names no real date or time (31/02).
	ErrNotRealDate = errors.New("not a real date")
)

// ParseDate reads s, trimmed, as written in layout (tokens YYYY, YY, MM, M, DD, D, HH, mm,
// ss; see the package documentation) and returns it as a UTC time. A bad layout, text not in
// the layout (ErrDateFormat) and a date that does not exist (ErrNotRealDate) are errors.
func ParseDate(layout, s string) (time.Time, error) {
	l, err := compileLayout(layout)
	if err != nil {
		return time.Time{}, err
	}
	d, err := l.parse(s)
	if err != nil {
		return time.Time{}, err
	}
	return d.time(), nil
}

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokYYYY
	tokYY
	tokMM
	tokM
	tokDD
	tokD
	tokHH
	tokmm
	tokss
)

type token struct {
	kind tokenKind
	lit  string // tokLiteral
	// minW and maxW are how many digits a number token takes.
	minW, maxW int
}

// dateLayout is a compiled date_format.
type dateLayout struct {
	src     string
	tokens  []token
	hasTime bool
	// direct: every number token of varying width is followed by a literal or ends the
	// layout, so that its width is how many digits s has there (literals hold no digits)
	// and match needs no backtracking.
	direct bool
	// full is the length of a text with every number at its widest: in a direct layout,
	// each token of such a text is at a known place (matchFixed), as in fixedLits and
	// fixedNums.
	full      int
	fixedLits []fixedLit
	fixedNums []fixedNum
	// isoAt, for a direct layout of a date alone with a four-digit year, are the places
	// of the year, the month and the day in a text at its full length (isoFast), whose
	// digits are then those of YYYY-MM-DD; isoSame: that text is YYYY-MM-DD itself.
	isoAt   [3]int
	isoFast bool
	isoSame bool
}

// fixedLit is a literal byte of a text at its full length: at is its place.
type fixedLit struct {
	at int
	c  byte
}

// fixedNum is a number of a text at its full length: its digits are s[at:at+width].
type fixedNum struct {
	at, width int
	kind      tokenKind
}

var tokenNames = map[string]tokenKind{
	"YYYY": tokYYYY, "YY": tokYY, "MM": tokMM, "M": tokM, "DD": tokDD, "D": tokD,
	"HH": tokHH, "mm": tokmm, "ss": tokss,
}

// compileLayout reads a date_format.
func compileLayout(layout string) (*dateLayout, error) {
	l := &dateLayout{src: layout}
	if strings.TrimSpace(layout) == "" {
		return nil, errors.New("empty date format")
	}
	if len(layout) > 64 {
		return nil, errors.New("date format too long")
	}
	seen := map[tokenKind]bool{}
	for i := 0; i < len(layout); {
		c := layout[i]
		if isASCIILetter(c) && c != 'T' {
			j := i
			for j < len(layout) && layout[j] == c {
				j++
			}
			name := layout[i:j]
			k, ok := tokenNames[name]
			if !ok {
				return nil, fmt.Errorf("unknown token %q (known: YYYY, YY, MM, M, DD, D, HH, mm, ss)", name)
			}
			group := tokenGroup(k)
			if seen[group] {
				return nil, fmt.Errorf("token %q: the %s appears twice", name, groupName(group))
			}
			seen[group] = true
			t := token{kind: k, minW: 1, maxW: 2}
			switch k {
			case tokYYYY:
				t.minW, t.maxW = 4, 4
			case tokYY:
				t.minW, t.maxW = 2, 2
			}
			l.tokens = append(l.tokens, t)
			i = j
			continue
		}
		if c >= '0' && c <= '9' {
			return nil, fmt.Errorf("digit %q in the format: only the tokens YYYY, YY, MM, M, DD, D, HH, mm, ss and separators", string(c))
		}
		j := i + 1
		for j < len(layout) && !(isASCIILetter(layout[j]) && layout[j] != 'T') && !(layout[j] >= '0' && layout[j] <= '9') {
			j++
		}
		l.tokens = append(l.tokens, token{kind: tokLiteral, lit: layout[i:j]})
		i = j
	}
	for _, need := range []tokenKind{tokYYYY, tokMM, tokDD} {
		if !seen[need] {
			return nil, fmt.Errorf("no %s (a date format needs a year, a month and a day)", groupName(need))
		}
	}
	if (seen[tokmm] || seen[tokss]) && !seen[tokHH] {
		return nil, errors.New("minutes or seconds without hours (HH)")
	}
	if seen[tokss] && !seen[tokmm] {
		return nil, errors.New("seconds without minutes (mm)")
	}
	l.hasTime = seen[tokHH]
	// Two-letter tokens next to another number (either side) take exactly two digits, so that
	// YYYYMMDD reads 19081209 and refuses 1908129. A lone M or D takes one or two.
	for i := range l.tokens {
		t := &l.tokens[i]
		switch t.kind {
		case tokMM, tokDD, tokHH, tokmm, tokss:
			if (i+1 < len(l.tokens) && l.tokens[i+1].kind != tokLiteral) || (i > 0 && l.tokens[i-1].kind != tokLiteral) {
				t.minW = 2
			}
		}
	}
	l.direct = true
	for i, t := range l.tokens {
		if t.kind != tokLiteral && t.minW != t.maxW && i+1 < len(l.tokens) && l.tokens[i+1].kind != tokLiteral {
			l.direct = false
		}
		for j := 0; j < len(t.lit); j++ {
			l.fixedLits = append(l.fixedLits, fixedLit{at: l.full + j, c: t.lit[j]})
		}
		if t.kind != tokLiteral {
			l.fixedNums = append(l.fixedNums, fixedNum{at: l.full, width: t.maxW, kind: t.kind})
		}
		l.full += len(t.lit) + t.maxW
	}
	l.isoFast = false
	for _, f := range l.fixedNums {
		switch f.kind {
		case tokYYYY:
			l.isoAt[0] = f.at
			l.isoFast = l.direct && !l.hasTime
		case tokMM, tokM:
			l.isoAt[1] = f.at
		case tokDD, tokD:
			l.isoAt[2] = f.at
		}
	}
	l.isoSame = l.isoFast && l.full == 10 && l.isoAt == [3]int{0, 5, 8} && len(l.fixedLits) == 2 &&
		l.fixedLits[0] == fixedLit{4, '-'} && l.fixedLits[1] == fixedLit{7, '-'}
	return l, nil
}

// appendISO is parseTrimmed and civil.appendDate at once for the usual text of an isoFast
// layout: one at its full length, every number at its widest. It appends the date as
// YYYY-MM-DD to slab (see appendSlab), unless that is s itself, and returns it; ok is
// false, having appended nothing, for any other text and for a date that is not real,
// which parseTrimmed then reads (and refuses) as usual.
func (l *dateLayout) appendISO(slab []byte, s string) (v string, _ []byte, ok bool) {
	if len(s) != l.full {
		return "", slab, false
	}
	for _, f := range l.fixedLits {
		if s[f.at] != f.c {
			return "", slab, false
		}
	}
	ya, ma, da := l.isoAt[0], l.isoAt[1], l.isoAt[2]
	ys, ms, ds := s[ya:ya+4], s[ma:ma+2], s[da:da+2]
	for _, c := range [...]byte{ys[0], ys[1], ys[2], ys[3], ms[0], ms[1], ds[0], ds[1]} {
		if c-'0' > 9 {
			return "", slab, false
		}
	}
	y := int(ys[0]-'0')*1000 + int(ys[1]-'0')*100 + int(ys[2]-'0')*10 + int(ys[3]-'0')
	mo := int(ms[0]-'0')*10 + int(ms[1]-'0')
	d := int(ds[0]-'0')*10 + int(ds[1]-'0')
	if y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return "", slab, false
	}
	if l.isoSame {
		return s, slab, true
	}
	slab = growSlab(slab, 10)
	off := len(slab)
	slab = append(slab, ys[0], ys[1], ys[2], ys[3], '-', ms[0], ms[1], '-', ds[0], ds[1])
	return slabString(slab, off), slab, true
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// tokenGroup maps a token to the part of a date it sets.
func tokenGroup(k tokenKind) tokenKind {
	switch k {
	case tokYY:
		return tokYYYY
	case tokM:
		return tokMM
	case tokD:
		return tokDD
	}
	return k
}

func groupName(k tokenKind) string {
	switch k {
	case tokYYYY:
		return "year"
	case tokMM:
		return "month"
	case tokDD:
		return "day"
	case tokHH:
		return "hour"
	case tokmm:
		return "minute"
	}
	return "second"
}

// civil is a parsed date and time of day.
type civil struct {
	y, mo, d, h, mi, s int
}

func (c civil) time() time.Time {
	return time.Date(c.y, time.Month(c.mo), c.d, c.h, c.mi, c.s, 0, time.UTC)
}

// parse reads s, trimmed. It does not allocate.
func (l *dateLayout) parse(s string) (civil, error) {
	return l.parseTrimmed(strings.TrimSpace(s))
}

// parseTrimmed is parse for text with no white space around it.
func (l *dateLayout) parseTrimmed(s string) (civil, error) {
	c := civil{mo: -1}
	ok := false
	if l.direct {
		// The usual text has every number at its widest: matchFixed reads it at once,
		// and gives what matchDirect would.
		ok = l.matchFixed(s, &c) || l.matchDirect(s, &c)
	} else {
		ok = l.match(s, 0, &c)
	}
	if !ok {
		return civil{}, ErrDateFormat
	}
	if !c.valid() {
		return civil{}, ErrNotRealDate
	}
	return c, nil
}

// match matches tokens[i:] against s, backtracking over the widths of one- or two-digit
// numbers.
func (l *dateLayout) match(s string, i int, c *civil) bool {
	if i == len(l.tokens) {
		return s == ""
	}
	t := l.tokens[i]
	if t.kind == tokLiteral {
		if !strings.HasPrefix(s, t.lit) {
			return false
		}
		return l.match(s[len(t.lit):], i+1, c)
	}
	for w := t.maxW; w >= t.minW; w-- {
		if len(s) < w {
			continue
		}
		n, ok := atoiDigits(s[:w])
		if !ok {
			continue
		}
		c.set(t.kind, n)
		if l.match(s[w:], i+1, c) {
			return true
		}
	}
	return false
}

// matchDirect is match for a direct layout: each number takes the digits s has at its
// place, up to its widest.
func (l *dateLayout) matchDirect(s string, c *civil) bool {
	for i := range l.tokens {
		t := &l.tokens[i]
		if t.kind == tokLiteral {
			if len(t.lit) == 1 {
				// The usual separator: one byte, compared as one.
				if s == "" || s[0] != t.lit[0] {
					return false
				}
			} else if !strings.HasPrefix(s, t.lit) {
				return false
			}
			s = s[len(t.lit):]
			continue
		}
		w, n := 0, 0
		for w < t.maxW && w < len(s) && '0' <= s[w] && s[w] <= '9' {
			n = n*10 + int(s[w]-'0')
			w++
		}
		if w < t.minW {
			return false
		}
		s = s[w:]
		c.set(t.kind, n)
	}
	return s == ""
}

// matchFixed is matchDirect for a text of the layout's full length with every number at
// its widest. It reports false for any other text (which matchDirect may still match).
func (l *dateLayout) matchFixed(s string, c *civil) bool {
	if len(s) != l.full {
		return false
	}
	for _, f := range l.fixedLits {
		if s[f.at] != f.c {
			return false
		}
	}
	for _, f := range l.fixedNums {
		n := 0
		for _, d := range []byte(s[f.at : f.at+f.width]) {
			if d-'0' > 9 {
				return false
			}
			n = n*10 + int(d-'0')
		}
		c.set(f.kind, n)
	}
	return true
}

// set stores a number token's value.
func (c *civil) set(k tokenKind, n int) {
	switch k {
	case tokYYYY:
		c.y = n
	case tokYY:
		// Excel's rule: 00-29 is 2000-2029, 30-99 is 1930-1999.
		if n < 30 {
			c.y = 2000 + n
		} else {
			c.y = 1900 + n
		}
	case tokMM, tokM:
		c.mo = n
	case tokDD, tokD:
		c.d = n
	case tokHH:
		c.h = n
	case tokmm:
		c.mi = n
	case tokss:
		c.s = n
	}
}

func atoiDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func (c civil) valid() bool {
	if c.y < 1 || c.y > 9999 || c.mo < 1 || c.mo > 12 || c.d < 1 || c.d > daysIn(c.y, c.mo) {
		return false
	}
	return c.h >= 0 && c.h <= 23 && c.mi >= 0 && c.mi <= 59 && c.s >= 0 && c.s <= 59
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilOf reads a time's wall clock (an XLSX date cell's value).
func civilOf(t time.Time) civil {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return civil{y: y, mo: int(mo), d: d, h: h, mi: mi, s: s}
}

// appendDate appends YYYY-MM-DD.
func (c civil) appendDate(b []byte, sep byte) []byte {
	b = append4(b, c.y)
	b = append(b, sep)
	b = append2(b, c.mo)
	b = append(b, sep)
	return append2(b, c.d)
}

// appendDateTime appends YYYY.MM.DD HH:MM:SS, the API's date-time stamp.
func (c civil) appendDateTime(b []byte) []byte {
	b = c.appendDate(b, '.')
	b = append(b, ' ')
	b = append2(b, c.h)
	b = append(b, ':')
	b = append2(b, c.mi)
	b = append(b, ':')
	return append2(b, c.s)
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// append4 appends n's last four digits.
func append4(b []byte, n int) []byte {
	hi, lo := n/100%100*2, n%100*2
	return append(b, digitPairs[hi], digitPairs[hi+1], digitPairs[lo], digitPairs[lo+1])
}

// append2 appends n's last two digits.
func append2(b []byte, n int) []byte {
	i := n % 100 * 2
	return append(b, digitPairs[i], digitPairs[i+1])
}
