package mapping

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

func TestDupIndex(t *testing.T) {
	res := func(code, card, key string, data string) Result {
		r := Result{Identity: Identity{Code: code, CardNumber: card, Key: key}}
		r.Hash = HashFields([]Field{{"first_name", data}})
		return r
	}
	type step struct {
		row    int
		r      Result
		reason string // "" for no warning
		field  string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"same code different data", []step{
			{2, res("1", "", "", "a"), "", ""},
			{12, res("1", "", "", "b"), "same customer as row 2 (same code) with different data", "code"},
		}},
		{"same code same data", []step{
			{2, res("1", "", "", "a"), "", ""},
			{3, res("1", "", "", "a"), "", ""},
		}},
		{"same card", []step{
			{2, res("", "77", "", "a"), "", ""},
			{5, res("9", "77", "", "b"), "same customer as row 2 (same card_number) with different data", "card_number"},
		}},
		{"same key", []step{
			{2, res("", "", "K1", "a"), "", ""},
			{3, res("", "", "K2", "b"), "", ""},
			{4, res("", "", "K1", "c"), "same customer as row 2 (same key) with different data", ""},
		}},
		{"kinds apart", []step{
			{2, res("5", "", "", "a"), "", ""},
			{3, res("", "5", "5", "b"), "", ""},
		}},
		{"names the latest earlier row", []step{
			{2, res("1", "", "", "a"), "", ""},
			{3, res("1", "", "", "b"), "same customer as row 2 (same code) with different data", "code"},
			{4, res("1", "", "", "c"), "same customer as row 3 (same code) with different data", "code"},
		}},
		{"no identity", []step{
			{2, res("", "", "", "a"), "", ""},
			{3, res("", "", "", "b"), "", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDupIndex()
			for _, s := range tt.steps {
				p, ok := d.Check(s.row, s.r)
				if ok != (s.reason != "") || p.Reason != s.reason || p.Field != s.field || (ok && !p.Warning) {
					t.Errorf("row %d: %+v %v, want %q", s.row, p, ok, s.reason)
				}
			}
		})
	}
}

func TestDupIndexGrowth(t *testing.T) {
	const n = 100_000 // from 4,096 home slots to 113,000: eighteen growths
	d := NewDupIndex()
	defer d.Close()
	r := Result{}
	for i := range n {
		r.Identity.Code = strconv.Itoa(i)
		r.Hash[0] = 1
		if p, ok := d.Check(i+2, r); ok {
			t.Fatalf("row %d: unexpected %+v", i+2, p)
		}
	}
	if d.Len() != n {
		t.Fatalf("Len = %d, want %d", d.Len(), n)
	}
	if got := float64(d.t.bytes()) / n; got > 16 || len(d.t.slots) <= dupMinSlots {
		t.Errorf("table holds %.1f bytes per entry in %d slots, want at most 16 in more than %d", got, len(d.t.slots), dupMinSlots)
	}
	for i := range n {
		r.Identity.Code = strconv.Itoa(i)
		r.Hash[0] = 2
		want := fmt.Sprintf("same customer as row %d (same code) with different data", i+2)
		if p, ok := d.Check(n+i+2, r); !ok || p.Reason != want {
			t.Fatalf("code %d: %+v %v, want %q", i, p, ok, want)
		}
	}
	if d.Len() != n {
		t.Errorf("Len after a second pass = %d, want %d", d.Len(), n)
	}
}

