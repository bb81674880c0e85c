package sheet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// ErrUnclosedQuote is wrapped by the CSVError for a quoted field that no quote closes: one
// that is still open at the end of the file, or where a quote is followed by neither the
// delimiter nor a line end (CSVError.QuoteLine says where). A " is missing (or one too
// many) somewhere from the row it names onwards.
var ErrUnclosedQuote = errors.New(`a quoted field is never closed: a " is missing`)

// ErrRecordTooLong is wrapped by the CSVError for a record longer than 8 MiB: most
// likely a quote that is never closed, which would otherwise make the rest of the file
// one cell (and hold it all in memory). The error names the row and line just after the
// last complete record (blank lines before the long record are not seen).
var ErrRecordTooLong = errors.New(`record longer than 8 MiB: a " is probably missing`)

// csvMaxRecord is the longest record read.
const csvMaxRecord = 8 << 20

// CSVError is a malformed CSV file. It says where: the row as Row.Number counts it, and
// the line and byte column (both from 1) in the file, of the field at fault for a quote.
// It wraps Err and ErrFormat.
type CSVError struct {
	Path   string
	Row    int
	Line   int
	Column int
	// QuoteLine and QuoteColumn are where the quote is that should close the quoted
	// field at Line, Column but is followed by neither the delimiter nor a line end;
	// both are 0 for other errors.
	QuoteLine, QuoteColumn int
	Err                    error
}

func (e *CSVError) Error() string {
	if e.QuoteLine > 0 {
		return fmt.Sprintf(`%s: row %d (line %d, column %d): %v: the " at line %d, column %d is followed by neither the delimiter nor a line end`,
			e.Path, e.Row, e.Line, e.Column, e.Err, e.QuoteLine, e.QuoteColumn)
	}
	return fmt.Sprintf("%s: row %d (line %d, column %d): %v", e.Path, e.Row, e.Line, e.Column, e.Err)
}

// Unwrap returns Err and ErrFormat, so that errors.Is finds either.
func (e *CSVError) Unwrap() []error { return []error{e.Err, ErrFormat} }

// OpenCSV opens a CSV file for streaming. What it accepts:
//
//   - Encoding: UTF-8 with or without a BOM, and UTF-16 with a BOM. A file whose first
//     64 KiB are not UTF-8 and hold no UTF-8 character beyond ASCII is read as
//     Windows-1252 (and Warnings says so). Otherwise valid UTF-8 is kept as it is, and
//     bytes that are not UTF-8 are read as Windows-1252 one by one wherever they are
//     (Warnings names the first row with one). opt.Encoding forces an encoding (see
//     ParseEncoding); forced UTF-8 replaces bad bytes with U+FFFD.
//   - Delimiter: the most frequent of , ; tab | outside quotes in the header line (comma
//     on a tie or when there is none), unless opt.Delimiter is set. The header line is
//     row opt.HeaderRow when that is more than 1 (and within the first 64 KiB), else the
//     first line. When every delimiter of that line is followed by a space ("a, b, c"),
//     leading spaces of fields are dropped.
//   - Line ends: LF, CRLF, and lone CR (classic Mac), inside quoted fields too; any of
//     them inside a quoted field reads as "\n".
//   - Quotes: RFC 4180 quoting with "" for a quote. A quote inside an unquoted field
//     (12" pizza) is kept as it is, as spreadsheet programs do. In a quoted field, a
//     quote followed by anything but a delimiter or a line end, or the end of the file
//     inside the field, is a *CSVError wrapping ErrUnclosedQuote (as encoding/csv's
//     ErrQuote without LazyQuotes), and a record over 8 MiB one wrapping
//     ErrRecordTooLong.
//   - Rows keep the number of cells they have (ragged rows are the caller's business).
//     Row.Number counts records from 1, each blank line counting as one; blank lines and
//     records whose cells are all empty are not returned. Every cell is String, or Empty
//     when its text is empty.
//
// A ZIP (an .xlsx under a .csv name), an OLE2 file or one full of NUL bytes is refused
// with an error wrapping ErrFormat. An empty file gives io.EOF at the first Next.
func OpenCSV(path string, opt Options) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := csvNew(path, f, opt)
	if err != nil {
		_ = f.Close() // the error that matters is err
		return nil, err
	}
	return r, nil
}

// ParseDelimiter reads a delimiter as a user writes it on the command line: a single
// character, or one of the names comma, semicolon, tab (also \t), pipe and space.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "tab", `\t`:
		return '\t', nil
	case "pipe":
		return '|', nil
	case "space":
		return ' ', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) {
		return 0, fmt.Errorf("delimiter %q: want one character, or comma, semicolon, tab or pipe", s)
	}
	if err := csvCheckDelim(r); err != nil {
		return 0, err
	}
	return r, nil
}

