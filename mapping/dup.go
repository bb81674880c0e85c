package mapping

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"runtime"
)

// DupIndex notices rows of one file that name the same customer (the same code, the same
// card number or the same key, each kind on its own) with different data.
//
// It holds one entry per distinct identity value, so a row with a code, a card number and
// a key adds up to three. An entry is a 16-byte slot: a 64-bit fingerprint of the identity
// and, as the value, the last row's number and 32 bits of its Hash. The slots form an
// open-addressing table that doubles when 85% full, so an entry costs between 16/0.85
// (about 19) and 32/0.85 (about 38) bytes depending on where the table is in its doubling
// cycle; the table starts at 4,096 slots (64 KiB, mostly untouched for a small file). On
// Unix the slots live in memory mapped outside the Go heap, so they do not raise the
// garbage collector's heap target, and on Linux a doubling hands the old slots back as it
// moves them, so that it peaks at little more than the new table. Call Close to release
// the table; an index dropped without Close is released by the garbage collector, later.
// Fingerprints are per-process (maphash with random seeds): the index is never stored.
//
// A DupIndex is not safe for concurrent use, and must not be copied.
type DupIndex struct {
	_     noCopy
	seeds [3]maphash.Seed // one per identity kind: a code and a key with the same text differ
	t     *dupTable
}

// NewDupIndex returns an empty index. It takes no memory for entries until the first
// Check.
func NewDupIndex() *DupIndex {
	d := &DupIndex{
		seeds: [...]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed(), maphash.MakeSeed()},
		t:     &dupTable{},
	}
	// A forgotten Close must not leak the mapping for the life of the process.
	runtime.AddCleanup(d, (*dupTable).free, d.t)
	return d
}

// Len returns how many identity values the index holds.
func (d *DupIndex) Len() int { return d.t.n }

// Close releases the index's memory and empties it; a later Check starts afresh. Close may
// be called more than once.
func (d *DupIndex) Close() {
	d.t.free()
	// The cleanup must not free the table under our feet (see Check).
	runtime.KeepAlive(d)
}

// noCopy makes go vet report a copied DupIndex: the copy would share the table that the
// original's cleanup frees.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// identity kinds, indexes into DupIndex.seeds.
const (
	dupCode = iota
	dupCard
	dupKey
)

// Check records the row's identity and reports, as a warning, when an earlier row named
// the same customer with a different Hash. Rows are expected in file order; the warning
// names the latest earlier row of that customer. A row with no identity is never a
// duplicate.
func (d *DupIndex) Check(rowNumber int, r Result) (Problem, bool) {
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
	// Were d otherwise dead by now, its cleanup could unmap the table while put wrote to it.
	runtime.KeepAlive(d)
	return found, ok
}
