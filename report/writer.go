package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of the results writer, for errors.Is.
var (
	// ErrFormat: the results path ends in neither .csv nor .xlsx.
	ErrFormat = errors.New("results file must end in .csv or .xlsx")
	// ErrMissingRow: Close found a gap in the rows' Seq numbers.
	ErrMissingRow = errors.New("a row never reached the results")
	// ErrDuplicateRow: Add got a Seq that was already added.
	ErrDuplicateRow = errors.New("row added twice")
	// ErrClosed: Add after Close or Abort.
	ErrClosed = errors.New("results writer is closed")
	// ErrTooManyRows: an XLSX sheet holds at most 1,048,576 rows, header included.
	ErrTooManyRows = errors.New("too many rows for an XLSX sheet; use a .csv results file")
)

// When the CSV writer hands what it has written to the operating system: once this much
// time has passed since the last time, or once this many rows have piled up, whichever
// comes first. A crash of the process loses at most the rows written since then.
const (
	flushInterval = 200 * time.Millisecond
	flushRows     = 1000
)

// Writer writes the results file: one row per input row, in input order, whatever order
// the rows finish in.
//
// The file is written under a temporary name beside the destination (see PartialPath) and
// renamed into place by Close, so the destination only ever holds a complete file.
//
// CSV: rows reach the partial file as soon as they are next in input order, flushed to the
// operating system at least every 200 ms or 1,000 rows and always as whole rows, so a crash
// of the process leaves a partial file whose content is a readable prefix of the results
// (at most the rows of the last 200 ms, or those added since the last Add or Flush, are
// lost). The CSV is UTF-8 without a byte order mark (scripts and CSV libraries would take
// one for part of the first column's name; a workbook is the results format for Excel),
// CRLF line endings (RFC 4180 and what Excel writes), fields quoted only when needed, and
// line breaks inside a cell written as LF. Every line has the header's width: a row with
// fewer input cells than the header is padded, and cells beyond the header (which the
// mapping cannot name, and the importer warns about) are left out.
//
// XLSX: one sheet named "Results" with a bold, frozen header row, column widths set, the
// status cell coloured (green for new, update, unchanged and valid; red for invalid and
// error; amber for unknown and skipped), row and attempts written as numbers and every
// other cell as text, so "06083" stays "06083". A cell holds at most 32,767 characters
// (Excel's limit); longer values are cut. A workbook cannot be read before it is
// finished, so while the run goes on the rows are written, exactly as for a CSV results
// file (same columns, escaping and flushing), to a CSV partial file beside the
// destination: "r.xlsx" is written as "r.partial.csv". A crash of the process leaves that
// CSV file, a readable prefix of the results holding every row flushed, and no workbook.
// Close (and Abort) builds the workbook "r.partial.xlsx" from the CSV file, removes the
// CSV file, and Close renames the workbook into place. If building the workbook fails,
// the CSV file is kept and the error names it.
//
// Every cell, fixed columns and input alike, goes through SafeCell.
//
// The results and partial files are created readable and writable by their owner only
// (mode 0600), since they hold personal data.
//
// A Writer is safe for use by several goroutines, though one owner calling Add, with Flush
// from a ticker if rows may arrive slowly, is the intended use.
type Writer struct {
	mu      sync.Mutex
	path    string
	tmp     string
	enc     encoder
	lock    *os.File // holds the partial file's lock until the results are in place
	sync    bool     // not Options.NoSync
	width   int      // the input header's width
	next    int      // the Seq of the next row to write
	pending heldRows // rows that finished before the row ahead of them
	last    int      // Number of the last row written
	written int
	err     error // sticky: the first write error
	done    bool

	// due is set by flushTimer once flushInterval has passed since the last flush: a
	// clock read on every Add would cost more than writing a row on some machines.
	due        atomic.Bool
	flushTimer *time.Timer
	unflushed  int
}

// encoder is one file format of the results.
type encoder interface {
	// writeRow adds one row.
	writeRow(r Row) error
	// flush hands the rows written so far to the operating system.
	flush() error
	// finish completes the file at its temporary path, syncs it to disk (unless
	// Options.NoSync) and closes it.
	finish() error
	// partial returns the file that holds the rows written so far.
	partial() string
	// cleanup removes what finish left beside the file once the file is in place (or
	// left as the partial results): nothing for CSV.
	cleanup()
}

