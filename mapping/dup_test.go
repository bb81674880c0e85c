package mapping

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
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
	const n = 100_000 // from 4,096 slots to 131,072: five doublings
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
	if got, want := d.t.bytes(), 131_072*16; got != want {
		t.Errorf("table holds %d bytes, want %d", got, want)
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
			if fp == 0 {
				fp = 1
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
	})
	t.Run("colliding homes", func(t *testing.T) {
		// Fingerprints with the same top bits share a home slot and one probe run, across
		// the end of the table and through a doubling.
		var tb dupTable
		defer tb.free()
		const n = dupMinSlots // more than the first table holds
		for i := range uint64(n) {
			if _, seen := tb.put(^uint64(0)-i, i); seen {
				t.Fatalf("put %d: seen", i)
			}
		}
		for i := range uint64(n) {
			if prev, seen := tb.put(^uint64(0)-i, 0); !seen || prev != i {
				t.Fatalf("put %d again = %d, %v", i, prev, seen)
			}
		}
		if tb.n != n || len(tb.slots) != 2*dupMinSlots {
			t.Errorf("n = %d in %d slots, want %d in %d", tb.n, len(tb.slots), n, 2*dupMinSlots)
		}
	})
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
		if mapped(t, first) {
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
