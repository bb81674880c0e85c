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
// Begin, Finish and Abandon are durable when they return (bbolt with fsync). Concurrent
// calls share transactions and fsyncs through a group commit, so eight workers cost about
// as many disk syncs as one.
package state

import (
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
	return fmt.Sprintf("state %q is in use by another custimport run; wait for it to end, or give another --state", e.Path)
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

	commits  atomic.Int64 // transactions the group commit ran
	writes   atomic.Int64 // writes it ran in them
	reqs     chan *commitReq
	loopDone chan struct{} // closed when the committer has stopped

	async     sync.WaitGroup // FinishAsync writes not yet on disk
	asyncMu   sync.Mutex
	asyncErr  error // the first FinishAsync write that failed
	quit      chan struct{}
	committer sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open opens the state file at path. Read-write, it creates the parent directories (0700)
// and the file (0600) as needed and takes an exclusive lock; read-only, see
// Options.ReadOnly.
func Open(path string, opts Options) (*Store, error) {
	s := &Store{
		path:     path,
		readOnly: opts.ReadOnly,
		log:      opts.Logger,
		now:      opts.Now,
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
			return s, nil
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}

	db, err := boltOpen(path, &bolt.Options{
		Timeout:  lockWait,
		ReadOnly: opts.ReadOnly,
		// Read transactions (a Reader) do not block writers as long as the file fits in
		// the initial map; address space is cheap, and the file does not grow with it.
		InitialMmapSize: initialMmap(opts.ReadOnly),
		// bbolt's statistics cost a mutex per transaction and nothing here reads them.
		NoStatistics: true,
	})
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
	if !opts.ReadOnly {
		// Buffered so that FinishAsync does not wait out a commit in progress.
		s.reqs = make(chan *commitReq, maxGroup)
		s.loopDone = make(chan struct{})
		s.committer.Add(1)
		go s.commitLoop()
	}
	s.log.Debug("state opened", zap.String("state", path), zap.Bool("read_only", opts.ReadOnly))
	return s, nil
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
func (s *Store) openError(err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return &LockedError{Path: s.path, PID: readPID(s.path + ".lock")}
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

// Close waits for pending writes, releases the lock and closes the file. Calls after
// Close return ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		flushErr := s.Flush()
		defer func() { s.closeErr = errors.Join(flushErr, s.closeErr) }()
		close(s.quit)
		s.committer.Wait()
		s.closeErr = s.closeDB()
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