// inputColumns returns the names of the input's columns in the results file: as the input
// names them, formula-escaped, except where a name is one of FixedColumns (case and
// spaces aside, as spreadsheet programs and scripts match them): an input's own "code"
// column beside the code the API returned would make a header with two "code" columns,
// and a script reading the file by name would get one of them, maybe the input's. Such
// a column is named "input_" + its name (again, until the name is free).
func inputColumns(inputHeader []string) []string {
	taken := make(map[string]bool, len(FixedColumns)+len(inputHeader))
	fold := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	for _, c := range FixedColumns {
		taken[fold(c)] = true
	}
	clash := make([]bool, len(inputHeader))
	for i, h := range inputHeader {
		clash[i] = taken[fold(h)]
	}
	for i, h := range inputHeader {
		if !clash[i] {
			taken[fold(h)] = true
		}
	}
	out := make([]string, len(inputHeader))
	for i, h := range inputHeader {
		if clash[i] {
			for taken[fold(h)] {
				h = "input_" + h
			}
			taken[fold(h)] = true
		}
		out[i] = SafeCell(h)
	}
	return out
}

// Options are Create's choices.
type Options struct {
	// NoSync leaves the results to the system's own writing to disk: Close neither
	// waits for the disk nor syncs the directory of the rename. For results that can be
	// made again, as a dry run's, or that are not the only record of what they hold (a
	// run's with a state database): a crash of the machine soon after may lose them, or
	// leave an empty or partly written file in their place (what it leaves depends on
	// the file system); a crash of the process does not. Waiting for the disk costs far
	// more than writing the file: a sync (Linux's fsync) holds one of the Go runtime's
	// processors for as long as it waits, so on a machine of two cores the rest of the
	// run gets one.
	NoSync bool
}

// Create starts a results file at path, a .csv or .xlsx file by its extension (in any
// case), whose header is FixedColumns followed by inputHeader's names (see inputColumns).
// Nothing is at path until Close succeeds, and Close syncs the file to disk.
func Create(path string, inputHeader []string) (*Writer, error) {
	return CreateWith(path, inputHeader, Options{})
}

// CreateWith is Create with options.
func CreateWith(path string, inputHeader []string, opt Options) (*Writer, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".csv" && ext != ".xlsx" {
		return nil, fmt.Errorf("results %q: %w", path, ErrFormat)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("results %q: is a directory", path)
	}
	tmp := partialPath(path)

	header := make([]string, 0, len(FixedColumns)+len(inputHeader))
	header = append(header, FixedColumns...)
	header = append(header, inputColumns(inputHeader)...)
	// The file that a crash leaves is the one locked: the CSV partial file, for XLSX too.
	lockPath := tmp
	if ext == ".xlsx" {
		lockPath = csvPartialPath(tmp)
	}
	lock, err := lockPartial(lockPath)
	if err != nil {
		return nil, fmt.Errorf("results %q: %w", path, err)
	}
	var enc encoder
	if ext == ".csv" {
		enc, err = newCSVEncoder(tmp, header, !opt.NoSync)
	} else {
		enc, err = newXLSXEncoder(tmp, header, !opt.NoSync)
	}
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("results %q: %w", path, err)
	}
	w := &Writer{
		path:  path,
		tmp:   tmp,
		enc:   enc,
		lock:  lock,
		sync:  !opt.NoSync,
		width: len(inputHeader),
	}
	w.flushTimer = time.AfterFunc(flushInterval, func() { w.due.Store(true) })
	return w, nil
}

// partialPath returns the partial file of the results file at path: "r.partial.csv" for
// "r.csv", "r.partial.xlsx" for "r.xlsx".
func partialPath(path string) string {
	base := filepath.Base(path)
	return filepath.Join(filepath.Dir(path), strings.TrimSuffix(base, filepath.Ext(base))+".partial"+filepath.Ext(base))
}

// PartialPaths returns the files that Create writes the results file at path to before
// Close renames it into place: "r.partial.csv" for "r.csv"; for "r.xlsx", the workbook
// "r.partial.xlsx" and the CSV file "r.partial.csv" that it is built from. Create empties
// them (they are left by a run that crashed), and Close renames or removes them: a
// caller must not let one name a file it reads.
func PartialPaths(path string) []string {
	tmp := partialPath(path)
	if strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return []string{tmp, csvPartialPath(tmp)}
	}
	return []string{tmp}
}

// Path returns the results file's final path.
func (w *Writer) Path() string { return w.path }

