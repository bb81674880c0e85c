package sheet

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvScanner splits CSV text into records exactly as encoding/csv does with FieldsPerRecord
// -1, ReuseRecord and no comment character, and counts lines and bytes as it does (its
// readLine and readRecord, ported). Quotes are as strict as without LazyQuotes but for one
// leniency: a quote inside a field that does not start with one is kept as it is (12"
// pizza), as with LazyQuotes. So a quoted field must end with a quote followed by the
// delimiter, a line end or the end of the input; otherwise read fails with a
// *csvQuoteError. It is faster on the common record: a line without quotes is cut into
// fields of one string without being copied field by field, and only the positions the
// reader reports are kept.
type csvScanner struct {
	r        *bufio.Reader
	comma    rune
	commaLen int
	trim     bool

	numLine int   // lines read so far
	offset  int64 // bytes read so far (InputOffset)

	raw   []byte          // a line longer than r's buffer
	buf   []byte          // the fields of a record with quotes, end to end
	ends  []int           // where each field of buf ends
	rec   string          // the last record's fields, or its line
	text  strings.Builder // where rec is cut from: records end to end, never changed once there
	spans []int           // the start and end of each field of the last record in rec

	// Where the last record's first field starts (its line) and its last field starts,
	// as encoding/csv's FieldPos gives them.
	firstLine, lastLine, lastCol int
	// oneLine: the last record was on one line, so its fields hold no line break.
	oneLine bool
}

func newCSVScanner(r *bufio.Reader, comma rune, trim bool) *csvScanner {
	return &csvScanner{r: r, comma: comma, commaLen: utf8.RuneLen(comma), trim: trim}
}

// csvQuoteError is what csvScanner.read returns for a quoted field that no quote closes:
// a quote in it is followed by neither the delimiter nor a line end (encoding/csv's
// ErrQuote), or the input ends inside it.
type csvQuoteError struct {
	line, col int // where the field starts: its opening quote
	// The quote followed by something else, or 0, 0 when the input ends in the field.
	quoteLine, quoteCol int
}

func (e *csvQuoteError) Error() string {
	if e.quoteLine == 0 {
		return fmt.Sprintf("line %d, column %d: quoted field not closed at the end of the input", e.line, e.col)
	}
	return fmt.Sprintf(`line %d, column %d: the " at line %d, column %d in a quoted field is followed by neither the delimiter nor a line end`,
		e.line, e.col, e.quoteLine, e.quoteCol)
}

// readLine reads one line, with its "\r\n" ending turned into "\n" and a final "\r" at the
// end of the input dropped.
func (s *csvScanner) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.raw = append(s.raw[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.r.ReadSlice('\n')
			s.raw = append(s.raw, line...)
		}
		line = s.raw
	}
	readSize := len(line)
	if readSize > 0 && err == io.EOF {
		err = nil
		if line[readSize-1] == '\r' {
			line = line[:readSize-1]
		}
	}
	s.numLine++
	s.offset += int64(readSize)
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

func csvLengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

func csvNextRune(b []byte) rune {
	r, _ := utf8.DecodeRune(b)
	return r
}

// read reads the next record, skipping blank lines: its fields are then field(0) to
// field(count()-1). It returns io.EOF at the end of the input, a *csvQuoteError for a
// quoted field not closed right; on another error the fields read so far are there too.
func (s *csvScanner) read() error {
	if !s.trim && s.comma < utf8.RuneSelf && s.readBuffered() {
		return nil
	}
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = s.readLine()
		if errRead == nil && len(line) == csvLengthNL(line) {
			continue // a blank line
		}
		break
	}
	if errRead == io.EOF {
		return errRead
	}
	recLine := s.numLine
	s.firstLine, s.lastLine = recLine, recLine
	if !s.trim && s.comma < utf8.RuneSelf {
		text := line[:len(line)-csvLengthNL(line)]
		if s.split(text) {
			// The whole record is on this line and no field needs unquoting: the
			// fields are pieces of one string of the line.
			s.rec = s.intern(text)
			s.oneLine = true
			return errRead
		}
	}
	s.oneLine = false
	err := s.parse(line, errRead)
	s.rec = s.intern(s.buf)
	s.spans = s.spans[:0]
	prev := 0
	for _, end := range s.ends {
		s.spans = append(s.spans, prev, end)
		prev = end
	}
	return err
}

