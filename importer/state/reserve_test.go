package state

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	bootA = "0b7c3a52-1d2e-4f60-8a9b-0c1d2e3f4a5b"
	bootB = "9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b"
)

// withBoot is tune on a machine booted as boot.
func withBoot(tune tuning, boot string) tuning {
	tune.boot = boot
	return tune
}

// TestBeginWritesReservedMarks: on a machine whose boot id is known, Begin of a reserved
// identity returns without a sync; of one not reserved, or where the boot id is not
// known, it waits for one.
func TestBeginWritesReservedMarks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		boot     string
		reserve  bool
		wantSync bool
	}{
		{"reserved", bootA, true, false},
		{"not reserved", bootA, false, true},
		{"reserved, boot id unknown", "", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTuned(t, filepath.Join(t.TempDir(), "1.db"), withBoot(lazyForever, tc.boot))
			defer s.Close()
			if tc.reserve {
				must(t, s.Reserve([]string{"key:a", "key:b"}))
			}
			reserved := tc.reserve && tc.boot != "" // Reserve does nothing without a boot id
			before := s.commits.Load()
			must(t, s.Begin("key:a"))
			if synced := s.commits.Load() > before; synced != tc.wantSync {
				t.Errorf("Begin synced: %v, want %v", synced, tc.wantSync)
			}
			if e, _ := mustGet(t, s, "key:a"); !e.InFlight || e.Reserved {
				t.Errorf("after Begin: %+v, want in flight, not reserved", e)
			}
			if e, _ := mustGet(t, s, "key:b"); e.InFlight || e.Reserved != reserved {
				t.Errorf("the other: %+v, want reserved %v, not in flight", e, reserved)
			}
		})
	}
}

// TestSettleReservations: what a reopened state makes of the identities a crashed run
// left reserved (one begun, one not, one finished) depends on whether that run's whole
// log is there to read: written on this boot of the machine, it is.
func TestSettleReservations(t *testing.T) {
	for _, tc := range []struct {
		name       string
		wrote, now string // boot ids: the crashed run's, the reopening's
		checkpoint bool   // the reservations reached bbolt before the crash
		wantUnsent bool   // the reserved identity not begun reads as never sent
	}{
		{"same boot", bootA, bootA, false, true},
		{"same boot, reservations checkpointed", bootA, bootA, true, true},
		{"machine restarted", bootA, bootB, false, false},
		{"machine restarted, reservations checkpointed", bootA, bootB, true, false},
		{"boot id unknown when written (Reserve does nothing)", "", bootA, false, true},
		{"boot id unknown now", bootA, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "1.db")
			tune := withBoot(noCheckpoints, tc.wrote)
			if tc.checkpoint {
				tune = withBoot(fastCheckpoints, tc.wrote)
			}
			s := openTuned(t, path, tune)
			must(t, s.Reserve([]string{"key:begun", "key:unsent", "key:done"}))
			if tc.checkpoint {
				waitCheckpoints(t, s, 1)
			}
			must(t, s.Begin("key:begun"))
			must(t, s.Begin("key:done"))
			must(t, s.Finish("key:done", Entry{Code: "7", Status: "new"}))
			crash(t, s)

			for _, readOnly := range []bool{true, false} {
				r, err := open(path, Options{ReadOnly: readOnly, Now: fixedNow}, withBoot(noCheckpoints, tc.now))
				must(t, err)
				for id, want := range map[string]Entry{
					"key:begun":  {InFlight: true},
					"key:unsent": {InFlight: !tc.wantUnsent},
					"key:done":   {Code: "7", Status: "new", Time: clock},
				} {
					if e, _ := mustGet(t, r, id); e != want {
						t.Errorf("read-only %v: %s = %+v, want %+v", readOnly, id, e, want)
					}
				}
				must(t, r.Close())
			}
			// Settled for good: a later open on another boot reads the same.
			r := openTuned(t, path, withBoot(noCheckpoints, bootB))
			defer r.Close()
			if e, _ := mustGet(t, r, "key:unsent"); e.InFlight != !tc.wantUnsent || e.Reserved {
				t.Errorf("reopened again: %+v", e)
			}
		})
	}
}