// PartialPath returns the temporary file that Close renames to Path. After Abort, or a
// failed Close, the partial file is left there. For CSV the rows are written to it as
// they finish; for XLSX it is the workbook built at the end, and until then the rows are
// written to the CSV partial file beside it ("r.partial.csv" for "r.partial.xlsx"), which
// is what a crash leaves.
func (w *Writer) PartialPath() string { return w.tmp }

// Add takes one finished row. Rows may come in any order; each is written as soon as every
// row before it (by Seq) has been. Rows that come early are held in memory until then: the
// caller bounds how far ahead of the oldest unfinished row it runs.
func (w *Writer) Add(r Row) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return fmt.Errorf("results %q: add row %d: %w", w.path, r.Number, ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	if r.Seq < 0 {
		return fmt.Errorf("results %q: row %d: negative seq %d", w.path, r.Number, r.Seq)
	}
	if r.Seq < w.next || w.pending.has(r.Seq) {
		return fmt.Errorf("results %q: row %d (seq %d): %w", w.path, r.Number, r.Seq, ErrDuplicateRow)
	}
	if r.Seq != w.next {
		w.pending.put(r, w.next)
		return nil
	}
	if err := w.writeRow(r); err != nil {
		return err
	}
	for {
		p, ok := w.pending.take(w.next)
		if !ok {
			break
		}
		if err := w.writeRow(p); err != nil {
			return err
		}
	}
	if w.unflushed >= flushRows || w.due.Load() {
		return w.flushLocked()
	}
	return nil
}

// Flush hands the rows written so far to the operating system, so that a crash of the
// process from now on leaves them in the partial file (for XLSX, the CSV partial file).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || w.err != nil {
		return w.err
	}
	return w.flushLocked()
}

// Written returns how many rows have been written so far (rows held back waiting for an
// earlier row are not counted).
func (w *Writer) Written() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// Pending returns how many rows are held back, waiting for an earlier row.
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pending.len()
}

// Close writes the rest, syncs the file to disk and renames it into place. When a row is
// missing (a gap in Seq), Close writes the rows after the gap all the same, leaves the
// partial file and returns an error wrapping ErrMissingRow that names the first missing
// Seq. Close and Abort after Close do nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	defer w.unlock()
	w.flushTimer.Stop()
	if w.err != nil {
		if w.enc.finish() == nil {
			w.enc.cleanup()
		}
		return fmt.Errorf("%w (partial results left in %q)", w.err, w.enc.partial())
	}
	if w.pending.len() > 0 {
		missing, held := w.next, w.pending.len()
		after := w.last
		w.drain()
		if err := w.enc.finish(); err != nil && w.err == nil {
			w.err = fmt.Errorf("results %q: %w", w.path, err)
		} else if err == nil {
			w.enc.cleanup()
		}
		if w.err != nil {
			return fmt.Errorf("%w (partial results left in %q)", w.err, w.enc.partial())
		}
		where := "the first data row"
		if missing > 0 {
			where = fmt.Sprintf("the data row after row %d", after)
		}
		return fmt.Errorf("results %q: %w: seq %d (%s) never arrived; %d later rows were written after the gap (partial results left in %q)",
			w.path, ErrMissingRow, missing, where, held, w.enc.partial())
	}
	if err := w.enc.finish(); err != nil {
		return fmt.Errorf("results %q: %w (partial results left in %q)", w.path, err, w.enc.partial())
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		return fmt.Errorf("results %q: %w (the results are in %q)", w.path, err, w.tmp)
	}
	w.enc.cleanup()
	// The rename is durable once the directory is synced; not every system can sync a
	// directory, and the file itself is already safe, so a failure here is not reported.
	if w.sync {
		syncDir(filepath.Dir(w.path))
	}
	return nil
}

// Abort ends a run that cannot finish: it writes every row it holds (in Seq order, with
// gaps where rows never came), completes the partial file and leaves it at PartialPath,
// without renaming it into place. It returns only an error of writing the file. Abort
// after Close does nothing, so `defer w.Abort()` is safe.
func (w *Writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	defer w.unlock()
	w.flushTimer.Stop()
	if w.err == nil {
		w.drain()
	}
	err := w.enc.finish()
	if err == nil {
		w.enc.cleanup()
	}
	if w.err != nil {
		return w.err
	}
	if err != nil {
		return fmt.Errorf("results %q: %w", w.enc.partial(), err)
	}
	return nil
}

// unlock lets another run write these results.
func (w *Writer) unlock() {
	if w.lock != nil {
		_ = w.lock.Close()
		w.lock = nil
	}
}

