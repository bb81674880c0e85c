package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xlsxTok is the kind of token the scanner returns.
type xlsxTok uint8

const (
	xlsxEOF   xlsxTok = iota
	xlsxStart         // a start tag (or an empty-element tag, followed by its end)
	xlsxEnd           // an end tag
	xlsxText          // character data, entities decoded
)

// xlsxKV is one attribute of a start tag: its local name and its decoded value.
type xlsxKV struct {
	name, value []byte
}

// xlsxScan is a small, strict XML tokenizer for the parts of a workbook. It is several
// times faster than encoding/xml because it hands out slices of its buffer instead of
// allocating tokens, and it checks what matters for a damaged file: tags nest and close
// in order, names and attributes are well formed, entities are known, text is UTF-8 and
// XML characters, one root element, and no end of input inside an element or a tag.
// Namespace prefixes are dropped (a worksheet written as <x:c> reads as <c>). DTDs are
// refused. Slices it returns are valid until the next call.
type xlsxScan struct {
	r    io.Reader
	buf  []byte
	mark int // start of the current token
	pos  int // next byte to look at
	end  int // end of the data in buf
	rerr error

	stack   [][]byte // qualified names of the open elements
	roots   int
	pending bool // an empty-element tag's end is due

	name  []byte // local name of the start or end tag
	attrs []xlsxKV
	text  []byte
	arena []byte // decoded text and attribute values
}

const (
	xlsxScanBuf      = 64 << 10
	xlsxMaxToken     = 32 << 20 // a tag or a run of text longer than this is refused
	xlsxScanMaxDepth = 256
)

func xlsxNewScan(r io.Reader) *xlsxScan {
	return &xlsxScan{r: r, buf: make([]byte, xlsxScanBuf)}
}

// depth is the number of open elements, the current start tag's included.
func (s *xlsxScan) depth() int { return len(s.stack) }

// attr returns the value of the attribute with the local name, or nil.
func (s *xlsxScan) attr(name string) []byte {
	for _, a := range s.attrs {
		if string(a.name) == name {
			return a.value
		}
	}
	return nil
}

