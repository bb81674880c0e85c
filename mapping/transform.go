package mapping

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Transform is one step applied to a cell's text before it is checked and sent.
type Transform uint8

// The transforms.
const (
	Trim           Transform = iota // remove leading and trailing white space
	Lower                           // lower case
	Upper                           // upper case
	Title                           // first letter of each word upper case: "o'brien" -> "O'Brien"
	Digits                          // keep 0-9 only
	CollapseSpaces                  // trim, and make every run of white space one space
)

var transformNames = [...]string{"trim", "lower", "upper", "title", "digits", "collapse_spaces"}

// String returns the transform's name as the mapping file writes it.
func (t Transform) String() string {
	if int(t) < len(transformNames) {
		return transformNames[t]
	}
	return "Transform(?)"
}

// ParseTransform reads a transform's name, in any case.
func ParseTransform(s string) (Transform, bool) {
	i := slices.Index(transformNames[:], strings.ToLower(strings.TrimSpace(s)))
	if i < 0 {
		return 0, false
	}
	return Transform(i), true
}

// Apply transforms s. It allocates only when the result differs from s.
func (t Transform) Apply(s string) string {
	switch t {
	case Trim:
		return strings.TrimSpace(s)
	case Lower:
		return strings.ToLower(s)
	case Upper:
		return strings.ToUpper(s)
	case Title:
		return titleCase(s)
	case Digits:
		return keepDigits(s)
	case CollapseSpaces:
		return collapseSpaces(s)
	}
	return s
}

// applyInto is Apply writing a result that differs from s into slab (see appendSlab)
// rather than allocating it, for ASCII text; other text takes Apply's way.
func (t Transform) applyInto(slab []byte, s string) (string, []byte) {
	switch t {
	case Trim:
		return trimSpace(s), slab
	case Lower:
		return caseASCIIInto(slab, s, 'A', strings.ToLower)
	case Upper:
		return caseASCIIInto(slab, s, 'a', strings.ToUpper)
	case Title:
		var stack [64]byte
		if len(s) > len(stack) {
			return titleCase(s), slab
		}
		out := stack[:len(s)]
		changed, ok := titleASCIIInto(out, s)
		if !ok {
			return titleWords(s), slab
		}
		if !changed {
			return s, slab
		}
		return appendSlab(slab, out)
	case Digits:
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] >= '0' && s[i] <= '9' {
				n++
			}
		}
		if n == len(s) {
			return s, slab
		}
		if n == 0 {
			return "", slab
		}
		slab = growSlab(slab, n)
		off := len(slab)
		for i := 0; i < len(s); i++ {
			if s[i] >= '0' && s[i] <= '9' {
				slab = append(slab, s[i])
			}
		}
		return slabString(slab, off), slab
	}
	return t.Apply(s), slab
}

// caseASCIIInto maps the letters from first (A or a) to first+25 of ASCII text to the
// other case; other text goes to general.
func caseASCIIInto(slab []byte, s string, first byte, general func(string) string) (string, []byte) {
	if !needsCase(s, first) {
		return s, slab
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return general(s), slab
		}
	}
	slab = growSlab(slab, len(s))
	off := len(slab)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c-first < 26 {
			c ^= 0x20
		}
		slab = append(slab, c)
	}
	return slabString(slab, off), slab
}

// needsCase reports whether s holds a letter from first (A or a) to first+25 or a
// non-ASCII byte. It tests eight bytes at a time.
func needsCase(s string, first byte) bool {
	const ones = 0x0101010101010101
	const high = 0x80 * ones
	// For ASCII bytes, adding 0x80-first sets the high bit of those from first up, and
	// adding 0x80-(first+26) that of those past first+25; no byte carries into the next.
	lo, hi := uint64(0x80-first)*ones, uint64(0x80-first-26)*ones
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&high != 0 || (w+lo)&^(w+hi)&high != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c-first < 26 {
			return true
		}
	}
	return false
}

func keepDigits(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	if n == len(s) {
		return s
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	clean := true
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			clean = !strings.ContainsFunc(s[i:], unicode.IsSpace)
			break
		}
		sp := c == ' ' || (c >= '\t' && c <= '\r')
		if sp && (prevSpace || c != ' ') {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevSpace = false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !prevSpace {
				b.WriteByte(' ')
			}
			prevSpace = true
			continue
		}
		prevSpace = false
		b.WriteRune(r)
	}
	return b.String()
}

// titleCase upper-cases the first letter of every word. A word written in one case
// ("JOHN", "john") is lower-cased first; a word in mixed case after its first letter
// ("McDonald", "deVito") keeps its inner capitals. After an apostrophe that follows a single letter ("o'brien", "d'arcy") a new
// word starts; after a longer prefix ("don't") it does not. It allocates only the result,
// and only when it differs from s.
func titleCase(s string) string {
	if t, ok := titleASCII(s); ok {
		return t
	}
	return titleWords(s)
}

