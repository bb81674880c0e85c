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

// Writes go through a buffer, then the log segment, then a sync. A write changes the
// entry in memory and appends its record to the buffer; whoever writes the buffer out
// takes all of it, so records reach the file in the order they were made. A sync makes
// everything written before it began durable, and wakes every write that waited for it:
// writes that come while one sync runs go together into the next, so eight workers cost
// about as many syncs as one. Syncs are made one at a time by the holder of
// Store.syncing: the log writer, one goroutine owned by the Store, or a write that waits
// and finds no sync running, which makes the sync itself, sparing the hand-over to the
// writer and back. Writing the buffer to the file takes Store.wmu, which no sync holds:
// a Begin (see Store.Reserve) writes its record to the file while a sync runs, and goes
// on without waiting for one.
//
// The checkpointer, a second goroutine, copies the entries logged into bbolt when enough
// have gathered (tuning.checkpointEntries identities, or four times as many records), or
// tuning.checkpointAge after the last checkpoint if anything was written: it prepares a
// new segment, has the log writer switch to it and freeze the entries written so far,
// copies those into bbolt in one transaction, then deletes the old segment and drops the
// frozen entries. Writes go on meanwhile. Few, large checkpoints cost less than many
// small ones: each rewrites every bbolt page its keys fall on.

// walBatch is a group of records written to the log together; it is done once a sync
// made them durable, or their write or sync failed.
type walBatch struct {
	done    chan struct{} // closed once the batch is durable or failed
	err     error         // set before done is closed
	records int
	async   bool // holds FinishAsync writes: a failure goes to Flush
	waited  bool // a write waits for it: sync it at once, not within asyncDelay
}

func newBatch() *walBatch { return &walBatch{done: make(chan struct{})} }

// rotation is the log writer's answer to a checkpointer that asked for a new segment.
type rotation struct {
	frozen map[string]Entry // the entries written before the switch
	old    int              // the segment that held their records
}

// writeMode is how far a write goes before it returns.
type writeMode int

const (
	// durable: the record is synced (Finish, Abandon).
	durable writeMode = iota
	// queued: the record waits in the buffer for commit (Reserve's records).
	queued
	// lazy: the record joins a sync within tuning.asyncDelay (FinishAsync, Unreserve).
	lazy
	// begin: Begin's; written if the entry is reserved and a crashed run's log can be
	// trusted (see Store.Reserve), else durable.
	begin
	// written: the record is in the log file, not yet synced.
	written
)

// write makes the change to id's entry (change(old), or e when change is nil) in memory
// and queues its log record. The returned batch is done when the record is durable; it
// is nil for a record the write took only as far as the file.
func (s *Store) write(id string, e Entry, change func(old Entry) Entry, mode writeMode) (*walBatch, error) {
	if err := s.checkWrite(id); err != nil {
		return nil, err
	}
	if err := s.lockForWrite(); err != nil {
		return nil, err
	}
	if change != nil {
		// Under mu, so that two writes to one identity cannot lose one another.
		old, ok := s.pendingLocked(id)
		if !ok {
			var err error
			if old, err = s.storedForWrite(id); err != nil {
				return nil, err
			}
		}
		if mode == begin {
			mode = durable
			if old.Reserved && s.tune.boot != "" {
				mode = written
			}
		}
		e = change(old)
	}
	b, full := s.putLocked(id, e, mode)
	switch mode {
	case durable:
		s.syncOrKick()
	case queued:
		s.mu.Unlock()
	case lazy:
		// FinishAsync waits up to asyncDelay for the next write that waits, to share its
		// sync.
		s.mu.Unlock()
		s.kickWriter(s.lazyKick)
	case written:
		s.mu.Unlock()
		s.wmu.Lock()
		// The record is in the file once this returns, written here or by the write
		// that took the buffer before (it held wmu until its write ended).
		err := s.writeOut()
		s.wmu.Unlock()
		s.kickWriter(s.lazyKick)
		s.kickCheckpointer(full)
		return nil, err
	}
	s.kickCheckpointer(full)
	return b, nil
}

// checkWrite returns why id cannot be written, if it cannot.
func (s *Store) checkWrite(id string) error {
	if s.readOnly {
		return fmt.Errorf("state %q: %w", s.path, ErrReadOnly)
	}
	if id == "" || len(id) > maxIdentity {
		return fmt.Errorf("%w: %d bytes", ErrIdentity, len(id))
	}
	return nil
}

