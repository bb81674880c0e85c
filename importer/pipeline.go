package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/custimport/custimport/importer/sheet"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/mapping"
)

// batchRows is how many rows travel together through the mapping pipeline: enough to
// make the hand-offs between goroutines cheap, few enough to keep memory small.
const batchRows = 128

// jobSlab is how many jobs are allocated together: as many as fit in the largest small
// allocation (32 KiB), which costs far less than a large one.
const jobSlab = (32<<10 - 8) / int(unsafe.Sizeof(job{}))

// freeBatches is how many batches of jobs the pipeline keeps for use again at most.
const freeBatches = 16

// batch is a run of consecutive rows: read by the reader goroutine, mapped by one mapper,
// consumed in input order by the dispatcher.
type batch struct {
	rows []sheet.Row
	jobs []*job // from a TextReader: read into by the reader (number, input), mapped in place
	// reused: the first reused jobs were used before (from pipeline.free); the others are
	// new (a TextReader's batch only).
	reused int
	keys   []mapping.DupKeys // keys[i] are the duplicate index's keys of jobs[i]
	err    error             // what ended the input after these rows: io.EOF, or a read error
	ready  chan struct{}     // closed once jobs are mapped
}

// pipeline reads the input on one goroutine and maps rows on several, handing the
// dispatcher jobs in input order. Mapping (transforms, validation, hashing) is the
// costly part of a row; on a machine with more than one core it runs in parallel.
type pipeline struct {
	ordered chan *batch // every batch, in input order
	// free takes back the jobs of rows that are done with (a dry run's rowRecorder hands
	// back each batch it wrote), for the mappers to use again: a row's job and its input
	// texts are its largest allocations.
	free   chan []*job
	cancel context.CancelFunc
	wg     sync.WaitGroup

	cur  *batch
	next int // index into cur.jobs
}

// startPipeline starts the reader and the mappers. The dispatcher takes jobs with take
// and must call stop when done.
func (r *runner) startPipeline(ctx context.Context) *pipeline {
	ctx, cancel := context.WithCancel(ctx)
	mappers := min(max(runtime.GOMAXPROCS(0), 1), 4)
	p := &pipeline{ordered: make(chan *batch, mappers+2), free: make(chan []*job, freeBatches), cancel: cancel}
	work := make(chan *batch, mappers)
	p.wg.Add(1 + mappers)
	go func() {
		defer p.wg.Done()
		defer close(work)
		defer close(p.ordered)
		if tr, ok := r.rd.(sheet.TextReader); ok {
			r.readTextBatches(ctx, tr, p, work)
		} else {
			r.readBatches(ctx, p.ordered, work)
		}
	}()
	// A reader that can use the memory of rows again gets each batch's rows back once
	// they are mapped (the jobs keep only the cells' texts).
	recycler, _ := r.rd.(sheet.Recycler)
	viewer, _ := r.opt.Store.(stateViewer)
	for range mappers {
		go func() {
			defer p.wg.Done()
			m := r.plan.NewMapper()
			for b := range work {
				if b.rows == nil {
					r.mapTexts(m, b)
				} else {
					r.mapRows(m, p, b, recycler)
				}
				// The duplicate index's keys (hashes of the identity values) are made
				// here, in parallel, leaving the dispatcher only the lookups.
				b.keys = make([]mapping.DupKeys, len(b.jobs))
				for i, j := range b.jobs {
					b.keys[i] = r.dups.Keys(&j.res)
				}
				if viewer != nil {
					prefetchState(viewer, b.jobs)
				}
				close(b.ready)
			}
		}()
	}
	return p
}

