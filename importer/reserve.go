package importer

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// sampleBytes is how much of a CSV file estimateRows reads.
const sampleBytes = 256 << 10

// reserveAfter is how many rows the run checks before it first sizes the duplicate index:
// enough to tell how many identity values (code, card number, key) a row adds.
const reserveAfter = 1024

// estimateRows guesses how many rows a CSV file holds from the length of its first lines,
// as a hint for sizing the duplicate index once rather than growing it step by step; 0
// when it cannot tell (an XLSX file, a file too short to need it, a read error).
func estimateRows(path string) int {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
	default:
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() <= sampleBytes {
		return 0
	}
	buf := make([]byte, sampleBytes)
	n, err := io.ReadFull(f, buf)
	if err != nil && n == 0 {
		return 0
	}
	lines := bytes.Count(buf[:n], []byte{'\n'})
	if lines == 0 {
		lines = bytes.Count(buf[:n], []byte{'\r'}) // CR-only line ends
	}
	if lines < 16 {
		return 0
	}
	return int(fi.Size() * int64(lines) / int64(n))
}

// reserveStep bounds each reservation of the duplicate index to this many times the rows
// seen so far. The estimate comes from the file's first lines, and a file whose later
// rows are far longer (QA's: 16,478 rows, most of its 51 MB in seven rows) has far fewer
// rows than estimated: reserved for the estimate at once, its index took 38 MB for
// 16,478 customers. In steps, a wrong estimate costs at most reserveStep times what the
// rows seen so far need (under 1 MB for that file), and a file of up to 4,194,304 rows is
// reserved for twice (at rows 1,024 and 65,536) rather than grown twenty-five times. At
// the second step the table being replaced is small (1.2 MB for 1,000,000 rows, where a
// step of 16 left 5 MB to replace at row 262,144, and raised the peak memory by as much).
const reserveStep = 64

// reserveDups sizes the duplicate index for the rest of the file, in steps (see
// reserveStep), from how many identity values the rows so far added (5% to spare).
func (r *runner) reserveDups() {
	if r.rowsHint <= 0 || r.seq != r.reserveAt {
		return
	}
	var entries int
	entries, r.reserveAt = reserveTarget(r.seq, r.rowsHint, r.dups.Len())
	r.dups.Reserve(entries)
}

// reserveTarget returns, after seen rows whose identity values took entries, how many
// values the duplicate index is reserved for, and the row count at which to reserve next
// (0 when this reservation covers the estimate of rowsHint rows).
func reserveTarget(seen, rowsHint, entries int) (reserve, next int) {
	rows := min(rowsHint, seen*reserveStep)
	if rows < rowsHint {
		next = rows
	}
	return int(float64(rows) * float64(entries) / float64(seen) * 1.05), next
}
