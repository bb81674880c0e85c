package sheet

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding is the character encoding of a CSV file, as named by ParseEncoding. The zero
// value means "detect it".
type Encoding struct {
	id encID
}

type encID uint8

const (
	encAuto encID = iota
	encUTF8
	encUTF16 // UTF-16 with the byte order taken from a BOM, little-endian without one
	encUTF16LE
	encUTF16BE
	encWindows1252
	encISO885915
	encMacRoman
)

// encAccepted is the list of names ParseEncoding accepts, for its error message.
const encAccepted = "utf-8 (utf8, utf-8-sig), utf-16, utf-16le, utf-16be, " +
	"windows-1252 (cp1252), latin1 (iso-8859-1), iso-8859-15 (latin9), macroman"

// ParseEncoding returns the encoding that name stands for: utf-8 (also utf8, utf-8-sig),
// utf-16 (byte order from the BOM, little-endian without one), utf-16le, utf-16be,
// windows-1252 (cp1252), latin1 (iso-8859-1), iso-8859-15 (latin9) and macroman, in any
// letter case. An empty name gives the zero Encoding, which detects the encoding.
//
// latin1 and iso-8859-1 are read as Windows-1252, as web browsers do: the two agree on
// every printable character, and the bytes where they differ are control characters in
// ISO-8859-1 that no real text holds, while Windows-1252 has €, „ and the curly quotes there.
func ParseEncoding(name string) (Encoding, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.ReplaceAll(n, "_", "-")
	switch n {
	case "":
		return Encoding{}, nil
	case "utf-8", "utf8", "utf-8-sig", "utf8-sig":
		return Encoding{encUTF8}, nil
	case "utf-16", "utf16":
		return Encoding{encUTF16}, nil
	case "utf-16le", "utf16le", "utf-16-le":
		return Encoding{encUTF16LE}, nil
	case "utf-16be", "utf16be", "utf-16-be":
		return Encoding{encUTF16BE}, nil
	case "windows-1252", "cp1252", "win-1252", "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		return Encoding{encWindows1252}, nil
	case "iso-8859-15", "iso8859-15", "latin9", "latin-9":
		return Encoding{encISO885915}, nil
	case "macroman", "mac-roman", "macintosh", "mac":
		return Encoding{encMacRoman}, nil
	}
	return Encoding{}, fmt.Errorf("unknown encoding %q: use one of %s", name, encAccepted)
}

// String returns the encoding's canonical name, or "auto" for the zero Encoding.
func (e Encoding) String() string {
	switch e.id {
	case encUTF8:
		return "utf-8"
	case encUTF16:
		return "utf-16"
	case encUTF16LE:
		return "utf-16le"
	case encUTF16BE:
		return "utf-16be"
	case encWindows1252:
		return "windows-1252"
	case encISO885915:
		return "iso-8859-15"
	case encMacRoman:
		return "macroman"
	}
	return "auto"
}

// encSniffSize is how much of a file is read to detect its encoding and delimiter.
const encSniffSize = 64 << 10

// encPlan is how a file's bytes are turned into UTF-8.
type encPlan struct {
	id   encID // never encAuto or encUTF16: the encoding decided on
	skip int   // length of the byte-order mark to drop
	// strict is set when the caller forced UTF-8: bytes that are not UTF-8 become U+FFFD
	// instead of being read as Windows-1252.
	strict  bool
	warning string // said once, up front
}

// encDecide picks the encoding of a file whose first bytes are head (all of the file
// when eof). It fails for a file that is clearly not text.
func encDecide(head []byte, eof bool, forced Encoding) (encPlan, error) {
	if err := encBinary(head, forced); err != nil {
		return encPlan{}, err
	}
	switch forced.id {
	case encUTF8:
		return encPlan{id: encUTF8, skip: encBOMLen(head, utf8BOM), strict: true}, nil
	case encUTF16:
		if bytes.HasPrefix(head, utf16BEBOM) {
			return encPlan{id: encUTF16BE, skip: 2}, nil
		}
		return encPlan{id: encUTF16LE, skip: encBOMLen(head, utf16LEBOM)}, nil
	case encUTF16LE:
		return encPlan{id: encUTF16LE, skip: encBOMLen(head, utf16LEBOM)}, nil
	case encUTF16BE:
		return encPlan{id: encUTF16BE, skip: encBOMLen(head, utf16BEBOM)}, nil
	case encWindows1252, encISO885915, encMacRoman:
		// A UTF-8 BOM read as Windows-1252 would be "ï»¿" before the first header.
		return encPlan{id: forced.id, skip: encBOMLen(head, utf8BOM)}, nil
	}
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		return encPlan{id: encUTF8, skip: len(utf8BOM)}, nil
	case bytes.HasPrefix(head, utf16LEBOM):
		return encPlan{id: encUTF16LE, skip: 2}, nil
	case bytes.HasPrefix(head, utf16BEBOM):
		return encPlan{id: encUTF16BE, skip: 2}, nil
	}
	if id, ok := encGuessUTF16(head); ok {
		return encPlan{id: id, warning: "no byte-order mark: read as " + Encoding{id}.String()}, nil
	}
	if !eof {
		head = encTrimPartialRune(head)
	}
	if utf8.Valid(head) || encHasMultiByte(head) {
		// UTF-8, or UTF-8 with some bytes that are not (rows pasted from another
		// export): read as it is, with only the bytes that are not UTF-8 read as
		// Windows-1252 (see encFixCell), wherever they are, as in a longer file whose
		// first bytes are all UTF-8. The reader warns at the first row that has one.
		return encPlan{id: encUTF8}, nil
	}
	// No character beyond ASCII is UTF-8: a file in Windows-1252 (or Latin-1), read as
	// such throughout, even where a pair of its bytes would happen to be UTF-8.
	return encPlan{id: encWindows1252, warning: "not UTF-8: read as Windows-1252"}, nil
}

