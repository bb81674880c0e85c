package report

import (
	"os"
	"unicode"
	"unicode/utf8"
)

// bom is the UTF-8 byte order mark that tells Excel the file is UTF-8.
const bom = "\ufeff"

// csvBufferSize is how many bytes of whole rows are gathered before they are written out.
const csvBufferSize = 64 << 10

// csvEncoder writes RFC 4180 CSV. It keeps its own buffer instead of a bufio.Writer so that
// only whole rows ever reach the file: a crash leaves a file that reads cleanly to its end.
type csvEncoder struct {
	f   *os.File
	buf []byte
}

func newCSVEncoder(path string, header []string) (*csvEncoder, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	e := &csvEncoder{f: f, buf: make([]byte, 0, csvBufferSize)}
	e.buf = append(e.buf, bom...)
	e.buf = appendRecord(e.buf, header)
	// The header reaches the file at once: even a run that dies before its first row
	// leaves a partial file that opens.
	if err := e.flush(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return e, nil
}

func (e *csvEncoder) write(rec []string, _ Status) error {
	e.buf = appendRecord(e.buf, rec)
	if len(e.buf) >= csvBufferSize {
		return e.flush()
	}
	return nil
}

func (e *csvEncoder) flush() error {
	if len(e.buf) == 0 {
		return nil
	}
	_, err := e.f.Write(e.buf)
	e.buf = e.buf[:0]
	return err
}

func (e *csvEncoder) finish() error {
	err := e.flush()
	if serr := e.f.Sync(); err == nil {
		err = serr
	}
	if cerr := e.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// appendRecord appends one CSV record, ended by CRLF, to b.
func appendRecord(b []byte, rec []string) []byte {
	for i, field := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		if !needsQuotes(field) {
			b = append(b, field...)
			continue
		}
		b = append(b, '"')
		for {
			j := indexQuote(field)
			if j < 0 {
				b = append(b, field...)
				break
			}
			b = append(b, field[:j+1]...)
			b = append(b, '"')
			field = field[j+1:]
		}
		b = append(b, '"')
	}
	return append(b, '\r', '\n')
}

func indexQuote(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			return i
		}
	}
	return -1
}

// needsQuotes reports whether a field must be quoted: it holds a comma, a quote or a line
// break, or starts with a space (which some readers trim), or is `\.` (which ends data in
// PostgreSQL's COPY), as encoding/csv decides.
func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
