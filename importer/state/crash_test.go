package state

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// crash stops s as a kill -9 would leave its files: no checkpoint, the log and the pid
// file left behind, the lock released, and records not yet handed to the log writer
// lost (call it when no write is waiting).
func crash(tb testing.TB, s *Store) {
	tb.Helper()
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.buf = nil
		s.mu.Unlock()
		close(s.quit)
		s.workers.Wait()
		for _, seg := range []*segment{s.seg, s.rotateTo} {
			if seg != nil {
				seg.f.Close()
			}
		}
		// bbolt writes nothing on Close: it unmaps, unlocks and closes.
		if err := s.db.Close(); err != nil {
			tb.Fatal(err)
		}
	})
}

// fastCheckpoints checkpoints after every few writes.
var fastCheckpoints = tuning{checkpointEntries: 5, checkpointAge: time.Millisecond, checkpointTick: time.Millisecond, asyncDelay: time.Millisecond}

// noCheckpoints never checkpoints while the Store is open.
var noCheckpoints = tuning{checkpointEntries: 1 << 30, checkpointAge: time.Hour, checkpointTick: time.Hour, asyncDelay: time.Millisecond}

// lazyForever never writes a FinishAsync until a write that waits comes.
var lazyForever = tuning{checkpointEntries: 1 << 30, checkpointAge: time.Hour, checkpointTick: time.Hour, asyncDelay: time.Hour}