// TestCloseClearsReservations: a reservation no Begin followed means no request left:
// Close clears it, also one only bbolt holds. An identity the state knew keeps its
// entry; one that only the reservation made is gone.
func TestCloseClearsReservations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	s := openTuned(t, path, withBoot(fastCheckpoints, bootA))
	known := Entry{Code: "5", Status: "new", Time: clock}
	must(t, s.Finish("key:known", known))
	must(t, s.Reserve([]string{"key:known", "key:a", "key:b"}))
	waitCheckpoints(t, s, 1)
	must(t, s.Reserve([]string{"key:c"}))
	s.Unreserve("key:b")
	if _, ok := mustGet(t, s, "key:b"); ok {
		t.Error("key:b, reserved then cleared, reads as held")
	}
	must(t, s.Close())

	r := openTuned(t, path, withBoot(noCheckpoints, bootB))
	defer r.Close()
	got := map[string]Entry{}
	must(t, r.forEach(func(id []byte, e Entry) error {
		got[string(id)] = e
		return nil
	}))
	if want := map[string]Entry{"key:known": known}; !mapsEqual(got, want) {
		t.Errorf("after Close: %+v, want %+v", got, want)
	}
}

// TestWriteWhileBboltGrows: a write that reads bbolt must not do it holding the Store's
// lock. bbolt's read transactions share a lock that a checkpoint growing the file takes
// exclusively, and once the checkpoint waits for it no new read begins: a View open
// across the checkpoint that reads a pending entry (which takes the Store's lock) would
// then wait for the write, the write for the checkpoint, and the checkpoint for the View.
func TestWriteWhileBboltGrows(t *testing.T) {
	// A map too small for the checkpoint below: bbolt grows it.
	smallMap := withBoot(noCheckpoints, bootA)
	smallMap.mmap = 64 << 10
	for _, write := range []struct {
		name string
		fn   func(s *Store) error
	}{
		{"Begin", func(s *Store) error { return s.Begin("key:new") }},
		{"Reserve", func(s *Store) error { return s.Reserve([]string{"key:new", "key:other"}) }},
		{"Abandon", func(s *Store) error { return s.Abandon("key:new", "error") }},
	} {
		t.Run(write.name, func(t *testing.T) {
			s := openTuned(t, filepath.Join(t.TempDir(), "1.db"), smallMap)
			hung := false
			defer func() {
				if !hung { // Close would wait for the deadlocked write forever
					_ = s.Close()
				}
			}()
			must(t, s.Finish("key:pending", Entry{Code: "1", Status: "new"}))
			big := map[string]Entry{}
			for i := range 5000 {
				big[fmt.Sprintf("key:%06d", i)] = Entry{Code: strconv.Itoa(i), Status: "new", Time: clock}
			}
			viewing, release := make(chan struct{}), make(chan struct{})
			errs := make(chan error, 3)
			go func() {
				errs <- s.View(func(r *Reader) error {
					close(viewing)
					<-release
					_, _, err := r.Get("key:pending")
					return err
				})
			}()
			<-viewing
			go func() { errs <- s.apply(big) }() // grows bbolt's map: waits for the View
			time.Sleep(50 * time.Millisecond)
			go func() { errs <- write.fn(s) }()
			time.Sleep(50 * time.Millisecond)
			close(release)
			for range 3 {
				select {
				case err := <-errs:
					must(t, err)
				case <-time.After(10 * time.Second):
					hung = true
					t.Fatal("deadlock: a write, a View and a checkpoint wait for one another")
				}
			}
		})
	}
}

// TestStoredForWriteFails: a write that reads bbolt, and finds the log failed when it
// takes the Store's lock again, returns the error (it panicked).
func TestStoredForWriteFails(t *testing.T) {
	s := openTuned(t, filepath.Join(t.TempDir(), "1.db"), withBoot(noCheckpoints, bootA))
	defer s.Close()
	must(t, s.apply(map[string]Entry{"key:x": {Code: "1", Status: "new", Time: clock}}))
	s.mu.Lock()
	s.walErr = errors.New("disk full")
	if _, err := s.storedForWrite("key:x"); err == nil {
		t.Error("storedForWrite returned no error with the log failed")
	} // (it returns without mu on an error)
	s.mu.Lock()
	s.walErr = nil
	s.mu.Unlock()
}