func TestDupTable(t *testing.T) {
	t.Run("fingerprint 0", func(t *testing.T) {
		var tb dupTable
		defer tb.free()
		if _, seen := tb.put(0, 5); seen {
			t.Fatal("first put of 0: seen")
		}
		if prev, seen := tb.put(0, 6); !seen || prev != 5 {
			t.Fatalf("second put of 0 = %d, %v; want 5, true", prev, seen)
		}
		if tb.n != 1 {
			t.Errorf("n = %d, want 1", tb.n)
		}
	})
	t.Run("agrees with a map", func(t *testing.T) {
		// Fingerprints drawn from a small set repeat often; their top bits vary, so the
		// table grows through several doublings.
		var tb dupTable
		defer tb.free()
		want := make(map[uint64]uint64)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range uint64(200_000) {
			fp := rng.Uint64N(50_000) * 0x9e3779b97f4a7c15
			prev, seen := tb.put(fp, i)
			if fp &= dupFP; fp == 0 {
				fp = 1 << 8
			}
			wprev, wseen := want[fp]
			want[fp] = i
			if prev != wprev || seen != wseen {
				t.Fatalf("put %#x = %d, %v; want %d, %v", fp, prev, seen, wprev, wseen)
			}
		}
		if tb.n != len(want) {
			t.Errorf("n = %d, want %d", tb.n, len(want))
		}
		checkSorted(t, &tb)
	})
	t.Run("colliding homes", func(t *testing.T) {
		// Fingerprints with the same top bits share a home slot and one probe run, at the
		// end of the table, past its padding, and through growths.
		var tb dupTable
		defer tb.free()
		const n = dupMinSlots // more than the first table holds
		fp := func(i uint64) uint64 { return ^uint64(0) - i<<8 }
		for i := range uint64(n) {
			if _, seen := tb.put(fp(i), i); seen {
				t.Fatalf("put %d: seen", i)
			}
		}
		for i := range uint64(n) {
			if prev, seen := tb.put(fp(i), 0); !seen || prev != i {
				t.Fatalf("put %d again = %d, %v", i, prev, seen)
			}
		}
		if tb.n != n {
			t.Errorf("n = %d, want %d", tb.n, n)
		}
		checkSorted(t, &tb)
	})
	t.Run("low bits ignored", func(t *testing.T) {
		// A fingerprint's low 8 bits are not kept: they do not tell fingerprints apart.
		var tb dupTable
		defer tb.free()
		tb.put(0x1234_5678_9abc_de00, 7)
		if prev, seen := tb.put(0x1234_5678_9abc_deff, 8); !seen || prev != 7 {
			t.Errorf("put = %d, %v; want 7, true", prev, seen)
		}
	})
	t.Run("40-bit values", func(t *testing.T) {
		var tb dupTable
		defer tb.free()
		const v = 1<<40 - 3
		tb.put(42<<8, v)
		if prev, _ := tb.put(42<<8, 0); prev != v {
			t.Errorf("value %#x, want %#x", prev, uint64(v))
		}
	})
}

// checkSorted checks the table's invariant: fingerprints rise from slot to slot, and each
// entry is at or after its home with no empty slot in between.
func checkSorted(tb testing.TB, t *dupTable) {
	tb.Helper()
	var last uint64
	for i := range t.slots {
		fp := t.slots[i].key() & dupFP
		if fp == 0 {
			continue
		}
		if fp <= last {
			tb.Fatalf("slot %d: fingerprint %#x after %#x", i, fp, last)
		}
		last = fp
		home, _ := bits.Mul64(fp, t.homes)
		if int(home) > i {
			tb.Fatalf("slot %d: before its home %d", i, home)
		}
		for j := int(home); j < i; j++ {
			if t.slots[j].key()&dupFP == 0 {
				tb.Fatalf("slot %d: empty slot %d after its home %d", i, j, home)
			}
		}
	}
	n := 0
	for i := range t.slots {
		if t.slots[i].key()&dupFP != 0 {
			n++
		}
	}
	if n != t.n {
		tb.Fatalf("%d entries, n = %d", n, t.n)
	}
}

