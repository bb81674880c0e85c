package state

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"
)

// Get returns the entry of an identity; ok is false when the state holds none.
func (s *Store) Get(id string) (e Entry, ok bool, err error) {
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
	return r.s.get(r.b, id)
}

// View calls fn with a Reader whose lookups share one read transaction: a bulk reader for
// the nightly run, where one Get per row over a million unchanged rows would spend most of
// its time opening transactions. The Reader sees the state as it was when View began and
// is valid only inside fn, in one goroutine. Writes may go on meanwhile (read-write
// stores map 1 GiB up front, so a reader does not hold up a writer until the file
// outgrows that); still, keep each View short-lived (a batch of rows, not a whole run),
// since bbolt cannot reuse pages freed while a reader is open.
func (s *Store) View(fn func(r *Reader) error) (err error) {
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

// Begin durably marks the identity in flight, keeping everything else it holds: call it
// before the request leaves. A crash before Finish or Abandon leaves InFlight true.
func (s *Store) Begin(id string) error {
	return s.write(id, func(old Entry, _ bool) Entry {
		old.InFlight = true
		return old
	})
}

// Finish durably records the outcome of a request, replacing the entry with e and clearing
// InFlight. A zero e.Time is set to the store's clock.
func (s *Store) Finish(id string, e Entry) error {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	e.InFlight = false
	return s.write(id, func(Entry, bool) Entry { return e })
}

// FinishAsync is Finish without the wait: the outcome joins the next group commit and
// FinishAsync returns at once. Flush waits until every such write is on disk and reports
// the first that failed; Close flushes too. A crash before the commit leaves the entry as
// it was (in flight, if Begin marked it).
func (s *Store) FinishAsync(id string, e Entry) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	e.InFlight = false
	fn, err := s.change(id, func(Entry, bool) Entry { return e })
	if err != nil {
		s.noteAsync(err)
		return
	}
	s.async.Add(1)
	select {
	case s.reqs <- &commitReq{fn: fn}:
	case <-s.quit:
		s.noteAsync(ErrClosed)
		s.async.Done()
	}
}

// Flush waits for the FinishAsync writes made so far and returns the first error any
// of them met.
func (s *Store) Flush() error {
	s.async.Wait()
	s.asyncMu.Lock()
	defer s.asyncMu.Unlock()
	return s.asyncErr
}

func (s *Store) noteAsync(err error) {
	if err == nil {
		return
	}
	s.asyncMu.Lock()
	if s.asyncErr == nil {
		s.asyncErr = err
	}
	s.asyncMu.Unlock()
}

// Abandon durably clears InFlight after a failure where the request was surely not
// processed, keeping the code, card number and hash and noting status and the time.
func (s *Store) Abandon(id string, status string) error {
	now := s.now().UTC()
	return s.write(id, func(old Entry, _ bool) Entry {
		old.InFlight = false
		old.Status = status
		old.Time = now
		return old
	})
}

// write applies change to the entry of id in a group commit and returns once it is on disk.
func (s *Store) write(id string, change func(old Entry, ok bool) Entry) error {
	fn, err := s.change(id, change)
	if err != nil {
		return err
	}
	return s.commit(fn)
}

// change returns the transaction step that applies change to the entry of id.
func (s *Store) change(id string, change func(old Entry, ok bool) Entry) (func(*bolt.Tx) error, error) {
	if s.readOnly {
		return nil, fmt.Errorf("state %q: %w", s.path, ErrReadOnly)
	}
	if id == "" || len(id) > maxIdentity {
		return nil, fmt.Errorf("%w: %d bytes", ErrIdentity, len(id))
	}
	key := []byte(id)
	return func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		old, ok, err := s.get(b, id)
		if err != nil {
			// An unreadable entry is replaced rather than blocking the identity forever.
			s.log.Warn("replacing an unreadable state entry", zap.Error(err))
			old, ok = Entry{}, false
		}
		return b.Put(key, appendEntry(nil, change(old, ok)))
	}, nil
}

