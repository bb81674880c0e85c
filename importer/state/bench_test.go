package state

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkFinishParallel measures one row's state writes (Begin, then Finish) from 8
// goroutines through the Store's log, and through bbolt's own DB.Batch, against a
// baseline of one goroutine committing one bbolt transaction per call; and Begin then
// FinishAsync, as a send run writes, with the time spent in Begin (also as a multiple of
// one bare log sync's). Each reports rows/s and its speed as a multiple of the
// baseline's.
func BenchmarkFinishParallel(b *testing.B) {
	var baseline float64 // rows/s
	rows := func(b *testing.B) float64 { return float64(b.N) / b.Elapsed().Seconds() }
	report := func(b *testing.B) {
		r := rows(b)
		b.ReportMetric(r, "rows/s")
		if baseline > 0 {
			b.ReportMetric(r/baseline, "x-baseline")
		}
	}
	var seq atomic.Int64
	id := func() string { return fmt.Sprintf("key:C-%d", seq.Add(1)) }
	sent := Entry{Code: "1234567", CardNumber: "5555000011112222", Hash: [16]byte{1}, Status: "new"}

	b.Run("update-per-call-1", func(b *testing.B) {
		s := openTB(b, filepath.Join(b.TempDir(), "1.db"))
		put := func(id string, e Entry) error {
			return s.db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketEntries).Put([]byte(id), appendEntry(nil, e))
			})
		}
		for b.Loop() {
			k := id()
			if err := put(k, Entry{InFlight: true}); err != nil {
				b.Fatal(err)
			}
			if err := put(k, sent); err != nil {
				b.Fatal(err)
			}
		}
		baseline = rows(b)
		report(b)
	})
	b.Run("group-commit-8", func(b *testing.B) {
		s := openTB(b, filepath.Join(b.TempDir(), "1.db"))
		parallel8(b, func() error {
			k := id()
			if err := s.Begin(k); err != nil {
				return err
			}
			return s.Finish(k, sent)
		})
		report(b)
		b.ReportMetric(float64(s.writes.Load())/float64(s.commits.Load()), "writes/sync")
	})
	// One write and fdatasync of a log batch, alone: what a Begin cannot do without.
	var syncNs float64
	b.Run("log-sync-1", func(b *testing.B) {
		g, err := createSegment(filepath.Join(b.TempDir(), "1.db"), 1, "")
		if err != nil {
			b.Fatal(err)
		}
		defer g.f.Close()
		batch := make([]byte, 400) // eight records
		for b.Loop() {
			if err := g.write(batch); err != nil {
				b.Fatal(err)
			}
			if err := g.sync(); err != nil {
				b.Fatal(err)
			}
		}
		syncNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(syncNs/1e3, "us/sync")
	})
	for _, request := range []time.Duration{0, 500 * time.Microsecond} {
		b.Run(fmt.Sprintf("begin-then-finish-async-8/request-%v", request), func(b *testing.B) {
			// As a send run's workers write: Begin before the request, FinishAsync after
			// it. syncs/Begin is the time spent in Begin over log-sync-1's time: between
			// 1 (a sync of its own, at once) and 2 (the one in progress, then its own).
			s := openTB(b, filepath.Join(b.TempDir(), "1.db"))
			var waited atomic.Int64 // ns spent in Begin
			parallel8(b, func() error {
				k := id()
				t0 := time.Now()
				if err := s.Begin(k); err != nil {
					return err
				}
				waited.Add(int64(time.Since(t0)))
				if request > 0 {
					time.Sleep(request)
				}
				s.FinishAsync(k, sent)
				return nil
			})
			if err := s.Flush(); err != nil {
				b.Fatal(err)
			}
			report(b)
			perBegin := float64(waited.Load()) / float64(b.N)
			b.ReportMetric(perBegin/1e3, "us/Begin")
			if syncNs > 0 {
				b.ReportMetric(perBegin/syncNs, "syncs/Begin")
			}
			b.ReportMetric(float64(s.writes.Load())/float64(s.commits.Load()), "writes/sync")
		})
	}
	b.Run("bolt-batch-2ms-8", func(b *testing.B) {
		s := openTB(b, filepath.Join(b.TempDir(), "1.db"))
		s.db.MaxBatchDelay = 2 * time.Millisecond
		s.db.MaxBatchSize = 64
		put := func(id string, e Entry) error {
			return s.db.Batch(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketEntries).Put([]byte(id), appendEntry(nil, e))
			})
		}
		parallel8(b, func() error {
			k := id()
			if err := put(k, Entry{InFlight: true}); err != nil {
				return err
			}
			return put(k, sent)
		})
		report(b)
	})
}

// parallel8 runs op b.N times from 8 goroutines, whatever GOMAXPROCS is.
func parallel8(b *testing.B, op func() error) {
	b.Helper()
	var left atomic.Int64
	left.Store(int64(b.N))
	errs := make(chan error, 8)
	b.ResetTimer()
	for range 8 {
		go func() {
			for left.Add(-1) >= 0 {
				if err := op(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			b.Error(err)
		}
	}
}

// BenchmarkGet measures the nightly run's one lookup per row over a state of a million
// identities, looked up in random order: one Get (one read transaction) per row, against a
// Reader that shares one transaction between 1,024 lookups; and Get in key order, as a
// file sorted by customer id would look them up.
func BenchmarkGet(b *testing.B) {
	const n = 1_000_000
	s := openTB(b, filepath.Join(b.TempDir(), "1.db"))
	key := func(i int) string { return fmt.Sprintf("key:C-%07d", i) }
	e := Entry{Code: "1234567", CardNumber: "5555000011112222", Hash: [16]byte{1}, Status: "update", Time: clock}
	for lo := 0; lo < n; lo += 100_000 {
		if err := s.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucketEntries)
			for i := lo; i < lo+100_000; i++ {
				if err := bk.Put([]byte(key(i)), appendEntry(nil, e)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([]string, 1<<16)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range keys {
		keys[i] = key(rng.IntN(n))
	}

	b.Run("Get-in-key-order", func(b *testing.B) {
		// A file sorted like the state (customer ids in ascending order): the best case.
		i := 0
		for b.Loop() {
			if _, ok, err := s.Get(key(i % n)); err != nil || !ok {
				b.Fatal(ok, err)
			}
			i++
		}
	})
	var perGet float64
	b.Run("Get", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, ok, err := s.Get(keys[i%len(keys)]); err != nil || !ok {
				b.Fatal(ok, err)
			}
			i++
		}
		perGet = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("Reader-1024", func(b *testing.B) {
		i := 0
		b.ResetTimer()
		left := b.N
		for left > 0 {
			m := min(left, 1024)
			if err := s.View(func(r *Reader) error {
				for range m {
					if _, ok, err := r.Get(keys[i%len(keys)]); err != nil || !ok {
						return fmt.Errorf("%v %v", ok, err)
					}
					i++
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			left -= m
		}
		if perGet > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perGet, "x-Get")
		}
	})
}
