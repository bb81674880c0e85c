package mapping

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
)

// DupIndex notices rows of one file that name the same customer (the same code, the same
// card number or the same key, each kind on its own) with different data.
//
// It remembers 16 bytes per distinct identity value: a 64-bit fingerprint of the identity
// as the map key, and as the value the last row's number and 32 bits of its Hash. Go's map
// adds its own bookkeeping on top (see BenchmarkDupIndexMemory). Fingerprints are
// per-process (maphash with a random seed): the index is never stored.
//
// A DupIndex is not safe for concurrent use.
type DupIndex struct {
	seed maphash.Seed
	seen map[uint64]uint64 // fingerprint -> row<<32 | hash32
}

// NewDupIndex returns an empty index.
func NewDupIndex() *DupIndex {
	return &DupIndex{seed: maphash.MakeSeed(), seen: make(map[uint64]uint64)}
}

// Len returns how many identity values the index holds.
func (d *DupIndex) Len() int { return len(d.seen) }

// identity kinds, part of the fingerprint so that a code and a key with the same text are
// different customers.
const (
	dupCode byte = 'c'
	dupCard byte = 'n'
	dupKey  byte = 'k'
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
		kind  byte
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
