// Package state is custimport's memory between runs: one bbolt file per account that
// records, per customer identity, the code and card number the API returned, the
// fingerprint of the fields last sent successfully, the last status, and whether a request
// is in flight.
//
// A Store opened read-write holds an exclusive lock on its file for as long as it is open,
// so two runs can never share one state; the second Open fails at once with an error
// wrapping ErrLocked that names the file and the other run's process id. A Store opened
// read-only (a dry run, state export) takes a shared lock and never writes: the file stays
// byte-identical, and a missing file reads as an empty state without anything being
// created.
//
// Begin, Finish and Abandon are durable when they return: each write is appended to a
// write-ahead log beside the file (<file>.wal.<n>), and concurrent writes share one
// fdatasync of it, so eight workers cost about as many disk syncs as one. A background
// checkpoint copies logged writes into the bbolt file in large transactions and deletes
// the log they came from. A clean Close leaves the one bbolt file; after a crash, the next
// read-write Open folds the log into it first, and a read-only Open reads the log into
// memory without writing.
package state

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"
)

// Sentinel errors, for errors.Is.
var (
	// ErrLocked: another process (or another Store in this one) has the state file open
	// read-write. The error is a *LockedError.
	ErrLocked = errors.New("state in use by another run")
	// ErrCorrupt: the file is not a readable custimport state.
	ErrCorrupt = errors.New("state file is corrupt or not a custimport state")
	// ErrNewerSchema: the file was written by a newer custimport.
	ErrNewerSchema = errors.New("state written by a newer custimport")
	// ErrReadOnly: a write on a Store opened read-only.
	ErrReadOnly = errors.New("state opened read-only")
	// ErrClosed: a call on a closed Store.
	ErrClosed = errors.New("state closed")
	// ErrIdentity: an identity that cannot be stored (empty or too long).
	ErrIdentity = errors.New("identity cannot be stored")
)

// LockedError is returned by Open when the state file is locked by another run.
type LockedError struct {
	Path string
	PID  int // the other run's process id; 0 when unknown
}

// Error names the file and, when known, the process holding it.
func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("state %q is in use by another custimport run (pid %d); wait for it to end, or give another --state", e.Path, e.PID)
	}
	return fmt.Sprintf("state %q is in use by another custimport process (a run, or a dry run or state export still reading it); wait for it to end, or give another --state", e.Path)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// Options tune Open.
type Options struct {
	// ReadOnly opens the state for reading only, under a shared lock; nothing is ever
	// written, and a missing file reads as an empty state.
	ReadOnly bool
	// Logger receives debug messages; nil discards them.
	Logger *zap.Logger
	// Now is the clock for entry times; nil means time.Now.
	Now func() time.Time
}

// SchemaVersion is the version of the file layout this package writes.
const SchemaVersion = 1

// maxIdentity is the longest identity accepted, in bytes (bbolt allows 32 KiB keys).
const maxIdentity = 4096

// readerWait is how long a read-write Open waits for readers of the state (a dry run, a
// state export) to let go of it.
const readerWait = 5 * time.Minute

// lockWait is how long Open waits for the file lock: long enough to ride out a run that is
// just closing, short enough to fail "at once".
const lockWait = 50 * time.Millisecond

var (
	bucketMeta    = []byte("meta")
	bucketEntries = []byte("identities")
	keySchema     = []byte("schema")
)

