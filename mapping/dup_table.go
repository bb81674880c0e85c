package mapping

import (
	"math/bits"
	"unsafe"
)

// dupSlot is one 12-byte slot of a dupTable: a 64-bit key (a 56-bit fingerprint above 8
// bits of the value; a fingerprint of 0 marks an empty slot) and 32 more bits of the
// value, as three words so that slots pack without padding.
type dupSlot struct{ lo, hi, v uint32 }

// dupSlotBytes is the size of a dupSlot.
const dupSlotBytes = int(unsafe.Sizeof(dupSlot{}))

const (
	// dupMinSlots is a table's first size (48 KiB, of which a small file touches a few
	// pages).
	dupMinSlots = 4096
	// A table grows when more than dupMaxLoad of its slots are in use, by dupGrowth, so
	// that it is never less than dupMaxLoad/dupGrowth (about 77%) full past its first
	// size: with dupPad, at most 12/0.767*(1+1/128) = 15.8 bytes per entry.
	dupMaxLoad = 0.92
	dupGrowth  = 1.2
	// dupReserveLoad is how full a table sized by reserve is at the size asked for.
	dupReserveLoad = 0.9
	// dupChunkSlots is how many slots a rehash moves before it hands back the pages it
	// has moved.
	dupChunkSlots = 4096
	// dupHugeBytes is the size from which a table asks for huge pages (see hugeSlots).
	dupHugeBytes = 8 << 20
	// dupSpareRatio is how many times larger than the table a reservation must be to be
	// made ready on a goroutine of its own (see dupSpare).
	dupSpareRatio = 8
)

// dupPad is how many slots a table of n home slots has past them, for the runs of
// entries whose home is near the end: tables do not wrap around.
func dupPad(n int) int { return 64 + n/128 }

// dupFP is the part of a key that is the fingerprint.
const dupFP = ^uint64(0xff)

// dupTable is a hash table from 56-bit fingerprints (the top 56 bits of a 64-bit one) to
// 40-bit values, in 12-byte slots. Where the platform allows, the slots live outside the
// Go heap (see allocSlots) so that they do not raise the garbage collector's heap target;
// free must then be called to release them.
//
// It is an ordered linear-probing table: a fingerprint's home slot is (fp*n)>>64 for n
// home slots (any n, not only powers of two), so homes rise with fingerprints, and the
// entries are kept sorted by fingerprint, each at or after its home with no empty slot
// in between. A lookup stops at the first fingerprint not below its own; an insertion
// shifts the rest of its run up by one slot. Runs do not wrap around: the table has
// dupPad slots past its homes. A rehash walks the old slots in order and fills the new
// ones in order, so it can give the old pages back as it goes (dropSlots), and growing
// costs little more than the new table. A table of 8 MiB or more asks for huge pages, as
// lookups in it miss the TLB; one made by growing has its pages handed out at once, as
// the rehash fills three quarters of them.
//
// A table reserved at a size of dupHugeBytes or more, and dupSpareRatio times the table's,
// is made ready on a goroutine of its own (see spare): handing out the pages of a large
// table takes the kernel tens of milliseconds (30 ms for 21 MiB on the machine the
// benchmarks ran on), and the caller, which checks rows in order, would hold up
// everything else meanwhile.
type dupTable struct {
	slots []dupSlot
	mem   []byte // the mapping behind slots; nil when slots are on the Go heap
	homes uint64 // home slots; len(slots) is at least dupPad(homes) more
	n     int    // slots in use
	limit int    // n past which the table grows
	sink  uint32 // what touch read, kept so that its reads are not optimised away
	spare *dupSpare
	// handOut hands out the pages of a spare's mapping (populateSlots; tests hold it
	// up).
	handOut func(mem []byte)
}

// dupSpare is a table's next slots, reserved and being handed out by the kernel on a
// goroutine of its own; put moves the entries into them once they are ready (or when the
// table must grow, after waiting for them).
type dupSpare struct {
	homes int
	slots []dupSlot
	mem   []byte
	ready chan struct{} // closed once the pages are handed out
}