// readBuffered reads the next record, skipping blank lines, when it is a whole line in
// the reader's buffer that split could cut (see scanLine), without copying the line out
// of the buffer first. It reports false, having read nothing but blank lines, for any
// other record, which read then reads as usual.
func (s *csvScanner) readBuffered() bool {
	for {
		data, _ := s.r.Peek(s.r.Buffered())
		n, end := s.scanLine(data)
		if n == 0 {
			return false
		}
		_, _ = s.r.Discard(n) // n bytes are buffered
		s.numLine++
		s.offset += int64(n)
		if end == 0 {
			continue // a blank line
		}
		s.firstLine, s.lastLine = s.numLine, s.numLine
		s.rec = s.intern(data[:end])
		s.oneLine = true
		return true
	}
}

// scanLine looks for a line at the start of data that split can cut, ended by "\n" (or
// "\r\n") within data. It returns the line's length with its end and the length of its
// text without it (0 for a blank line), s.spans and s.lastCol set as split sets them; n is
// 0 for any other line.
func (s *csvScanner) scanLine(data []byte) (n, end int) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		return 0, 0
	}
	end = i
	if end > 0 && data[end-1] == '\r' {
		end--
	}
	if end == 0 {
		return i + 1, 0
	}
	if !s.split(data[:end]) {
		return 0, 0
	}
	return i + 1, end
}

// csvTextChunk is the size of the blocks the records' strings are cut from.
const csvTextChunk = 16 << 10

// intern returns b as a string. Short ones are cut from a block shared with the records
// around them, which spares an allocation per record; the bytes of a block are never
// written again once a string holds them. The block is a strings.Builder's, which does
// not clear the memory it allocates, and the string is what it has so far.
func (s *csvScanner) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > csvTextChunk/8 {
		return string(b)
	}
	if len(b) > s.text.Cap()-s.text.Len() {
		s.text = strings.Builder{}
		s.text.Grow(csvTextChunk)
	}
	off := s.text.Len()
	s.text.Write(b)
	return s.text.String()[off:]
}

// count returns how many fields the last record has.
func (s *csvScanner) count() int { return len(s.spans) / 2 }

// field returns field i of the last record. Its string is the record's own: reading the
// next record does not change it.
func (s *csvScanner) field(i int) string { return s.rec[s.spans[2*i]:s.spans[2*i+1]] }

// split cuts text, a line without its line end, whose quoted fields all end on it and
// hold no quotes themselves, into fields: s.spans gets the start and end of each in text,
// s.lastCol the column of the last. It reports false for any other line.
func (s *csvScanner) split(text []byte) bool {
	s.spans = s.spans[:0]
	return s.splitFrom(text, s.splitPlain(text))
}

// splitPlain cuts the fields of text eight bytes at a time, until the end or a quote: it
// returns the start of the field that holds the first quote (or follows the last one
// found), having appended the fields before it to s.spans.
func (s *csvScanner) splitPlain(text []byte) int {
	const lo = 0x0101010101010101
	c := byte(s.comma)
	commas, quotes := lo*uint64(c), lo*uint64('"')
	n := len(text)
	spans := s.spans[:0]
	start := 0 // of the current field
	i := 0
	for ; i+8 <= n; i += 8 {
		x := binary.LittleEndian.Uint64(text[i:])
		// The high bit of each byte of zeroMask(y) is set exactly where y has a zero
		// byte.
		if zeroMask(x^quotes) != 0 {
			s.spans = spans
			return start
		}
		for m := zeroMask(x ^ commas); m != 0; m &= m - 1 {
			end := i + bits.TrailingZeros64(m)>>3
			spans = append(spans, start, end)
			start = end + 1
		}
	}
	for ; i < n; i++ {
		switch text[i] {
		case '"':
			s.spans = spans
			return start
		case c:
			spans = append(spans, start, i)
			start = i + 1
		}
	}
	s.spans = spans
	return start
}