// encHasMultiByte reports whether b holds a UTF-8 sequence of more than one byte.
func encHasMultiByte(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] < utf8.RuneSelf {
			continue
		}
		if _, size := utf8.DecodeRune(b[i:]); size > 1 {
			return true
		}
	}
	return false
}

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

func encBOMLen(head, bom []byte) int {
	if bytes.HasPrefix(head, bom) {
		return len(bom)
	}
	return 0
}

// encTrimPartialRune drops a UTF-8 sequence cut short at the end of b.
func encTrimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// encGuessUTF16 recognises UTF-16 without a byte-order mark by its NULs: text that is
// mostly ASCII has a NUL in every high byte, and only there.
func encGuessUTF16(head []byte) (encID, bool) {
	pairs := len(head) / 2
	if pairs < 2 {
		return 0, false
	}
	var even, odd int
	for i := 0; i+1 < len(head); i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	switch {
	case odd*2 >= pairs && even*50 <= pairs:
		return encUTF16LE, true
	case even*2 >= pairs && odd*50 <= pairs:
		return encUTF16BE, true
	}
	return 0, false
}

// encBinary fails for files that are archives or otherwise not text: an .xlsx renamed to
// .csv, an old .xls, or anything full of NUL bytes.
func encBinary(head []byte, forced Encoding) error {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return fmt.Errorf("looks like a ZIP file (an .xlsx saved under a .csv name?), not CSV text: %w", ErrFormat)
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return fmt.Errorf("looks like an old .xls or a password-protected .xlsx, not CSV text: %w", ErrFormat)
	}
	if forced.id == encUTF16 || forced.id == encUTF16LE || forced.id == encUTF16BE ||
		bytes.HasPrefix(head, utf16LEBOM) || bytes.HasPrefix(head, utf16BEBOM) {
		return nil
	}
	if _, ok := encGuessUTF16(head); ok && forced.id == encAuto {
		return nil
	}
	// A few stray NULs occur in sloppy exports (in a file of a few lines, a single one
	// is more than one byte in a hundred); text that is one byte in a hundred NUL, and
	// more than a few, is binary, or UTF-16 without its byte-order mark.
	if nul := bytes.Count(head, []byte{0}); nul > 3 && nul*100 >= len(head) {
		return fmt.Errorf("looks like a binary file (ZIP/XLSX?), not CSV text: it holds NUL bytes "+
			"(if it is UTF-16 text without a byte-order mark, give the encoding, e.g. utf-16le): %w", ErrFormat)
	}
	return nil
}

// decoder returns r decoded to UTF-8, or r itself when the plan reads UTF-8 bytes as
// they are (their validity is checked per cell, see encFixCell).
func (p encPlan) decoder(r io.Reader) io.Reader {
	var enc encoding.Encoding
	switch p.id {
	case encUTF8:
		return r
	case encUTF16LE:
		enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case encUTF16BE:
		enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case encWindows1252:
		enc = charmap.Windows1252
	case encISO885915:
		enc = charmap.ISO8859_15
	case encMacRoman:
		enc = charmap.Macintosh
	default:
		return r
	}
	return transform.NewReader(r, enc.NewDecoder())
}

// encFixCell returns s, which is not valid UTF-8, with every byte that is not part of a
// UTF-8 sequence read as Windows-1252, or replaced by U+FFFD when strict.
func encFixCell(s string, strict bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if strict {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteRune(charmap.Windows1252.DecodeByte(s[i]))
			}
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}
