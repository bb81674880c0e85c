// Package gctune keeps Go's garbage collector from running constantly while the live heap
// is small.
//
// A custimport run streams: its live heap stays at a few megabytes (the duplicate index
// lives outside it) while it allocates hundreds of bytes per row. With the default GOGC
// the collector then runs every few megabytes allocated, and on a large file marking and
// its write barriers cost a third of the run's CPU. Tune raises GOGC after every
// collection so that the next one is due when the heap reaches a floor (Floor), and lets
// it fall back to Min once the live heap is large enough for Min alone to reach that
// floor. Memory so stays near the floor, whatever the size of the file, and below
// live × (1 + Min/100) when the live heap outgrows it.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Defaults for Tune.
const (
	// Floor is the heap size below which a collection is not worth its CPU: the peak
	// resident memory of a run stays near it. (Measured on a dry run of 1,000,000 rows,
	// once its rows were recycled: 16 MiB runs as fast as 32 MiB, and a run of 100,000
	// rows then already reaches the floor, so that peak memory grows from 100,000 rows
	// to 1,000,000 by the duplicate index alone.)
	Floor = 16 << 20
	// Min is the lowest GOGC Tune sets: the collector's target when the live heap is
	// large.
	Min = 200
)

// heapMinimum is the runtime's smallest heap goal at GOGC=100; it scales with GOGC, so
// a GOGC above floor/heapMinimum×100 would let the heap outgrow the floor while it is
// nearly empty.
const heapMinimum = 4 << 20

var liveMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// Tuner adjusts GOGC after every collection until Stop.
type Tuner struct {
	floor, min uint64
	stopped    atomic.Bool
	prev       int // the GOGC before Tune, restored by Stop
	sample     []metrics.Sample
	last       atomic.Int64 // the GOGC set last, for tests
}

// Tune starts adjusting GOGC, for a heap that grows to floor bytes before the collector
// runs, and never below minPct percent. Call Stop to end it and restore the GOGC it found.
func Tune(floor uint64, minPct int) *Tuner {
	t := &Tuner{
		floor: floor,
		min:   uint64(minPct),
		prev:  debug.SetGCPercent(minPct),
	}
	for _, name := range liveMetrics {
		t.sample = append(t.sample, metrics.Sample{Name: name})
	}
	t.last.Store(int64(minPct))
	t.adjust()
	t.arm()
	return t
}

// Stop ends the tuning and restores the GOGC found by Tune. It may be called more than
// once.
func (t *Tuner) Stop() {
	if t.stopped.CompareAndSwap(false, true) {
		debug.SetGCPercent(t.prev)
	}
}

// GOGC returns the percentage set last.
func (t *Tuner) GOGC() int { return int(t.last.Load()) }

// arm asks to hear of the next collection: the cleanup of an object nothing refers to
// runs once a collection has found it unreachable.
func (t *Tuner) arm() {
	sentinel := new([64]byte) // large enough not to share a tiny-allocator block
	runtime.AddCleanup(sentinel, func(t *Tuner) {
		if t.stopped.Load() {
			return
		}
		t.adjust()
		t.arm()
	}, t)
}

// adjust sets GOGC so that the heap may grow to the floor before the next collection.
func (t *Tuner) adjust() {
	if t.stopped.Load() {
		return
	}
	metrics.Read(t.sample)
	var v [3]uint64
	for i, s := range t.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	pct := Percent(v[0], v[1]+v[2], t.floor, t.min)
	if int64(pct) != t.last.Load() {
		t.last.Store(int64(pct))
		debug.SetGCPercent(pct)
	}
}

// Percent is the GOGC for a live heap of live bytes, with roots (goroutine stacks and
// globals) of roots bytes: the percentage that makes the runtime's heap goal,
// live + (live + roots) × GOGC/100, reach floor; at least minPct, and at most what keeps
// the runtime's minimum goal (4 MiB × GOGC/100) within floor. Before the first
// collection (live is 0) it is minPct.
func Percent(live, roots, floor, minPct uint64) int {
	if live == 0 || live >= floor {
		return int(minPct)
	}
	pct := (floor - live) * 100 / (live + roots)
	maxPct := max(floor*100/heapMinimum, minPct)
	return int(min(max(pct, minPct), maxPct))
}
