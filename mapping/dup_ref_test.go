package mapping

// refDupTable is the DupIndex table as it was before its 12-byte slots: 16-byte slots in a
// power-of-two table that doubles, in a memory mapping where the platform allows. It is the baseline of
// BenchmarkDupIndexReference.

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math/bits"
)

// refDupSlot is one slot of a refDupTable: a fingerprint (0 when the slot is empty) and its value.
type refDupSlot struct{ fp, val uint64 }

const (
	// refMinSlots is a table's first size: 64 KiB, of which a small file touches a few pages.
	refMinSlots = 4096
	// refLoadPercent is how full a table may get before it doubles.
	refLoadPercent = 85
	// refChunkSlots is how many slots a rehash moves before it hands their pages back (64 KiB).
	refChunkSlots = 4096
)

// refDupTable is an open-addressing hash table from nonzero 64-bit fingerprints to 64-bit
// values, with linear probing and a power-of-two number of 16-byte slots. Where the
// platform allows, the slots live outside the Go heap (see allocSlots) so that they do not
// raise the garbage collector's heap target; free must then be called to release them.
//
// A fingerprint's home slot is its top bits. Slots are therefore ordered by fingerprint,
// give or take a probe run, and a rehash that walks the old slots in order fills the new
// ones in order: it can give the old pages back as it goes (dropSlots), so that growing
// costs little more than the new table.
type refDupTable struct {
	slots []refDupSlot
	mem   []byte // the mapping behind slots; nil when slots are on the Go heap
	shift uint   // 64 - log2(len(slots))
	n     int    // slots in use
	limit int    // n at which the table doubles
}

// put stores val under fp and returns the value it replaces, if any. A fingerprint of 0
// is stored as 1, 0 being the mark of an empty slot.
func (t *refDupTable) put(fp, val uint64) (prev uint64, seen bool) {
	if fp == 0 {
		fp = 1
	}
	if t.slots == nil {
		t.resize(refMinSlots)
	}
	mask := uint64(len(t.slots) - 1)
	for i := fp >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.fp == fp {
			prev, s.val = s.val, val
			return prev, true
		}
		if s.fp != 0 {
			continue
		}
		if t.n >= t.limit {
			t.resize(2 * len(t.slots))
			return t.put(fp, val)
		}
		s.fp, s.val = fp, val
		t.n++
		return 0, false
	}
}

// resize moves the entries into a new table of n slots, a power of two, and frees the
// old one.
func (t *refDupTable) resize(n int) {
	old, oldMem := t.slots, t.mem
	t.slots, t.mem = allocRefSlots(n)
	t.shift = uint(64 - bits.TrailingZeros(uint(n)))
	t.limit = n / 100 * refLoadPercent
	mask := uint64(n - 1)
	for lo := 0; lo < len(old); lo += refChunkSlots {
		hi := min(lo+refChunkSlots, len(old))
		for _, s := range old[lo:hi] {
			if s.fp == 0 {
				continue
			}
			i := s.fp >> t.shift
			for t.slots[i].fp != 0 {
				i = (i + 1) & mask
			}
			t.slots[i] = s
		}
		if oldMem != nil {
			dropSlots(oldMem[lo*16 : hi*16])
		}
	}
	freeSlots(oldMem)
}

// free releases the slots and leaves the table empty, ready for use again. It may be
// called more than once.
func (t *refDupTable) free() {
	freeSlots(t.mem)
	*t = refDupTable{}
}

// bytes is the size of the slot array.
func (t *refDupTable) bytes() int { return len(t.slots) * 16 }

// refDupIndex is DupIndex.Check as it was, over a refDupTable.
type refDupIndex struct {
	seeds [3]maphash.Seed
	t     refDupTable
}

func (d *refDupIndex) Check(rowNumber int, r Result) (Problem, bool) {
	h := binary.LittleEndian.Uint32(r.Hash[:4])
	val := uint64(uint32(rowNumber))<<32 | uint64(h)
	var found Problem
	ok := false
	for _, id := range [...]struct {
		kind  int
		value string
		field string
		what  string
	}{
		{dupCode, r.Identity.Code, "code", "same code"},
		{dupCard, r.Identity.CardNumber, "card_number", "same card_number"},
		{dupKey, r.Identity.Key, "", "same key"},
	} {
		if id.value == "" {
			continue
		}
		prev, seen := d.t.put(maphash.String(d.seeds[id.kind], id.value), val)
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