func csvCheckDelim(r rune) error {
	if r == 0 || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError || !utf8.ValidRune(r) {
		return fmt.Errorf("delimiter %q cannot separate CSV fields", r)
	}
	return nil
}

// csvBufSize is the size of the buffer the records are read from.
const csvBufSize = 64 << 10

// csvReader is the Reader of a CSV file.
type csvReader struct {
	path  string
	src   io.ReadCloser
	plan  encPlan
	comma rune
	line  string // see Line
	trim  bool
	br    *bufio.Reader // what sc reads
	text  *csvCRReader  // what br reads
	sc    *csvScanner

	warnings []string
	slab     []Cell   // cells not yet handed out
	spare    [][]Cell // cells handed back by Recycle, taken from recycled at once
	recycled struct {
		sync.Mutex
		cells [][]Cell
		n     atomic.Int32 // len(cells), read without the lock
	}
	warnedBad bool  // a warning about bytes that are not UTF-8 was given
	number    int   // Number of the last record read
	nextLine  int   // the line a record starts on when no blank line comes first
	err       error // sticky: returned by every Next after the first error or io.EOF
}

// csvNew reads a CSV stream from src.
func csvNew(path string, src io.ReadCloser, opt Options) (*csvReader, error) {
	enc, err := ParseEncoding(opt.Encoding)
	if err != nil {
		return nil, err
	}
	if opt.Delimiter != 0 {
		if err := csvCheckDelim(opt.Delimiter); err != nil {
			return nil, err
		}
	}
	head := make([]byte, encSniffSize)
	n, err := io.ReadFull(src, head)
	eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !eof {
		// An *os.PathError names the file again: "read x: read x: is a directory".
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	head = head[:n]
	plan, err := encDecide(head, eof, enc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	br, text := csvStream(io.MultiReader(bytes.NewReader(head[plan.skip:]), src), plan)
	// The delimiter is judged on decoded text, so that UTF-16 works the same as UTF-8.
	first, _ := br.Peek(csvBufSize) // a short file gives what there is, with an error that Read repeats
	comma, trim := csvDialect(csvHeaderLine(first, opt.HeaderRow), opt.Delimiter)

	r := &csvReader{path: path, src: src, plan: plan, comma: comma, trim: trim, br: br, text: text, nextLine: 1}
	r.sc = newCSVScanner(br, comma, trim)
	text.limit = csvMaxRecord
	if plan.warning != "" {
		r.warnings = append(r.warnings, plan.warning)
	}
	return r, nil
}

// csvStream turns the file's bytes after the BOM into UTF-8 text with LF or CRLF line
// ends, buffered for the csvScanner.
func csvStream(raw io.Reader, plan encPlan) (*bufio.Reader, *csvCRReader) {
	// The decoders give valid UTF-8; bytes read as they are must be watched. The buffer
	// that text reads from is half the size of the one that reads text: the reads of the
	// latter are then large enough for the former to pass them straight to the file
	// (when it holds nothing), rather than copy every byte once more.
	text := &csvCRReader{r: bufio.NewReaderSize(plan.decoder(raw), csvBufSize/2), watch: plan.id == encUTF8}
	return bufio.NewReaderSize(text, csvBufSize), text
}

// advance reads on to the next record with a cell that is not empty and returns how many
// fields it has: then r.sc holds them and r.number is its Number.
func (r *csvReader) advance() (int, error) {
	for r.err == nil {
		r.text.recStart = r.sc.offset
		err := r.sc.read()
		if err == io.EOF {
			r.err = io.EOF
			break
		}
		if err != nil {
			r.err = r.readError(err)
			break
		}
		sc := r.sc
		n := sc.count()
		r.text.recStart = sc.offset // the read-ahead below belongs to the next record
		line := sc.firstLine
		// Blank lines are skipped silently: each one between the end of the last record
		// and the start of this one is a row of its own.
		r.number += 1 + line - r.nextLine
		r.nextLine = sc.lastLine + 1
		if !sc.oneLine {
			r.nextLine += strings.Count(sc.field(n-1), "\n")
		}

		empty := true
		for i := 0; i < len(sc.spans); i += 2 {
			if sc.spans[i] != sc.spans[i+1] {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		return n, nil
	}
	return 0, r.err
}

// Next implements Reader.
func (r *csvReader) Next() (Row, error) {
	n, err := r.advance()
	if err != nil {
		return Row{}, err
	}
	sc := r.sc
	cells, fresh := r.cells(n)
	if r.text.bad {
		for i := range cells {
			s := r.fixedField(i)
			if !fresh {
				csvResetCell(&cells[i])
			}
			if s != "" {
				cells[i].Kind = String
				cells[i].Text = s
			}
		}
		return Row{Number: r.number, Cells: cells}, nil
	}
	rec, spans := sc.rec, sc.spans[:2*n]
	if !fresh {
		for i := range cells {
			c := &cells[i]
			if c.Raw != "" || c.Time != (time.Time{}) {
				c.Raw, c.Time = "", time.Time{}
			}
			if lo, hi := spans[2*i], spans[2*i+1]; lo != hi {
				c.Kind, c.Text = String, rec[lo:hi]
			} else if c.Kind != Empty || c.Text != "" {
				c.Kind, c.Text = Empty, ""
			}
		}
		return Row{Number: r.number, Cells: cells}, nil
	}
	for i := range cells {
		// The record's string is fresh for every record, so the cells may hold
		// pieces of it. Setting the two fields, not the whole Cell, spares the
		// write barriers of the others.
		if lo, hi := spans[2*i], spans[2*i+1]; lo != hi {
			cells[i].Kind = String
			cells[i].Text = rec[lo:hi]
		}
	}
	return Row{Number: r.number, Cells: cells}, nil
}

// TextReader is implemented by the Readers (CSV) whose cells are all text: String, or
// Empty when the text is empty, never with Raw or Time. NextTexts is Next giving the
// row's Number and the texts of its cells only, appended to dst[:0] (so in dst's array
// when it has room): it spares building the row's cells. Calls of Next and NextTexts may
// be mixed.
type TextReader interface {
	NextTexts(dst []string) (number int, texts []string, err error)
	// Line returns the record NextTexts returned last as the line it was, when that
	// line is exactly its texts joined by commas: comma-delimited, with no quote and no
	// carriage return. It returns "" for any other record. (A results CSV can then
	// copy the line rather than write the cells one by one.)
	Line() string
}

// NextTexts implements TextReader.
func (r *csvReader) NextTexts(dst []string) (int, []string, error) {
	r.line = ""
	n, err := r.advance()
	if err != nil {
		return 0, nil, err
	}
	sc := r.sc
	texts := dst[:0]
	if r.text.bad {
		for i := range n {
			texts = append(texts, r.fixedField(i))
		}
		return r.number, texts, nil
	}
	rec, spans := sc.rec, sc.spans[:2*n]
	for i := range n {
		texts = append(texts, rec[spans[2*i]:spans[2*i+1]])
	}
	if sc.oneLine && r.comma == ',' && n > 0 && spans[0] == 0 && spans[2*n-1] == len(rec) &&
		strings.IndexByte(rec, '"') < 0 && strings.IndexByte(rec, '\r') < 0 {
		r.line = rec
	}
	return r.number, texts, nil
}

// fixedField is field i of the last record of a file whose bytes are not all UTF-8:
// decoded as Windows-1252 where it is not valid UTF-8, with a warning.
func (r *csvReader) fixedField(i int) string {
	s := r.sc.field(i)
	if !utf8.ValidString(s) {
		s = encFixCell(s, r.plan.strict)
		r.warnBadBytes()
	}
	return s
}

// Line implements TextReader.
func (r *csvReader) Line() string { return r.line }

// csvSlabSize is how many cells are allocated at once for the rows to come: as many as
// fit in the largest small allocation (32 KiB less the 8-byte header of an object with
// pointers), which is far cheaper to allocate than a large one.
const csvSlabSize = (32<<10 - 8) / int(unsafe.Sizeof(Cell{}))

// Recycler is implemented by the Readers (CSV) that can use the memory of rows again
// once the caller is done with them, which spares allocating (and collecting) the cells
// of every row: the cells of a 13-column row take 832 bytes.
type Recycler interface {
	// Recycle hands back rows the reader returned that the caller is done with: neither
	// the rows nor their Cells may be used afterwards (the cells' texts may: they stay
	// as they are). It may be called from any goroutine, also while Next runs. Rows
	// handed back twice are taken once.
	Recycle(rows []Row)
}

// csvRecycleMax is how many rows' cells a reader keeps for use again at most.
const csvRecycleMax = 4096

// Recycle implements Recycler.
func (r *csvReader) Recycle(rows []Row) {
	r.recycled.Lock()
	defer r.recycled.Unlock()
	for _, row := range rows {
		if len(r.recycled.cells) >= csvRecycleMax {
			break
		}
		c := row.Cells[:cap(row.Cells)]
		// The first cell marks cells handed back already: the same row handed back
		// twice would otherwise become two rows sharing cells.
		if len(c) == 0 || c[0].Kind == csvRecycled {
			continue
		}
		c[0].Kind = csvRecycled
		r.recycled.cells = append(r.recycled.cells, c)
	}
	r.recycled.n.Store(int32(len(r.recycled.cells)))
}

// csvRecycled is the Kind of the first cell of cells handed back by Recycle, until they
// are used again.
const csvRecycled Kind = 255

// cells returns n cells of their own (their capacity is n: appending to a row's cells
// does not reach into the next row's): zero cells when fresh, else recycled ones, which
// csvResetCell must empty.
func (r *csvReader) cells(n int) (cells []Cell, fresh bool) {
	if len(r.spare) == 0 && r.recycled.n.Load() > 0 {
		r.recycled.Lock()
		r.spare, r.recycled.cells = r.recycled.cells, r.spare[:0]
		r.recycled.n.Store(0)
		r.recycled.Unlock()
	}
	if k := len(r.spare); k > 0 {
		c := r.spare[k-1]
		r.spare[k-1] = nil
		r.spare = r.spare[:k-1]
		if cap(c) >= n {
			if cap(c) > n {
				clear(c[n:cap(c)]) // no old text is kept alive beyond the row
			}
			return c[:n:n], false
		}
	}
	if n > len(r.slab) {
		if n > csvSlabSize/4 {
			return make([]Cell, n), true
		}
		r.slab = make([]Cell, csvSlabSize)
	}
	c := r.slab[:n:n]
	r.slab = r.slab[n:]
	return c, true
}

// csvResetCell empties a recycled cell, writing only the fields that are not empty: a
// write of a pointer costs more than a read while the garbage collector runs.
func csvResetCell(c *Cell) {
	if c.Kind != Empty || c.Text != "" {
		c.Kind, c.Text = Empty, ""
	}
	if c.Raw != "" || c.Time != (time.Time{}) {
		c.Raw, c.Time = "", time.Time{}
	}
}

func (r *csvReader) warnBadBytes() {
	if r.warnedBad {
		return
	}
	r.warnedBad = true
	if r.plan.strict {
		r.warnings = append(r.warnings, fmt.Sprintf("not UTF-8 from row %d: bytes that are not UTF-8 replaced by U+FFFD", r.number))
		return
	}
	r.warnings = append(r.warnings, fmt.Sprintf("not UTF-8 from row %d: bytes that are not UTF-8 read as Windows-1252", r.number))
}

func (r *csvReader) readError(err error) error {
	// The record starts at the scanner's firstLine, or here (unless blank lines come
	// first) when it was too long for the scanner to get to a line.
	var qe *csvQuoteError
	if errors.As(err, &qe) {
		return &CSVError{Path: r.path, Row: r.number + 1 + r.sc.firstLine - r.nextLine, Line: qe.line, Column: qe.col,
			QuoteLine: qe.quoteLine, QuoteColumn: qe.quoteCol, Err: ErrUnclosedQuote}
	}
	if errors.Is(err, ErrRecordTooLong) {
		return &CSVError{Path: r.path, Row: r.number + 1, Line: r.nextLine, Column: 1, Err: ErrRecordTooLong}
	}
	return fmt.Errorf("read %q after row %d: %w", r.path, r.number, err)
}

// Warnings implements Reader.
func (r *csvReader) Warnings() []string {
	return append([]string(nil), r.warnings...)
}

// Close implements Reader.
func (r *csvReader) Close() error {
	if r.src == nil {
		return nil
	}
	err := r.src.Close()
	r.src = nil
	r.err = errors.New("sheet: reader closed")
	return err
}

// csvHeaderLine returns text from the line the delimiter is to be judged on: row
// headerRow when it is more than 1 and text reaches it, else the first line.
func csvHeaderLine(text []byte, headerRow int) []byte {
	if headerRow > 1 {
		if rest, ok := csvSkipRecords(text, headerRow-1); ok {
			return rest
		}
	}
	return text
}

// csvSkipRecords returns text after its first n records (each blank line one record, as
// Row.Number counts them), and whether text holds that many. A quote opens a quoted field
// where a field may start (after a line end or any of , ; tab |, or spaces after one);
// in one, a line end is part of the field.
func csvSkipRecords(text []byte, n int) ([]byte, bool) {
	fieldStart, quoted := true, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quoted:
			if c == '"' {
				if i+1 < len(text) && text[i+1] == '"' {
					i++
				} else {
					quoted = false
				}
			}
		case c == '\n':
			if n--; n == 0 {
				return text[i+1:], true
			}
			fieldStart = true
		case c == '"' && fieldStart:
			quoted, fieldStart = true, false
		case c == ',' || c == ';' || c == '\t' || c == '|':
			fieldStart = true
		case c == ' ' || c == '\r':
		default:
			fieldStart = false
		}
	}
	return text, false
}

// csvDialect picks the delimiter (forced unless 0) from the first line of text and says
// whether to trim the space after each delimiter.
func csvDialect(text []byte, forced rune) (comma rune, trim bool) {
	for {
		switch {
		case bytes.HasPrefix(text, []byte("\n")):
			text = text[1:]
			continue
		case bytes.HasPrefix(text, []byte("\r\n")):
			text = text[2:]
			continue
		}
		break
	}
	if forced != 0 {
		_, spaced := csvCountDelim(text, forced)
		// The reader (as encoding/csv) trims even a delimiter that is white space: "a\t\tb" would lose
		// its empty field.
		return forced, spaced && !unicode.IsSpace(forced)
	}
	comma = ','
	best, trim := csvCountDelim(text, ',')
	for _, d := range []rune{';', '\t', '|'} {
		if n, spaced := csvCountDelim(text, d); n > best {
			comma, best, trim = d, n, spaced
		}
	}
	return comma, trim && comma != '\t'
}

// csvCountDelim counts d outside quotes in the first line of text, and says whether every
// one of them is followed by a space.
func csvCountDelim(text []byte, d rune) (n int, spaced bool) {
	spaced = true
	fieldStart, quoted := true, false
	for i := 0; i < len(text); {
		c, size := rune(text[i]), 1
		if c >= utf8.RuneSelf {
			c, size = utf8.DecodeRune(text[i:])
		}
		switch {
		case quoted:
			if c == '"' {
				if i+1 < len(text) && text[i+1] == '"' {
					size = 2
				} else {
					quoted = false
				}
			}
		case c == '\n' || c == '\r':
			return n, spaced && n > 0
		case c == d:
			n++
			if i+size >= len(text) || text[i+size] != ' ' {
				spaced = false
			}
			fieldStart = true
		case c == '"' && fieldStart:
			quoted, fieldStart = true, false
		case c == ' ':
			// spaces before a quote still let it open a quoted field
		default:
			fieldStart = false
		}
		i += size
	}
	return n, spaced && n > 0
}

// csvCRReader turns every lone CR (classic Mac line end) into LF; CRLF is left to the
// csvScanner, which reads it as one line end, as encoding/csv does. When watch is set it
// also notes whether any byte so far was not part of valid UTF-8, so that cells need
// checking only then: one pass over large buffers costs far less than one per cell.
type csvCRReader struct {
	r     *bufio.Reader
	watch bool
	bad   bool              // a byte so far was not UTF-8 (or began a rune cut at the end)
	tail  [utf8.UTFMax]byte // the start of a rune cut at the end of the last read
	ntail int

	// With limit set, reading fails with ErrRecordTooLong once more than limit bytes
	// have passed since the offset recStart (the start of the record being read).
	limit, recStart, passed int64
}

func (c *csvCRReader) Read(p []byte) (int, error) {
	if c.limit > 0 && c.passed-c.recStart > c.limit {
		return 0, ErrRecordTooLong
	}
	n, err := c.r.Read(p)
	c.passed += int64(n)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\r')
		if j < 0 {
			break
		}
		i += j
		if i+1 < n {
			if p[i+1] != '\n' {
				p[i] = '\n'
			}
		} else if next, perr := c.r.Peek(1); perr != nil || next[0] != '\n' {
			p[i] = '\n'
		}
		i++
	}
	if c.watch && !c.bad {
		c.check(p[:n], err != nil)
	}
	return n, err
}

// check notes in c.bad whether b, which follows the bytes checked before, breaks UTF-8.
func (c *csvCRReader) check(b []byte, atEOF bool) {
	if c.ntail > 0 {
		var buf [utf8.UTFMax]byte
		m := copy(buf[:], c.tail[:c.ntail])
		m += copy(buf[m:], b)
		if !utf8.FullRune(buf[:m]) {
			c.ntail = copy(c.tail[:], buf[:m])
			c.bad = atEOF
			return
		}
		r, size := utf8.DecodeRune(buf[:m])
		if r == utf8.RuneError && size == 1 {
			c.bad = true
			return
		}
		b = b[size-c.ntail:]
		c.ntail = 0
	}
	whole := encTrimPartialRune(b)
	if !utf8.Valid(whole) {
		c.bad = true
		return
	}
	c.ntail = copy(c.tail[:], b[len(whole):])
	c.bad = atEOF && c.ntail > 0
}