func TestDupIndexClose(t *testing.T) {
	d := NewDupIndex()
	d.Close() // before any Check
	r := Result{Identity: Identity{Key: "K"}}
	d.Check(2, r)
	d.Close()
	d.Close()
	if d.Len() != 0 || d.t.slots != nil {
		t.Fatalf("after Close: Len %d, %d slots", d.Len(), len(d.t.slots))
	}
	r.Hash[0] = 1
	if p, ok := d.Check(3, r); ok {
		t.Errorf("after Close the index still knew row 2: %+v", p)
	}
	if d.Len() != 1 {
		t.Errorf("Len = %d, want 1", d.Len())
	}
	d.Close()
}

// TestDupIndexReleasesMemory checks that the table's mappings are unmapped when the table
// grows, on Close, and when an index is dropped without Close.
func TestDupIndexReleasesMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/maps")
	}
	fill := func(d *DupIndex, n int) {
		for i := range n {
			d.Check(i+2, Result{Identity: Identity{Key: strconv.Itoa(i)}})
		}
	}
	addr := func(d *DupIndex) uintptr {
		if d.t.mem == nil {
			t.Fatal("the table is not in a mapping")
		}
		return uintptr(unsafe.Pointer(unsafe.SliceData(d.t.mem)))
	}

	t.Run("grow and Close", func(t *testing.T) {
		d := NewDupIndex()
		fill(d, 10)
		first := addr(d)
		if !mapped(t, first) {
			t.Fatal("the first table is not in /proc/self/maps")
		}
		fill(d, 10_000)
		second := addr(d)
		// The kernel may place a later table where the first was: that is no leak.
		if mapped(t, first) && (first < second || first >= second+uintptr(len(d.t.mem))) {
			t.Error("the first table is still mapped after growing")
		}
		d.Close()
		if mapped(t, second) {
			t.Error("the table is still mapped after Close")
		}
	})
	t.Run("forgotten Close", func(t *testing.T) {
		d := NewDupIndex()
		fill(d, 10)
		a := addr(d)
		d = nil
		for range 100 {
			runtime.GC()
			if !mapped(t, a) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Error("the table of a dropped index is still mapped")
	})
}

// mapped reports whether addr lies in one of the process's memory mappings.
func mapped(tb testing.TB, addr uintptr) bool {
	tb.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rng, _, _ := strings.Cut(sc.Text(), " ")
		lo, hi, _ := strings.Cut(rng, "-")
		l, err1 := strconv.ParseUint(lo, 16, 64)
		h, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			tb.Fatalf("/proc/self/maps: %q", sc.Text())
		}
		if uint64(addr) >= l && uint64(addr) < h {
			return true
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return false
}

// mapDupIndex is the DupIndex as it was before its table: a Go map, the baseline of the
// benchmarks.
type mapDupIndex struct {
	seed maphash.Seed
	seen map[uint64]uint64
}

func (d *mapDupIndex) Check(rowNumber int, r Result) (Problem, bool) {
	h := binary.LittleEndian.Uint32(r.Hash[:4])
	val := uint64(uint32(rowNumber))<<32 | uint64(h)
	var found Problem
	ok := false
	for _, id := range [...]struct {
		kind  byte
		value string
		field string
		what  string
	}{
		{'c', r.Identity.Code, "code", "same code"},
		{'n', r.Identity.CardNumber, "card_number", "same card_number"},
		{'k', r.Identity.Key, "", "same key"},
	} {
		if id.value == "" {
			continue
		}
		var mh maphash.Hash
		mh.SetSeed(d.seed)
		mh.WriteByte(id.kind)
		mh.WriteString(id.value)
		fp := mh.Sum64()
		prev, seen := d.seen[fp]
		d.seen[fp] = val
		if !seen || ok || uint32(prev) == h {
			continue
		}
		ok = true
		found = Problem{
			Field:   id.field,
			Reason:  fmt.Sprintf("same customer as row %d (%s) with different data", prev>>32, id.what),
			Warning: true,
		}
	}
	return found, ok
}

