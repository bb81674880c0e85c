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

// reserveAfter is how many rows the run checks before it sizes the duplicate index: enough
// to tell how many identity values (code, card number, key) a row adds.
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

// reserveDups sizes the duplicate index for the whole file, once the first rows have shown
// how many identity values a row adds (5% to spare).
func (r *runner) reserveDups() {
	if r.rowsHint <= 0 || r.seq != reserveAfter {
		return
	}
	perRow := float64(r.dups.Len()) / reserveAfter
	r.dups.Reserve(int(float64(r.rowsHint) * perRow * 1.05))
}
