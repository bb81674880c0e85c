package sheet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCSVRecycle reads a file whose rows change width, handing batches of rows back to
// the reader from another goroutine while it reads on (as the importer's mappers do),
// and checks every row against a reader that recycles nothing: recycled cells come back
// empty, and a row never shares cells with another row still in use.
func TestCSVRecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "recycle.csv")
	csvWriteCustomers(t, path, 2000)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		// Narrower and wider rows, a blank one, a row of empty cells.
		fmt.Fprintf(f, "n%d,x\n%s\n\n,,,\n\"multi\nline\",%d\n", i, strings.Repeat("w,", 20+i%5)+"end", i)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want := csvReadFile(t, path)

	r, err := OpenCSV(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rc, ok := r.(Recycler)
	if !ok {
		t.Fatal("the CSV reader is not a Recycler")
	}
	batches := make(chan []Row, 4)
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := range batches {
			for _, row := range b {
				// A caller may write to its own row; the reader must not mind.
				row.Cells[0].Raw = "raw"
				row.Cells[0].Time = time.Unix(1, 0)
			}
			rc.Recycle(b)
		}
	})
	var got []csvRow
	var batch []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range row.Cells {
			if c.Raw != "" || !c.Time.IsZero() || (c.Kind == Empty) != (c.Text == "") {
				t.Fatalf("row %d cell %d: %+v", row.Number, i, c)
			}
		}
		got = append(got, csvRow{row.Number, row.Texts()})
		batch = append(batch, row)
		if len(batch) == 64 {
			// The rows of batches still held must not change.
			batches <- batch
			batch = nil
		}
	}
	close(batches)
	wg.Wait()
	if !slices.EqualFunc(got, want, func(a, b csvRow) bool { return a.N == b.N && slices.Equal(a.Texts, b.Texts) }) {
		t.Fatalf("%d rows differ from a reader that recycles nothing (%d rows)", len(got), len(want))
	}
}

// TestCSVRecycleHeld keeps the last rows read while recycling older ones, and checks at
// the end that the rows kept did not change.
func TestCSVRecycleHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "held.csv")
	csvWriteCustomers(t, path, csvRecycleMax+500)
	r, err := OpenCSV(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows []Row
	var texts [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
		texts = append(texts, row.Texts())
		if len(rows) == 100 {
			r.(Recycler).Recycle(rows[:50]) // from now on, some rows reuse these cells
			rows, texts = rows[50:], texts[50:]
		}
	}
	for i, row := range rows {
		if !slices.Equal(row.Texts(), texts[i]) {
			t.Fatalf("row %d changed: %q, was %q", row.Number, row.Texts(), texts[i])
		}
	}
	r.(Recycler).Recycle(rows)
}

// csvReadFile reads every row of the CSV file at path.
func csvReadFile(tb testing.TB, path string) []csvRow {
	tb.Helper()
	r, err := OpenCSV(path, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	rows, err := csvReadAll(tb, r)
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// TestCSVRecycleTwice hands the same rows back twice: each row's cells must still be
// used for one new row only.
func TestCSVRecycleTwice(t *testing.T) {
	var in strings.Builder
	for i := range 200 {
		fmt.Fprintf(&in, "a%d,b%d,c%d\n", i, i, i)
	}
	r, err := csvFromString(t, in.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rc := r.(Recycler)
	var first []Row
	for range 10 {
		row, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, row)
	}
	rc.Recycle(first)
	rc.Recycle(first)
	rc.Recycle(first[:3])
	var held []Row
	var texts [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, row)
		texts = append(texts, row.Texts())
	}
	for i, row := range held {
		if !slices.Equal(row.Texts(), texts[i]) {
			t.Fatalf("row %d changed to %q, was %q: two rows share cells", row.Number, row.Texts(), texts[i])
		}
		if row.Cells[0].Kind != String {
			t.Fatalf("row %d: first cell %v", row.Number, row.Cells[0].Kind)
		}
	}
	if len(held) != 190 {
		t.Fatalf("%d rows after the first 10, want 190", len(held))
	}
}