// benchRows returns n rows shaped like a typical customer file: every row has a key,
// every third a code.
func benchRows(n int) []Result {
	rs := make([]Result, n)
	for i := range rs {
		rs[i].Identity.Key = fmt.Sprintf("C%07d", i)
		if i%3 == 0 {
			rs[i].Identity.Code = strconv.Itoa(1_000_000 + i)
		}
		rs[i].Hash[0] = byte(i)
	}
	return rs
}

// BenchmarkDupIndex checks 1,000,000 rows (1,333,334 identity values) twice, the second
// pass finding every value, against the map the index used to be. It reports ns per
// Check for both, the time ratio (x-baseline) and the table's bytes per entry.
func BenchmarkDupIndex(b *testing.B) {
	rs := benchRows(1_000_000)
	var ours, base time.Duration
	var perEntry float64
	for b.Loop() {
		start := time.Now()
		d := NewDupIndex()
		for pass := range 2 {
			for i := range rs {
				d.Check(pass*len(rs)+i+2, rs[i])
			}
		}
		ours += time.Since(start)
		perEntry = float64(d.t.bytes()) / float64(d.Len())
		d.Close()

		start = time.Now()
		m := &mapDupIndex{seed: maphash.MakeSeed(), seen: make(map[uint64]uint64)}
		for pass := range 2 {
			for i := range rs {
				m.Check(pass*len(rs)+i+2, rs[i])
			}
		}
		base += time.Since(start)
	}
	checks := float64(b.N) * 2 * float64(len(rs))
	b.ReportMetric(float64(ours.Nanoseconds())/checks, "ns/check")
	b.ReportMetric(float64(base.Nanoseconds())/checks, "map-ns/check")
	b.ReportMetric(float64(ours)/float64(base), "x-baseline")
	b.ReportMetric(perEntry, "table-bytes/entry")
}

// BenchmarkDupIndexMemory measures, for 200,000 customers with a key each, the Go heap the
// index holds per entry (nothing, where the table is mapped outside the heap), the table's
// own bytes per entry, and the heap the old map held per entry (x-baseline: table bytes
// against map bytes).
func BenchmarkDupIndexMemory(b *testing.B) {
	const n = 200_000
	rs := make([]Result, n)
	for i := range rs {
		rs[i].Identity.Code = strconv.Itoa(1_000_000 + i)
		rs[i].Hash[0] = byte(i)
	}
	heapDelta := func(fill func() any) float64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		keep := fill()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(keep)
		return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n
	}
	var heap, table, base float64
	for b.Loop() {
		heap = heapDelta(func() any {
			d := NewDupIndex()
			for i := range rs {
				d.Check(i+2, rs[i])
			}
			table = float64(d.t.bytes()) / n
			return d
		})
		base = heapDelta(func() any {
			m := &mapDupIndex{seed: maphash.MakeSeed(), seen: make(map[uint64]uint64)}
			for i := range rs {
				m.Check(i+2, rs[i])
			}
			return m
		})
	}
	b.ReportMetric(heap, "heap-bytes/entry")
	b.ReportMetric(table, "table-bytes/entry")
	b.ReportMetric(base, "map-heap-bytes/entry")
	b.ReportMetric(table/base, "x-baseline")
}

// TestDupTableBytesPerEntry: past the first table, the table never takes more than 16
// bytes per entry, however many entries it holds (checked after every 1,000 from the
// first growth up to 2,000,000), and stays in order.
func TestDupTableBytesPerEntry(t *testing.T) {
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	var tb dupTable
	defer tb.free()
	rng := rand.New(rand.NewPCG(9, 10))
	worst, worstAt := 0.0, 0
	for i := range n {
		tb.put(rng.Uint64(), uint64(i))
		if len(tb.slots) == dupMinSlots+dupPad(dupMinSlots) || i%1000 != 0 {
			continue
		}
		if b := float64(tb.bytes()) / float64(tb.n); b > worst {
			worst, worstAt = b, tb.n
		}
	}
	if worst > 16 {
		t.Errorf("%.2f bytes per entry at %d entries, want at most 16", worst, worstAt)
	}
	t.Logf("at most %.2f bytes per entry (at %d entries); %d entries in %d bytes", worst, worstAt, tb.n, tb.bytes())
	checkSorted(t, &tb)
}