// TestFailedBeginNotInFlight: a Begin whose log write failed returned an error, so no
// request was sent: after Close and a new Open, the identity is not in flight. What
// reached the log before the failure is kept.
func TestFailedBeginNotInFlight(t *testing.T) {
	for _, boot := range []string{bootA, ""} {
		t.Run("boot="+boot, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "1.db")
			s := openTuned(t, path, withBoot(lazyForever, boot))
			must(t, s.Finish("key:done", Entry{Code: "9", Status: "new", Time: clock}))
			must(t, s.Reserve([]string{"key:a"}))
			s.wmu.Lock()
			s.seg.f.Close() // every later write to the log fails
			s.wmu.Unlock()
			if err := s.Begin("key:a"); err == nil {
				t.Fatal("Begin returned no error with its log file closed")
			}
			if err := s.Begin("key:b"); err == nil {
				t.Error("a later Begin returned no error")
			}
			if err := s.Close(); err == nil {
				t.Error("Close returned no error after the log failed")
			}
			r := openTuned(t, path, withBoot(noCheckpoints, boot))
			defer r.Close()
			if e, ok := mustGet(t, r, "key:a"); ok && e.InFlight {
				t.Errorf("never sent (its Begin failed), yet reopened as %+v", e)
			}
			if e, _ := mustGet(t, r, "key:done"); e.Code != "9" {
				t.Errorf("key:done = %+v, want its code 9", e)
			}
		})
	}
}

// TestEmptyEntriesEverywhere: identities only a reservation made, cleared in every way,
// leave no trace in Get, GetEach, Stats and Export, across checkpoints and a crash.
func TestEmptyEntriesEverywhere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	s := openTuned(t, path, withBoot(fastCheckpoints, bootA))
	must(t, s.Finish("key:known", Entry{Code: "5", Status: "new", Time: clock}))
	must(t, s.Reserve([]string{"key:known", "key:a", "key:b", "key:c", "key:d"}))
	waitCheckpoints(t, s, 1)
	s.Unreserve("key:a")
	must(t, s.Flush())
	waitCheckpoints(t, s, 2)
	s.Unreserve("key:b")
	must(t, s.Flush())
	check := func(st *Store, label string, want int) {
		t.Helper()
		for _, id := range []string{"key:a", "key:b"} {
			if e, ok := mustGet(t, st, id); ok {
				t.Errorf("%s: %s held: %+v", label, id, e)
			}
		}
		must(t, st.View(func(r *Reader) error {
			r.GetEach([]string{"key:b", "key:a", "key:known"}, func(i int, e Entry, ok bool, err error) {
				if err != nil || (i < 2 && ok) || (i == 2 && !ok) {
					t.Errorf("%s: GetEach %d: %+v %v %v", label, i, e, ok, err)
				}
			})
			return nil
		}))
		stats, err := st.Stats()
		must(t, err)
		if stats.Identities != want {
			t.Errorf("%s: Stats %+v, want %d identities", label, stats, want)
		}
		var b bytes.Buffer
		must(t, st.Export(&b))
		if n := strings.Count(b.String(), "\n") - 1; n != want {
			t.Errorf("%s: export %d rows, want %d:\n%s", label, n, want, b.String())
		}
	}
	// c, d still reserved in the running store: they count (Status "").
	check(s, "running", 3)
	crash(t, s)
	r, err := open(path, Options{ReadOnly: true, Now: fixedNow}, withBoot(noCheckpoints, bootA))
	must(t, err)
	check(r, "read-only after crash", 1)
	must(t, r.Close())
	w := openTuned(t, path, withBoot(noCheckpoints, bootA))
	check(w, "reopened", 1)
	must(t, w.Close())
}
