package sheet

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// xlsxFmtKind is what a number format makes of a number, as far as this reader cares.
type xlsxFmtKind uint8

const (
	xlsxFmtNumber  xlsxFmtKind = iota // General and every other number format: exact digits
	xlsxFmtDate                       // a date, perhaps with a time of day
	xlsxFmtTime                       // a time of day only (h:mm, mm:ss)
	xlsxFmtElapsed                    // a duration ([h]:mm:ss): a number, not a date
	xlsxFmtZeroPad                    // zeros and literals only (00000, 000-000): pads integers
	xlsxFmtText                       // @: text format, a stored number is still a number
)

// xlsxNumFmt is a cell style's number format, classified once when the styles are read.
type xlsxNumFmt struct {
	kind    xlsxFmtKind
	hasTime bool   // xlsxFmtDate: the format shows a time of day
	pattern string // xlsxFmtZeroPad: '0' placeholders and literal text
}

// xlsxClassifyBuiltin classifies Excel's built-in number formats by id. Ids 27-36 and
// 50-58 are the East Asian locales' dates (some show times), which Excel treats as dates.
func xlsxClassifyBuiltin(id int) xlsxNumFmt {
	switch {
	case id == 1: // "0"
		return xlsxNumFmt{kind: xlsxFmtZeroPad, pattern: "0"}
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
		return xlsxNumFmt{kind: xlsxFmtDate}
	case id == 22:
		return xlsxNumFmt{kind: xlsxFmtDate, hasTime: true}
	case id >= 18 && id <= 21, id >= 32 && id <= 35, id == 45, id == 47:
		return xlsxNumFmt{kind: xlsxFmtTime}
	case id == 46:
		return xlsxNumFmt{kind: xlsxFmtElapsed}
	case id == 49:
		return xlsxNumFmt{kind: xlsxFmtText}
	}
	return xlsxNumFmt{}
}

// xlsxClassifyCode classifies a custom format code by its first section, looking at the
// tokens outside quotes, escapes and brackets: y, d, or an m that is not a minute make a
// date; h, s or a minute make a time; [h], [m] or [s] make a duration; a code of nothing
// but zeros and literal text pads integers.
func xlsxClassifyCode(code string) xlsxNumFmt {
	sec := xlsxFirstSection(code)
	var (
		y, d, m, h, s, elapsed, ampm, at bool
		pattern                          strings.Builder
		padOK                            = true
		zeros                            int
	)
	for i := 0; i < len(sec); i++ {
		c := sec[i]
		switch c {
		case '"':
			j := strings.IndexByte(sec[i+1:], '"')
			if j < 0 {
				j = len(sec) - i - 1
			}
			pattern.WriteString(sec[i+1 : i+1+j])
			i += j + 1
			continue
		case '\\':
			if i+1 < len(sec) {
				pattern.WriteByte(sec[i+1])
				i++
			}
			continue
		case '_', '*':
			// _x pads with the width of x, *x repeats x to fill the cell.
			i++
			padOK = padOK && c == '_'
			continue
		case '[':
			j := strings.IndexByte(sec[i:], ']')
			if j < 0 {
				j = len(sec) - i
			}
			inner := strings.ToLower(sec[i+1 : i+j])
			switch {
			case inner != "" && strings.Trim(inner, "h") == "":
				elapsed, h = true, true
			case inner != "" && strings.Trim(inner, "m") == "":
				elapsed, m = true, true
			case inner != "" && strings.Trim(inner, "s") == "":
				elapsed, s = true, true
			case strings.HasPrefix(inner, "$"):
				// [$€-407]: a currency symbol and a locale; the symbol shows.
				sym, _, _ := strings.Cut(sec[i+2:i+j], "-")
				pattern.WriteString(sym)
			case strings.ContainsAny(inner, "<>="):
				padOK = false // a condition changes which numbers the section is for
			}
			i += j
			continue
		}
		switch lc := c | 0x20; {
		case lc == 'y' || lc == 'e' && i+1 < len(sec) && (sec[i+1]|0x20) == 'e':
			y = true
		case lc == 'd':
			d = true
		case lc == 'm':
			m = true
		case lc == 'h':
			h = true
		case lc == 's':
			s = true
		case lc == 'a' && (strings.HasPrefix(strings.ToLower(sec[i:]), "am/pm") || strings.HasPrefix(strings.ToLower(sec[i:]), "a/p")):
			ampm = true
			if strings.HasPrefix(strings.ToLower(sec[i:]), "am/pm") {
				i += 4
			} else {
				i += 2
			}
		case c == '@':
			at = true
			padOK = false
		case c == '0':
			zeros++
			pattern.WriteByte('0')
		case strings.IndexByte(" -()+:$^'{}<>=~!&", c) >= 0:
			pattern.WriteByte(c)
		default:
			padOK = false
		}
	}
	switch {
	case elapsed && !y && !d:
		return xlsxNumFmt{kind: xlsxFmtElapsed}
	case y || d || (m && !h && !s):
		return xlsxNumFmt{kind: xlsxFmtDate, hasTime: h || s || ampm}
	case h || m || s || ampm:
		return xlsxNumFmt{kind: xlsxFmtTime}
	case at:
		return xlsxNumFmt{kind: xlsxFmtText}
	case padOK && zeros > 0:
		return xlsxNumFmt{kind: xlsxFmtZeroPad, pattern: pattern.String()}
	}
	return xlsxNumFmt{}
}