// Store is an open state file. It is safe for concurrent use.
type Store struct {
	path     string
	db       *bolt.DB // nil: read-only over a missing file
	readOnly bool
	log      *zap.Logger
	now      func() time.Time
	lockPath string // the pid sidecar written by a read-write Store; "" otherwise
	tune     tuning

	// mu guards the writes not yet checkpointed into bbolt and the log's buffer.
	mu sync.Mutex
	// active holds the newest entry of every identity written since the last checkpoint
	// began (read-only: the leftover log); frozen, those the checkpoint in progress copies
	// into bbolt: it does not change, and is dropped once bbolt holds it. Reads look in
	// active, then frozen, then bbolt.
	active, frozen map[string]Entry
	// pendingN is len(active)+len(frozen), read without mu: while it is 0, a read goes
	// straight to bbolt (a nightly run of unchanged rows writes nothing).
	pendingN atomic.Int64
	closed   bool
	syncing  bool // a goroutine syncs the log (the log writer, or a write that waits)
	// syncBegan is when the latest sync took the records written so far (see logWriter).
	syncBegan time.Time
	logged    int       // records in the segment written since the last rotation
	buf       []byte    // records not yet handed to the log writer
	spare     []byte    // the buffer the log writer last wrote, for reuse
	batch     *walBatch // the batch buf's records go to disk with
	last      *walBatch // the latest batch handed to the log writer
	walErr    error     // the first failed log write: every later write fails too
	asyncErr  error     // the first FinishAsync write that failed
	rotateTo  *segment  // asked by the checkpointer: the segment the next batch starts
	// dropped counts the checkpointed entries dropped from memory (see dropFrozen).
	dropped int
	// unsynced are the batches written to the log segment and waiting for a sync.
	unsynced []*walBatch
	// reserved holds the identities reserved (see Reserve) and not yet begun, finished,
	// abandoned or unreserved: Close clears what is left.
	reserved map[string]struct{}
	// views is held shared by every View and forEach; frozen is dropped only under it
	// exclusively, so that a read transaction begun before a checkpoint committed never
	// misses the pending entries that checkpoint copied.
	views sync.RWMutex

	// wmu orders writes to the log segment: whoever writes the buffer out holds it, and
	// the switch to a new segment does. It is taken before mu, never while holding it.
	wmu         sync.Mutex
	seg         *segment      // the log segment written, under wmu
	commits     atomic.Int64  // log syncs
	writes      atomic.Int64  // records in them
	checkpoints atomic.Int64  // checkpoints committed to bbolt (not Close's)
	kick        chan struct{} // wakes the log writer
	lazyKick    chan struct{} // wakes it within tuning.asyncDelay
	cpKick      chan struct{} // wakes the checkpointer
	rotated     chan rotation // the log writer's answer to rotateTo
	quit        chan struct{}
	workers     sync.WaitGroup // the log writer and the checkpointer

	closeOnce sync.Once
	closeErr  error
}

// tuning sets when checkpoints run.
type tuning struct {
	checkpointEntries int           // identities pending that start a checkpoint at once
	checkpointAge     time.Duration // pending writes older than this start one
	checkpointTick    time.Duration // how often the checkpointer looks
	asyncDelay        time.Duration // the longest a FinishAsync waits for a sync to join
	readerWait        time.Duration // how long a read-write Open waits for readers to finish
	// boot identifies this boot of the machine ("" where unknown: see Reserve).
	boot string
	// mmap, when not 0, replaces bbolt's initial map size (see initialMmap).
	mmap int
}

// defaultTuning is the Store's tuning. An answer (FinishAsync) waits up to asyncDelay,
// 50 ms, for a sync to take it: a send run's reservations make one every few
// milliseconds, and the log writer syncs only when none came in time (see logWriter).
// Each sync of its own holds one of the machine's cores for the disk's time: at 10 ms the
// writer made about 250 syncs in a 20,000-row run with state, as many as the
// reservations, and at 50 ms almost none. A crash loses at most the answers that no
// later write took to the file, within asyncDelay: their rows are found as they were
// before the request (in flight, when marked), as after a crash during their requests.
// That does not widen what a crash leaves in doubt: each marker's Begin writes every
// answer before it to the file, and each Reserve syncs them.
func defaultTuning() tuning {
	return tuning{checkpointEntries: 32 << 10, checkpointAge: 10 * time.Second, checkpointTick: 100 * time.Millisecond,
		asyncDelay: 50 * time.Millisecond, readerWait: readerWait, boot: machineBootID()}
}

