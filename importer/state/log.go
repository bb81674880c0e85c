package state

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Writes go through the log writer, one goroutine owned by the Store: a write changes the
// entry in memory and appends its record to a buffer; the writer takes the whole buffer,
// writes it to the log segment and syncs it once, then wakes every write that was in it.
// Writes that come while one sync runs go together into the next, so eight workers cost
// about as many syncs as one. A write that waits and finds no batch being written writes
// the buffer itself, sparing the hand-over to the writer and back (measured: a send run's
// Begin waits less). Whoever writes a batch holds Store.syncing, so batches are written
// one at a time, in order: a batch is acknowledged only once every earlier one is on
// disk, and the log keeps the order in which writes were made.
//
// The checkpointer, a second goroutine, copies the entries logged into bbolt when enough
// have gathered (tuning.checkpointEntries identities, or four times as many records), or
// tuning.checkpointAge after the last checkpoint if anything was written: it prepares a
// new segment, has the log writer switch to it and freeze the entries written so far,
// copies those into bbolt in one transaction, then deletes the old segment and drops the
// frozen entries. Writes go on meanwhile. Few, large checkpoints cost less than many
// small ones: each rewrites every bbolt page its keys fall on.

// walBatch is a group of writes that reach the disk with one sync.
type walBatch struct {
	done    chan struct{} // closed once the batch is durable or failed
	err     error         // set before done is closed
	records int
	async   bool // holds FinishAsync writes: a failure goes to Flush
}

func newBatch() *walBatch { return &walBatch{done: make(chan struct{})} }

// rotation is the log writer's answer to a checkpointer that asked for a new segment.
type rotation struct {
	frozen map[string]Entry // the entries written before the switch
	old    int              // the segment that held their records
}

