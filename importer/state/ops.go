package state

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Get returns the entry of an identity; ok is false when the state holds none. It sees
// every write made before it, FinishAsync's included.
func (s *Store) Get(id string) (e Entry, ok bool, err error) {
	e, ok, err = s.pending(id)
	if ok || err != nil {
		return e, ok && !e.empty(), err
	}
	if s.db == nil {
		return s.emptyRead()
	}
	defer s.recoverCorrupt(&err)
	err = s.db.View(func(tx *bolt.Tx) error {
		e, ok, err = s.get(tx.Bucket(bucketEntries), id)
		return err
	})
	return e, ok, s.readError(err)
}

// pending returns the entry of id written but not yet checkpointed into bbolt. An empty
// one (a reservation cleared) stands for no entry, over any bbolt holds.
func (s *Store) pending(id string) (Entry, bool, error) {
	if s.pendingN.Load() == 0 {
		// Nothing pending; a write this misses began after the read did. (On a closed
		// Store, bbolt's read, next, fails.)
		return Entry{}, false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Entry{}, false, ErrClosed
	}
	e, ok := s.pendingLocked(id)
	return e, ok, nil
}

func (s *Store) pendingLocked(id string) (Entry, bool) {
	if e, ok := s.active[id]; ok {
		return e, true
	}
	e, ok := s.frozen[id]
	return e, ok
}

func (s *Store) emptyRead() (Entry, bool, error) {
	select {
	case <-s.quit:
		return Entry{}, false, ErrClosed
	default:
		return Entry{}, false, nil
	}
}

// get reads one entry from the identities bucket, which is nil in a read-only file that
// has none yet.
func (s *Store) get(b *bolt.Bucket, id string) (Entry, bool, error) {
	if b == nil {
		return Entry{}, false, nil
	}
	v := b.Get([]byte(id))
	if v == nil {
		return Entry{}, false, nil
	}
	e, err := decodeEntry(v)
	if err != nil {
		return Entry{}, false, fmt.Errorf("state %q, identity %q: %w", s.path, id, err)
	}
	return e, true, nil
}

func (s *Store) readError(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Reader reads entries inside one read transaction; see View.
type Reader struct {
	s *Store
	b *bolt.Bucket
}

// Get is Store.Get inside the Reader's transaction.
func (r *Reader) Get(id string) (Entry, bool, error) {
	if e, ok, err := r.s.pending(id); ok || err != nil {
		return e, ok && !e.empty(), err
	}
	return r.s.get(r.b, id)
}

// GetEach looks up every identity of ids, as Get does, and calls fn with the index of
// each in ids and what Get would return. It looks them up in increasing order, walking
// forward from one to the next when they are close (a file sorted by customer id is the
// common case) rather than searching from the root for each; fn is called in that order.
func (r *Reader) GetEach(ids []string, fn func(i int, e Entry, ok bool, err error)) {
	// order is the indices of ids in increasing order of identity; nil when ids are in
	// order already.
	var order []int
	if !slices.IsSorted(ids) {
		order = make([]int, len(ids))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(ids[a], ids[b]) })
	}
	// With nothing pending when the lookups begin (a nightly run of unchanged rows writes
	// nothing), none of them looks there: a write made meanwhile may show or not.
	pending := r.s.pendingN.Load() != 0
	var c *bolt.Cursor
	var k, v []byte // where c is; k is nil at the end of the bucket
	for n := range ids {
		i := n
		if order != nil {
			i = order[n]
		}
		id := ids[i]
		if pending {
			if e, ok, err := r.s.pending(id); ok || err != nil {
				fn(i, e, ok && !e.empty(), err)
				continue
			}
		}
		if r.b == nil {
			fn(i, Entry{}, false, nil)
			continue
		}
		if c == nil {
			c = r.b.Cursor()
			k, v = c.Seek([]byte(id))
		} else {
			// A few steps forward, then a search from the root.
			for step := 0; k != nil && string(k) < id; step++ {
				if step == getEachSteps {
					k, v = c.Seek([]byte(id))
					break
				}
				k, v = c.Next()
			}
		}
		if k == nil || string(k) != id {
			fn(i, Entry{}, false, nil)
			continue
		}
		e, err := decodeEntry(v)
		if err != nil {
			fn(i, Entry{}, false, fmt.Errorf("state %q, identity %q: %w", r.s.path, id, err))
			continue
		}
		fn(i, e, true, nil)
	}
}

