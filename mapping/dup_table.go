package mapping

import "math/bits"

// dupSlot is one slot of a dupTable: a fingerprint (0 when the slot is empty) and its value.
type dupSlot struct{ fp, val uint64 }

const (
	// dupMinSlots is a table's first size: 64 KiB, of which a small file touches a few pages.
	dupMinSlots = 4096
	// dupLoadPercent is how full a table may get before it doubles.
	dupLoadPercent = 85
	// dupChunkSlots is how many slots a rehash moves before it hands their pages back (64 KiB).
	dupChunkSlots = 4096
)

// dupTable is an open-addressing hash table from nonzero 64-bit fingerprints to 64-bit
// values, with linear probing and a power-of-two number of 16-byte slots. Where the
// platform allows, the slots live outside the Go heap (see allocSlots) so that they do not
// raise the garbage collector's heap target; free must then be called to release them.
//
// A fingerprint's home slot is its top bits. Slots are therefore ordered by fingerprint,
// give or take a probe run, and a rehash that walks the old slots in order fills the new
// ones in order: it can give the old pages back as it goes (dropSlots), so that growing
// costs little more than the new table.
type dupTable struct {
	slots []dupSlot
	mem   []byte // the mapping behind slots; nil when slots are on the Go heap
	shift uint   // 64 - log2(len(slots))
	n     int    // slots in use
	limit int    // n at which the table doubles
}

// put stores val under fp and returns the value it replaces, if any. A fingerprint of 0
// is stored as 1, 0 being the mark of an empty slot.
func (t *dupTable) put(fp, val uint64) (prev uint64, seen bool) {
	if fp == 0 {
		fp = 1
	}
	if t.slots == nil {
		t.resize(dupMinSlots)
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
func (t *dupTable) resize(n int) {
	old, oldMem := t.slots, t.mem
	t.slots, t.mem = allocSlots(n)
	t.shift = uint(64 - bits.TrailingZeros(uint(n)))
	t.limit = n / 100 * dupLoadPercent
	mask := uint64(n - 1)
	for lo := 0; lo < len(old); lo += dupChunkSlots {
		hi := min(lo+dupChunkSlots, len(old))
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
			// Those slots are moved: the pages need not stay resident until the end.
			dropSlots(oldMem[lo*16 : hi*16])
		}
	}
	freeSlots(oldMem)
}

// free releases the slots and leaves the table empty, ready for use again. It may be
// called more than once.
func (t *dupTable) free() {
	freeSlots(t.mem)
	*t = dupTable{}
}

// bytes is the size of the slot array.
func (t *dupTable) bytes() int { return len(t.slots) * 16 }