func openTuned(tb testing.TB, path string, tune tuning) *Store {
	tb.Helper()
	s, err := open(path, Options{Now: fixedNow, Logger: zaptest.NewLogger(tb)}, tune)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// dirFiles lists the names in dir.
func dirFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// dirSums maps every file in dir to a checksum of its content.
func dirSums(tb testing.TB, dir string) map[string][32]byte {
	tb.Helper()
	sums := map[string][32]byte{}
	for _, name := range dirFiles(tb, dir) {
		sums[name] = fileSum(tb, filepath.Join(dir, name))
	}
	return sums
}

// checkEntries fails unless every identity in want reads as want says, through Get, a
// Reader and Export's order (Stats counts).
func checkEntries(tb testing.TB, s *Store, want map[string]Entry) {
	tb.Helper()
	for id, w := range want {
		got, ok := mustGet(tb, s, id)
		if !ok || !entriesEqual(got, w) {
			tb.Errorf("%s = %+v, %v; want %+v", id, got, ok, w)
		}
	}
	if err := s.View(func(r *Reader) error {
		for id, w := range want {
			got, ok, err := r.Get(id)
			if err != nil {
				return err
			}
			if !ok || !entriesEqual(got, w) {
				tb.Errorf("Reader: %s = %+v, %v; want %+v", id, got, ok, w)
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	var ids []string
	if err := s.forEach(func(id []byte, e Entry) error {
		ids = append(ids, string(id))
		if w, ok := want[string(id)]; !ok || !entriesEqual(e, w) {
			tb.Errorf("forEach: %s = %+v; want %+v (listed: %v)", id, e, w, ok)
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	if !slices.IsSorted(ids) || len(ids) != len(want) {
		tb.Errorf("forEach listed %d identities (sorted: %v), want %d", len(ids), slices.IsSorted(ids), len(want))
	}
}

// TestCrashRecovery: what a crash at various points leaves is what the next Open sees,
// read-only (without writing) and read-write (folding the log into bbolt).
func TestCrashRecovery(t *testing.T) {
	sent := func(code string) Entry { return Entry{Code: code, Status: "new", Time: clock} }
	tests := []struct {
		name string
		tune tuning
		// run writes, and returns what a reopened state must hold.
		run func(tb testing.TB, s *Store) map[string]Entry
	}{
		{"begin only", noCheckpoints, func(tb testing.TB, s *Store) map[string]Entry {
			must(tb, s.Begin("key:a"))
			return map[string]Entry{"key:a": {InFlight: true}}
		}},
		{"flush writes finish async at once", lazyForever, func(tb testing.TB, s *Store) map[string]Entry {
			must(tb, s.Begin("key:a"))
			s.FinishAsync("key:a", sent("1"))
			must(tb, s.Flush())
			return map[string]Entry{"key:a": sent("1")}
		}},
		{"finish async then begin", lazyForever, func(tb testing.TB, s *Store) map[string]Entry {
			// Begin's sync carries the FinishAsync before it, which would otherwise
			// wait (here) for ever.
			must(tb, s.Begin("key:a"))
			s.FinishAsync("key:a", sent("1"))
			must(tb, s.Begin("key:b"))
			return map[string]Entry{"key:a": sent("1"), "key:b": {InFlight: true}}
		}},
		{"finish async alone reaches the disk", noCheckpoints, func(tb testing.TB, s *Store) map[string]Entry {
			must(tb, s.Begin("key:a"))
			s.FinishAsync("key:a", sent("1"))
			deadline := time.Now().Add(10 * time.Second)
			for s.writes.Load() < 2 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			return map[string]Entry{"key:a": sent("1")}
		}},
		{"finish async not yet written is lost", lazyForever, func(tb testing.TB, s *Store) map[string]Entry {
			must(tb, s.Begin("key:a"))
			s.FinishAsync("key:a", sent("1"))
			return map[string]Entry{"key:a": {InFlight: true}}
		}},
		{"begin keeps what bbolt holds", noCheckpoints, func(tb testing.TB, s *Store) map[string]Entry {
			must(tb, s.Finish("key:a", sent("1")))
			must(tb, s.apply(map[string]Entry{"key:a": sent("1")})) // as a checkpoint would
			s.mu.Lock()
			delete(s.active, "key:a")
			s.mu.Unlock()
			must(tb, s.Begin("key:a"))
			must(tb, s.Abandon("key:b", "error"))
			e := sent("1")
			e.InFlight = true
			return map[string]Entry{"key:a": e, "key:b": {Status: "error", Time: clock}}
		}},
		{"after checkpoints", fastCheckpoints, func(tb testing.TB, s *Store) map[string]Entry {
			want := map[string]Entry{}
			for i := range 40 {
				id := fmt.Sprintf("key:%02d", i)
				must(tb, s.Begin(id))
				want[id] = Entry{InFlight: true}
				if i%3 != 0 {
					must(tb, s.Finish(id, sent(strconv.Itoa(i))))
					want[id] = sent(strconv.Itoa(i))
				}
				if i%10 == 9 {
					waitCheckpoints(tb, s, int64(i/10+1))
				}
			}
			return want
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "1.db")
			s := openTuned(t, path, tt.tune)
			want := tt.run(t, s)
			crash(t, s)
			segs, err := listSegments(path)
			if err != nil || len(segs) == 0 {
				t.Fatalf("no log left after the crash: %v %v", segs, err)
			}

			// Read-only: sees the log, writes nothing.
			before := dirSums(t, dir)
			ro, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			checkEntries(t, ro, want)
			must(t, ro.Close())
			if after := dirSums(t, dir); !mapsEqual(before, after) {
				t.Errorf("a read-only open changed the files:\n%v\n%v", before, after)
			}

			// Read-write: folds the log into bbolt first.
			rw := openTuned(t, path, noCheckpoints)
			if segs, _ := listSegments(path); !slices.Equal(segs, []int{1}) {
				t.Errorf("segments after reopening: %v, want only a new one", segs)
			}
			if n := len(rw.active); n != 0 {
				t.Errorf("%d entries pending after the fold, want 0", n)
			}
			checkEntries(t, rw, want)
			must(t, rw.Close())
			if got := dirFiles(t, dir); !slices.Equal(got, []string{"1.db"}) {
				t.Errorf("files after Close: %v, want the one state file", got)
			}
			ro, err = Open(path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			checkEntries(t, ro, want)
			must(t, ro.Close())
		})
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// waitCheckpoints waits until s has committed n checkpoints.
func waitCheckpoints(tb testing.TB, s *Store, n int64) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.checkpoints.Load() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("%d checkpoints after 10 s, want %d", s.checkpoints.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLogTail: a crash during a log write leaves a record cut short or damaged, or a
// segment whose header never reached the disk; reopening keeps what came before.
func TestLogTail(t *testing.T) {
	good := appendRecord(nil, "key:a", Entry{Code: "1", Status: "new", Time: clock})
	// It ends in a byte other than 0, so that cutting it off and reading a zero instead
	// does not make it whole again.
	last := appendRecord(nil, "key:b", Entry{InFlight: true, CardNumber: "9"})
	flipped := bytes.Clone(last)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name    string
		segment []byte // the content of the only segment
		want    map[string]Entry
	}{
		{"whole", cat([]byte(walHeader), good, last), map[string]Entry{
			"key:a": {Code: "1", Status: "new", Time: clock}, "key:b": {InFlight: true, CardNumber: "9"}}},
		{"preallocated zeros after", cat([]byte(walHeader), good, last, make([]byte, 4096)), map[string]Entry{
			"key:a": {Code: "1", Status: "new", Time: clock}, "key:b": {InFlight: true, CardNumber: "9"}}},
		{"last record cut short", cat([]byte(walHeader), good, last[:len(last)-1], make([]byte, 4096)),
			map[string]Entry{"key:a": {Code: "1", Status: "new", Time: clock}}},
		{"last record's header cut short", cat([]byte(walHeader), good, last[:5]),
			map[string]Entry{"key:a": {Code: "1", Status: "new", Time: clock}}},
		{"last record damaged", cat([]byte(walHeader), good, flipped, last),
			map[string]Entry{"key:a": {Code: "1", Status: "new", Time: clock}}},
		{"garbage after", cat([]byte(walHeader), good, bytes.Repeat([]byte("garbage!"), 100)),
			map[string]Entry{"key:a": {Code: "1", Status: "new", Time: clock}}},
		{"no records", []byte(walHeader), map[string]Entry{}},
		{"header never written", make([]byte, 4096), map[string]Entry{}},
		{"empty file", nil, map[string]Entry{}},
		{"header cut short", []byte(walHeader[:5]), map[string]Entry{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "1.db")
			must(t, openTuned(t, path, noCheckpoints).Close())
			writeFile(t, segmentPath(path, 7), tt.segment)
			before := dirSums(t, dir)
			ro, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			checkEntries(t, ro, tt.want)
			must(t, ro.Close())
			if !mapsEqual(before, dirSums(t, dir)) {
				t.Error("a read-only open changed the files")
			}
			rw := openTuned(t, path, noCheckpoints)
			checkEntries(t, rw, tt.want)
			// Writes after the fold go on from there.
			must(t, rw.Begin("key:c"))
			must(t, rw.Close())
			if got := dirFiles(t, dir); !slices.Equal(got, []string{"1.db"}) {
				t.Errorf("files after Close: %v", got)
			}
		})
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestLogSegmentsInOrder: segments replay in number order (10 after 9), the newest
// entry of an identity winning, and files that only look like segments are left alone.
func TestLogSegmentsInOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "1.db")
	must(t, openTuned(t, path, noCheckpoints).Close())
	seg := func(n int, code string) {
		writeFile(t, segmentPath(path, n), cat([]byte(walHeader), appendRecord(nil, "key:a", Entry{Code: code})))
	}
	seg(9, "nine")
	seg(10, "ten")
	seg(2, "two")
	others := []string{"1.db.wal.", "1.db.wal.x", "1.db.wal.-3", "1.db.wal.3.tmp", "2.db.wal.11"}
	for _, name := range others {
		writeFile(t, filepath.Join(dir, name), []byte("not ours"))
	}
	s := openTB(t, path)
	if e, _ := mustGet(t, s, "key:a"); e.Code != "ten" {
		t.Errorf("key:a = %+v, want the code of segment 10", e)
	}
	for _, name := range others {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestForeignLog: a file named like a segment whose header is not a log's makes Open
// fail with ErrCorrupt naming it, and changes nothing.
func TestForeignLog(t *testing.T) {
	for _, ro := range []bool{true, false} {
		t.Run(fmt.Sprintf("read-only=%v", ro), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "1.db")
			must(t, openTuned(t, path, noCheckpoints).Close())
			seg := segmentPath(path, 1)
			writeFile(t, seg, bytes.Repeat([]byte("not a custimport log "), 10))
			before := dirSums(t, dir)
			s, err := Open(path, Options{ReadOnly: ro})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), seg) {
				t.Errorf("err = %v, want ErrCorrupt naming %s", err, seg)
			}
			after := dirSums(t, dir)
			if ro {
				if !mapsEqual(before, after) {
					t.Error("the failed Open changed the files")
				}
			} else if len(after) != len(before) || after[filepath.Base(seg)] != before[filepath.Base(seg)] {
				// A read-write Open commits bbolt's schema check before it reads the log.
				t.Error("the failed Open changed the log or left files")
			}
			// It let go of the lock.
			must(t, os.Remove(seg))
			openTB(t, path)
		})
	}
}

// TestReadOnlyLogWithoutFile: a log left beside a missing or empty state file reads too,
// and still nothing is created.
func TestReadOnlyLogWithoutFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "1.db")
	writeFile(t, segmentPath(path, 1), cat([]byte(walHeader), appendRecord(nil, "key:a", Entry{InFlight: true})))
	before := dirSums(t, dir)
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, s, map[string]Entry{"key:a": {InFlight: true}})
	must(t, s.Close())
	if !mapsEqual(before, dirSums(t, dir)) {
		t.Error("a read-only open changed the files")
	}
}

// TestCloseLeavesOneFile: after writes, checkpoints and Close, the state is the bbolt
// file alone, and holds every write.
func TestCloseLeavesOneFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "1.db")
	s := openTuned(t, path, fastCheckpoints)
	want := map[string]Entry{}
	for i := range 200 {
		id := fmt.Sprintf("key:%03d", i)
		must(t, s.Begin(id))
		want[id] = Entry{InFlight: true}
		if i%4 != 0 {
			e := Entry{Code: strconv.Itoa(i), Status: "new", Time: clock}
			s.FinishAsync(id, e)
			want[id] = e
		}
	}
	must(t, s.Close())
	if s.checkpoints.Load() == 0 {
		t.Error("no checkpoint ran")
	}
	if got := dirFiles(t, dir); !slices.Equal(got, []string{"1.db"}) {
		t.Errorf("files after Close: %v, want the one state file", got)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if n := len(ro.active); n != 0 {
		t.Errorf("%d entries read from a log after a clean Close", n)
	}
	checkEntries(t, ro, want)
}

// TestReadsDuringCheckpoints: while writers write and checkpoints come and go, a reader
// never sees an entry older than one it saw before, and a View sees every write made
// before it began, however many checkpoints commit while it is open.
func TestReadsDuringCheckpoints(t *testing.T) {
	s := openTuned(t, filepath.Join(t.TempDir(), "1.db"), fastCheckpoints)
	defer s.Close()
	const ids, rounds = 20, 60
	id := func(i int) string { return fmt.Sprintf("key:%02d", i) }
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer done.Store(true)
		for r := 1; r <= rounds; r++ {
			for i := range ids {
				if err := s.Finish(id(i), Entry{Code: strconv.Itoa(r), Status: "update"}); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	wg.Go(func() {
		seen := make([]int, ids)
		for !done.Load() {
			for i := range ids {
				e, _, err := s.Get(id(i))
				if err != nil {
					t.Error(err)
					return
				}
				r, _ := strconv.Atoi(e.Code)
				if r < seen[i] {
					t.Errorf("%s went back from round %d to %d", id(i), seen[i], r)
					return
				}
				seen[i] = r
			}
		}
	})
	wg.Wait()
	st, err := s.Stats()
	if err != nil || st.Identities != ids || st.ByStatus["update"] != ids {
		t.Errorf("Stats = %+v, %v", st, err)
	}
}

// TestViewAcrossCheckpoint: a View open while a checkpoint commits still sees the writes
// made before it began, which its read transaction does not hold; they leave memory only
// once it ends.
func TestViewAcrossCheckpoint(t *testing.T) {
	const ids = 20
	// A checkpoint as soon as ids+5 identities are pending, and not before.
	s := openTuned(t, filepath.Join(t.TempDir(), "1.db"),
		tuning{checkpointEntries: ids + 5, checkpointAge: time.Hour, checkpointTick: time.Millisecond, asyncDelay: time.Millisecond})
	defer s.Close()
	id := func(i int) string { return fmt.Sprintf("key:%02d", i) }
	for i := range ids {
		must(t, s.Finish(id(i), Entry{Code: strconv.Itoa(i)}))
	}
	must(t, s.View(func(r *Reader) error {
		for i := range 5 {
			must(t, s.Finish(fmt.Sprintf("key:x%d", i), Entry{Code: "x"}))
		}
		waitCheckpoints(t, s, 1)
		for i := range ids {
			e, ok, err := r.Get(id(i))
			if err != nil || !ok || e.Code != strconv.Itoa(i) {
				t.Errorf("Reader: %s = %+v %v %v", id(i), e, ok, err)
			}
		}
		st, err := s.Stats()
		if err != nil || st.Identities != ids+5 {
			t.Errorf("Stats inside the View = %+v, %v", st, err)
		}
		return nil
	}))
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.frozen)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d checkpointed entries still in memory 10 s after the View ended", n)
		}
		time.Sleep(time.Millisecond)
	}
	checkEntries(t, s, func() map[string]Entry {
		m := map[string]Entry{}
		for i := range ids {
			m[id(i)] = Entry{Code: strconv.Itoa(i), Time: clock}
		}
		for i := range 5 {
			m[fmt.Sprintf("key:x%d", i)] = Entry{Code: "x", Time: clock}
		}
		return m
	}())
}

// TestKilledWorkersOrder kills, with SIGKILL, a process whose workers each loop
// FinishAsync(last row), Begin(next row), and checks what reopening sees: every Begin
// that returned is there, a row's mark never outlives the previous row's outcome, so
// each worker leaves at most one row in flight. In the "reserving" helper the workers
// reserve their rows ahead, so that Begin writes its mark without a sync: the same holds
// (the process died, the machine did not), and a row reserved but not begun is neither
// in flight nor reserved.
func TestKilledWorkersOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	for _, name := range []string{"ordering", "reserving"} {
		for _, after := range []int{1, 50, 400, 1500} {
			t.Run(fmt.Sprintf("%s/after-%d-begins", name, after), func(t *testing.T) {
				killedWorkers(t, name, after)
			})
		}
	}
}

func killedWorkers(t *testing.T, name string, after int) {
	path := filepath.Join(t.TempDir(), "1.db")
	cmd := helper(t, name, path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	must(t, cmd.Start())
	acked := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	for len(acked) < after && sc.Scan() {
		var w, i int
		if _, err := fmt.Sscan(sc.Text(), &w, &i); err != nil {
			t.Fatalf("helper said %q", sc.Text())
		}
		acked[orderingID(w, i)] = true
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	go io.Copy(io.Discard, stdout) // so that the helper never blocks writing
	_ = cmd.Wait()
	if len(acked) < after {
		t.Fatalf("the helper acknowledged %d Begins, want %d", len(acked), after)
	}

	tune := noCheckpoints
	tune.boot = machineBootID()
	s := openTuned(t, path, tune)
	defer s.Close()
	for id := range acked {
		if e, ok := mustGet(t, s, id); !ok || !e.InFlight && e.Code == "" {
			t.Errorf("%s: Begin returned, but the state lost it: %+v", id, e)
		}
	}
	inFlight := make([]int, orderingWorkers)
	rows, unbegun := 0, 0
	must(t, s.forEach(func(id []byte, e Entry) error {
		rows++
		var w, i int
		if _, err := fmt.Sscanf(string(id), "key:w%d-%d", &w, &i); err != nil {
			return fmt.Errorf("identity %q", id)
		}
		switch {
		case e.Reserved:
			t.Errorf("%s is still reserved: %+v", id, e)
		case e.InFlight:
			inFlight[w]++
		case e.Code == "" && e.Status == "":
			// Reserved and never begun: settled as never sent.
			if name != "reserving" || acked[string(id)] {
				t.Errorf("%s = %+v", id, e)
			}
			unbegun++
			return nil
		case e.Code != strconv.Itoa(i) || e.Status != "new":
			t.Errorf("%s = %+v", id, e)
		}
		if i > 0 {
			if prev, ok := mustGet(t, s, orderingID(w, i-1)); !ok || prev.InFlight {
				t.Errorf("%s is there, but the row before it is %+v, %v", id, prev, ok)
			}
		}
		return nil
	}))
	for w, n := range inFlight {
		if n > 1 {
			t.Errorf("worker %d left %d rows in flight, want at most 1", w, n)
		}
	}
	t.Logf("%d rows acknowledged, %d in the state (%d reserved, never begun), in flight per worker %v",
		len(acked), rows, unbegun, inFlight)
}

// TestLogWriteFails: once a log write fails, the write waiting for it, every later
// write and Flush (for FinishAsync) report it; the state still reopens.
func TestLogWriteFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "1.db")
	s := openTuned(t, path, noCheckpoints)
	must(t, s.Begin("key:a"))
	must(t, s.seg.f.Close()) // the writer is idle: nothing else touches the segment now
	err := s.Begin("key:b")
	if err == nil || !strings.Contains(err.Error(), segmentPath(path, 1)) {
		t.Errorf("Begin after the log broke: %v, want an error naming the log", err)
	}
	if err2 := s.Finish("key:c", Entry{Code: "1"}); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("Finish after the failure: %v, want the same error", err2)
	}
	s.FinishAsync("key:d", Entry{Code: "2"})
	if err := s.Flush(); err == nil {
		t.Error("Flush after a failed FinishAsync: nil")
	}
	if err := s.Close(); err == nil {
		t.Error("Close: nil, want the failure")
	}
	s = openTB(t, path)
	if e, ok := mustGet(t, s, "key:a"); !ok || !e.InFlight {
		t.Errorf("key:a = %+v, %v", e, ok)
	}
}