// write makes the change to id's entry (change(old), or e when change is nil) in memory
// and queues its log record. The returned batch is done when the record is durable.
func (s *Store) write(id string, e Entry, change func(old Entry) Entry, async bool) (*walBatch, error) {
	if s.readOnly {
		return nil, fmt.Errorf("state %q: %w", s.path, ErrReadOnly)
	}
	if id == "" || len(id) > maxIdentity {
		return nil, fmt.Errorf("%w: %d bytes", ErrIdentity, len(id))
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if s.walErr != nil {
		err := s.walErr
		s.mu.Unlock()
		return nil, err
	}
	if change != nil {
		// Under mu, so that two writes to one identity cannot lose one another.
		old, ok := s.pendingLocked(id)
		if !ok {
			old = s.stored(id)
		}
		e = change(old)
	}
	if _, ok := s.active[id]; !ok {
		s.pendingN.Add(1)
	}
	s.active[id] = e
	s.buf = appendRecord(s.buf, id, e)
	b := s.batch
	b.records++
	b.async = b.async || async
	s.logged++
	full := len(s.active) == s.tune.checkpointEntries || s.logged == s.maxLogged()
	if !async && !s.syncing && s.rotateTo == nil {
		// The log writer is idle: write the batch here rather than wake it.
		s.syncing = true
		s.writeBatchLocked()
		if full {
			select {
			case s.cpKick <- struct{}{}:
			default:
			}
		}
		return b, nil
	}
	s.mu.Unlock()
	// A write that waits goes to disk at once. FinishAsync waits up to asyncDelay for the
	// next write that waits, to share its sync: a send run's worker calls Begin right
	// after it, and a Begin that finds the log writer idle waits one sync, not one and a
	// half on average.
	wake := s.kick
	if async {
		wake = s.lazyKick
	}
	select {
	case wake <- struct{}{}:
	default:
	}
	if full {
		select {
		case s.cpKick <- struct{}{}:
		default:
		}
	}
	return b, nil
}

// stored reads id's entry from bbolt; an unreadable or missing one reads as empty.
func (s *Store) stored(id string) Entry {
	var e Entry
	err := func() (err error) {
		defer s.recoverCorrupt(&err)
		return s.db.View(func(tx *bolt.Tx) error {
			e, _, err = s.get(tx.Bucket(bucketEntries), id)
			return err
		})
	}()
	if err != nil {
		// An unreadable entry is replaced rather than blocking the identity forever.
		s.log.Warn("replacing an unreadable state entry", zap.Error(err))
		return Entry{}
	}
	return e
}

// wait returns once b is durable, with its error.
func (s *Store) wait(b *walBatch, err error) error {
	if err != nil {
		return err
	}
	<-b.done
	return b.err
}

// logWriter writes the log until the Store closes, then writes what is left.
func (s *Store) logWriter() {
	defer s.workers.Done()
	lazy := time.NewTimer(time.Hour)
	lazy.Stop()
	defer lazy.Stop()
	armed := false
	for {
		select {
		case <-s.kick:
		case <-s.lazyKick:
			if !armed {
				lazy.Reset(s.tune.asyncDelay)
				armed = true
			}
			continue
		case <-lazy.C:
			armed = false
		case <-s.quit:
			// Close refuses new writes before quit closes: this takes the last ones,
			// once a write leading a batch has finished.
			for {
				s.mu.Lock()
				busy, left := s.syncing, len(s.buf) > 0 || s.rotateTo != nil
				s.mu.Unlock()
				if !busy && !left {
					return
				}
				if busy {
					time.Sleep(50 * time.Microsecond)
					continue
				}
				s.writeBatch()
			}
		}
		s.writeBatch()
	}
}

// writeBatch writes the buffered records to the log and syncs them, and switches to a new
// segment when the checkpointer asked for one.
func (s *Store) writeBatch() {
	s.mu.Lock()
	if s.syncing {
		s.mu.Unlock()
		return
	}
	s.syncing = true
	s.writeBatchLocked()
}

// writeBatchLocked is writeBatch for the holder of the syncing token, with mu held; it
// releases both.
func (s *Store) writeBatchLocked() {
	next := s.rotateTo
	if len(s.buf) == 0 && next == nil {
		s.syncing = false
		s.mu.Unlock()
		return
	}
	buf, b := s.buf, s.batch
	s.buf, s.spare = s.spare[:0], nil
	s.batch = newBatch()
	s.last = b
	var frozen map[string]Entry
	if next != nil {
		s.rotateTo = nil
		frozen = s.active
		s.frozen = frozen
		s.active = make(map[string]Entry, len(frozen))
		s.logged = 0
	}
	s.mu.Unlock()

	var err error
	if len(buf) > 0 {
		if err = s.seg.append(buf); err != nil {
			err = fmt.Errorf("write state log %q: %w", s.seg.path, err)
		}
		s.commits.Add(1)
		s.writes.Add(int64(b.records))
	}
	if next != nil {
		old := s.seg
		if cerr := old.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write state log %q: %w", old.path, cerr)
		}
		s.seg = next
		s.rotated <- rotation{frozen: frozen, old: old.n}
	}

	s.mu.Lock()
	if err != nil {
		if s.walErr == nil {
			s.walErr = err
		}
		if b.async {
			s.noteAsyncLocked(err)
		}
	}
	if cap(buf) <= 1<<20 {
		s.spare = buf[:0]
	}
	s.syncing = false
	more := len(s.buf) > 0 || s.rotateTo != nil
	s.mu.Unlock()
	b.err = err
	close(b.done)
	if more {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// checkpointer copies logged entries into bbolt until the Store closes (Close copies the
// rest).
func (s *Store) checkpointer(segN int) {
	defer s.workers.Done()
	tick := time.NewTicker(s.tune.checkpointTick)
	defer tick.Stop()
	var (
		frozen  map[string]Entry // frozen, not yet dropped
		old     int              // the segment that logged it
		applied bool             // bbolt holds frozen
		since   = time.Now()     // when the entries now active began to gather
		retryAt time.Time        // after a failure, when to try again
	)
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		case <-s.cpKick:
		}
		if time.Now().Before(retryAt) {
			continue
		}
		if frozen == nil {
			if !s.checkpointDue(since) {
				continue
			}
			seg, err := createSegment(s.path, segN+1)
			if err != nil {
				s.log.Warn("cannot checkpoint the state; will retry", zap.Error(err))
				retryAt = time.Now().Add(s.tune.checkpointAge)
				continue
			}
			segN++
			s.mu.Lock()
			s.rotateTo = seg
			s.mu.Unlock()
			select {
			case s.kick <- struct{}{}:
			default:
			}
			select {
			case r := <-s.rotated:
				frozen, old, applied, since = r.frozen, r.old, false, time.Now()
			case <-s.quit:
				return // Close copies everything, and removes the unused segment
			}
		}
		committed := false
		if !applied {
			if err := s.apply(frozen); err != nil {
				s.log.Warn("cannot checkpoint the state; will retry", zap.Error(err))
				retryAt = time.Now().Add(s.tune.checkpointAge)
				continue
			}
			applied, committed = true, true
			// The log up to old is in bbolt now; segments before it are gone already.
			if err := s.removeSegments([]int{old}); err != nil {
				s.log.Warn("cannot remove the state's log", zap.Error(err))
			}
		}
		if s.dropFrozen() {
			frozen = nil
		}
		if committed {
			s.checkpoints.Add(1) // after the first try to drop frozen, for the tests
		}
	}
}

