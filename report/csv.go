package report

import (
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fileMode is the mode results and partial files are created with: they hold personal
// data, so only their owner may read them.
const fileMode = 0o600

// csvBufferSize is how many bytes of whole rows are gathered before they are written out.
const csvBufferSize = 64 << 10

// csvEncoder writes RFC 4180 CSV. It keeps its own buffer instead of a bufio.Writer so that
// only whole rows ever reach the file: a crash leaves a file that reads cleanly to its end.
type csvEncoder struct {
	path string
	f    *os.File
	buf  []byte
	size int64 // bytes in the file: whole rows only
	sync bool  // the file goes to disk as it grows (wb), and finish syncs it
	wb   writeback
}

// newCSVEncoder starts the CSV file at path, and writes its header. With sync, the file
// is written to disk as it grows, and finish syncs it (see Options.NoSync).
func newCSVEncoder(path string, header []string, sync bool) (*csvEncoder, error) {
	f, err := createEmpty(path)
	if err != nil {
		return nil, err
	}
	e := &csvEncoder{path: path, f: f, buf: make([]byte, 0, csvBufferSize), sync: sync, wb: writeback{f: f, every: csvWritebackSize}}
	e.buf = appendRecord(e.buf, header)
	// The header reaches the file at once: even a run that dies before its first row
	// leaves a partial file that opens.
	if err := e.flush(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return e, nil
}

// createEmpty opens the file at path for writing, created with fileMode when missing, and
// empties it. Unlike O_TRUNC it truncates only a file that holds something: on ext4 (with
// its default auto_da_alloc) truncating a file, even an empty one, makes closing it hand
// all of the file to the disk at once, and close waits while it does. For the results of
// a dry run of 1,000,000 rows, which are not synced (Options.NoSync), that close took
// 65–90 ms, and the run had nothing else to do meanwhile. (A CSV encoder's file is there
// already, created by the lock, and empty unless a run that crashed left it.)
func createEmpty(path string) (*os.File, error) {
	f, err := openPartial(path, os.O_WRONLY)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() > 0 {
		err = f.Truncate(0)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// writeRow adds r's line of the results file.
func (e *csvEncoder) writeRow(r Row) error {
	e.buf = appendRow(e.buf, r)
	if len(e.buf) >= csvBufferSize {
		return e.flush()
	}
	return nil
}

// appendRow appends r's line of the results file to b: appendRecord(b, appendCells(nil, r)),
// without building the record of strings first.
func appendRow(b []byte, r Row) []byte {
	b = strconv.AppendInt(b, int64(r.Number), 10)
	b = append(b, ',')
	b = appendCell(b, string(r.Status))
	b = append(b, ',')
	b = appendCell(b, r.Code)
	b = append(b, ',')
	b = appendCell(b, r.CardNumber)
	b = append(b, ',')
	b = appendCell(b, oneLine(r.Messages))
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	if r.Line != "" && plainCells(r.Input) {
		// The cells written as they are, joined by commas: the line itself.
		b = append(b, ',')
		b = append(b, r.Line...)
		return append(b, '\r', '\n')
	}
	for _, c := range r.Input {
		b = append(b, ',')
		switch {
		case c == "":
		case plainStart[c[0]] && !hasSpecial(c):
			b = append(b, c...) // appendCell's first case, without the call
		default:
			b = appendCell(b, c)
		}
	}
	return append(b, '\r', '\n')
}

func (e *csvEncoder) partial() string { return e.path }

func (e *csvEncoder) cleanup() {}

func (e *csvEncoder) flush() error {
	if len(e.buf) == 0 {
		return nil
	}
	n, err := e.f.Write(e.buf)
	e.buf = e.buf[:0]
	if err != nil && n > 0 {
		// Part of the buffer went (the disk is full, or the file at its size limit):
		// only whole rows stay, so that the file still reads cleanly to its end.
		if terr := e.f.Truncate(e.size); terr == nil {
			_, _ = e.f.Seek(e.size, io.SeekStart)
			n = 0
		}
	}
	e.size += int64(n)
	if e.sync {
		e.wb.wrote(n)
	}
	return err
}

func (e *csvEncoder) finish() error {
	err := e.flush()
	if werr := e.wb.stop(); err == nil {
		err = werr
	}
	if e.sync {
		if serr := e.f.Sync(); err == nil {
			err = serr
		}
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
		b = appendField(b, field)
	}
	return append(b, '\r', '\n')
}

// appendCell appends SafeCell(s) to b as one CSV field, quoted when it needs to be (the
// field appendRecord writes for it), in one pass over s and without allocating unless s
// holds a carriage return.
func appendCell(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	if plainStart[s[0]] && !hasSpecial(s) {
		// The common cell: written as it is.
		return append(b, s...)
	}
	special := hasSpecial(s)
	if special && strings.IndexByte(s, '\r') >= 0 {
		return appendField(b, SafeCell(s))
	}
	prefix, quote := false, special
	switch c := s[0]; c {
	case '=', '+', '-', '@', '\t':
		prefix = true
	default:
		// a field starting with white space is quoted, as is `\.`
		if c <= ' ' || c >= utf8.RuneSelf {
			r, _ := utf8.DecodeRuneInString(s)
			quote = quote || unicode.IsSpace(r)
		}
		quote = quote || s == `\.`
	}
	if !quote {
		if prefix {
			b = append(b, '\'')
		}
		return append(b, s...)
	}
	b = append(b, '"')
	if prefix {
		b = append(b, '\'')
	}
	for {
		j := strings.IndexByte(s, '"')
		if j < 0 {
			b = append(b, s...)
			break
		}
		b = append(b, s[:j+1]...)
		b = append(b, '"')
		s = s[j+1:]
	}
	return append(b, '"')
}

// plainCells reports whether every cell of cells that holds a comma, a quote, a CR or an
// LF (as the cells of a Row's Line do not) would be written as it is: whether each
// non-empty cell starts with a plainStart byte.
func plainCells(cells []string) bool {
	for _, c := range cells {
		if c != "" && !plainStart[c[0]] {
			return false
		}
	}
	return true
}

// plainStart[c] is set for the bytes that a cell written as it is may start with: the
// printable ASCII characters other than those that start a formula ('=', '+', '-', '@'),
// a quote or a backslash (`\.` is quoted). A control character, a space or the first
// byte of a longer rune (which may be white space) is not one of them either.
var plainStart = func() (t [256]bool) {
	for c := '!'; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range "=+-@\"\\" {
		t[c] = false
	}
	return t
}()

// hasSpecial reports whether s holds a comma, a quote, a CR or an LF. It looks at eight
// bytes at a time; the bytes of a shorter rest are gathered into eight, some of them
// twice, which does not change the answer.
func hasSpecial(s string) bool {
	n := len(s)
	switch {
	case n >= 8:
		for i := 0; i+8 <= n; i += 8 {
			if hasSpecial8(load64(s[i : i+8])) {
				return true
			}
		}
		return n%8 != 0 && hasSpecial8(load64(s[n-8:]))
	case n >= 4:
		return hasSpecial8(uint64(load32(s)) | uint64(load32(s[n-4:]))<<32)
	case n >= 2:
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[n-2])<<16 | uint64(s[n-1])<<24
		return hasSpecial8(x | x<<32)
	case n == 1:
		return hasSpecial8(uint64(s[0]) * 0x0101010101010101)
	}
	return false
}

// hasSpecial8 reports whether one of the eight bytes of x is a comma, a quote, a CR or an
// LF.
func hasSpecial8(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	// (y-lo) &^ y & hi is non-zero exactly when some byte of y is zero.
	a, q, cr, lf := x^(lo*','), x^(lo*'"'), x^(lo*'\r'), x^(lo*'\n')
	return ((a-lo)&^a|(q-lo)&^q|(cr-lo)&^cr|(lf-lo)&^lf)&hi != 0
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

// appendField appends one field of a record as appendRecord writes it.
func appendField(b []byte, field string) []byte {
	if !needsQuotes(field) {
		return append(b, field...)
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
	return append(b, '"')
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