// lockForWrite takes mu, unless the Store refuses writes (closed, or its log failed).
func (s *Store) lockForWrite() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.walErr != nil {
		err := s.walErr
		s.mu.Unlock()
		return err
	}
	return nil
}

// logFailed returns the error of the first log write or sync that failed, if one did.
func (s *Store) logFailed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.walErr
}

// storedForWrite returns the entry of id, which is not pending, as bbolt holds it, for a
// write to change. The caller holds mu; storedForWrite releases it while it reads bbolt,
// and holds it again when it returns, with the Store still taking writes, unless it
// returns an error. (A bbolt read must not begin under mu: it waits for a checkpoint
// that waits to grow bbolt's map, which waits for the reads open, and a View open reads
// pending entries, under mu.) An entry written meanwhile is returned as written; one
// written and checkpointed meanwhile is read again.
func (s *Store) storedForWrite(id string) (Entry, error) {
	ids := [1]string{id}
	es, err := s.storedForWrites(ids[:])
	if err != nil {
		return Entry{}, err
	}
	return es[0], nil
}

// storedForWrites is storedForWrite for a group of identities, in one read transaction.
func (s *Store) storedForWrites(ids []string) ([]Entry, error) {
	out := make([]Entry, len(ids))
	for {
		dropped := s.dropped
		s.mu.Unlock()
		s.storedInto(ids, out)
		if err := s.lockForWrite(); err != nil {
			return nil, err
		}
		if s.dropped == dropped {
			break
		}
	}
	for i, id := range ids {
		if e, ok := s.pendingLocked(id); ok {
			out[i] = e
		}
	}
	return out, nil
}

// putLocked makes e id's entry in memory and queues its log record in the open batch,
// which it returns; full: a checkpoint is due. The caller holds mu.
func (s *Store) putLocked(id string, e Entry, mode writeMode) (b *walBatch, full bool) {
	if _, ok := s.active[id]; !ok {
		s.pendingN.Add(1)
	}
	s.active[id] = e
	if e.Reserved {
		s.reserved[id] = struct{}{}
	} else {
		delete(s.reserved, id)
	}
	s.buf = appendRecord(s.buf, id, e)
	b = s.batch
	b.records++
	b.async = b.async || mode == lazy
	b.waited = b.waited || mode == durable || mode == queued
	s.logged++
	return b, len(s.active) == s.tune.checkpointEntries || s.logged == s.maxLogged()
}

func (s *Store) kickWriter(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (s *Store) kickCheckpointer(full bool) {
	if !full {
		return
	}
	select {
	case s.cpKick <- struct{}{}:
	default:
	}
}

// commit makes b durable, with every record queued before it, and returns its error.
func (s *Store) commit(b *walBatch) error {
	s.mu.Lock()
	b.waited = true
	s.syncOrKick()
	<-b.done
	return b.err
}

// syncOrKick syncs the log here if no sync runs, sparing the hand-over to the log writer
// and back, else wakes the log writer for the next. The caller holds mu; syncOrKick
// releases it.
func (s *Store) syncOrKick() {
	if !s.syncing && s.rotateTo == nil && !s.closed {
		s.syncing = true
		s.mu.Unlock()
		s.syncOut()
		return
	}
	s.mu.Unlock()
	s.kickWriter(s.kick)
}

// stored reads id's entry from bbolt; an unreadable or missing one reads as empty.
func (s *Store) stored(id string) Entry {
	var e [1]Entry
	s.storedInto([]string{id}, e[:])
	return e[0]
}

// storedInto reads the entries of ids from bbolt into out, in one read transaction; an
// unreadable or missing one reads as empty.
func (s *Store) storedInto(ids []string, out []Entry) {
	err := func() (err error) {
		defer s.recoverCorrupt(&err)
		return s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketEntries)
			for i, id := range ids {
				e, _, err := s.get(b, id)
				if err != nil {
					// An unreadable entry is replaced rather than blocking the identity
					// forever.
					s.log.Warn("replacing an unreadable state entry", zap.Error(err))
				}
				out[i] = e
			}
			return nil
		})
	}()
	if err != nil {
		s.log.Warn("replacing unreadable state entries", zap.Error(err))
		clear(out)
	}
}

