package report

import "os"

// csvWritebackSize is how many bytes are written before the system is asked to start
// writing them to disk: a large results file then trickles to disk as it grows, and
// closing it does not wait for all of it at once.
const csvWritebackSize = 8 << 20

// writeback asks the system, from a goroutine of its own, to start writing the parts of a
// file that were written since the last time to disk, so that whoever writes the file
// never waits for the disk before the final Sync, which then has little left to do.
type writeback struct {
	f       *os.File
	every   int64 // how many bytes to gather before handing them over
	size    int64 // the file's length so far
	started int64 // how much of it the goroutine was given
	ranges  chan [2]int64
	done    chan struct{}
}

// wrote notes that the file grew by n bytes, and hands what was written since the last
// time to the goroutine once it amounts to csvWritebackSize, unless the goroutine is
// still busy (the next call tries again).
func (w *writeback) wrote(n int) {
	w.size += int64(n)
	if !writebackSupported || w.size-w.started < w.every {
		return
	}
	if w.ranges == nil {
		w.ranges = make(chan [2]int64, 1)
		w.done = make(chan struct{})
		go func() {
			defer close(w.done)
			for r := range w.ranges {
				syncRange(w.f, r[0], r[1])
			}
		}()
	}
	select {
	case w.ranges <- [2]int64{w.started, w.size - w.started}:
		w.started = w.size
	default:
	}
}

// stop ends the goroutine and waits for it; the file may then be closed.
func (w *writeback) stop() {
	if w.ranges == nil {
		return
	}
	close(w.ranges)
	<-w.done
	w.ranges = nil
}