// mapRows maps the rows of a batch into jobs.
func (r *runner) mapRows(m *mapping.Mapper, p *pipeline, b *batch, recycler sheet.Recycler) {
	// Jobs handed back are used first; new ones come from a few
	// allocations, each small enough for the allocator's fast path, and
	// their input texts from one.
	var reused []*job
	select {
	case reused = <-p.free:
	default:
	}
	var jobs []job
	var texts []string
	if cap(reused) >= len(b.rows) {
		b.jobs = reused[:len(b.rows)]
	} else {
		b.jobs = make([]*job, len(b.rows))
	}
	for i, row := range b.rows {
		// A short row's input is padded to the header's width: the
		// results file gives every row the same columns.
		n := max(len(row.Cells), r.width)
		var j *job
		var input []string
		var fields []mapping.Field // a job used again keeps its own
		own := i < len(reused)
		if own {
			j = reused[i]
			fields = j.res.Fields[:0]
			if input = j.input; cap(input) >= n {
				input = input[:n:n]
				clear(input[len(row.Cells):])
			} else {
				input = nil
			}
			*j = job{}
		} else {
			if len(jobs) == 0 {
				jobs = make([]job, min(jobSlab, len(b.rows)-i))
			}
			j = &jobs[0]
			jobs = jobs[1:]
		}
		if input == nil {
			if len(texts) < n {
				cells := 0
				for _, row := range b.rows[i:] {
					cells += max(len(row.Cells), r.width)
				}
				texts = make([]string, cells)
			}
			input = texts[:n:n]
			texts = texts[n:]
		}
		r.mapRow(m, j, row, input, fields, own)
		b.jobs[i] = j
	}
	if recycler != nil {
		recycler.Recycle(b.rows)
	}
	b.rows = nil
}

// mapTexts maps the jobs of a batch that a TextReader read: each job holds its row's
// number and, as its input, the texts of the row's cells, in an array with room for the
// header's width (see readTextBatches).
func (r *runner) mapTexts(m *mapping.Mapper, b *batch) {
	for i, j := range b.jobs {
		number, texts, line := j.number, j.input, j.line
		var fields []mapping.Field // a job used again keeps its own
		if i < b.reused {
			fields = j.res.Fields[:0]
		}
		*j = job{}
		j.number = number
		// A short row's input is padded to the header's width: the results file gives
		// every row the same columns.
		n := max(len(texts), r.width)
		input := texts
		if cap(texts) >= n {
			input = texts[:n:n]
			clear(input[len(texts):])
		} else {
			input = make([]string, n)
			copy(input, texts)
		}
		if i < b.reused {
			j.res = m.ApplyTextsTo(texts, fields)
		} else {
			j.res = m.ApplyTexts(texts)
		}
		r.finishRow(j, input, extraTexts(texts, r.width))
		if len(texts) >= r.width && !j.redacted {
			// The results file may copy the row's line (padded or redacted, it
			// would not be the input cells any more).
			j.line = line
		}
	}
}

// readTextBatches is readBatches for a TextReader: it reads each row's number and texts
// straight into a job, one handed back by the rowRecorder when there is one (see
// pipeline.free), and sends batches of jobs.
func (r *runner) readTextBatches(ctx context.Context, tr sheet.TextReader, p *pipeline, work chan<- *batch) {
	var jobs []job     // new jobs not yet used
	var texts []string // room for the texts of new jobs
	for {
		b := &batch{ready: make(chan struct{})}
		var reused []*job
		select {
		case reused = <-p.free:
		default:
		}
		if cap(reused) >= batchRows {
			b.jobs = reused[:0]
		} else {
			b.jobs = make([]*job, 0, batchRows)
		}
		for len(b.jobs) < batchRows {
			var j *job
			var dst []string
			if k := len(b.jobs); k < len(reused) {
				j = reused[k]
				dst = j.input[:0]
			} else {
				if len(jobs) == 0 {
					jobs = make([]job, jobSlab)
				}
				j = &jobs[0]
				jobs = jobs[1:]
				if len(texts) < r.width {
					texts = make([]string, batchRows*max(r.width, 1))
				}
				dst = texts[:0:r.width]
				texts = texts[r.width:]
			}
			number, row, err := tr.NextTexts(dst)
			if err != nil {
				b.err = err
				break
			}
			if blankTexts(row) {
				continue // see blankTexts
			}
			j.number, j.input, j.line = number, row, tr.Line()
			b.jobs = append(b.jobs, j)
		}
		b.reused = min(len(b.jobs), len(reused))
		if !sendBatch(ctx, p.ordered, work, b) || b.err != nil {
			return
		}
	}
}