// wait returns once b is durable, with its error; a nil b was written as far as it goes.
func (s *Store) wait(b *walBatch, err error) error {
	if err != nil || b == nil {
		return err
	}
	<-b.done
	return b.err
}

// logWriter syncs the log when woken, until the Store closes, then syncs what is left.
func (s *Store) logWriter() {
	defer s.workers.Done()
	lazy := time.NewTimer(time.Hour)
	lazy.Stop()
	defer lazy.Stop()
	// A lazy write (FinishAsync, a reserved Begin) wakes the writer to sync within
	// asyncDelay; armedAt is when the first of those not yet synced came. A sync that
	// began after it took every record written before it: the timer then moves to
	// asyncDelay after that sync, for what came since. Syncs the run makes anyway (a
	// Reserve every few milliseconds) so spare the writer its own: each holds a thread,
	// and the processor it runs on, for the disk's time (the Go runtime hands the
	// processor on only after a while). In a trace of a 20,000-row run, the writer's
	// 250 or so syncs held about 0.25 s of the 2.8 s run's two processors.
	armed := false
	var armedAt time.Time
	for {
		select {
		case <-s.kick:
		case <-s.lazyKick:
			if !armed {
				lazy.Reset(s.tune.asyncDelay)
				armed, armedAt = true, time.Now()
			}
			continue
		case <-lazy.C:
			armed = false
			s.mu.Lock()
			began, left := s.syncBegan, len(s.buf) > 0 || len(s.unsynced) > 0
			s.mu.Unlock()
			if began.After(armedAt) {
				if left {
					lazy.Reset(s.tune.asyncDelay - time.Since(began))
					armed, armedAt = true, began
				}
				continue
			}
		case <-s.quit:
			// Close refuses new writes before quit closes: this takes the last ones,
			// once a write making a sync has finished.
			for {
				s.mu.Lock()
				busy, left := s.syncing, len(s.buf) > 0 || len(s.unsynced) > 0 || s.rotateTo != nil
				s.mu.Unlock()
				if !busy && !left {
					return
				}
				if busy {
					time.Sleep(50 * time.Microsecond)
					continue
				}
				s.trySync()
			}
		}
		s.trySync()
	}
}

// trySync syncs the log unless a sync runs already.
func (s *Store) trySync() {
	s.mu.Lock()
	if s.syncing {
		s.mu.Unlock()
		return
	}
	s.syncing = true
	s.mu.Unlock()
	s.syncOut()
}

// takeBuf takes the buffered records and the batch they belong to (nil when there are
// none). The caller holds mu.
func (s *Store) takeBuf() ([]byte, *walBatch) {
	if len(s.buf) == 0 {
		return nil, nil
	}
	buf, b := s.buf, s.batch
	s.buf, s.spare = s.spare[:0], nil
	s.batch = newBatch()
	s.last = b
	return buf, b
}

// giveBack keeps buf, written, for the next takeBuf. The caller holds mu.
func (s *Store) giveBack(buf []byte) {
	if buf != nil && cap(buf) <= 1<<20 {
		s.spare = buf[:0]
	}
}

// failLocked notes err, a failed write or sync of the log: every later write fails too.
// The caller holds mu.
func (s *Store) failLocked(err error) {
	if s.walErr == nil {
		s.walErr = err
	}
}

// writeOut writes the buffered records to the log segment without a sync; their batch
// then waits for the next sync. The caller holds wmu. It returns the log's error, if it
// has failed.
func (s *Store) writeOut() error {
	s.mu.Lock()
	buf, b := s.takeBuf()
	err := s.walErr
	s.mu.Unlock()
	var werr error
	if b != nil && err == nil {
		if s.seg == nil {
			werr = ErrClosed
		} else if werr = s.seg.write(buf); werr != nil {
			werr = fmt.Errorf("write state log %q: %w", s.seg.path, werr)
		}
	}
	s.mu.Lock()
	s.giveBack(buf)
	if werr != nil {
		s.failLocked(werr)
		if b.async {
			s.noteAsyncLocked(werr)
		}
	}
	err = s.walErr
	if b != nil && err == nil {
		s.unsynced = append(s.unsynced, b)
	}
	s.mu.Unlock()
	if b != nil && err != nil {
		b.err = err
		close(b.done)
	}
	return err
}