// TestDupIndexReserve: an index reserved for n values holds them without growing, in at
// most 16 bytes each, and finds every one.
func TestDupIndexReserve(t *testing.T) {
	for _, n := range []int{100, 5_000, 300_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			d := NewDupIndex()
			defer d.Close()
			d.Reserve(n)
			slots := len(d.t.slots)
			r := Result{}
			for i := range n {
				r.Identity.Key = strconv.Itoa(i)
				d.Check(i+2, r)
			}
			if len(d.t.slots) != slots {
				t.Errorf("the table grew from %d to %d slots", slots, len(d.t.slots))
			}
			if b := float64(d.t.bytes()) / float64(n); n > dupMinSlots && b > 16 {
				t.Errorf("%.2f bytes per entry, want at most 16", b)
			}
			d.Reserve(n / 2) // never shrinks
			if len(d.t.slots) != slots {
				t.Errorf("Reserve of fewer changed the table from %d to %d slots", slots, len(d.t.slots))
			}
			r.Hash[0] = 1
			for i := range n {
				r.Identity.Key = strconv.Itoa(i)
				if _, ok := d.Check(n+i+2, r); !ok {
					t.Fatalf("key %d not found", i)
				}
			}
		})
	}
	t.Run("after Checks", func(t *testing.T) {
		d := NewDupIndex()
		defer d.Close()
		d.Check(2, Result{Identity: Identity{Code: "1"}})
		d.Reserve(50_000)
		if p, ok := d.Check(3, Result{Identity: Identity{Code: "1"}, Hash: [16]byte{1}}); !ok || !strings.Contains(p.Reason, "row 2 ") {
			t.Errorf("after Reserve: %+v %v", p, ok)
		}
	})
}

// TestDupIndexRowNumbers: the warning names the earlier row exactly however large the
// row numbers, while the two rows are fewer than 2^24 apart; past that, as documented, a
// row a multiple of 2^24 later.
func TestDupIndexRowNumbers(t *testing.T) {
	tests := []struct {
		name        string
		first, then int
		want        int
	}{
		{"small", 2, 3, 2},
		{"across 2^24", 1<<24 - 2, 1<<24 + 5, 1<<24 - 2},
		{"large", 123_456_789, 123_456_790, 123_456_789},
		{"just under 2^24 apart", 10, 10 + 1<<24 - 1, 10},
		{"2^24 apart or more", 10, 10 + 1<<24 + 7, 10 + 1<<24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDupIndex()
			defer d.Close()
			d.Check(tt.first, Result{Identity: Identity{Key: "K"}})
			p, ok := d.Check(tt.then, Result{Identity: Identity{Key: "K"}, Hash: [16]byte{1}})
			want := fmt.Sprintf("same customer as row %d (same key) with different data", tt.want)
			if !ok || p.Reason != want {
				t.Errorf("got %q %v, want %q", p.Reason, ok, want)
			}
		})
	}
}

// TestDupIndexResident: on Linux, the table's resident memory at 1,000,000 identity values
// is at most 16 bytes per value, grown or reserved.
func TestDupIndexResident(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/smaps")
	}
	if testing.Short() {
		t.Skip("fills a table of 1,000,000 values")
	}
	const n = 1_000_000
	for _, reserve := range []bool{false, true} {
		t.Run(fmt.Sprintf("reserve=%v", reserve), func(t *testing.T) {
			d := NewDupIndex()
			defer d.Close()
			if reserve {
				d.Reserve(n)
			}
			r := Result{}
			for i := range n {
				r.Identity.Key = strconv.Itoa(i)
				d.Check(i+2, r)
			}
			rss := residentBytes(t, uintptr(unsafe.Pointer(unsafe.SliceData(d.t.mem))))
			if per := float64(rss) / n; per > 16 {
				t.Errorf("%d bytes resident for %d values: %.2f per value, want at most 16", rss, n, per)
			} else {
				t.Logf("%.2f bytes resident per value (table %.2f)", per, float64(d.t.bytes())/n)
			}
		})
	}
}