// fill reads more input, keeping the current token. It returns io.EOF at the end of input.
func (s *xlsxScan) fill() error {
	if s.rerr != nil {
		return s.rerr
	}
	if s.mark > 0 {
		n := copy(s.buf, s.buf[s.mark:s.end])
		s.pos -= s.mark
		s.end = n
		s.mark = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= xlsxMaxToken {
			return fmt.Errorf("a tag or text longer than %d bytes", xlsxMaxToken)
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

func (s *xlsxScan) where() string {
	if len(s.stack) == 0 {
		return ""
	}
	return fmt.Sprintf(" inside <%s>", s.stack[len(s.stack)-1])
}

// next returns the next token.
func (s *xlsxScan) next() (xlsxTok, error) {
	if s.pending {
		s.pending = false
		s.stack = s.stack[:len(s.stack)-1]
		return xlsxEnd, nil
	}
	s.arena = s.arena[:0]
	for {
		s.mark = s.pos
		if s.pos >= s.end {
			if err := s.fill(); err != nil {
				if err != io.EOF {
					return xlsxEOF, err
				}
				if len(s.stack) > 0 {
					return xlsxEOF, fmt.Errorf("unexpected end of XML%s", s.where())
				}
				return xlsxEOF, io.EOF
			}
		}
		if s.buf[s.pos] != '<' {
			tok, err := s.scanText()
			if err != nil || tok != xlsxEOF {
				return tok, err
			}
			continue // whitespace outside the root
		}
		tok, err := s.scanTag()
		if err != nil || tok != xlsxEOF {
			return tok, err
		}
		// a comment, processing instruction or declaration: go on
	}
}

// scanText reads character data up to the next '<' or the end of input.
func (s *xlsxScan) scanText() (xlsxTok, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '<'); i >= 0 {
			s.pos += i
			break
		}
		s.pos = s.end
		if err := s.fill(); err != nil {
			if err == io.EOF {
				break
			}
			return xlsxEOF, err
		}
	}
	raw := s.buf[s.mark:s.pos]
	if len(s.stack) == 0 {
		// Whitespace, and a byte order mark that some writers put before the declaration.
		if len(bytes.Trim(raw, " \t\r\n\uFEFF")) > 0 {
			return xlsxEOF, errors.New("text outside the root element")
		}
		return xlsxEOF, nil
	}
	text, err := s.decode(raw)
	if err != nil {
		return xlsxEOF, err
	}
	s.text = text
	return xlsxText, nil
}

// need makes sure n bytes from the token's start are buffered, or reports the end.
func (s *xlsxScan) need(n int) bool {
	for s.mark+n > s.end {
		if s.fill() != nil {
			return false
		}
	}
	return true
}

// scanTo moves past the next occurrence of term, failing at the end of input.
func (s *xlsxScan) scanTo(term string, what string) error {
	off := s.pos - s.mark
	for {
		if i := bytes.Index(s.buf[s.mark+off:s.end], []byte(term)); i >= 0 {
			s.pos = s.mark + off + i + len(term)
			return nil
		}
		off = max(s.end-s.mark-len(term)+1, off)
		if err := s.fill(); err != nil {
			if err == io.EOF {
				return fmt.Errorf("unexpected end of XML in a %s%s", what, s.where())
			}
			return err
		}
	}
}

// scanTag reads a tag starting at '<'. It returns xlsxEOF (and no error) for the tags
// that are no tokens: comments, processing instructions, CDATA sections being the
// exception, which are text.
func (s *xlsxScan) scanTag() (xlsxTok, error) {
	if !s.need(2) {
		return xlsxEOF, fmt.Errorf("unexpected end of XML in a tag%s", s.where())
	}
	switch s.buf[s.mark+1] {
	case '?':
		s.pos = s.mark + 2
		return xlsxEOF, s.scanTo("?>", "processing instruction")
	case '!':
		s.need(9)
		rest := s.buf[s.mark:s.end]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			s.pos = s.mark + 4
			return xlsxEOF, s.scanTo("-->", "comment")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if len(s.stack) == 0 {
				return xlsxEOF, errors.New("CDATA outside the root element")
			}
			s.pos = s.mark + 9
			if err := s.scanTo("]]>", "CDATA section"); err != nil {
				return xlsxEOF, err
			}
			text := s.buf[s.mark+9 : s.pos-3]
			if err := xlsxCheckChars(text); err != nil {
				return xlsxEOF, err
			}
			s.text = text
			return xlsxText, nil
		}
		return xlsxEOF, errors.New("a DOCTYPE or declaration, which a workbook part never has")
	}
	// Find the tag's closing '>', minding quoted attribute values.
	var quote byte
	i := s.mark + 1
	for {
		for ; i < s.end; i++ {
			c := s.buf[i]
			if quote != 0 {
				if c == quote {
					quote = 0
				}
				continue
			}
			if c == '"' || c == '\'' {
				quote = c
			} else if c == '>' {
				goto found
			}
		}
		i -= s.mark
		if err := s.fill(); err != nil {
			if err == io.EOF {
				return xlsxEOF, fmt.Errorf("unexpected end of XML in a tag%s", s.where())
			}
			return xlsxEOF, err
		}
		i += s.mark
	}
found:
	s.pos = i + 1
	tag := s.buf[s.mark+1 : i]
	if len(tag) == 0 {
		return xlsxEOF, fmt.Errorf("empty tag <>%s", s.where())
	}
	if tag[0] == '/' {
		name := xlsxTrimRightSpace(tag[1:])
		if !xlsxValidName(name) {
			return xlsxEOF, fmt.Errorf("bad end tag </%s>", tag[1:])
		}
		if len(s.stack) == 0 {
			return xlsxEOF, fmt.Errorf("unexpected end tag </%s>", name)
		}
		top := s.stack[len(s.stack)-1]
		if !bytes.Equal(top, name) {
			return xlsxEOF, fmt.Errorf("element <%s> closed by </%s>", top, name)
		}
		s.stack = s.stack[:len(s.stack)-1]
		s.name = xlsxLocal(name)
		return xlsxEnd, nil
	}
	empty := false
	if tag[len(tag)-1] == '/' {
		empty = true
		tag = tag[:len(tag)-1]
	}
	if len(tag) == 0 {
		return xlsxEOF, fmt.Errorf("empty tag </>%s", s.where())
	}
	n := 0
	for n < len(tag) && !xlsxSpace(tag[n]) {
		n++
	}
	name := tag[:n]
	if !xlsxValidName(name) {
		return xlsxEOF, fmt.Errorf("bad tag <%s>", tag)
	}
	s.attrs = s.attrs[:0]
	rest := tag[n:]
	for {
		rest = xlsxTrimSpace(rest)
		if len(rest) == 0 {
			break
		}
		eq := bytes.IndexByte(rest, '=')
		if eq < 0 {
			return xlsxEOF, fmt.Errorf("attribute without a value in <%s>", name)
		}
		an := xlsxTrimRightSpace(rest[:eq])
		if !xlsxValidName(an) {
			return xlsxEOF, fmt.Errorf("bad attribute name %q in <%s>", an, name)
		}
		rest = xlsxTrimSpace(rest[eq+1:])
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return xlsxEOF, fmt.Errorf("attribute %s of <%s> is not quoted", an, name)
		}
		q := bytes.IndexByte(rest[1:], rest[0])
		if q < 0 {
			return xlsxEOF, fmt.Errorf("attribute %s of <%s> is not closed", an, name)
		}
		raw := rest[1 : 1+q]
		rest = rest[q+2:]
		if len(rest) > 0 && !xlsxSpace(rest[0]) {
			return xlsxEOF, fmt.Errorf("no space after attribute %s of <%s>", an, name)
		}
		if bytes.IndexByte(raw, '<') >= 0 {
			return xlsxEOF, fmt.Errorf("'<' in attribute %s of <%s>", an, name)
		}
		v, err := s.decode(raw)
		if err != nil {
			return xlsxEOF, err
		}
		s.attrs = append(s.attrs, xlsxKV{name: xlsxLocal(an), value: v})
	}
	if len(s.stack) == 0 {
		s.roots++
		if s.roots > 1 {
			return xlsxEOF, fmt.Errorf("a second root element <%s>", name)
		}
	}
	if len(s.stack) >= xlsxScanMaxDepth {
		return xlsxEOF, fmt.Errorf("elements nested more than %d deep", xlsxScanMaxDepth)
	}
	// The stack keeps its own copy of the name: the buffer moves on.
	var qn []byte
	if cap(s.stack) > len(s.stack) {
		qn = s.stack[:len(s.stack)+1][len(s.stack)]
	}
	s.stack = append(s.stack, append(qn[:0], name...))
	s.name = xlsxLocal(s.stack[len(s.stack)-1])
	s.pending = empty
	return xlsxStart, nil
}

