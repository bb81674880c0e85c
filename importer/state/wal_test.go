package state

import (
	"bytes"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		id   string
		e    Entry
	}{
		{"in flight", "key:C-1", Entry{InFlight: true}},
		{"full", "code:1234567", sampleEntry()},
		{"one-byte identity", "x", Entry{Status: "error", Time: time.Unix(1, 0).UTC()}},
		{"longest identity", strings.Repeat("k", maxIdentity), Entry{Code: "1"}},
		{"unicode", "key:Zoë ✓", Entry{Code: "ü", CardNumber: strings.Repeat("9", 300)}},
	}
	var log []byte
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendRecord(nil, tt.id, tt.e)
			id, e, n, err := decodeRecord(append(b, 0, 0, 0))
			if err != nil || id != tt.id || !entriesEqual(e, tt.e) || n != len(b) {
				t.Errorf("got %q %+v %d %v, want %q %+v %d", id, e, n, err, tt.id, tt.e, len(b))
			}
		})
		log = appendRecord(log, tt.id, tt.e)
	}
	// Records follow one another.
	for i, tt := range tests {
		id, _, n, err := decodeRecord(log)
		if err != nil || id != tt.id {
			t.Fatalf("record %d: %q %v", i, id, err)
		}
		log = log[n:]
	}
	if _, _, _, err := decodeRecord(log); !errors.Is(err, errLogEnd) {
		t.Errorf("after the last record: %v, want errLogEnd", err)
	}
}

