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
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return "", false
		}
	}
	var stack [128]byte
	var b []byte // the result, once it differs from s
	i := 0
	for i < len(s) {
		if !isWordByte(s[i]) {
			if b != nil {
				b = append(b, s[i])
			}
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		if b == nil && !titledASCII(s[i:j]) {
			b = append(stack[:0], s[:i]...)
		}
		if b != nil {
			b = appendTitleASCII(b, s[i:j])
		}
		i = j
	}
	if b == nil {
		return s, true
	}
	return string(b), true
}

func isWordByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '\''
}

func isUpperASCII(c byte) bool { return 'A' <= c && c <= 'Z' }
func isLowerASCII(c byte) bool { return 'a' <= c && c <= 'z' }

// titledASCII reports whether appendTitleASCII leaves the ASCII word w as it is.
func titledASCII(w string) bool {
	hasUpper, hasLower := mixedCaseASCII(w)
	if hasUpper && hasLower {
		return !isLowerASCII(w[0])
	}
	start := true
	letters := 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c == '\'':
			start = letters == 1
			letters = 0
			continue
		case start && (isUpperASCII(c) || isLowerASCII(c)):
			if isLowerASCII(c) {
				return false
			}
			start = false
		case '0' <= c && c <= '9':
			start = false
		default:
			if isUpperASCII(c) {
				return false
			}
		}
		if isUpperASCII(c) || isLowerASCII(c) {
			letters++
		}
	}
	return true
}

// mixedCaseASCII reports whether the ASCII word w has upper and lower case letters after its
// first byte.
func mixedCaseASCII(w string) (hasUpper, hasLower bool) {
	for i := 1; i < len(w); i++ {
		if isUpperASCII(w[i]) {
			hasUpper = true
		} else if isLowerASCII(w[i]) {
			hasLower = true
		}
	}
	return hasUpper, hasLower
}

// appendTitleASCII is appendTitleWord for an ASCII word.
func appendTitleASCII(b []byte, w string) []byte {
	hasUpper, hasLower := mixedCaseASCII(w)
	if hasUpper && hasLower {
		if isLowerASCII(w[0]) {
			b = append(b, w[0]-'a'+'A')
			return append(b, w[1:]...)
		}
		return append(b, w...)
	}
	start := true
	letters := 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c == '\'' {
			b = append(b, c)
			start = letters == 1
			letters = 0
			continue
		}
		letter := isUpperASCII(c) || isLowerASCII(c)
		switch {
		case start && letter:
			if isLowerASCII(c) {
				c = c - 'a' + 'A'
			}
			b = append(b, c)
			start = false
		case '0' <= c && c <= '9':
			b = append(b, c)
			start = false
		default:
			if isUpperASCII(c) {
				c = c - 'A' + 'a'
			}
			b = append(b, c)
		}
		if letter {
			letters++
		}
	}
	return b
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