// checkpointDue reports whether the entries written since `since` should go to bbolt.
func (s *Store) checkpointDue(since time.Time) bool {
	s.mu.Lock()
	n, logged := len(s.active), s.logged
	s.mu.Unlock()
	return n >= s.tune.checkpointEntries || logged >= s.maxLogged() ||
		n > 0 && time.Since(since) >= s.tune.checkpointAge
}

// maxLogged is how many records a segment takes before a checkpoint starts, whatever
// the number of identities: it bounds the log's size and the replay after a crash.
func (s *Store) maxLogged() int { return 4 * s.tune.checkpointEntries }

// dropFrozen forgets the entries the last checkpoint copied into bbolt, unless a View that
// may have begun before it committed is still open (it would no longer see them); false
// then, and the checkpointer tries again later.
func (s *Store) dropFrozen() bool {
	if !s.views.TryLock() {
		return false
	}
	s.mu.Lock()
	s.pendingN.Add(-int64(len(s.frozen)))
	s.frozen = nil
	s.mu.Unlock()
	s.views.Unlock()
	return true
}

// apply writes the entries of m into bbolt in one transaction.
func (s *Store) apply(m map[string]Entry) error {
	if len(m) == 0 {
		return nil
	}
	// Keys in order: bbolt then fills its pages one after another. Keys and values must
	// stay valid until the commit; one buffer holds all the values.
	ids := slices.Sorted(maps.Keys(m))
	vals := make([]byte, 0, 64*len(ids))
	ends := make([]int, len(ids))
	for i, id := range ids {
		vals = appendEntry(vals, m[id])
		ends[i] = len(vals)
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		start := 0
		for i, id := range ids {
			if err := b.Put([]byte(id), vals[start:ends[i]:ends[i]]); err != nil {
				return err
			}
			start = ends[i]
		}
		return nil
	})
}

// finalCheckpoint copies every entry not yet in bbolt into it and removes the log. It
// runs in Close, once the log writer and the checkpointer have stopped. When the copy
// fails the log stays, for the next Open to fold in.
func (s *Store) finalCheckpoint() error {
	var errs []error
	for _, seg := range []*segment{s.seg, s.rotateTo} {
		if seg != nil {
			if err := seg.f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close state log %q: %w", seg.path, err))
			}
		}
	}
	s.seg, s.rotateTo = nil, nil
	m := make(map[string]Entry, len(s.frozen)+len(s.active))
	maps.Copy(m, s.frozen)
	maps.Copy(m, s.active)
	if err := s.apply(m); err != nil {
		return errors.Join(append(errs, err)...)
	}
	s.frozen, s.active = nil, nil
	segs, err := listSegments(s.path)
	if err == nil {
		err = s.removeSegments(segs)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("close state %q: %w", s.path, err))
	}
	return errors.Join(errs...)
}

func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverCorrupt(&err)
	if err := s.db.Update(fn); err != nil {
		return fmt.Errorf("write state %q: %w", s.path, err)
	}
	return nil
}