// Open opens the state file at path. Read-write, it creates the parent directories (0700)
// and the file (0600) as needed and takes an exclusive lock; read-only, see
// Options.ReadOnly.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, defaultTuning())
}

func open(path string, opts Options, tune tuning) (*Store, error) {
	s := &Store{
		path:     path,
		readOnly: opts.ReadOnly,
		log:      opts.Logger,
		now:      opts.Now,
		tune:     tune,
		quit:     make(chan struct{}),
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.ReadOnly {
		// A missing file, or an empty one (a run killed while creating it), holds
		// nothing; bbolt would need to write to initialise it.
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Size() == 0 && fi.Mode().IsRegular() {
			s.log.Debug("no state yet; reading as empty", zap.String("state", path))
			if err := s.readLeftoverLog(); err != nil {
				return nil, err
			}
			return s, nil
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}

	db, err := s.openBolt()
	if err != nil {
		return nil, s.openError(err)
	}
	// With a large map bbolt would grow the file 16 MiB at a time (a 16 MiB state for a
	// shop of ten customers); 1 MiB steps keep small states small.
	db.AllocSize = 1 << 20
	s.db = db
	if !opts.ReadOnly {
		s.lockPath = path + ".lock"
		// The pid is a courtesy for the message of a second run: failing to write it
		// costs nothing else.
		if err := os.WriteFile(s.lockPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
			s.log.Warn("cannot write the state's pid file", zap.String("file", s.lockPath), zap.Error(err))
		}
	}
	if err := s.prepare(); err != nil {
		_ = s.closeDB()
		return nil, err
	}
	if opts.ReadOnly {
		if err := s.readLeftoverLog(); err != nil {
			_ = s.closeDB()
			return nil, err
		}
	} else if err := s.startLog(); err != nil {
		_ = s.closeDB()
		return nil, err
	}
	s.log.Debug("state opened", zap.String("state", path), zap.Bool("read_only", opts.ReadOnly))
	return s, nil
}

// readLeftoverLog reads, for a read-only Store, the log a crashed run left, without
// writing anything: its entries stay in memory, over bbolt's.
func (s *Store) readLeftoverLog() error {
	l, err := s.readLeftover()
	if err != nil {
		return err
	}
	if len(l.segs) > 0 {
		s.log.Debug("read the log a crashed run left", zap.String("state", s.path),
			zap.Int("segments", len(l.segs)), zap.Int("identities", len(l.entries)))
	}
	s.active = l.entries
	s.pendingN.Store(int64(len(l.entries)))
	return nil
}

// readLeftover reads the log a run that did not close the state left, and settles the
// identities it left reserved, in the log or in bbolt (see settle).
func (s *Store) readLeftover() (leftoverLog, error) {
	l, err := readLog(s.path, s.log)
	if err != nil {
		return l, fmt.Errorf("open state %q: %w", s.path, err)
	}
	if len(l.segs) == 0 {
		return l, nil
	}
	complete := l.complete(s.tune.boot)
	if s.db != nil {
		// Reserved identities checkpointed into bbolt, and not written since.
		err := func() (err error) {
			defer s.recoverCorrupt(&err)
			return s.db.View(func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketEntries)
				if b == nil {
					return nil
				}
				return b.ForEach(func(k, v []byte) error {
					if len(v) < 2 || v[1]&flagReserved == 0 {
						return nil
					}
					if _, ok := l.entries[string(k)]; ok {
						return nil
					}
					e, err := decodeEntry(v)
					if err != nil {
						return fmt.Errorf("state %q, identity %q: %w", s.path, k, err)
					}
					l.entries[string(k)] = e
					return nil
				})
			})
		}()
		if err != nil {
			return l, err
		}
	}
	settled := 0
	for id, e := range l.entries {
		if e.Reserved {
			l.entries[id] = settle(e, complete)
			settled++
		}
	}
	if settled > 0 {
		s.log.Info("settled the identities a run that did not close the state had reserved",
			zap.String("state", s.path), zap.Int("identities", settled), zap.Bool("never_sent", complete))
	}
	return l, nil
}