// Entries are written through a group commit: one goroutine owned by the Store runs every
// write in a read-write transaction, and the writes that arrive while one transaction
// commits (its fsyncs) go together into the next one. The committer also waits, at most
// maxLinger, for as many writes as the largest recent group held, so that N workers in
// lock step share one commit rather than splitting into two halves; when fewer writes come
// than expected, the wait times out once and the expectation drops to what came. A lone
// caller so pays one commit and no waiting, unlike bolt.DB.Batch, which delays every
// batch by MaxBatchDelay.
const (
	maxGroup  = 1024
	maxLinger = time.Millisecond
)

type commitReq struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// commit runs fn in a read-write transaction shared with concurrent callers and returns
// once that transaction is durable.
func (s *Store) commit(fn func(*bolt.Tx) error) error {
	r := &commitReq{fn: fn, done: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-s.quit:
		return ErrClosed
	}
	select {
	case err := <-r.done:
		return err
	case <-s.loopDone:
		// The committer stopped; it answered every write it took, so a write still
		// unanswered was left in the queue.
		select {
		case err := <-r.done:
			return err
		default:
			return ErrClosed
		}
	}
}

func (s *Store) commitLoop() {
	defer s.committer.Done()
	group := make([]*commitReq, 0, maxGroup)
	timer := time.NewTimer(maxLinger)
	timer.Stop()
	defer timer.Stop()
	peak := 1 // the group size to wait for
	defer close(s.loopDone)
	for {
		select {
		case <-s.quit:
			// Answer whatever is still queued.
			for {
				select {
				case r := <-s.reqs:
					s.reply(r, ErrClosed)
				default:
					return
				}
			}
		case r := <-s.reqs:
			group = append(group[:0], r)
		}
		group = s.drain(group)
		timedOut := false
		if len(group) < peak {
			timer.Reset(maxLinger)
		linger:
			for len(group) < peak {
				select {
				case r := <-s.reqs:
					group = append(group, r)
				case <-timer.C:
					timedOut = true
					break linger
				}
			}
			timer.Stop()
			group = s.drain(group)
		}
		if timedOut || len(group) > peak {
			peak = len(group)
		}
		s.runGroup(group)
		clear(group)
	}
}

// drain adds the writes already waiting to group.
func (s *Store) drain(group []*commitReq) []*commitReq {
	for len(group) < maxGroup {
		select {
		case r := <-s.reqs:
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// runGroup commits a group of writes in one transaction. When that fails, each write is
// retried alone, so that one bad write cannot fail the others.
func (s *Store) runGroup(group []*commitReq) {
	s.commits.Add(1)
	s.writes.Add(int64(len(group)))
	err := s.update(func(tx *bolt.Tx) error {
		for _, r := range group {
			if err := r.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(group) == 1 {
		for _, r := range group {
			s.reply(r, err)
		}
		return
	}
	for _, r := range group {
		s.reply(r, s.update(r.fn))
	}
}

// reply hands a write's result to its caller, or, for FinishAsync, to Flush.
func (s *Store) reply(r *commitReq, err error) {
	if r.done != nil {
		r.done <- err
		return
	}
	s.noteAsync(err)
	s.async.Done()
}

func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverCorrupt(&err)
	if err := s.db.Update(fn); err != nil {
		return fmt.Errorf("write state %q: %w", s.path, err)
	}
	return nil
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

// forEach calls fn for every entry in identity order, in one read transaction.
func (s *Store) forEach(fn func(id []byte, e Entry) error) (err error) {
	if s.db == nil {
		_, _, err := s.emptyRead()
		return err
	}
	defer s.recoverCorrupt(&err)
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			e, err := decodeEntry(v)
			if err != nil {
				return fmt.Errorf("state %q, identity %q: %w", s.path, k, err)
			}
			return fn(k, e)
		})
	})
	return s.readError(err)
}
