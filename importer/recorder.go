package importer

import "sync/atomic"

// recorderBatch is how many finished rows travel to the rowRecorder together.
const recorderBatch = 128

// rowRecorder writes finished rows (results file, summary, progress) on a goroutine of
// its own, in the order they are added, so that the goroutine that takes rows in order and
// checks them for duplicates (and, in a real run, dispatches them) does less: it is the
// one part of a run that cannot run in parallel.
type rowRecorder struct {
	r      *runner
	batch  []*job
	ch     chan []*job
	spare  chan []*job // batches written, for use again (when the jobs are not recycled)
	done   chan error
	failed atomic.Pointer[error] // the first error record met, as soon as it met it
	sink   byte                  // what touchInputs read, kept so that its reads stay
}

// startRecorder starts the rowRecorder's goroutine; close ends it and waits for it.
//
// With recycle, the jobs go back to the pipeline once written, for its rows to come: a
// dry run's jobs, which nothing holds once written. A real run's go back when the results
// writer holds none of the rows added so far (it holds the rows that finished ahead of an
// earlier one), as in a nightly run of unchanged rows; the dispatcher uses no job once it
// has added it (see runner.finish).
func (r *runner) startRecorder(recycle bool) *rowRecorder {
	rec := &rowRecorder{r: r, batch: make([]*job, 0, recorderBatch), ch: make(chan []*job, 4), done: make(chan error, 1),
		spare: make(chan []*job, 8)}
	go func() {
		var err error
		for b := range rec.ch {
			rec.sink += touchInputs(b)
			for _, j := range b {
				if err != nil {
					break // drain: the run is ending
				}
				if err = r.writeRow(j); err != nil {
					rec.failed.Store(&err)
				}
			}
			if recycle || err == nil && r.w.Pending() == 0 {
				// Nothing holds the jobs of a dry run once they are recorded (the
				// results file and OnRow keep none of their memory but messages,
				// which a job used again does not reuse): the pipeline may use them
				// again.
				r.pipe.recycle(b)
			} else {
				// A real run hands over a batch each time the dispatcher waits: use
				// the slices again rather than allocate one each time.
				clear(b)
				select {
				case rec.spare <- b[:0]:
				default:
				}
			}
		}
		rec.done <- err
	}()
	return rec
}

// add hands a finished row to the rowRecorder. It returns the error the rowRecorder has met,
// if any, so that the run stops early.
func (rec *rowRecorder) add(j *job) error {
	rec.batch = append(rec.batch, j)
	if len(rec.batch) == recorderBatch {
		rec.ch <- rec.batch
		rec.batch = rec.newBatch()
	}
	return rec.err()
}

// flush hands the rows added so far to the rowRecorder without waiting for a full batch:
// a real run calls it before it waits, so that a slow run's results and progress keep up.
func (rec *rowRecorder) flush() {
	if len(rec.batch) > 0 {
		rec.ch <- rec.batch
		rec.batch = rec.newBatch()
	}
}

// newBatch returns an empty batch: a spare one when there is one.
func (rec *rowRecorder) newBatch() []*job {
	select {
	case b := <-rec.spare:
		return b
	default:
		return make([]*job, 0, recorderBatch)
	}
}

// err is the first error the rowRecorder met so far.
func (rec *rowRecorder) err() error {
	if p := rec.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// close writes what is left and returns the first error the rowRecorder met.
func (rec *rowRecorder) close() error {
	if len(rec.batch) > 0 {
		rec.ch <- rec.batch
		rec.batch = nil
	}
	close(rec.ch)
	return <-rec.done
}

// touchInputs reads a part of every input cell of jobs, in a loop that does nothing else,
// so that the cache misses of the rows' texts, which other goroutines wrote, overlap
// rather than come one row after another as they are written.
func touchInputs(jobs []*job) byte {
	var sum byte
	for _, j := range jobs {
		in := j.input
		for i := 0; i < len(in); i += 4 { // four cells to a cache line
			if s := in[i]; s != "" {
				sum += s[0]
			}
		}
	}
	return sum
}