// settle resolves e, left reserved by a run that did not close the state. With that
// run's whole log to read (complete), an identity it reserved and did not begin had no
// request sent: it is reserved no more. Without, its Begin may have been lost with the
// machine's cache, after its request left: it is in flight.
func settle(e Entry, complete bool) Entry {
	if e.Reserved {
		e.Reserved = false
		e.InFlight = e.InFlight || !complete
	}
	return e
}

// startLog folds a log a crashed run left into bbolt, then starts a new log and the
// goroutines that write it and checkpoint it.
func (s *Store) startLog() error {
	l, err := s.readLeftover()
	if err != nil {
		return err
	}
	if len(l.segs) > 0 {
		if err := s.apply(l.entries); err != nil {
			return err
		}
		if err := s.removeSegments(l.segs); err != nil {
			return fmt.Errorf("open state %q: %w", s.path, err)
		}
		s.log.Info("recovered the state's writes from the log of a run that did not close it",
			zap.String("state", s.path), zap.Int("identities", len(l.entries)))
	}
	seg, err := createSegment(s.path, 1, s.tune.boot)
	if err != nil {
		return fmt.Errorf("open state %q: %w", s.path, err)
	}
	s.seg = seg
	s.reserved = map[string]struct{}{}
	s.active = map[string]Entry{}
	s.batch = newBatch()
	s.kick = make(chan struct{}, 1)
	s.lazyKick = make(chan struct{}, 1)
	s.cpKick = make(chan struct{}, 1)
	s.rotated = make(chan rotation, 1)
	s.workers.Add(2)
	go s.logWriter()
	go s.checkpointer(seg.n)
	return nil
}

// removeSegments deletes log segments whose entries bbolt holds, durably: a segment
// that came back after a power loss would be replayed over newer entries.
func (s *Store) removeSegments(segs []int) error {
	for _, n := range segs {
		if err := os.Remove(segmentPath(s.path, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove the state's log: %w", err)
		}
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		return fmt.Errorf("remove the state's log: %w", err)
	}
	return nil
}

// boltOpen is bolt.Open, but for a damaged file on which bbolt panics (it does while
// loading a damaged free list): that becomes an error wrapping ErrCorrupt, and the file
// is closed. Its lock stays until the process exits, as bbolt's memory map, which we
// cannot reach to unmap, keeps the locked file open.
func boltOpen(path string, o *bolt.Options) (db *bolt.DB, err error) {
	var f *os.File
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		file, err := os.OpenFile(name, flag, perm)
		f = file
		return file, err
	}
	defer func() {
		if r := recover(); r != nil {
			if f != nil {
				_ = f.Close()
			}
			db, err = nil, fmt.Errorf("%w (%v)", ErrCorrupt, r)
		}
	}()
	return bolt.Open(path, 0o600, o)
}

// initialMmap is the initial memory map of a read-write store: 1 GiB on 64-bit systems
// (some ten million identities), nothing on 32-bit ones or read-only.
func initialMmap(readOnly bool) int {
	if readOnly || strconv.IntSize < 64 {
		return 0
	}
	return 1 << 30
}