// decode replaces entity and character references and checks the characters.
func (s *xlsxScan) decode(raw []byte) ([]byte, error) {
	amp := bytes.IndexByte(raw, '&')
	if amp < 0 {
		return raw, xlsxCheckChars(raw)
	}
	start := len(s.arena)
	s.arena = append(s.arena, raw[:amp]...)
	for i := amp; i < len(raw); {
		c := raw[i]
		if c != '&' {
			s.arena = append(s.arena, c)
			i++
			continue
		}
		semi := bytes.IndexByte(raw[i:], ';')
		if semi < 0 || semi > 12 {
			return nil, fmt.Errorf("bare '&' in text%s", s.where())
		}
		ent := raw[i+1 : i+semi]
		i += semi + 1
		switch string(ent) {
		case "lt":
			s.arena = append(s.arena, '<')
		case "gt":
			s.arena = append(s.arena, '>')
		case "amp":
			s.arena = append(s.arena, '&')
		case "quot":
			s.arena = append(s.arena, '"')
		case "apos":
			s.arena = append(s.arena, '\'')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				return nil, fmt.Errorf("unknown entity &%s;%s", ent, s.where())
			}
			var (
				n   uint64
				err error
			)
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
			}
			r := rune(n)
			if err != nil || !xlsxXMLChar(r) {
				return nil, fmt.Errorf("bad character reference &%s;%s", ent, s.where())
			}
			s.arena = utf8.AppendRune(s.arena, r)
		}
	}
	out := s.arena[start:]
	return out, xlsxCheckChars(out)
}

// xlsxCheckChars checks that text is UTF-8 made of XML characters.
func xlsxCheckChars(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return fmt.Errorf("illegal character %#02x in XML", c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return errors.New("invalid UTF-8 in XML")
		}
		if !xlsxXMLChar(r) {
			return fmt.Errorf("illegal character %U in XML", r)
		}
		i += size
	}
	return nil
}

func xlsxXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func xlsxSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func xlsxTrimSpace(b []byte) []byte {
	for len(b) > 0 && xlsxSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func xlsxTrimRightSpace(b []byte) []byte {
	for len(b) > 0 && xlsxSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// xlsxValidName checks an XML name loosely: not empty, no syntax characters.
func xlsxValidName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if c := b[0]; c == '-' || c == '.' || c >= '0' && c <= '9' {
		return false
	}
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r', '<', '>', '/', '=', '"', '\'', '&', '!', '?':
			return false
		}
	}
	return true
}

// xlsxLocal drops a namespace prefix.
func xlsxLocal(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}