// blankTexts reports whether a row's cells hold nothing but spaces. The readers skip rows
// whose cells are all empty (the contract's rule); a row of cells of spaces only is
// skipped too, as the mapping reads such cells as empty: else it would end invalid
// ("maps to no field") and make a run's exit code 1 for a row with nothing in it.
func blankTexts(texts []string) bool {
	for _, t := range texts {
		if !mapping.Blank(t) {
			return false
		}
	}
	return true
}

// blankCells is blankTexts for typed cells: only empty and text cells can be blank.
func blankCells(cells []sheet.Cell) bool {
	for _, c := range cells {
		if c.Kind != sheet.Empty && (c.Kind != sheet.String || !mapping.Blank(c.Text)) {
			return false
		}
	}
	return true
}

// sendBatch sends b to ordered (for the dispatcher), then to work (for a mapper); false
// when ctx ended first.
func sendBatch(ctx context.Context, ordered, work chan<- *batch, b *batch) bool {
	select {
	case ordered <- b:
	case <-ctx.Done():
		return false
	}
	select {
	case work <- b:
		return true
	case <-ctx.Done():
		return false
	}
}

// readBatches reads the input into batches, sending each to ordered (for the
// dispatcher) and to work (for a mapper), until the input ends or ctx is cancelled.
func (r *runner) readBatches(ctx context.Context, ordered, work chan<- *batch) {
	for {
		b := &batch{rows: make([]sheet.Row, 0, batchRows), ready: make(chan struct{})}
		for len(b.rows) < batchRows && b.err == nil {
			row, err := r.rd.Next()
			if err != nil {
				b.err = err
				break
			}
			if blankCells(row.Cells) {
				continue // see blankTexts
			}
			b.rows = append(b.rows, row)
		}
		if !sendBatch(ctx, ordered, work, b) || b.err != nil {
			return
		}
	}
}

// stateViewer is a Store that can read many entries in one transaction (state.Store).
type stateViewer interface {
	View(fn func(r *state.Reader) error) error
}

// prefetchState reads the state entries of a batch's rows in one read transaction, on
// the mapper's goroutine, so that the dispatcher need not (a nightly run of a million
// unchanged rows would otherwise spend its time there). The dispatcher uses an entry only
// for a row whose customer no earlier row of the run named: for the others the run itself
// may have written the entry since (see runner.stateOf).
func prefetchState(v stateViewer, jobs []*job) {
	ids := make([]string, 0, len(jobs))
	of := make([]*job, 0, len(jobs)) // the job of each of ids
	for _, j := range jobs {
		if j.id != "" && j.res.Valid() {
			ids = append(ids, j.id)
			of = append(of, j)
		}
	}
	_ = v.View(func(rd *state.Reader) error {
		rd.GetEach(ids, func(i int, e state.Entry, ok bool, err error) {
			of[i].prefetched(e, ok, err)
		})
		return nil
	})
}

// recycle hands back jobs whose rows are done with: nothing may use them afterwards.
// Jobs the pipeline has no room for are left to the garbage collector.
func (p *pipeline) recycle(jobs []*job) {
	select {
	case p.free <- jobs:
	default:
	}
}

// take returns the next job in input order; ok is false at the end of the input.
func (p *pipeline) take() (j *job, ok bool, err error) {
	for p.cur == nil || p.next == len(p.cur.jobs) {
		if p.cur != nil && p.cur.err != nil {
			if errors.Is(p.cur.err, io.EOF) {
				return nil, false, nil
			}
			return nil, false, p.cur.err
		}
		b, open := <-p.ordered
		if !open {
			return nil, false, errors.New("internal error: the input pipeline stopped")
		}
		<-b.ready
		p.cur, p.next = b, 0
	}
	j = p.cur.jobs[p.next]
	p.cur.jobs[p.next] = nil
	p.next++
	return j, true, nil
}

// stop ends the pipeline's goroutines and waits for them.
func (p *pipeline) stop() {
	p.cancel()
	// Unblock a reader or mapper waiting to hand over a batch.
	for b := range p.ordered {
		_ = b
	}
	p.wg.Wait()
}

