//go:build unix

package mapping

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// spareIndex returns an index holding the keys 0 to n-1 (rows 2 to n+1), with a large
// Reserve made whose pages are handed out only once release is closed.
func spareIndex(tb testing.TB, n, reserve int) (d *DupIndex, release chan struct{}) {
	tb.Helper()
	d = NewDupIndex()
	release = make(chan struct{})
	d.t.handOut = func(mem []byte) {
		<-release
		populateSlots(mem)
	}
	for i := range n {
		d.Check(i+2, keyRow(i, 0))
	}
	d.Reserve(reserve)
	if d.t.spare == nil {
		tb.Fatalf("Reserve(%d) of a table of %d entries made no spare", reserve, n)
	}
	return d, release
}

// spareHomes is the home slots of a table reserved for n entries.
func spareHomes(n int) uint64 { return uint64(float64(n)/dupReserveLoad) + 1 }

// keyRow is a row whose key is i, with data h.
func keyRow(i int, h byte) Result {
	return Result{Identity: Identity{Key: strconv.Itoa(i)}, Hash: [16]byte{h}}
}

// TestDupSpare checks that a large Reserve made after Checks does not wait for the
// kernel: Checks go on in the table as it is until the new one's pages are ready, then
// every entry moves into it.
func TestDupSpare(t *testing.T) {
	d, release := spareIndex(t, 2000, 1_000_000)
	defer d.Close()
	homes := d.t.homes
	// Rows 2002 to 4001: keys 1000 to 2999, with other data.
	for i := 1000; i < 3000; i++ {
		p, warn := d.Check(i+1002, keyRow(i, 1))
		if want := i < 2000; warn != want {
			t.Fatalf("key %d: warning %v, want %v", i, warn, want)
		}
		if warn && !strings.Contains(p.Reason, "row "+strconv.Itoa(i+2)+" ") {
			t.Fatalf("key %d: %q does not name row %d", i, p.Reason, i+2)
		}
	}
	if d.t.spare == nil || d.t.homes != homes {
		t.Fatalf("the table changed before the spare was ready: spare %v, %d homes, were %d", d.t.spare != nil, d.t.homes, homes)
	}
	close(release)
	row := 4002
	for d.t.spare != nil {
		if row > 1_000_000 {
			t.Fatal("the spare was never taken")
		}
		time.Sleep(time.Millisecond)
		d.Check(row, keyRow(row, 2)) // new keys: the put that takes the spare
		row++
	}
	if want := spareHomes(1_000_000); d.t.homes != want {
		t.Errorf("%d homes after the spare, want %d", d.t.homes, want)
	}
	// Every key is still there, with its latest data.
	for i := range 3000 {
		h := byte(0)
		if i >= 1000 {
			h = 1
		}
		if _, warn, seen := d.CheckSeen(row, keyRow(i, h)); !seen || warn {
			t.Fatalf("key %d after the spare: seen %v, warning %v", i, seen, warn)
		}
		row++
	}
}

// TestDupSpareGrowth fills the table past its limit while the spare is not ready: the
// Check waits for the spare instead of growing the table.
func TestDupSpareGrowth(t *testing.T) {
	d, release := spareIndex(t, 2000, 1_000_000)
	defer d.Close()
	limit := d.t.limit
	time.AfterFunc(20*time.Millisecond, func() { close(release) })
	for i := 2000; i <= limit; i++ {
		d.Check(i+2, keyRow(i, 0))
	}
	if d.t.spare != nil {
		t.Fatalf("past the limit (%d entries), the spare is still waiting", limit)
	}
	if want := spareHomes(1_000_000); d.t.homes != want {
		t.Errorf("%d homes, want the spare's %d", d.t.homes, want)
	}
	for i := 0; i <= limit; i++ {
		if _, _, seen := d.CheckSeen(limit+i+10, keyRow(i, 0)); !seen {
			t.Fatalf("key %d lost", i)
		}
	}
}

// TestDupSpareClose closes an index whose spare is not ready: Close waits for the
// goroutine handing out its pages (which would otherwise write to memory unmapped) and
// releases both tables.
func TestDupSpareClose(t *testing.T) {
	d, release := spareIndex(t, 2000, 1_000_000)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		d.Close()
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while the spare's pages were being handed out")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-closed
	if d.t.spare != nil || d.t.slots != nil || d.Len() != 0 {
		t.Errorf("after Close: spare %v, %d slots, %d entries", d.t.spare != nil, len(d.t.slots), d.Len())
	}
}

// TestDupSpareNotBesideLargeTable: a reservation not far larger than the table is made
// at once, handing back the old table's pages as the entries move (a spare would keep
// the whole old table beside the new one until it is ready).
func TestDupSpareNotBesideLargeTable(t *testing.T) {
	d := NewDupIndex()
	defer d.Close()
	d.t.handOut = func([]byte) { t.Error("a spare was made") }
	const n = 200_000
	for i := range n {
		d.Check(i+2, keyRow(i, 0))
	}
	d.Reserve(1_000_000)
	if d.t.spare != nil || d.t.homes != spareHomes(1_000_000) {
		t.Fatalf("spare %v, %d homes; want the table resized at once to %d homes", d.t.spare != nil, d.t.homes, spareHomes(1_000_000))
	}
	for i := range n {
		if _, _, seen := d.CheckSeen(n+i+2, keyRow(i, 0)); !seen {
			t.Fatalf("key %d lost", i)
		}
	}
}
