package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func sampleEntry() Entry {
	return Entry{
		Code:       "1234567",
		CardNumber: "5555000011112222",
		Hash:       [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Status:     "update",
		Time:       time.Date(2026, 11, 27, 2, 30, 15, 123456789, time.UTC),
	}
}

func TestEntryRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
	}{
		{"zero", Entry{}},
		{"full", sampleEntry()},
		{"in flight only", Entry{InFlight: true}},
		{"no hash", Entry{Code: "1", Status: "error", Time: time.Unix(0, 1).UTC()}},
		{"before 1970", Entry{Time: time.Date(1901, 1, 1, 0, 0, 0, 999999999, time.UTC)}},
		{"far future", Entry{Time: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}},
		{"unicode and long", Entry{Code: string(make([]byte, 300)), Status: "ünknown", CardNumber: "ÿ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendEntry(nil, tt.e)
			got, err := decodeEntry(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !entriesEqual(got, tt.e) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.e)
			}
		})
	}
}

func entriesEqual(a, b Entry) bool {
	at, bt := a.Time, b.Time
	a.Time, b.Time = time.Time{}, time.Time{}
	return a == b && at.Equal(bt)
}

func TestDecodeEntryErrors(t *testing.T) {
	full := appendEntry(nil, sampleEntry())
	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"one byte", []byte{1}},
		{"unknown version", []byte{2, 0, 0, 0, 0}},
		{"unknown flag", []byte{1, 0x80, 0, 0, 0}},
		{"hash cut short", []byte{1, flagHash, 1, 2, 3}},
		{"time cut short", []byte{1, flagTime}},
		{"nanoseconds too large", append(binary.AppendUvarint([]byte{1, flagTime, 0}, uint64(time.Second)), 0, 0, 0)},
		{"string longer than the rest", []byte{1, 0, 5, 'a'}},
		{"strings missing", []byte{1, 0, 0}},
		{"trailing bytes", append(append([]byte{}, full...), 0)},
		{"cut in the middle", full[:len(full)-3]},
		{"huge length", []byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeEntry(tt.b)
			if !errors.Is(err, ErrBadEntry) {
				t.Fatalf("decodeEntry(%x) = %v, want ErrBadEntry", tt.b, err)
			}
		})
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(appendEntry(nil, sampleEntry()))
	f.Add(appendEntry(nil, Entry{}))
	f.Add(appendEntry(nil, Entry{InFlight: true, Code: "9"}))
	f.Add([]byte{1, 7})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			if !errors.Is(err, ErrBadEntry) {
				t.Fatalf("error %v does not wrap ErrBadEntry", err)
			}
			return
		}
		again, err := decodeEntry(appendEntry(nil, e))
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if !entriesEqual(again, e) {
			t.Fatalf("re-encoding changed the entry:\n got %+v\nwant %+v", again, e)
		}
	})
}

// BenchmarkEncodeEntry measures the encoding against JSON of the same entry: time, and
// bytes per entry as a ratio.
func BenchmarkEncodeEntry(b *testing.B) {
	e := sampleEntry()
	bin := len(appendEntry(nil, e))
	js, err := json.Marshal(e)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("binary", func(b *testing.B) {
		buf := make([]byte, 0, 128)
		for b.Loop() {
			buf = appendEntry(buf[:0], e)
		}
		b.ReportMetric(float64(bin), "bytes/entry")
		b.ReportMetric(float64(bin)/float64(len(js)), "x-json-size")
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(e); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(js)), "bytes/entry")
	})
}