// residentBytes returns the resident size of the memory mapping holding addr, from
// /proc/self/smaps.
func residentBytes(tb testing.TB, addr uintptr) int {
	tb.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if rng, _, ok := strings.Cut(line, " "); ok && strings.Contains(rng, "-") && !strings.HasSuffix(rng, ":") {
			lo, hi, _ := strings.Cut(rng, "-")
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(addr) >= l && uint64(addr) < h
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "Rss:"), "kB")))
			if err != nil {
				tb.Fatalf("/proc/self/smaps: %q", line)
			}
			return kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	tb.Fatalf("no mapping holds %#x", addr)
	return 0
}

// BenchmarkDupIndexReference checks the rows of BenchmarkDupIndex (1,000,000 rows, twice)
// with the index and with the one it replaced (refDupIndex: 16-byte slots in a doubling
// power-of-two table), alternating by pass so that a busy machine slows both alike. It
// reports ns per Check for both, their ratio (x-reference), and the bytes per entry of
// both tables, and of the index reserved for its entries beforehand.
func BenchmarkDupIndexReference(b *testing.B) {
	rs := benchRows(1_000_000)
	var ours, ref time.Duration
	var perEntry, refPerEntry, reservedPerEntry float64
	for b.Loop() {
		d := NewDupIndex()
		r := &refDupIndex{seeds: [...]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed(), maphash.MakeSeed()}}
		for pass := range 2 {
			start := time.Now()
			for i := range rs {
				d.Check(pass*len(rs)+i+2, rs[i])
			}
			ours += time.Since(start)
			start = time.Now()
			for i := range rs {
				r.Check(pass*len(rs)+i+2, rs[i])
			}
			ref += time.Since(start)
		}
		perEntry = float64(d.t.bytes()) / float64(d.Len())
		refPerEntry = float64(r.t.bytes()) / float64(r.t.n)
		r.t.free()
		entries := d.Len()
		d.Close()
		d = NewDupIndex()
		d.Reserve(entries)
		for i := range rs {
			d.Check(i+2, rs[i])
		}
		reservedPerEntry = float64(d.t.bytes()) / float64(d.Len())
		d.Close()
	}
	checks := float64(b.N) * 2 * float64(len(rs))
	b.ReportMetric(float64(ours.Nanoseconds())/checks, "ns/check")
	b.ReportMetric(float64(ref.Nanoseconds())/checks, "ref-ns/check")
	b.ReportMetric(float64(ours)/float64(ref), "x-reference")
	b.ReportMetric(perEntry, "table-bytes/entry")
	b.ReportMetric(refPerEntry, "ref-table-bytes/entry")
	b.ReportMetric(reservedPerEntry, "reserved-bytes/entry")
}

// TestDupPrefetch: Prefetch changes nothing that Check reports.
func TestDupPrefetch(t *testing.T) {
	plain, pre := NewDupIndex(), NewDupIndex()
	defer plain.Close()
	defer pre.Close()
	const n = 20000
	rs := make([]Result, n)
	for i := range rs {
		rs[i].Identity.Key = fmt.Sprintf("K%d", i%7000)
		if i%3 == 0 {
			rs[i].Identity.Code = fmt.Sprintf("%d", 1000+i%5000)
		}
		rs[i].Hash[0], rs[i].Hash[1] = byte(i%5), byte(i%11)
	}
	for lo := 0; lo < n; lo += 128 {
		batch := rs[lo:min(lo+128, n)]
		ptrs := make([]*Result, len(batch))
		for i := range batch {
			ptrs[i] = &batch[i]
		}
		pre.Prefetch(ptrs)
		for i, r := range batch {
			p1, d1 := plain.Check(lo+i+2, r)
			p2, d2 := pre.Check(lo+i+2, r)
			if d1 != d2 || p1 != p2 {
				t.Fatalf("row %d: Check says (%v, %v) with Prefetch, (%v, %v) without", lo+i+2, p2, d2, p1, d1)
			}
		}
	}
	if plain.Len() != pre.Len() {
		t.Errorf("Len %d with Prefetch, %d without", pre.Len(), plain.Len())
	}
	empty := NewDupIndex()
	defer empty.Close()
	empty.Prefetch([]*Result{&rs[0]}) // before any Check: no table yet
	if empty.Len() != 0 {
		t.Errorf("Prefetch added entries: %d", empty.Len())
	}
}

