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
// a key adds up to three. An entry is a 12-byte slot: a 56-bit fingerprint of the identity
// and, as the value, the low 24 bits of the last row's number and 16 bits of its Hash. The
// slots form an open-addressing table of any size (not only powers of two) that grows by
// a fifth when 92% full, so that past its first size (4,096 entries, 48 KiB, mostly
// untouched for a small file) it is at least 76% full and an entry costs at most 16 bytes:
// with the table's padding (under 1%), from 15.8 bytes just after a growth to 13.1 just
// before the next.
// Reserve sizes the table once for a known number of entries. On Unix the slots live in
// memory mapped outside the Go heap, so they do not raise the garbage collector's heap
// target, and on Linux growing hands the old slots back as it moves them, so that it
// peaks at little more than the new table. Call Close to release the table; an index
// dropped without Close is released by the garbage collector, later. Fingerprints are
// per-process (maphash with random seeds): the index is never stored.
//
// What the kept bits cost:
//   - Two different identity values of a kind share a 56-bit fingerprint with a
//     probability of about n²/2^57 over a whole file of n distinct values: 7·10⁻⁶ at
//     1,000,000 and 7·10⁻⁴ at 10,000,000. Only then does a row get a false "same
//     customer" warning (and only if the two rows' data differ).
//   - Two rows of one customer with different data share 16 bits of Hash, and so get no
//     warning, with a probability of 1/65,536 for each such pair.
//   - Row numbers are kept modulo 2^24 and read back as the latest row before the current
//     one with those low bits: exact whenever the earlier row is fewer than 16,777,216
//     rows before the current one (always, in a file of fewer rows than that). Past that
//     the warning names a row a multiple of 16,777,216 after the real one. Rows must come
//     in increasing order, as in the file.
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

// Reserve makes room for n identity values in all (a row adds one for each of its code,
// card number and key), so that the table is sized once rather than grown as Checks add
// entries. It is a hint: an index holding more grows as usual, and a table reserved for
// far more values than come takes memory for them all (its pages are handed out when
// the entries move in, except in a table still empty). Reserve never shrinks the table. It does not wait for the kernel to hand out
// the pages of a large table (tens of milliseconds): a goroutine of its own does, and
// Checks go on in the table as it is until then; Close waits for that goroutine.
func (d *DupIndex) Reserve(n int) {
	d.t.reserve(n)
	runtime.KeepAlive(d)
}

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

// dupRowMask keeps the bits of a row number that an entry holds.
const dupRowMask = 1<<24 - 1

// identity kinds, indexes into DupIndex.seeds.
const (
	dupCode = iota
	dupCard
	dupKey
)

// DupKeys are a row's identity values as a DupIndex looks them up (their fingerprints),
// made by DupIndex.Keys ahead of the Check that uses them, on any goroutine.
type DupKeys struct {
	fps [3]uint64 // by identity kind; 0 where the row has none
}

// Keys returns the DupKeys of r's identity values. Unlike the other methods it may be
// called from several goroutines at once, also while another calls a Check: it reads
// nothing a Check changes.
func (d *DupIndex) Keys(r *Result) DupKeys {
	fps, _ := d.fingerprints(r)
	return DupKeys{fps: fps}
}

// Prefetch reads the parts of the index that Checks of rs will read, all at once, so that
// their cache misses overlap rather than come one Check after another: call it with the
// results of a batch of rows before checking them one by one. It changes nothing.
func (d *DupIndex) Prefetch(rs []*Result) {
	if d.t.slots == nil {
		return
	}
	for _, r := range rs {
		// touch passes over the fingerprints of absent values (0).
		fps, _ := d.fingerprints(r)
		d.t.touch(fps[:])
	}
	runtime.KeepAlive(d)
}

// PrefetchKeys is Prefetch for rows whose DupKeys are made already. With nothing but the
// reads left in its loop, far more of their cache misses overlap.
func (d *DupIndex) PrefetchKeys(ks []DupKeys) {
	if d.t.slots == nil {
		return
	}
	for i := range ks {
		d.t.touch(ks[i].fps[:])
	}
	runtime.KeepAlive(d)
}

// fingerprints returns the fingerprints of r's identity values by kind (0 where r has
// none) and how many it has.
func (d *DupIndex) fingerprints(r *Result) (fps [3]uint64, n int) {
	for k, v := range [...]string{dupCode: r.Identity.Code, dupCard: r.Identity.CardNumber, dupKey: r.Identity.Key} {
		if v != "" {
			fps[k] = maphash.String(d.seeds[k], v)
			n++
		}
	}
	return fps, n
}

// Check records the row's identity and reports, as a warning, when an earlier row named
// the same customer with a different Hash. Rows are expected in file order; the warning
// names the latest earlier row of that customer. A row with no identity is never a
// duplicate.
func (d *DupIndex) Check(rowNumber int, r Result) (Problem, bool) {
	p, warn, _ := d.CheckSeen(rowNumber, r)
	return p, warn
}

// CheckSeen is Check, and also reports whether an earlier row named any of the row's
// identity values (with the same data or not).
func (d *DupIndex) CheckSeen(rowNumber int, r Result) (p Problem, warn, seen bool) {
	fps, _ := d.fingerprints(&r)
	return d.checkSeen(rowNumber, &r, fps)
}

// CheckSeenKeys is CheckSeen of the row r whose DupKeys (from Keys) are k.
func (d *DupIndex) CheckSeenKeys(rowNumber int, r *Result, k DupKeys) (p Problem, warn, seen bool) {
	return d.checkSeen(rowNumber, r, k.fps)
}

func (d *DupIndex) checkSeen(rowNumber int, r *Result, fps [3]uint64) (p Problem, warn, seen bool) {
	h := uint64(binary.LittleEndian.Uint16(r.Hash[:2]))
	val := (uint64(rowNumber)&dupRowMask)<<16 | h
	ids := [...]string{dupCode: r.Identity.Code, dupCard: r.Identity.CardNumber, dupKey: r.Identity.Key}
	n := 0
	for _, v := range ids {
		if v != "" {
			n++
		}
	}
	// The table is far bigger than the CPU's caches: reading the home slots of all the
	// row's values first lets their cache misses overlap.
	if n > 1 {
		d.t.touch(fps[:])
	}
	var found Problem
	ok := false
	for k, v := range ids {
		if v == "" {
			continue
		}
		prev, dup := d.t.put(fps[k], val)
		seen = seen || dup
		if !dup || ok || prev&0xffff == h {
			continue
		}
		ok = true
		// The earlier row is the latest before this one with the row number's low bits.
		prevRow := rowNumber - ((rowNumber - int(prev>>16)) & dupRowMask)
		found = Problem{
			Field:   dupFields[k],
			Reason:  fmt.Sprintf("same customer as row %d (same %s) with different data", prevRow, dupWhat[k]),
			Summary: dupSummary[k],
			Warning: true,
		}
	}
	// Were d otherwise dead by now, its cleanup could unmap the table while put wrote to it.
	runtime.KeepAlive(d)
	return found, ok, seen
}

// dupFields and dupWhat name each identity kind in a warning; dupSummary is the warning
// as the summary counts it, whichever the earlier row.
var (
	dupSummary = [...]string{
		dupCode: "same customer as an earlier row (same code) with different data",
		dupCard: "same customer as an earlier row (same card_number) with different data",
		dupKey:  "same customer as an earlier row (same key) with different data",
	}
	dupFields = [...]string{dupCode: "code", dupCard: "card_number", dupKey: ""}
	dupWhat   = [...]string{dupCode: "code", dupCard: "card_number", dupKey: "key"}
)