// titleWords is titleCase for any text, rune by rune.
func titleWords(s string) string {
	var stack [128]byte
	b := stack[:0]
	changed := false
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			// Separators are copied as they are.
			b = append(b, s[i:i+size]...)
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !isWordRune(r) {
				break
			}
			j += size
		}
		n := len(b)
		b = appendTitleWord(b, s[i:j])
		if !changed && string(b[n:]) != s[i:j] {
			changed = true
		}
		i = j
	}
	if !changed {
		return s
	}
	return string(b)
}

// titleASCII is titleCase for ASCII text, byte by byte; ok is false when s is not ASCII.
func titleASCII(s string) (string, bool) {
	var stack [64]byte
	var out []byte
	if len(s) <= len(stack) {
		out = stack[:len(s)]
	} else {
		out = make([]byte, len(s))
	}
	changed, ok := titleASCIIInto(out, s)
	if !ok || !changed {
		return s, ok
	}
	return string(out), true
}

// titleASCIIInto writes the title of ASCII text s into out[:len(s)], and reports whether
// it differs from s; ok is false (and out's content undefined) when s is not ASCII. ASCII
// case mapping keeps every byte in its place, so the result has s's length.
func titleASCIIInto(out []byte, s string) (changed, ok bool) {
	out = out[:len(s)]
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			return false, false
		}
		if !isWordByte(c) {
			out[i] = c
			i++
			continue
		}
		// A word: find its end, and what it holds after its first letter.
		j := i + 1
		var has uint8
		for ; j < len(s); j++ {
			cl := titleClass[s[j]]
			if cl == 0 {
				break
			}
			has |= cl
		}
		if has&clNonASCII != 0 {
			return false, false
		}
		hasUpper, hasLower := has&clUpper != 0, has&clLower != 0
		if has&(clUpper|clApostrophe) == 0 || hasUpper && hasLower {
			// The usual word (no capital or apostrophe after the first letter), or a
			// mixed-case one (kept as written): only the first letter may change.
			copy(out[i:j], s[i:j])
			if 'a' <= c && c <= 'z' {
				out[i] = c - 'a' + 'A'
				changed = true
			}
			i = j
			continue
		}
		start := true // the next letter starts a word
		letters := 0  // letters since the word started
		for ; i < j; i++ {
			c := s[i]
			o := c
			switch {
			case c == '\'':
				start = letters == 1
				letters = 0
			case '0' <= c && c <= '9':
				start = false
			case start:
				if 'a' <= c {
					o = c - 'a' + 'A'
				}
				start = false
				letters++
			default:
				if c <= 'Z' {
					o = c - 'A' + 'a'
				}
				letters++
			}
			out[i] = o
			if o != c {
				changed = true
			}
		}
	}
	return changed, true
}

// The classes of titleClass.
const (
	clUpper = 1 << iota
	clLower
	clDigit
	clApostrophe
	clNonASCII
)

// titleClass classes the bytes of a word for titleASCIIInto; 0 is a byte that ends a word.
var titleClass = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = clUpper
		t[c-'A'+'a'] = clLower
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clDigit
	}
	t['\''] = clApostrophe
	for c := 0x80; c < 0x100; c++ {
		t[c] = clNonASCII
	}
	return t
}()

func isWordByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '\''
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') || r == '\''
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || isApostrophe(r)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' }

func appendTitleWord(b []byte, w string) []byte {
	// Mixed case is judged after the first letter, so that the result reads the same when
	// titled again.
	hasUpper, hasLower := false, false
	_, first := utf8.DecodeRuneInString(w)
	for _, r := range w[first:] {
		if unicode.IsUpper(r) {
			hasUpper = true
		} else if unicode.IsLower(r) {
			hasLower = true
		}
	}
	if hasUpper && hasLower {
		// Mixed case: keep inner capitals, but make sure the first letter is one.
		r, size := utf8.DecodeRuneInString(w)
		if unicode.IsLetter(r) {
			b = utf8.AppendRune(b, unicode.ToTitle(r))
			return append(b, w[size:]...)
		}
		return append(b, w...)
	}
	start := true // the next letter starts a word
	letters := 0  // letters since the word started
	for _, r := range w {
		if isApostrophe(r) {
			b = utf8.AppendRune(b, r)
			start = letters == 1
			letters = 0
			continue
		}
		switch {
		case start && unicode.IsLetter(r):
			b = utf8.AppendRune(b, unicode.ToTitle(r))
			start = false
		case unicode.IsDigit(r):
			b = utf8.AppendRune(b, r)
			start = false
		default:
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return b
}