// TestDecodeRecordDamaged: a record cut anywhere, or with any one bit flipped, never
// decodes.
func TestDecodeRecordDamaged(t *testing.T) {
	rec := appendRecord(nil, "key:C-1001", sampleEntry())
	for n := range len(rec) {
		_, _, _, err := decodeRecord(rec[:n])
		if n == 0 && !errors.Is(err, errLogEnd) || n > 0 && !errors.Is(err, errTornRecord) {
			t.Errorf("cut to %d bytes: %v", n, err)
		}
	}
	for i := range len(rec) * 8 {
		b := bytes.Clone(rec)
		b[i/8] ^= 1 << (i % 8)
		if _, _, _, err := decodeRecord(b); !errors.Is(err, errTornRecord) {
			t.Errorf("bit %d flipped: %v, want errTornRecord", i, err)
		}
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"zeros", make([]byte, 100), errLogEnd},
		{"a few zeros", make([]byte, 3), errLogEnd},
		{"zero length, nonzero checksum", []byte{0, 0, 0, 0, 1, 0, 0, 0, 0}, errTornRecord},
		{"length past the end", []byte{200, 0, 0, 0, 0, 0, 0, 0, 1, 2}, errTornRecord},
		{"empty identity", fixCRC([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}), errTornRecord},
		{"identity too long", fixCRC(append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0x20}, make([]byte, maxIdentity+1+5)...)), errTornRecord},
		{"bad entry", fixCRC([]byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 'k', 9, 9}), errTornRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, _, err := decodeRecord(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// fixCRC sets the length and checksum of the record in b (its payload: b[8:]).
func fixCRC(b []byte) []byte {
	return appendRecordPayload(nil, b[recordHead:])
}

// appendRecordPayload appends a record with payload p, whatever p holds.
func appendRecordPayload(b, p []byte) []byte {
	start := len(b)
	b = append(b, make([]byte, recordHead)...)
	b = append(b, p...)
	le := func(at int, v uint32) {
		b[at], b[at+1], b[at+2], b[at+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	le(start, uint32(len(p)))
	le(start+4, crc32.Update(crc32.Checksum(b[start:start+4], castagnoli), castagnoli, p))
	return b
}

func TestReplaySegment(t *testing.T) {
	records := cat(appendRecord(nil, "key:a", Entry{InFlight: true}),
		appendRecord(nil, "key:b", Entry{Code: "2"}),
		appendRecord(nil, "key:a", Entry{Code: "1"}),
		make([]byte, 64))
	for _, tc := range []struct {
		name   string
		header []byte
		boot   string
	}{
		{"version 1", []byte(walHeader), ""},
		{"version 2", segmentHeader("6f1e2a40-0d3c-4b8e-9d1a-2c5e7f9b0a11"), "6f1e2a40-0d3c-4b8e-9d1a-2c5e7f9b0a11"},
		{"version 2 without boot id", segmentHeader(""), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]Entry{}
			n, boot, written, err := replaySegment(cat(tc.header, records), m, "seg", zap.NewNop())
			if err != nil || n != 3 || !written || boot != tc.boot || len(m) != 2 || m["key:a"].Code != "1" || m["key:a"].InFlight || m["key:b"].Code != "2" {
				t.Errorf("replay: %d %q %v %v %+v", n, boot, written, err, m)
			}
		})
	}
	m := map[string]Entry{}
	if _, _, written, err := replaySegment(segmentHeader("x")[:40], m, "seg", zap.NewNop()); err != nil || written || len(m) != 0 {
		t.Errorf("a version 2 header cut short: %v %v %v, want nothing written", written, err, m)
	}
	if _, _, _, err := replaySegment([]byte("custimport-wal\x00\x03"), m, "seg", zap.NewNop()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("another log version: %v, want ErrCorrupt", err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, "key:C-1", Entry{InFlight: true}))
	f.Add(appendRecord(nil, "code:1234567", sampleEntry()))
	f.Add(append(appendRecord(nil, "k", Entry{Status: "new"}), 1, 2, 3))
	f.Add(make([]byte, 12))
	f.Add([]byte{5, 0, 0, 0, 1, 2, 3, 4, 1, 'k', 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		id, e, n, err := decodeRecord(b)
		if !bytes.Equal(in, b) {
			t.Fatal("decodeRecord changed its input")
		}
		if err != nil {
			if !errors.Is(err, errLogEnd) && !errors.Is(err, errTornRecord) {
				t.Fatalf("error %v is neither errLogEnd nor errTornRecord", err)
			}
			return
		}
		if n < recordHead || n > len(b) || id == "" || len(id) > maxIdentity {
			t.Fatalf("decoded %q in %d of %d bytes", id, n, len(b))
		}
		// What decodes, re-encodes to a record that decodes the same.
		again := appendRecord(nil, id, e)
		id2, e2, n2, err := decodeRecord(again)
		if err != nil || id2 != id || !entriesEqual(e2, e) || n2 != len(again) {
			t.Fatalf("round trip: %q %+v %v, want %q %+v", id2, e2, err, id, e)
		}
		// And the bytes after it are the next record's business.
		if _, _, n3, err := decodeRecord(append(b[:n:n], 0xff)); err != nil || n3 != n {
			t.Fatalf("a byte after the record changed it: %d %v", n3, err)
		}
	})
}

// FuzzReplaySegment: any segment content replays without a panic, into entries that are
// valid records; a header not ours is ErrCorrupt, nothing else is an error; a boot id
// comes only from a version 2 header.
func FuzzReplaySegment(f *testing.F) {
	rec := appendRecord(nil, "key:C-1", Entry{Reserved: true})
	f.Add(cat([]byte(walHeader), rec, appendRecord(nil, "key:C-1", Entry{InFlight: true})))
	f.Add(cat(segmentHeader("6f1e2a40-0d3c-4b8e-9d1a-2c5e7f9b0a11"), rec, make([]byte, 16)))
	f.Add(cat(segmentHeader(""), rec[:len(rec)-2]))
	f.Add(segmentHeader("x")[:30])
	f.Add([]byte("custimport-wal\x00\x07"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := map[string]Entry{}
		n, boot, written, err := replaySegment(b, m, "seg", zap.NewNop())
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || written || n != 0 {
				t.Fatalf("error %v (written %v, %d records)", err, written, n)
			}
			return
		}
		if len(m) > n || !written && n != 0 {
			t.Fatalf("%d entries from %d records (written %v)", len(m), n, written)
		}
		if boot != "" && !bytes.HasPrefix(b, []byte(walHeaderV2)) {
			t.Fatalf("boot id %q from a segment without a version 2 header", boot)
		}
		for id := range m {
			if id == "" || len(id) > maxIdentity {
				t.Fatalf("identity %q", id)
			}
		}
	})
}