// zeroMask returns the high bit of each byte of x that is zero.
func zeroMask(x uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((x&low7 + low7) | x | low7)
}

// splitFrom is split from the field that starts at i, the fields before it in s.spans.
func (s *csvScanner) splitFrom(text []byte, i int) bool {
	c := byte(s.comma)
	n := len(text)
	for {
		if i < n && text[i] == '"' {
			j := bytes.IndexByte(text[i+1:], '"')
			if j < 0 {
				return false // a field over more than one line, or never closed
			}
			end := i + 1 + j
			if end+1 < n && text[end+1] != c {
				return false // "" or a bare quote inside the field
			}
			s.spans = append(s.spans, i+1, end)
			if end+1 == n {
				s.lastCol = i + 1
				return true
			}
			i = end + 2
			continue
		}
		j := bytes.IndexByte(text[i:], c)
		if j < 0 {
			s.spans = append(s.spans, i, n)
			s.lastCol = i + 1
			return true
		}
		s.spans = append(s.spans, i, i+j)
		i += j + 1
	}
}

// parse reads the fields of a record that starts with line into s.buf and s.ends.
func (s *csvScanner) parse(line []byte, errRead error) error {
	const quoteLen = len(`"`)
	s.buf = s.buf[:0]
	s.ends = s.ends[:0]
	line0, col0 := s.numLine, 1 // where the field being read starts
	pos := struct{ line, col int }{s.numLine, 1}
	endField := func() {
		s.ends = append(s.ends, len(s.buf))
		s.lastLine, s.lastCol = line0, col0
	}
parseField:
	for {
		if s.trim {
			i := bytes.IndexFunc(line, func(r rune) bool { return !unicode.IsSpace(r) })
			if i < 0 {
				i = len(line)
				pos.col -= csvLengthNL(line)
			}
			line = line[i:]
			pos.col += i
		}
		line0, col0 = pos.line, pos.col
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexRune(line, s.comma)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-csvLengthNL(field)]
			}
			s.buf = append(s.buf, field...)
			endField()
			if i >= 0 {
				line = line[i+s.commaLen:]
				pos.col += i + s.commaLen
				continue parseField
			}
			break parseField
		}
		// A quoted field.
		line = line[quoteLen:]
		pos.col += quoteLen
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				s.buf = append(s.buf, line[:i]...)
				line = line[i+quoteLen:]
				pos.col += i + quoteLen
				switch rn := csvNextRune(line); {
				case rn == '"':
					s.buf = append(s.buf, '"')
					line = line[quoteLen:]
					pos.col += quoteLen
				case rn == s.comma:
					line = line[s.commaLen:]
					pos.col += s.commaLen
					endField()
					continue parseField
				case csvLengthNL(line) == len(line):
					endField()
					break parseField
				default:
					// `"x`: the quote neither closes the field nor is doubled.
					return &csvQuoteError{line: line0, col: col0, quoteLine: pos.line, quoteCol: pos.col - quoteLen}
				}
			case len(line) > 0:
				s.buf = append(s.buf, line...)
				if errRead != nil {
					break parseField
				}
				pos.col += len(line)
				line, errRead = s.readLine()
				if len(line) > 0 {
					pos.line++
					pos.col = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}
			default:
				if errRead == nil {
					// the end of the input inside the quotes
					return &csvQuoteError{line: line0, col: col0}
				}
				endField()
				break parseField
			}
		}
	}
	return errRead
}