// openError turns an error of bolt.Open into one that names the file.
// openBolt opens the bbolt file. When a read-write open finds the file locked by no
// live custimport run (no pid file, or the pid of a process that is gone), the lock is a
// reader's - a dry run or a state export, which write no pid - and the open waits for it,
// up to tune.readerWait, rather than failing a nightly run because someone was looking;
// a run that appears meanwhile still fails it at once.
func (s *Store) openBolt() (*bolt.DB, error) {
	deadline := time.Now().Add(s.tune.readerWait)
	warned := false
	for {
		db, err := boltOpen(s.path, &bolt.Options{
			Timeout:  lockWait,
			ReadOnly: s.readOnly,
			// Read transactions (a Reader) do not block writers as long as the file fits
			// in the initial map; address space is cheap, and the file does not grow
			// with it.
			InitialMmapSize: cmp.Or(s.tune.mmap, initialMmap(s.readOnly)),
			// bbolt's statistics cost a mutex per transaction and nothing here reads
			// them.
			NoStatistics: true,
		})
		if err == nil || s.readOnly || !errors.Is(err, berrors.ErrTimeout) || time.Now().After(deadline) {
			return db, err
		}
		if pid := readPID(s.path + ".lock"); pid > 0 && processAlive(pid) {
			return nil, err // another run
		}
		if !warned {
			warned = true
			s.log.Warn("the state is being read by a dry run or a state export; waiting for it to finish",
				zap.String("state", s.path), zap.Duration("at_most", s.tune.readerWait))
		}
	}
}

func (s *Store) openError(err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		pid := readPID(s.path + ".lock")
		if pid > 0 && !processAlive(pid) {
			pid = 0 // left by a run that is gone
		}
		return &LockedError{Path: s.path, PID: pid}
	case errors.Is(err, ErrCorrupt):
		return fmt.Errorf("open state %q: %w", s.path, err)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return fmt.Errorf("open state %q: %w (%w)", s.path, ErrCorrupt, err)
	}
	// A file too short to hold bbolt's meta pages fails before the checks above.
	if strings.Contains(err.Error(), "file size too small") || strings.Contains(err.Error(), "page size") {
		return fmt.Errorf("open state %q: %w (%w)", s.path, ErrCorrupt, err)
	}
	return fmt.Errorf("open state %q: %w", s.path, err)
}

// readPID reads the process id in a pid file; 0 when there is none to read.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 32 {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// prepare checks the schema version, and read-write creates the buckets.
func (s *Store) prepare() (err error) {
	defer s.recoverCorrupt(&err)
	check := func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			if hasBuckets(tx) {
				return fmt.Errorf("state %q: %w (no schema version)", s.path, ErrCorrupt)
			}
			return nil
		}
		v := meta.Get(keySchema)
		if len(v) != 4 {
			return fmt.Errorf("state %q: %w (schema version unreadable)", s.path, ErrCorrupt)
		}
		n := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
		if n > SchemaVersion {
			return fmt.Errorf("state %q has schema version %d; this custimport reads up to %d: %w",
				s.path, n, SchemaVersion, ErrNewerSchema)
		}
		return nil
	}
	if s.readOnly {
		return s.db.View(check)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := check(tx); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if meta.Get(keySchema) == nil {
			if err := meta.Put(keySchema, []byte{0, 0, 0, SchemaVersion}); err != nil {
				return err
			}
		}
		_, err = tx.CreateBucketIfNotExists(bucketEntries)
		return err
	})
}

func hasBuckets(tx *bolt.Tx) bool {
	found := false
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error {
		found = true
		return errors.New("stop")
	})
	return found
}

// recoverCorrupt turns a panic of bbolt on a damaged page into an error naming the file.
func (s *Store) recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("state %q: %w (%v)", s.path, ErrCorrupt, r)
	}
}

// Path returns the file the Store reads.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether the Store was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Close waits for pending writes, copies them into the bbolt file, releases the lock and
// closes the file. Calls after Close return ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		flushErr := s.Flush()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.quit)
		s.workers.Wait()
		var cpErr error
		if !s.readOnly && s.db != nil {
			cpErr = s.finalCheckpoint()
		}
		s.closeErr = errors.Join(flushErr, cpErr, s.closeDB())
	})
	return s.closeErr
}

func (s *Store) closeDB() error {
	if s.db == nil {
		return nil
	}
	// The pid file goes first: once the lock is released, it may be another run's.
	if s.lockPath != "" {
		if err := os.Remove(s.lockPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("cannot remove the state's pid file", zap.String("file", s.lockPath), zap.Error(err))
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close state %q: %w", s.path, err)
	}
	return nil
}