// mapRow maps one row into j with m, the mapper of the calling goroutine: everything about
// a row that does not depend on the rows before it. input has room for the row's texts.
// With own set, the row's fields go to fields' array (made if too small) rather than to
// memory shared with other rows: for a job that is used again, which keeps its array.
// It runs on several goroutines at once.
func (r *runner) mapRow(m *mapping.Mapper, j *job, row sheet.Row, input []string, fields []mapping.Field, own bool) {
	j.number = row.Number
	for i, c := range row.Cells {
		input[i] = c.Text
	}
	if own {
		j.res = m.ApplyTo(row, fields)
	} else {
		j.res = m.Apply(row)
	}
	r.finishRow(j, input, extraCells(row, r.width))
}

// finishRow completes the job of a row mapped into j.res: input is the row's texts
// (padded to the header's width), of which the secret columns are blanked, and extra how
// many cells beyond the header's width hold something.
func (r *runner) finishRow(j *job, input []string, extra int) {
	j.input = input
	for _, c := range r.secret {
		if c < len(j.input) && j.input[c] != "" {
			j.input[c] = "[redacted]"
			j.redacted = true
		}
	}
	if extra > 0 {
		// A problem of the row (first, as it was read first), so that the summary counts it.
		p := mapping.Problem{Reason: fmt.Sprintf("%s beyond the header's %s ignored",
			plural(extra, "cell was", "cells were"), plural(r.width, "column", "columns")),
			Summary: "cells beyond the header's columns ignored", Warning: true}
		j.res.Problems = append([]mapping.Problem{p}, j.res.Problems...)
	}
	for _, p := range j.res.Problems {
		j.msgs = append(j.msgs, p.String())
	}
	j.fields = j.res.Fields
	id := j.res.Identity
	j.named = id.Code != "" || id.CardNumber != ""
	if r.opt.Store == nil && r.opt.DryRun {
		// Identities and lanes serve the state and the scheduler only.
		return
	}
	switch {
	case id.Key != "":
		j.id = "key:" + id.Key
	case id.Code != "":
		j.id = "code:" + id.Code
	case id.CardNumber != "":
		j.id = "card:" + id.CardNumber
	}
	// The lanes are the identity values with their kinds, as j.id spells them (j.id
	// is one of them: no second copy).
	j.lanes = j.laneSpace[:0]
	if id.Code != "" {
		lane := j.id
		if id.Key != "" {
			lane = "code:" + id.Code
		}
		j.lanes = append(j.lanes, lane)
	}
	if id.CardNumber != "" {
		lane := j.id
		if id.Key != "" || id.Code != "" {
			lane = "card:" + id.CardNumber
		}
		j.lanes = append(j.lanes, lane)
	}
	if id.Key != "" {
		j.lanes = append(j.lanes, j.id)
	}
}

// plural is "1 cell" or "2 cells".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// extraTexts counts the cells of texts beyond the header's width that are not blank.
func extraTexts(texts []string, width int) int {
	n := 0
	for i := width; i < len(texts); i++ {
		if strings.TrimSpace(texts[i]) != "" {
			n++
		}
	}
	return n
}

// extraCells counts the non-empty cells of row beyond the header's width.
func extraCells(row sheet.Row, width int) int {
	n := 0
	for i := width; i < len(row.Cells); i++ {
		if row.Cells[i].Kind != sheet.Empty && strings.TrimSpace(row.Cells[i].Text) != "" {
			n++
		}
	}
	return n
}

// next takes the next row from the pipeline, numbers it and checks it against the
// earlier rows for a duplicate customer. ok is false at the end of the input.
func (r *runner) next() (j *job, ok bool, err error) {
	j, ok, err = r.pipe.take()
	if !ok || err != nil {
		return nil, ok, err
	}
	j.seq = r.seq
	r.seq++
	keys := r.pipe.cur.keys
	if r.pipe.next == 1 {
		// The first row of a batch: let the duplicate checks of the whole batch
		// overlap their cache misses.
		r.dups.PrefetchKeys(keys)
	}
	p, dup, seen := r.dups.CheckSeenKeys(j.number, &j.res, keys[r.pipe.next-1])
	if dup {
		j.res.Problems = append(j.res.Problems, p)
		j.msgs = append(j.msgs, p.String())
	}
	j.seen, j.differs = seen, dup
	r.reserveDups()
	return j, true, nil
}