// syncOut writes the buffered records and syncs the log segment, switching to a new one
// when the checkpointer asked: every batch written before the sync began is then done.
// The caller holds the syncing token; syncOut gives it back.
func (s *Store) syncOut() {
	s.wmu.Lock()
	s.mu.Lock()
	next := s.rotateTo
	buf, b := s.takeBuf()
	s.syncBegan = time.Now()
	var frozen map[string]Entry
	if next != nil {
		// The records written so far are the old segment's; their entries, frozen, go
		// to bbolt.
		s.rotateTo = nil
		frozen = s.active
		s.frozen = frozen
		s.active = make(map[string]Entry, len(frozen))
		s.logged = 0
	}
	batches := s.unsynced
	s.unsynced = nil
	err := s.walErr
	s.mu.Unlock()
	if b != nil {
		batches = append(batches, b)
	}
	seg := s.seg
	if b != nil && err == nil {
		if err = seg.write(buf); err != nil {
			err = fmt.Errorf("write state log %q: %w", seg.path, err)
		}
	}
	synced := false
	if next != nil {
		// The old segment is synced before the switch: a batch is done only once durable.
		if err == nil && len(batches) > 0 {
			if err = seg.sync(); err != nil {
				err = fmt.Errorf("sync state log %q: %w", seg.path, err)
			}
			synced = true
		}
		if cerr := seg.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write state log %q: %w", seg.path, cerr)
		}
		s.seg = next
	}
	s.wmu.Unlock()
	if next != nil {
		s.rotated <- rotation{frozen: frozen, old: seg.n}
	}
	if len(batches) > 0 && !synced && err == nil {
		// Outside wmu: Begins write to the file meanwhile.
		if err = seg.sync(); err != nil {
			err = fmt.Errorf("sync state log %q: %w", seg.path, err)
		}
		synced = true
	}
	records := 0
	async := false
	for _, b := range batches {
		records += b.records
		async = async || b.async
	}
	if synced {
		s.commits.Add(1)
		s.writes.Add(int64(records))
	}

	s.mu.Lock()
	s.giveBack(buf)
	if err != nil {
		s.failLocked(err)
		if async {
			s.noteAsyncLocked(err)
		}
	}
	s.syncing = false
	now := s.rotateTo != nil || len(s.buf) > 0 && s.batch.waited
	for _, u := range s.unsynced {
		now = now || u.waited
	}
	later := len(s.buf) > 0 || len(s.unsynced) > 0
	s.mu.Unlock()
	for _, b := range batches {
		b.err = err
		close(b.done)
	}
	switch {
	case now:
		s.kickWriter(s.kick)
	case later:
		s.kickWriter(s.lazyKick)
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
			seg, err := createSegment(s.path, segN+1, s.tune.boot)
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
			if s.logFailed() != nil {
				// The entries in memory may hold writes the log refused: bbolt must
				// not take them (see finalCheckpoint).
				return
			}
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
	s.dropped++
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
			var err error
			if m[id].empty() {
				// Reserved, then cleared: nothing to keep, nor an earlier reservation.
				err = b.Delete([]byte(id))
			} else {
				err = b.Put([]byte(id), vals[start:ends[i]:ends[i]])
			}
			if err != nil {
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
	s.wmu.Lock()
	for _, seg := range []*segment{s.seg, s.rotateTo} {
		if seg != nil {
			if err := seg.f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close state log %q: %w", seg.path, err))
			}
		}
	}
	s.seg, s.rotateTo = nil, nil
	s.wmu.Unlock()
	if err := s.logFailed(); err != nil {
		// Memory holds writes whose records never reached the log (a Begin that
		// failed there, its request never sent, would be in flight for good): the log
		// stays instead, for the next Open to fold in what reached it.
		return errors.Join(append(errs, fmt.Errorf("close state %q: the log failed (%w); "+
			"the next run recovers the writes that reached it", s.path, err))...)
	}
	m := make(map[string]Entry, len(s.frozen)+len(s.active)+len(s.reserved))
	maps.Copy(m, s.frozen)
	maps.Copy(m, s.active)
	// An identity still reserved had no request sent: this run began none for it.
	for id := range s.reserved {
		e, ok := m[id]
		if !ok {
			e = s.stored(id)
		}
		e.Reserved = false
		m[id] = e
	}
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