// xlsxFirstSection returns a format code's first ;-separated section, the one for positive
// numbers, minding quotes and escapes.
func xlsxFirstSection(code string) string {
	inQuote := false
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			i++
		case ';':
			if !inQuote {
				return code[:i]
			}
		}
	}
	return code
}

// xlsxPad shows a non-negative integer's digits through a pattern of '0' placeholders and
// literal text, as Excel does: placeholders fill from the right, missing digits show as 0,
// and digits beyond the placeholders go before the first one.
func xlsxPad(digits, pattern string) string {
	var b []byte
	di := len(digits) - 1
	first := strings.IndexByte(pattern, '0')
	for pi := len(pattern) - 1; pi >= 0; pi-- {
		c := pattern[pi]
		if c != '0' {
			b = append(b, c)
			continue
		}
		if di >= 0 {
			b = append(b, digits[di])
			di--
		} else {
			b = append(b, '0')
		}
		if pi == first {
			for ; di >= 0; di-- {
				b = append(b, digits[di])
			}
		}
	}
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// xlsxNumberText is how a number stored as raw shows in Excel's General format, keeping
// what matters more than looks: integers and E-notation stay exactly as stored (an
// identifier is never rounded), a decimal with more than 15 significant digits, which
// is binary float noise (0.30000000000000004), is rounded to 15 as Excel shows it, and
// a decimal's trailing zeros go (Google Sheets stores 31001 as 31001.0: Excel shows
// 31001).
func xlsxNumberText(raw string) string {
	if strings.ContainsAny(raw, "eE") {
		return raw
	}
	intPart, frac, ok := strings.Cut(strings.TrimPrefix(raw, "-"), ".")
	if !ok {
		return raw
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 15 {
		return raw
	}
	sig := intPart + strings.TrimRight(frac, "0")
	if intPart == "" {
		sig = strings.TrimLeft(strings.TrimRight(frac, "0"), "0")
	}
	if len(sig) <= 15 {
		return xlsxTrimFraction(raw)
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return raw
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'e', 14, 64), 64)
	if err != nil {
		return raw
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// xlsxTrimFraction drops the trailing zeros of a plain decimal's fraction, and its point
// when nothing is left after it: "31001.0" gives "31001", "-0.50" "-0.5", "-0.0" "0".
func xlsxTrimFraction(raw string) string {
	neg := strings.HasPrefix(raw, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(raw, "-"), ".")
	frac = strings.TrimRight(frac, "0")
	if intPart == "" {
		intPart = "0"
	}
	s := intPart
	if frac != "" {
		s += "." + frac
	}
	if neg && strings.Trim(s, "0.") != "" {
		s = "-" + s
	}
	return s
}

// xlsxIsInteger reports whether raw is a plain non-negative integer of at most 15 digits.
func xlsxIsInteger(raw string) bool {
	if raw == "" || len(raw) > 15 {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return false
		}
	}
	return true
}

var (
	xlsxEpoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	xlsxEpoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// xlsxSerialTime converts an Excel date serial to a time, rounded to the millisecond. In the
// 1900 system serial 60 is Excel's fictitious 1900-02-29, so serials below 61 are one day
// later than the plain count from 1899-12-30 gives (60 reads as 1900-03-01). Negative
// serials and serials past 9999-12-31 are no dates (Excel shows ####).
func xlsxSerialTime(serial float64, date1904 bool) (time.Time, bool) {
	if math.IsNaN(serial) || serial < 0 || serial >= 2958466 {
		return time.Time{}, false
	}
	ms := int64(math.Round(serial * 86400000))
	epoch := xlsxEpoch1900
	if date1904 {
		epoch = xlsxEpoch1904
	} else if ms < 61*86400000 {
		epoch = epoch.AddDate(0, 0, 1)
	}
	days := ms / 86400000
	t := epoch.AddDate(0, 0, int(days)).Add(time.Duration(ms%86400000) * time.Millisecond)
	if t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// xlsxDateText is a Date cell's Text: YYYY-MM-DD, with HH:MM:SS (rounded to the second) when
// the format shows a time or, for formats that say nothing, when there is one.
func xlsxDateText(t time.Time, withTime bool) string {
	if withTime {
		return t.Round(time.Second).Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02")
}
