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
	// resident memory of a run stays near it.
	Floor = 48 << 20
	// Min is the lowest GOGC Tune sets: the collector's target when the live heap is
	// large.
	Min = 200
	// maxPercent is the highest GOGC Tune sets, so that a near-empty heap does not mean an
	// absurd percentage.
	maxPercent = 5000
)

const liveMetric = "/gc/heap/live:bytes"

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
		floor:  floor,
		min:    uint64(minPct),
		prev:   debug.SetGCPercent(minPct),
		sample: []metrics.Sample{{Name: liveMetric}},
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
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := t.sample[0].Value.Uint64()
	pct := Percent(live, t.floor, t.min)
	if int64(pct) != t.last.Load() {
		t.last.Store(int64(pct))
		debug.SetGCPercent(pct)
	}
}

// Percent is the GOGC for a live heap of live bytes: the percentage that makes the heap
// goal (live × (1 + GOGC/100)) reach floor, but at least minPct and at most 5000.
func Percent(live, floor, minPct uint64) int {
	if live == 0 {
		return maxPercent
	}
	if live >= floor {
		return int(minPct)
	}
	pct := (floor - live) * 100 / live
	switch {
	case pct < minPct:
		return int(minPct)
	case pct > maxPercent:
		return maxPercent
	}
	return int(pct)
}
