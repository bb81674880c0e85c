package state

import (
	"path/filepath"
	"testing"
	"time"
)

// TestLazySyncSpared: a FinishAsync is synced within asyncDelay, by the log writer only
// when no other sync took it first: a sync that a waiting write made meanwhile moves the
// writer's deadline to asyncDelay after that sync, for the records written since.
func TestLazySyncSpared(t *testing.T) {
	const delay = 800 * time.Millisecond
	tune := noCheckpoints
	tune.asyncDelay = delay
	s := openTuned(t, filepath.Join(t.TempDir(), "1.db"), tune)
	defer s.Close()
	t0 := time.Now()
	at := func(d time.Duration) { time.Sleep(time.Until(t0.Add(d))) }
	unsynced := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.buf) > 0 || len(s.unsynced) > 0
	}
	before := s.commits.Load()
	e := Entry{Code: "1", Status: "new"}

	s.FinishAsync("key:a", e) // the writer's deadline: 800 ms
	must(t, s.Finish("key:b", e))
	at(200 * time.Millisecond)
	s.FinishAsync("key:c", e)
	at(300 * time.Millisecond)
	must(t, s.Finish("key:d", e)) // takes c
	at(400 * time.Millisecond)
	s.FinishAsync("key:e", e) // at 800 ms, due by 300+800 ms: no sync yet
	at(900 * time.Millisecond)
	if !unsynced() {
		t.Fatal("key:e was synced before its deadline, by a sync of the writer's own")
	}
	must(t, s.Finish("key:f", e)) // takes e; at 1100 ms, nothing is left
	at(1200 * time.Millisecond)
	if got := s.commits.Load() - before; got != 3 {
		t.Errorf("%d syncs by 1.2 s, want 3: those of the three Finishes", got)
	}
	s.FinishAsync("key:g", e) // nothing else syncs: the writer does, by 2 s
	at(1200*time.Millisecond + delay + 300*time.Millisecond)
	if got := s.commits.Load() - before; got != 4 || unsynced() {
		t.Errorf("%d syncs by 2.3 s, records left unsynced: %v; want 4, none", got, unsynced())
	}
}
