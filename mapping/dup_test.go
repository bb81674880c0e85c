package mapping

import (
	"runtime"
	"strconv"
	"testing"
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

// BenchmarkDupIndexMemory measures the heap the index holds per distinct customer, against
// the 16 bytes it stores per entry (x-baseline is the ratio of the two).
func BenchmarkDupIndexMemory(b *testing.B) {
	const n = 200_000
	rs := make([]Result, n)
	for i := range rs {
		rs[i].Identity.Code = strconv.Itoa(1_000_000 + i)
		rs[i].Hash[0] = byte(i)
	}
	var perEntry float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := NewDupIndex()
		for i := range rs {
			d.Check(i+2, rs[i])
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEntry = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(d)
	}
	b.ReportMetric(perEntry, "bytes/customer")
	b.ReportMetric(perEntry/16, "x-baseline")
}
