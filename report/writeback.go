package report

import "os"

// csvWritebackSize is how many bytes are written before the system is asked to write
// them to disk: a large results file then trickles to disk as it grows, and closing it
// does not wait for all of it at once.
const csvWritebackSize = 8 << 20

// writeback writes, from a goroutine of its own, the parts of a file that were written
// since the last time to disk, and syncs the file, so that whoever writes the file never
// waits for the disk before the final Sync, which then has little left to do: the last
// part, and nothing of what the file system had pending before (such as the release of
// the blocks of a results file that an earlier run's rename replaced).
type writeback struct {
	f       *os.File
	every   int64 // how many bytes to gather before handing them over
	size    int64 // the file's length so far
	started int64 // how much of it the goroutine was given
	ranges  chan [2]int64
	done    chan struct{}
	// err is the first error of the goroutine's syncs, read once it is done: an error
	// of writing to disk is reported to one sync only, which may be the goroutine's.
	err error
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
				if err := w.f.Sync(); err != nil && w.err == nil {
					w.err = err
				}
			}
		}()
	}
	select {
	case w.ranges <- [2]int64{w.started, w.size - w.started}:
		w.started = w.size
	default:
	}
}

// stop ends the goroutine and waits for it; the file may then be closed. It returns the
// first error of the goroutine's syncs.
func (w *writeback) stop() error {
	if w.ranges == nil {
		return w.err
	}
	close(w.ranges)
	<-w.done
	w.ranges = nil
	return w.err
}