// TestDupCheckSeen: CheckSeen says whether any identity value of the row came before,
// whatever the data.
func TestDupCheckSeen(t *testing.T) {
	d := NewDupIndex()
	defer d.Close()
	row := func(key, code string, h byte) Result {
		var r Result
		r.Identity.Key, r.Identity.Code, r.Hash[0] = key, code, h
		return r
	}
	for i, c := range []struct {
		r          Result
		warn, seen bool
	}{
		{row("K1", "", 1), false, false},
		{row("K1", "", 1), false, true}, // same data
		{row("K1", "", 2), true, true},  // different data
		{row("K2", "55", 1), false, false},
		{row("K3", "55", 1), false, true}, // the code came before
		{row("", "", 1), false, false},    // no identity
	} {
		_, warn, seen := d.CheckSeen(i+2, c.r)
		if warn != c.warn || seen != c.seen {
			t.Errorf("row %d: warn %v seen %v, want %v %v", i+2, warn, seen, c.warn, c.seen)
		}
	}
}

// TestDupKeys: checking rows by the DupKeys made ahead (on other goroutines, as an
// importer's mappers make them) says what checking the rows themselves says.
func TestDupKeys(t *testing.T) {
	plain, keyed := NewDupIndex(), NewDupIndex()
	defer plain.Close()
	defer keyed.Close()
	const n = 20000
	rs := make([]Result, n)
	for i := range rs {
		rs[i].Identity.Key = fmt.Sprintf("K%d", i%7000)
		if i%3 == 0 {
			rs[i].Identity.Code = fmt.Sprintf("%d", 1000+i%5000)
		}
		if i%5 == 0 {
			rs[i].Identity.CardNumber = fmt.Sprintf("%d", 9000+i%4000)
		}
		rs[i].Hash[0], rs[i].Hash[1] = byte(i%5), byte(i%11)
	}
	keyed.PrefetchKeys([]DupKeys{keyed.Keys(&rs[0])}) // before any Check: no table yet
	if keyed.Len() != 0 {
		t.Fatalf("PrefetchKeys added entries: %d", keyed.Len())
	}
	for lo := 0; lo < n; lo += 128 {
		batch := rs[lo:min(lo+128, n)]
		ks := make([]DupKeys, len(batch))
		var wg sync.WaitGroup
		for i := range batch {
			wg.Go(func() { ks[i] = keyed.Keys(&batch[i]) })
		}
		wg.Wait()
		keyed.PrefetchKeys(ks)
		for i := range batch {
			p1, w1, s1 := plain.CheckSeen(lo+i+2, batch[i])
			p2, w2, s2 := keyed.CheckSeenKeys(lo+i+2, &batch[i], ks[i])
			if p1 != p2 || w1 != w2 || s1 != s2 {
				t.Fatalf("row %d: CheckSeenKeys says (%v, %v, %v), CheckSeen (%v, %v, %v)", lo+i+2, p2, w2, s2, p1, w1, s1)
			}
		}
	}
	if plain.Len() != keyed.Len() {
		t.Errorf("Len %d by keys, %d by rows", keyed.Len(), plain.Len())
	}
}