// key returns the slot's key.
func (s *dupSlot) key() uint64 { return uint64(s.hi)<<32 | uint64(s.lo) }

// value returns the slot's 40-bit value.
func (s *dupSlot) value() uint64 { return uint64(s.v)<<8 | uint64(s.lo&0xff) }

// set stores a fingerprint (its top 56 bits) and a 40-bit value.
func (s *dupSlot) set(fp, val uint64) {
	k := fp&dupFP | val&0xff
	s.lo, s.hi, s.v = uint32(k), uint32(k>>32), uint32(val>>8)
}

// put stores val (40 bits) under the top 56 bits of fp and returns the value it replaces,
// if any. Fingerprints whose top 56 bits are 0 are stored as if they were 1, 0 being the
// mark of an empty slot.
func (t *dupTable) put(fp, val uint64) (prev uint64, seen bool) {
	fp &= dupFP
	if fp == 0 {
		fp = 1 << 8
	}
	if t.slots == nil {
		t.resize(dupMinSlots)
	}
	if t.spare != nil {
		select {
		case <-t.spare.ready:
			t.takeSpare()
		default:
		}
	}
	hi, _ := bits.Mul64(fp, t.homes)
	i := int(hi)
	slots := t.slots
	for ; i < len(slots); i++ {
		k := slots[i].key() & dupFP
		if k >= fp || k == 0 {
			if k == fp {
				prev = slots[i].value()
				slots[i].set(fp, val)
				return prev, true
			}
			break
		}
	}
	// fp goes at i: the run from i up to the next empty slot moves up by one.
	j := i
	for j < len(slots) && slots[j].key()&dupFP != 0 {
		j++
	}
	if t.n >= t.limit || j == len(slots) {
		switch {
		case t.spare != nil:
			// The spare is larger than the table: wait for it rather than grow.
			t.takeSpare()
		case t.n >= t.limit:
			t.resize(t.grown())
		default:
			// The run reaches the end of the padding (rare but for fingerprints that
			// crowd the last homes): the same homes, with more room past them.
			t.resize(int(t.homes))
		}
		return t.put(fp, val)
	}
	copy(slots[i+1:j+1], slots[i:j])
	slots[i].set(fp, val)
	t.n++
	return 0, false
}

// touch reads the home slot of each nonzero fingerprint of fps, so that the cache misses
// of a few lookups overlap; the lookups themselves come after.
func (t *dupTable) touch(fps []uint64) {
	if t.slots == nil {
		return
	}
	var sum uint32
	for _, fp := range fps {
		if fp != 0 {
			hi, _ := bits.Mul64(fp, t.homes)
			sum += t.slots[hi].hi
		}
	}
	t.sink = sum
}

// grown returns the number of home slots the table grows to.
func (t *dupTable) grown() int {
	return int(float64(t.homes)*dupGrowth) + 1
}

// reserve makes room for n entries in all, so that the table need not grow before it
// holds them.
func (t *dupTable) reserve(n int) {
	homes := max(int(float64(n)/dupReserveLoad)+1, dupMinSlots)
	if t.spare != nil {
		t.takeSpare()
	}
	if homes <= int(t.homes) {
		return
	}
	size := homes + dupPad(homes)
	if t.n == 0 || size*dupSlotBytes < dupHugeBytes || t.bytes()*dupSpareRatio > size*dupSlotBytes {
		// A spare is for a table far larger than the one it replaces: the old one stays
		// whole until the spare is ready, where resize hands back its pages as it moves
		// the entries (a reservation of 82 MB made beside a full table of 78 MB took the
		// peak memory from 193 MB to 309 MB).
		t.resize(homes)
		return
	}
	slots, mem := allocSlots(size)
	if mem == nil {
		// On the Go heap, zeroed already.
		t.resizeInto(homes, slots, mem, true)
		return
	}
	s := &dupSpare{homes: homes, slots: slots, mem: mem, ready: make(chan struct{})}
	handOut := t.handOut
	if handOut == nil {
		handOut = populateSlots
	}
	go func() {
		defer close(s.ready)
		handOut(s.mem)
	}()
	t.spare = s
}