// drain writes the held-back rows in Seq order, after a gap.
func (w *Writer) drain() {
	w.pending.spill()
	far := w.pending.far
	for len(far) > 0 && w.err == nil {
		lo := -1
		for s := range far {
			if lo < 0 || s < lo {
				lo = s
			}
		}
		r := far[lo]
		delete(far, lo)
		_ = w.writeRow(r)
	}
}

// writeRow encodes one row and advances next past it.
func (w *Writer) writeRow(r Row) error {
	if len(r.Input) != w.width {
		r.Input, r.Line = w.fit(r.Input), ""
	}
	if err := w.enc.writeRow(r); err != nil {
		w.err = fmt.Errorf("results %q: row %d: %w", w.path, r.Number, err)
		return w.err
	}
	w.next = r.Seq + 1
	w.last = r.Number
	w.written++
	w.unflushed++
	return nil
}

// fit returns input cut or padded to the header's width.
func (w *Writer) fit(input []string) []string {
	if len(input) > w.width {
		return input[:w.width]
	}
	return append(input[:len(input):len(input)], make([]string, w.width-len(input))...)
}

// appendCells appends the cells of r's line of the results file to rec.
func appendCells(rec []string, r Row) []string {
	rec = append(rec,
		strconv.Itoa(r.Number),
		SafeCell(string(r.Status)),
		SafeCell(r.Code),
		SafeCell(r.CardNumber),
		SafeCell(oneLine(r.Messages)),
		strconv.Itoa(r.Attempts),
	)
	for _, c := range r.Input {
		rec = append(rec, SafeCell(c))
	}
	return rec
}

func (w *Writer) flushLocked() error {
	if err := w.enc.flush(); err != nil {
		w.err = fmt.Errorf("results %q: %w", w.path, err)
		return w.err
	}
	w.unflushed = 0
	w.due.Store(false)
	w.flushTimer.Reset(flushInterval)
	return nil
}

// syncDir syncs a directory so that a rename in it survives a power cut, where the system
// allows it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// heldRingSize is how far ahead of the next row to write (in Seq) a row may come and still
// be held in the ring of heldRows rather than its map. A power of two.
const heldRingSize = 256

// heldRows holds the rows that came before their turn, by Seq: those less than
// heldRingSize ahead of the next row to write when they came in a ring (slot Seq modulo
// its size), which costs far less than a map; any further ahead in a map.
//
// A row in the ring has a Seq in [next, next+heldRingSize), where next is the Seq of the
// next row to write: it was in that range when it came, next only grows, and never past a
// row that is held. So two rows held in the ring never share a slot.
type heldRows struct {
	ring []Row
	used []bool
	n    int // rows in the ring
	far  map[int]Row
}

func (h *heldRows) len() int { return h.n + len(h.far) }

// has reports whether the row seq is held.
func (h *heldRows) has(seq int) bool {
	if h.n > 0 {
		if i := seq & (heldRingSize - 1); h.used[i] && h.ring[i].Seq == seq {
			return true
		}
	}
	_, ok := h.far[seq]
	return ok
}

// put holds r, which is not held yet; next is the Seq of the next row to write.
func (h *heldRows) put(r Row, next int) {
	if r.Seq-next >= heldRingSize {
		if h.far == nil {
			h.far = make(map[int]Row)
		}
		h.far[r.Seq] = r
		return
	}
	if h.ring == nil {
		h.ring = make([]Row, heldRingSize)
		h.used = make([]bool, heldRingSize)
	}
	i := r.Seq & (heldRingSize - 1)
	h.ring[i], h.used[i] = r, true
	h.n++
}

// take removes the row seq and returns it, when it is held.
func (h *heldRows) take(seq int) (Row, bool) {
	if h.n > 0 {
		if i := seq & (heldRingSize - 1); h.used[i] && h.ring[i].Seq == seq {
			r := h.ring[i]
			h.ring[i], h.used[i] = Row{}, false // the row's strings are not kept alive
			h.n--
			return r, true
		}
	}
	if len(h.far) == 0 {
		return Row{}, false
	}
	r, ok := h.far[seq]
	if ok {
		delete(h.far, seq)
	}
	return r, ok
}

// spill moves every row of the ring into the map.
func (h *heldRows) spill() {
	for i := range h.ring {
		if !h.used[i] {
			continue
		}
		if h.far == nil {
			h.far = make(map[int]Row)
		}
		h.far[h.ring[i].Seq] = h.ring[i]
		h.ring[i], h.used[i] = Row{}, false
	}
	h.n = 0
}