// getEachSteps is how many keys GetEach steps over before it searches from the root
// instead.
const getEachSteps = 8

// View calls fn with a Reader whose lookups share one read transaction: a bulk reader for
// the nightly run, where one Get per row over a million unchanged rows would spend most of
// its time opening transactions. The Reader sees every write made before View began;
// writes made meanwhile may show too. It is valid only inside fn, in one goroutine.
// Writes may go on meanwhile (read-write stores map 1 GiB up front, so a reader does not
// hold up a writer until the file outgrows that); still, keep each View short-lived (a
// batch of rows, not a whole run), since bbolt cannot reuse pages freed while a reader is
// open, and writes a View overlaps stay in memory until it ends.
func (s *Store) View(fn func(r *Reader) error) (err error) {
	s.views.RLock()
	defer s.views.RUnlock()
	if s.db == nil {
		if _, _, err := s.emptyRead(); err != nil {
			return err
		}
		return fn(&Reader{s: s})
	}
	defer s.recoverCorrupt(&err)
	err = s.db.View(func(tx *bolt.Tx) error {
		return fn(&Reader{s: s, b: tx.Bucket(bucketEntries)})
	})
	return s.readError(err)
}

// Reserve durably marks each identity reserved: a request for it is about to leave.
// Call it ahead, for a group of rows at once (one sync for all), then Begin for each
// just before its request leaves.
//
// Reserving is what lets Begin go without waiting for the disk. Begin of a reserved
// identity writes its mark in flight to the log file and returns without a sync, which
// is enough against a crash of the process: what a process wrote stays in the operating
// system's cache, which the next Open reads as the file. It is not against a crash of the
// machine, which loses what no sync reached: a request could have left with its mark lost.
// So the next Open settles an identity left reserved by the run before it by how that
// run ended. If it wrote its log since the machine last started (its log segments carry
// the boot id, and it is this boot's), its whole log is there: a reserved identity that
// has no mark in flight in it had no request sent, and is reserved no more. Otherwise,
// or where the boot id cannot be known (outside Linux), a reserved identity may have
// had its request sent, and is in flight. So a crash of the process leaves in flight
// only what had begun, and a crash of the machine what had been reserved.
//
// Where the boot id cannot be known, Begin waits for the disk, and Reserve, which would
// gain nothing, does nothing.
func (s *Store) Reserve(ids []string) error {
	if len(ids) == 0 || s.tune.boot == "" && !s.readOnly {
		return nil
	}
	for _, id := range ids {
		if err := s.checkWrite(id); err != nil {
			return err
		}
	}
	if err := s.lockForWrite(); err != nil {
		return err
	}
	// Read from bbolt outside mu, pending entries over them (see storedForWrite).
	es, err := s.storedForWrites(ids)
	if err != nil {
		return err
	}
	var b *walBatch
	full := false
	for i, id := range ids {
		e := es[i]
		e.Reserved = true
		var f bool
		b, f = s.putLocked(id, e, queued)
		full = full || f
	}
	s.mu.Unlock()
	s.kickCheckpointer(full)
	return s.commit(b)
}

// Unreserve clears the reservation of an identity whose request will not be sent (the
// run stopped first), without waiting for the disk: a crash before its record is synced
// leaves the reservation to the next Open to settle.
func (s *Store) Unreserve(id string) {
	if _, err := s.write(id, Entry{}, func(old Entry) Entry {
		old.Reserved = false
		return old
	}, lazy); err != nil {
		s.mu.Lock()
		s.noteAsyncLocked(err)
		s.mu.Unlock()
	}
}

// Begin marks the identity in flight, keeping everything else it holds: call it before
// the request leaves. A crash before Finish or Abandon leaves InFlight true. Of a
// reserved identity the mark is written to the log file, which is enough against a crash
// of the process (see Reserve); else it is durable when Begin returns.
func (s *Store) Begin(id string) error {
	return s.wait(s.write(id, Entry{}, func(old Entry) Entry {
		old.InFlight, old.Reserved = true, false
		return old
	}, begin))
}

// Finish durably records the outcome of a request, replacing the entry with e and clearing
// InFlight. A zero e.Time is set to the store's clock.
func (s *Store) Finish(id string, e Entry) error {
	return s.wait(s.write(id, s.stamp(e), nil, durable))
}