// takeSpare waits for the spare's pages, and moves the entries into it.
func (t *dupTable) takeSpare() {
	s := t.spare
	t.spare = nil
	<-s.ready
	t.resizeInto(s.homes, s.slots, s.mem, true)
}

// resize moves the entries into a new table of the given number of home slots and frees
// the old one.
func (t *dupTable) resize(homes int) {
	t.resizeInto(homes, nil, nil, false)
}

// resizeInto is resize into slots (from allocSlots, with mem) when they are large enough,
// else into new ones; ready tells that slots' pages are handed out already.
func (t *dupTable) resizeInto(homes int, slots []dupSlot, mem []byte, ready bool) {
	old, oldMem := t.slots, t.mem
	// Old entries are in fingerprint order, so they go in order: each at its home, or just
	// past the one before. A first pass finds where the last one goes, so that the table
	// has room past its homes for every run.
	next := 0
	for i := range old {
		if fp := old[i].key() & dupFP; fp != 0 {
			hi, _ := bits.Mul64(fp, uint64(homes))
			next = max(next, int(hi)) + 1
		}
	}
	if size := max(homes+dupPad(homes), next+dupPad(homes)/2); len(slots) >= size {
		t.slots, t.mem = slots, mem
	} else {
		freeSlots(mem)
		t.slots, t.mem = allocSlots(size)
		ready = false
	}
	t.homes = uint64(homes)
	t.limit = int(float64(homes) * dupMaxLoad)
	next = 0
	dropped, step := 0, dupDropBytes(len(oldMem))
	populated, ahead := 0, dupDropBytes(len(t.mem))
	for lo := 0; lo < len(old); lo += dupChunkSlots {
		hi := min(lo+dupChunkSlots, len(old))
		// The rehash is about to write most of the pages up to where this chunk's last
		// entry goes (by its home, give or take a run): they are handed out a step
		// ahead, in one call each, rather than one fault at a time.
		if t.mem != nil && !ready {
			if fp := old[hi-1].key() & dupFP; fp != 0 || hi == len(old) {
				end, _ := bits.Mul64(fp, uint64(homes))
				want := min(len(t.mem), ((int(end)+dupChunkSlots)*dupSlotBytes+ahead)/ahead*ahead)
				if hi == len(old) {
					want = len(t.mem)
				}
				if want > populated {
					populateSlots(t.mem[populated:want])
					populated = want
				}
			}
		}
		for _, s := range old[lo:hi] {
			fp := s.key() & dupFP
			if fp == 0 {
				continue
			}
			home, _ := bits.Mul64(fp, uint64(homes))
			next = max(next, int(home))
			t.slots[next] = s
			next++
		}
		// The pages whose slots are all moved need not stay resident until the end.
		if done := hi * dupSlotBytes / step * step; oldMem != nil && done > dropped {
			dropSlots(oldMem[dropped:done])
			dropped = done
		}
	}
	freeSlots(oldMem)
}

// dupDropBytes is the step in which a rehash hands back the pages of a table of n bytes:
// whole huge pages (2 MiB) for a table that may have them, as handing back part of one
// would split it, else whole pages.
func dupDropBytes(n int) int {
	if n >= dupHugeBytes {
		return 2 << 20
	}
	return 4096
}

// free releases the slots and leaves the table empty, ready for use again. It may be
// called more than once.
func (t *dupTable) free() {
	if t.spare != nil {
		<-t.spare.ready
		freeSlots(t.spare.mem)
	}
	freeSlots(t.mem)
	*t = dupTable{handOut: t.handOut}
}

// bytes is the size of the slot array.
func (t *dupTable) bytes() int { return len(t.slots) * dupSlotBytes }