// FinishAsync is Finish without the wait: the outcome joins the next sync of the log
// (within tuning.asyncDelay) and FinishAsync returns at once; reads see it at once.
// Flush waits until every such write is on disk and reports the first that failed; Close
// flushes too. A crash before that write leaves the entry as it was (in flight, if Begin
// marked it). Writes reach the file in the order they were made: a write that returned
// (Begin, Finish, Abandon) put every earlier FinishAsync in the file too, and made it
// durable if it waited for the disk.
func (s *Store) FinishAsync(id string, e Entry) {
	if _, err := s.write(id, s.stamp(e), nil, lazy); err != nil {
		s.mu.Lock()
		s.noteAsyncLocked(err)
		s.mu.Unlock()
	}
}

// stamp returns e as Finish records it: a zero time set to the clock, UTC, not in flight.
func (s *Store) stamp(e Entry) Entry {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	e.InFlight, e.Reserved = false, false
	return e
}

// Flush waits for the FinishAsync writes made so far and returns the first error any
// of them met.
func (s *Store) Flush() error {
	s.mu.Lock()
	b := s.last
	if len(s.buf) > 0 {
		b = s.batch
	}
	waiting := b != nil && !isDone(b)
	if waiting {
		b.waited = true
	}
	s.mu.Unlock()
	if waiting {
		s.kickWriter(s.kick)
		<-b.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asyncErr
}

func (s *Store) noteAsyncLocked(err error) {
	if err != nil && s.asyncErr == nil {
		s.asyncErr = err
	}
}

// Abandon durably clears InFlight after a failure where the request was surely not
// processed, keeping the code, card number and hash and noting status and the time.
func (s *Store) Abandon(id string, status string) error {
	now := s.now().UTC()
	return s.wait(s.write(id, Entry{}, func(old Entry) Entry {
		old.InFlight, old.Reserved = false, false
		old.Status = status
		old.Time = now
		return old
	}, durable))
}

// isDone reports whether b is done.
func isDone(b *walBatch) bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// Stats are counts over the whole state.
type Stats struct {
	Identities int            // entries held
	InFlight   int            // entries whose last request has no recorded answer
	WithCode   int            // entries holding a customer code
	ByStatus   map[string]int // entries per last status
}

// Stats counts the entries. It reads the whole state.
func (s *Store) Stats() (st Stats, err error) {
	st.ByStatus = map[string]int{}
	err = s.forEach(func(id []byte, e Entry) error {
		st.Identities++
		if e.InFlight {
			st.InFlight++
		}
		if e.Code != "" {
			st.WithCode++
		}
		st.ByStatus[e.Status]++
		return nil
	})
	return st, err
}

// forEach calls fn for every entry in identity order: bbolt's, in one read transaction,
// merged with those not yet checkpointed.
func (s *Store) forEach(fn func(id []byte, e Entry) error) (err error) {
	s.views.RLock()
	defer s.views.RUnlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	pend := make(map[string]Entry, len(s.frozen)+len(s.active))
	maps.Copy(pend, s.frozen)
	maps.Copy(pend, s.active)
	s.mu.Unlock()
	ids := slices.Sorted(maps.Keys(pend))
	next := 0
	// pendingBefore calls fn for the pending entries before id ("" : all that are left).
	pendingBefore := func(id []byte) error {
		for ; next < len(ids) && (id == nil || ids[next] < string(id)); next++ {
			if e := pend[ids[next]]; !e.empty() {
				if err := fn([]byte(ids[next]), e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if s.db == nil {
		if _, _, err := s.emptyRead(); err != nil {
			return err
		}
		return pendingBefore(nil)
	}
	defer s.recoverCorrupt(&err)
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		if b != nil {
			if err := b.ForEach(func(k, v []byte) error {
				if err := pendingBefore(k); err != nil {
					return err
				}
				if next < len(ids) && ids[next] == string(k) {
					return nil // newer, pending
				}
				e, err := decodeEntry(v)
				if err != nil {
					return fmt.Errorf("state %q, identity %q: %w", s.path, k, err)
				}
				if e.empty() {
					return nil
				}
				return fn(k, e)
			}); err != nil {
				return err
			}
		}
		return pendingBefore(nil)
	})
	return s.readError(err)
}
