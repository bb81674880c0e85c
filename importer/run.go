package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/custimport/custimport/importer/sheet"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

// job is one data row on its way through the run. The dispatcher owns every field
// except the outcome fields, which the worker that sends the row fills in before handing
// the job back.
type job struct {
	seq      int
	number   int      // the row's number as a spreadsheet shows it
	input    []string // original cells, secret columns blanked
	line     string   // input as its line, for the results file (see report.Row.Line); "" if none
	redacted bool     // a secret cell of input was blanked
	res      mapping.Result
	msgs     []string // validation warnings so far
	named    bool     // the request names its customer (code or card number): a repeat creates none (see repeatSafe)
	id       string   // state identity; "" when the row has none
	lanes    []string // identities that order this row after earlier rows of the same customer
	// laneSpace holds lanes (a row has at most three), sparing an allocation.
	laneSpace [3]string
	deps      int    // unfinished earlier rows of the same customer
	next      []*job // later rows of the same customer waiting for this one
	fields    []mapping.Field
	// laneCode is the code an earlier row of the same key got in this run; laneWeak: or
	// the code it named, rejected by the API (a code the state remembers goes first).
	laneCode string
	laneWeak bool
	// knownCard is the customer's card number as an earlier row of the same key got it
	// in this run, or as the state remembers it: card_number_generate is not sent again
	// (it would replace the card), and the state keeps it when the answer has none.
	knownCard string
	// seen: an earlier row of the run named one of this row's identity values; differs:
	// and the latest such row had other data (the duplicate warning).
	seen, differs bool
	// pre is what the run uses of the row's state entry, as its mapper read it (see
	// prefetchState); pre.read is false when it did not (a run without state).
	pre prefetchedEntry
	// laneUnknown is the number of an earlier row of the same key that got no answer in
	// this run, so may have created the customer; 0 when none.
	laneUnknown int
	// marked: the row went to the markers (see runner.mark); reserved: the state holds
	// its reservation, and no mark yet (see runner.reserve).
	marked, reserved bool
	// laned: the row holds its places in the runner's lanes (see joinLanes).
	laned bool

	// outcome
	status    report.Status
	code      string
	card      string
	attempts  int
	latency   time.Duration
	errMsg    string
	stopCause error // set by a worker when this row must stop the run
}

// repeatSafe reports whether sending j's request again, after an answer that never came,
// does no harm: it names its customer (no second customer), and adds nothing each time
// it is applied (auto_add adds its points again; card_number_generate makes another card,
// which replaces the last).
func (j *job) repeatSafe() bool { return j.named && !j.addsEachTime() }

// addsEachTime reports whether j's request adds something each time it is applied.
func (j *job) addsEachTime() bool {
	for i := range j.fields {
		if n := j.fields[i].Name; n == "auto_add" || n == "card_number_generate" {
			return true
		}
	}
	return false
}

// notRepeatedMsg says why a row whose request may have been applied is not sent again.
func (j *job) notRepeatedMsg() string {
	if !j.named {
		return "it may have created the customer; not sent again so as not to create it twice"
	}
	return "it may have been applied; not sent again, as a repeat would apply its auto_add or card_number_generate twice"
}

// Result is what a run came to.
type Result struct {
	Summary *report.Summary
	// Stopped is nil when the run went through every row, else why it stopped early
	// (ErrStopped, ErrMaxErrors, ErrCredentials, or a state database failure).
	Stopped error
	// Waits counts the waits on the shared rate limiter: one per request sent.
	Waits int64
}

// ExitCode maps the result to the contract's exit codes: 0 every row succeeded, 1 some
// did not, 3 the run stopped early; 2 when the input turned unreadable before any request
// was sent (a dry run sends none): nothing was attempted.
func (r *Result) ExitCode() int {
	if errors.Is(r.Stopped, ErrInput) && r.Summary.Requests == 0 {
		return 2
	}
	if r.Stopped != nil {
		return 3
	}
	for st, n := range r.Summary.Counts {
		if n > 0 && !st.OK() {
			return 1
		}
	}
	return 0
}

// Run performs one import. An error of type *SetupError means nothing was attempted;
// any other error is a failure of the results file or the reader midway. Row problems
// are never errors: they are in the results file and the summary.
func Run(ctx context.Context, opt Options) (*Result, error) {
	opt.defaults()
	if opt.Mapping == nil {
		return nil, setupErr(errors.New("no mapping"))
	}
	if !opt.DryRun && opt.Sender == nil {
		return nil, setupErr(errors.New("no API client"))
	}
	sopt := opt.Sheet
	if sopt.Sheet == "" {
		sopt.Sheet = opt.Mapping.Sheet
	}
	if sopt.HeaderRow == 0 {
		sopt.HeaderRow = opt.Mapping.HeaderRow
	}
	rd, err := sheet.Open(opt.Input, sopt)
	if err != nil {
		return nil, setupErr(err)
	}
	defer rd.Close()

	header, err := readHeader(rd, opt.Mapping.HeaderRow)
	if err != nil {
		return nil, setupErr(fmt.Errorf("%s: %w", opt.Input, err))
	}
	plan, err := opt.Mapping.Bind(header.Texts())
	if err != nil {
		return nil, setupErr(err)
	}
	if opt.Store == nil {
		// No hash is stored: it only serves the duplicate warning, within this run.
		plan.UseProcessHash()
	} else {
		plan.WarnUntracked()
	}
	// The results are synced to disk only when they are the one record of what the API
	// answered: a dry run's can be made again from the input, and with a state every
	// answer is in the state, synced when the run ends. A sync holds one of the runtime's
	// processors while the disk works: a nightly run of 1,000,000 unchanged rows went
	// about 30% faster without it.
	noSync := opt.DryRun || opt.Store != nil
	w, err := report.CreateWith(opt.Results, header.Texts(), report.Options{NoSync: noSync})
	if err != nil {
		return nil, setupErr(err)
	}
	r := &runner{
		opt:       opt,
		rd:        rd,
		plan:      plan,
		secret:    plan.SecretColumns(),
		width:     len(header.Cells),
		w:         w,
		dups:      mapping.NewDupIndex(),
		rowsHint:  estimateRows(opt.Input),
		reserveAt: reserveAfter,
		sum:       &report.Summary{DryRun: opt.DryRun},
		lanes:     make(map[string]*job),
		flushed:   make([]bool, opt.Window),
		lim:       newLimiter(opt.Rate, opt.Burst, opt.Now),
		log:       opt.Logger,
	}
	defer r.dups.Close()
	// The pipeline outlives a signal: after a stop the rest of the input is still read,
	// to be written as skipped.
	r.pipe = r.startPipeline(context.WithoutCancel(ctx))
	defer r.pipe.stop()
	r.sum.Results = opt.Results
	start := opt.Now()
	r.sum.StartedAt = start
	if opt.DryRun {
		err = r.validate(ctx)
	} else {
		err = r.send(ctx)
	}
	r.sum.Warnings = append(r.sum.Warnings, rd.Warnings()...)
	if opt.DryRun && opt.Store != nil {
		r.sum.Predicted = r.predictions()
	}
	r.sum.Requests = int(r.requests.Load())
	r.sum.Retries = int(r.retries.Load())
	r.sum.Throttled = int(r.throttled.Load())
	r.sum.FinishedAt = opt.Now()
	r.sum.Elapsed = r.sum.FinishedAt.Sub(start)
	if err != nil {
		if aerr := w.Abort(); aerr == nil && w.Written() > 0 {
			err = fmt.Errorf("%w (the results of the rows before it are in %s)", err, w.PartialPath())
		}
		if opt.DryRun || r.requests.Load() == 0 {
			// Nothing was sent: the input is unreadable.
			return nil, setupErr(err)
		}
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err // report's errors name the results file
	}
	if errors.Is(r.stopped, ErrMaxErrors) && !errors.Is(r.stopped, ErrInput) && r.sum.Counts[report.StatusSkipped] == 0 {
		// The last rows reached the limit: nothing was left unsent, the run went
		// through every row.
		r.stopped = nil
	}
	res := &Result{Summary: r.sum, Stopped: r.stopped, Waits: r.lim.Waits()}
	if r.stopped != nil {
		r.sum.Stopped = true
		r.sum.StopReason = r.stopped.Error()
	}
	return res, nil
}

// inputBroke notes err, an error of the input's reader, in the run's stop: the cause
// when nothing else stopped the run, else beside that cause, so that neither is hidden
// (a run that --max-errors stopped must not pass for one that read its whole input).
func (r *runner) inputBroke(err error) {
	broke := fmt.Errorf("%w: %w; the rows after it were not read", ErrInput, err)
	switch {
	case r.stopped == nil:
		r.stopped = broke
	case !errors.Is(r.stopped, ErrInput):
		r.stopped = fmt.Errorf("%w; and %w", r.stopped, broke)
	}
}

// readHeader returns the header row: the row numbered headerRow (1-based). Rows above it
// are passed over.
func readHeader(rd sheet.Reader, headerRow int) (sheet.Row, error) {
	if headerRow < 1 {
		headerRow = 1
	}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return sheet.Row{}, fmt.Errorf("no header: the file has no row %d", headerRow)
		}
		if err != nil {
			return sheet.Row{}, err
		}
		switch {
		case row.Number == headerRow:
			return row, nil
		case row.Number > headerRow:
			return sheet.Row{}, fmt.Errorf("header row %d is empty (the first row with data after it is row %d; set header_row in the mapping)", headerRow, row.Number)
		}
	}
}

// runner is one run's dispatcher: it alone reads the input, schedules rows, and writes
// results; workers only send.
type runner struct {
	opt    Options
	rd     sheet.Reader
	plan   *mapping.Plan
	secret []int
	width  int // header cells
	w      *report.Writer
	dups   *mapping.DupIndex
	// rowsHint is the estimated number of rows of the input, 0 when unknown, and
	// reserveAt the row count at which the duplicate index is next reserved (see
	// reserveDups).
	rowsHint, reserveAt int
	sum                 *report.Summary
	lim                 *limiter
	log                 *zap.Logger
	pipe                *pipeline // reads and maps rows ahead of the dispatcher

	seq     int             // next data row's sequence number
	low     int             // oldest unfinished sequence number
	flushed []bool          // ring over the window: finished but not yet below low
	lanes   map[string]*job // the latest unfinished row of each customer identity
	keys    *keyMemory      // what the finished rows of recent keys left (send only)
	ready   []*job          // rows free to send, in file order
	toMark  []*job          // rows free to send once marked in flight (see mark), in file order
	failed  int             // rows that ended error or unknown
	rec     *rowRecorder    // writes finished rows (send only; a dry run passes its own)
	stopped error

	// predicted counts a dry run's valid rows by what the state says a run would do with
	// them (report.Predictions); written by the dispatcher only.
	predicted map[string]int
	// slots, when not nil, holds a token per request on its way (at most --workers):
	// markers send too (see mark).
	slots chan struct{}

	requests, retries, throttled atomic.Int64 // counted by workers
	answered                     atomic.Int64 // requests the API answered (any HTTP answer)
	randMu                       sync.Mutex   // guards opt.Rand

	runCtx  context.Context         // ends when the run stops sending (send only)
	stopRun context.CancelCauseFunc // stops the run with a cause (send only)
}

// finish writes a finished row to the results file and the summary, and moves the
// window past it. Nothing may use j afterwards: once the rowRecorder has written it, the
// pipeline may use it again for a row to come (see startRecorder).
func (r *runner) finish(j *job) error {
	seq := j.seq
	if r.rec != nil {
		// A real run: the row counts towards --max-errors at once; the rowRecorder
		// writes it.
		r.countFailure(j)
		if err := r.rec.add(j); err != nil {
			return err
		}
	} else if err := r.record(j); err != nil {
		return err
	}
	// Move the low-water mark over every finished row.
	r.flushed[seq%len(r.flushed)] = true
	for r.low < r.seq && r.flushed[r.low%len(r.flushed)] {
		r.flushed[r.low%len(r.flushed)] = false
		r.low++
	}
	return nil
}

// record counts a finished row towards --max-errors and writes it (see writeRow).
func (r *runner) record(j *job) error {
	r.countFailure(j)
	return r.writeRow(j)
}

// countFailure counts a row that ended error or unknown after a request of this run, and
// stops the run when --max-errors is reached. A row that ends unknown without being sent
// (an earlier run's answer never came) is no failure of this run: counted, a handful of
// them would stop every later night before it sent anything.
func (r *runner) countFailure(j *job) {
	if j.attempts > 0 && (j.status == report.StatusError || j.status == report.StatusUnknown) {
		r.failed++
		if r.opt.MaxErrors > 0 && r.failed >= r.opt.MaxErrors && r.stopRun != nil {
			r.stopRun(ErrMaxErrors)
		}
	}
}

// writeRow writes a finished row to the results file, the summary, the progress and the
// log. It runs on the rowRecorder's goroutine (see rowRecorder).
func (r *runner) writeRow(j *job) error {
	msgs := j.msgs
	if j.errMsg != "" {
		msgs = append(msgs, j.errMsg)
	}
	problems := j.res.Problems
	if j.errMsg != "" && (j.status == report.StatusError || j.status == report.StatusUnknown) {
		problems = append(problems[:len(problems):len(problems)], mapping.Problem{Reason: j.errMsg})
	}
	r.sum.AddRow(j.status, problems)
	if r.opt.Progress != nil {
		r.opt.Progress.RowDone(j.status)
	}
	if r.opt.OnRow != nil {
		r.opt.OnRow(j.number, j.status, msgs)
	}
	if ce := r.log.Check(zap.DebugLevel, "row"); ce != nil {
		ce.Write(zap.Int("row", j.number), zap.String("status", string(j.status)),
			zap.Int("attempts", j.attempts), zap.Duration("latency", j.latency), zap.String("code", j.code))
	}
	err := r.w.Add(report.Row{
		Seq: j.seq, Number: j.number, Status: j.status, Code: j.code, CardNumber: j.card,
		Messages: msgs, Attempts: j.attempts, Input: j.input, Line: j.line,
	})
	return err // report's errors name the results file
}

// validate is the dry run: every row is mapped and validated, and, with a state, told
// whether it would be sent. Nothing is written to the state and nothing is sent.
func (r *runner) validate(ctx context.Context) error {
	if r.opt.Store != nil {
		// What earlier rows of a key would leave to later ones in a real run (see
		// dryRunState).
		r.keys = newKeyMemory(recentKeys)
	}
	rec := r.startRecorder(true)
	err := r.validateRows(ctx, rec)
	if rerr := rec.close(); err == nil {
		err = rerr
	}
	return err
}

func (r *runner) validateRows(ctx context.Context, rec *rowRecorder) error {
	for {
		if err := rec.err(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			r.stopped = ErrStopped
			return r.skipRest(rec.add)
		}
		j, ok, err := r.next()
		if err != nil {
			// The rows before it are validated, in the results file; the summary
			// says where the input broke (see Result.ExitCode).
			r.inputBroke(err)
			return nil
		}
		if !ok {
			return nil
		}
		if !j.res.Valid() {
			j.status = report.StatusInvalid
		} else {
			j.status = report.StatusValid
			if err := r.dryRunState(j); err != nil {
				return err
			}
		}
		if err := rec.add(j); err != nil {
			return err
		}
	}
}

// dryRunState notes what the state would do with a valid row.
func (r *runner) dryRunState(j *job) error {
	if r.opt.Store == nil || j.id == "" {
		return nil
	}
	e, ok, err := r.stateOf(j)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	p := r.predictions()
	if !ok {
		p["not_in_state"]++
		return nil
	}
	if e.CardNumber != "" && j.knownCard == "" {
		// As prepare: a customer with a card is not asked for another.
		j.knownCard = e.CardNumber
		j.fields = withoutField(j.fields, "card_number_generate")
	}
	// In a real run, an earlier row of the key that is sent, or found unchanged, passes
	// its customer's code to this one (see release), and the state has its answer by
	// then: this row names the customer too.
	key := j.res.Identity.Key
	earlier := false
	if o, ok := r.keys.get(key); ok && key != "" && j.res.Identity.Code == "" {
		earlier = o.code != ""
	}
	// (A remembered code names the row in a real run, as does an earlier row's.)
	unknown := e.InFlight && !r.opt.Force && !((j.named || e.Code != "" || earlier) && !j.addsEachTime())
	if key != "" && !unknown {
		// Sent or unchanged: the rows of the key after it name the customer. (Its code
		// may be one the run would get: any text but "" says so.)
		r.keys.note(key, keyOutcome{code: cmp.Or(j.res.Identity.Code, e.Code, "(new)")})
	}
	switch {
	case unknown:
		j.code = cmp.Or(fieldOf(j.fields, "code"), e.Code)
		j.msgs = append(j.msgs, "a previous run may have sent this row, and got no answer: it would end unknown")
		p["unknown"]++
	case !r.opt.Force && !e.InFlight && e.Code != "" && e.Hash == j.res.Hash && j.differs:
		// The earlier row, sent first, would leave its own data as the last sent.
		j.code = e.Code
		j.msgs = append(j.msgs, "unchanged since the last run, but an earlier row of this customer has other data: "+
			"if that row is sent, this one would be sent after it")
		p["send"]++
	case !r.opt.Force && !e.InFlight && e.Code != "" && e.Hash == j.res.Hash:
		j.code = e.Code
		j.msgs = append(j.msgs, "unchanged since the last run: would not be sent")
		p["unchanged"]++
	case j.res.Identity.Code == "" && e.Code != "":
		j.code = e.Code
		j.msgs = append(j.msgs, "would update customer "+e.Code+" (code remembered from an earlier run)")
		p["update_remembered"]++
	case e.Code != "" && !e.InFlight:
		j.code = e.Code
		if r.opt.Force {
			j.msgs = append(j.msgs, "would be sent again (--force)")
		} else {
			j.msgs = append(j.msgs, "changed since the last run: would be sent")
		}
		p["send"]++
	default:
		p["send"]++
	}
	return nil
}

// predictions returns r.predicted, made with every report.Predictions key at 0.
func (r *runner) predictions() map[string]int {
	if r.predicted == nil {
		r.predicted = make(map[string]int, len(report.Predictions))
		for _, k := range report.Predictions {
			r.predicted[k] = 0
		}
	}
	return r.predicted
}

// skipRest reads the rest of the input after a stop: invalid rows still say why, every
// other row is skipped.
func (r *runner) skipRest(finish func(*job) error) error {
	for {
		j, ok, err := r.next()
		if err != nil {
			// The input ends there: the rows before it are in the results, the break
			// in the stop's cause.
			r.inputBroke(err)
			return nil
		}
		if !ok {
			return nil
		}
		r.skip(j)
		if err := finish(j); err != nil {
			return err
		}
	}
}

func (r *runner) skip(j *job) {
	if !j.res.Valid() {
		j.status = report.StatusInvalid
		return
	}
	j.status = report.StatusSkipped
}

// send is the real run: the dispatcher loop.
func (r *runner) send(parent context.Context) (err error) {
	// Finished rows are written (results file, summary, progress) by a rowRecorder, as
	// in a dry run: the dispatcher, the one goroutine that must see every row, does less.
	r.rec = r.startRecorder(false)
	defer func() {
		if cerr := r.rec.close(); err == nil {
			err = cerr
		}
		r.rec = nil
	}()
	// runCtx ends on a signal (parent) or when the run must stop (max errors,
	// credentials refused); requests already sent finish on their own timeout.
	runCtx, stopRun := context.WithCancelCause(parent)
	defer stopRun(nil)
	r.runCtx, r.stopRun = runCtx, stopRun
	sendCtx := context.WithoutCancel(runCtx)
	r.keys = newKeyMemory(recentKeys)

	// The pool: --workers long-lived goroutines in an errgroup, each taking rows from
	// jobs until it is closed. (A goroutine per row would pay, every row, for growing a
	// fresh stack to the depth an HTTP request needs.) With a state, as many markers
	// again take the rows that must be marked in flight before they are sent, and send
	// them (see mark); workers and markers then share --workers send slots. Those rows
	// reach the markers through the reserver, which reserves them in the state a group at
	// a time (see reserve).
	markers, reservers := 0, 0
	if r.opt.Store != nil {
		markers, reservers = r.opt.Workers, 1
		r.slots = make(chan struct{}, r.opt.Workers)
	}
	g, _ := errgroup.WithContext(sendCtx)
	g.SetLimit(r.opt.Workers + markers + reservers)
	jobs := make(chan *job)
	// Rows wait for the reserver in toReserve, then for a free marker in toMark, so that
	// a marker that is done with a row takes the next at once. Neither channel ever
	// fills: the dispatcher hands out at most cap(toReserve) rows that need marks, which
	// is as many as a crash of the machine may leave in doubt (see reserve). 8 × workers
	// lets the reserver sync every 45 rows or so; with 4 × workers, every 15, the run
	// was about 7 % slower.
	toReserve := make(chan *job, reserveWindow*markers)
	toMark := make(chan *job, reserveWindow*markers)
	// done holds every row handed out, so that no worker, marker or the reserver ever
	// waits to hand one back.
	done := make(chan *job, r.opt.Workers+cap(toReserve))
	took := make(chan struct{}, 1) // a marker took a row from toMark
	if reservers > 0 {
		g.Go(func() error {
			defer close(toMark)
			r.reserve(runCtx, toReserve, toMark, done, took)
			return nil
		})
	}
	for range r.opt.Workers {
		g.Go(func() error {
			for j := range jobs {
				r.work(runCtx, sendCtx, j)
				done <- j
			}
			return nil
		})
	}
	for range markers {
		g.Go(func() error {
			for j := range toMark {
				select {
				case took <- struct{}{}:
				default:
				}
				r.work(runCtx, sendCtx, j)
				done <- j
			}
			return nil
		})
	}
	defer func() {
		close(jobs)
		close(toReserve)
		if reservers == 0 {
			close(toMark)
		}
		_ = g.Wait()
	}()
	// atWorkers counts the rows handed to workers, atMarkers those handed to the
	// reserver and the markers: waiting in toReserve or toMark, being reserved, or held
	// by a marker (which makes at most --workers marks).
	atWorkers, atMarkers := 0, 0
	eof := false
	var readErr, admitErr error

	complete := func(j *job) error {
		if j.marked {
			atMarkers--
		} else {
			atWorkers--
		}
		if j.stopCause != nil {
			stopRun(j.stopCause)
		}
		return r.release(j)
	}

	for {
		// Hand ready rows to free workers: with fewer rows at workers than workers, one
		// is waiting on jobs (or about to be, having handed its last row to done). Rows
		// that need a mark go to the markers, as far as toMark holds them.
		for len(r.ready) > 0 && atWorkers < r.opt.Workers && !r.stopping() {
			j := r.ready[0]
			r.ready = r.ready[1:]
			atWorkers++
			jobs <- j
		}
		for len(r.toMark) > 0 && atMarkers < cap(toReserve) && !r.stopping() {
			j := r.toMark[0]
			r.toMark = r.toMark[1:]
			j.marked = true
			atMarkers++
			toReserve <- j
		}
		if r.stopping() {
			break
		}
		// Read ahead while the window allows.
		if !eof && r.seq-r.low < len(r.flushed) {
			j, ok, err := r.next()
			switch {
			case err != nil:
				// The rows read before it go on as any others: what a broken file
				// sends then depends on where it breaks, not on how far the reader
				// had got when the error came.
				readErr, eof = err, true
			case !ok:
				eof = true
			default:
				if err := r.admit(j); err != nil {
					admitErr, eof = err, true
					stopRun(err)
				}
			}
			// Take any finished rows without waiting.
			select {
			case j := <-done:
				if err := complete(j); err != nil {
					return err
				}
			default:
			}
			continue
		}
		if eof && atWorkers == 0 && atMarkers == 0 && len(r.ready) == 0 && len(r.toMark) == 0 {
			break
		}
		r.rec.flush() // about to wait
		select {
		case j := <-done:
			if err := complete(j); err != nil {
				return err
			}
		case <-runCtx.Done():
		}
	}

	// Stopping (or done): let rows at workers and markers finish, skip whatever is left.
	for atWorkers > 0 || atMarkers > 0 {
		r.rec.flush() // about to wait
		if err := complete(<-done); err != nil {
			return err
		}
	}
	if admitErr != nil {
		return admitErr
	}
	if r.opt.Store != nil {
		if err := r.opt.Store.Flush(); err != nil {
			stopRun(fmt.Errorf("state: the outcome of some rows could not be recorded: %w", err))
		}
	}
	if cause := context.Cause(runCtx); cause != nil && runCtx.Err() != nil {
		if errors.Is(cause, context.Canceled) {
			cause = ErrStopped
		}
		r.stopped = cause
	}
	if readErr != nil {
		// The run stops there like any other stop, its results and summary complete up
		// to the last row read (see Result.ExitCode).
		r.inputBroke(readErr)
	}
	for len(r.ready) > 0 || len(r.toMark) > 0 {
		var j *job
		if len(r.ready) > 0 {
			j, r.ready = r.ready[0], r.ready[1:]
		} else {
			j, r.toMark = r.toMark[0], r.toMark[1:]
		}
		r.skip(j)
		if err := r.release(j); err != nil {
			return err
		}
	}
	if len(r.lanes) > 0 {
		// Rows still waiting on a lane are released as their predecessors are; all
		// predecessors have finished, so nothing can be left here.
		return fmt.Errorf("internal error: %d rows left waiting", len(r.lanes))
	}
	if readErr != nil {
		return nil // nothing more can be read
	}
	return r.skipRest(r.finish)
}

// reserveWindow × --workers is the most rows that need a mark a run holds at once:
// reserved, or marked and sent (see reserve).
const reserveWindow = 8

// admit takes a freshly read row: an invalid row finishes at once; a valid one joins
// the lanes of its customer identities and is ready when no earlier row of the same
// customer is unfinished.
func (r *runner) admit(j *job) error {
	if !j.res.Valid() {
		j.status = report.StatusInvalid
		return r.finish(j)
	}
	for _, l := range j.lanes {
		if prev := r.lanes[l]; prev != nil && !slices.Contains(prev.next, j) {
			prev.next = append(prev.next, j)
			j.deps++
		}
	}
	if j.deps > 0 {
		r.joinLanes(j)
	}
	// (A row no earlier row holds up joins the lanes only if prepare does not finish it
	// at once, as it does an unchanged row: see prepare.)
	if j.deps == 0 && j.res.Identity.Key != "" && j.res.Identity.Code == "" {
		// No earlier row of the key is unfinished: one may have finished.
		if o, ok := r.keys.get(j.res.Identity.Key); ok {
			j.laneCode, j.laneWeak, j.knownCard, j.laneUnknown = o.code, o.weak, o.card, o.unknown
		}
	}
	if j.deps == 0 {
		return r.prepare(j)
	}
	return nil
}

// prepare consults the state for a row whose earlier same-customer rows have all
// finished: an unchanged row finishes at once; a row without a code takes its
// customer's remembered code; a row an earlier run left in flight without a code ends
// unknown. Anything else joins the ready queue.
func (r *runner) prepare(j *job) error {
	if r.stopping() {
		r.skip(j)
		return r.release(j)
	}
	if j.laneCode != "" {
		j.fields = withCode(j.fields, j.laneCode)
		j.named = true
	}
	if j.knownCard != "" {
		j.fields = withoutField(j.fields, "card_number_generate")
	}
	// Only a code names the customer an earlier row may have made unseen: a card number
	// this row sends would make another (the API's rule 5), unless that row sent it.
	if j.laneUnknown != 0 && fieldOf(j.fields, "code") == "" && !r.opt.Force {
		j.status = report.StatusUnknown
		j.errMsg = fmt.Sprintf("an earlier row of this customer (row %d) got no answer, so it may have created the customer; "+
			"not sent so as not to create it twice (add the customer's code to the rows, or use --force)", j.laneUnknown)
		return r.release(j)
	}
	if r.opt.Store != nil && j.id != "" {
		e, ok, err := r.stateOf(j)
		if err != nil {
			return fmt.Errorf("state: %w", err)
		}
		if ok {
			switch {
			case !r.opt.Force && !e.InFlight && e.Code != "" && e.Hash == j.res.Hash:
				j.status, j.code, j.card = report.StatusUnchanged, e.Code, e.CardNumber
				return r.release(j)
			case j.res.Identity.Code == "" && (j.laneCode == "" || j.laneWeak) && e.Code != "":
				j.fields = withCode(withoutField(j.fields, "code"), e.Code)
				j.named = true
			}
			if e.CardNumber != "" && j.knownCard == "" {
				// The customer has a card: asking for one again would replace it.
				j.knownCard = e.CardNumber
				j.fields = withoutField(j.fields, "card_number_generate")
			}
			if e.InFlight && !j.repeatSafe() && !r.opt.Force {
				// (In flight: a request may have left; after a crash of the machine, also
				// a row that was only about to be sent.)
				// (The code it would have been sent with: the one to check.)
				j.status, j.code = report.StatusUnknown, cmp.Or(fieldOf(j.fields, "code"), e.Code)
				j.errMsg = "a previous run may have sent this row, and got no answer: " + j.notRepeatedMsg() +
					" (check the customer; add its code to the row, or use --force)"
				return r.release(j)
			}
		}
	}
	r.joinLanes(j)
	if r.opt.Store != nil && j.id != "" && !j.repeatSafe() {
		// (work marks it: see mark.)
		r.toMark = append(r.toMark, j)
	} else {
		r.ready = append(r.ready, j)
	}
	return nil
}

// joinLanes makes j the latest unfinished row of each of its customer identities, so
// that later rows of the customer wait for it. A row that finishes when it is admitted
// never joins them: it would leave them at once.
func (r *runner) joinLanes(j *job) {
	if j.laned {
		return
	}
	j.laned = true
	for _, l := range j.lanes {
		r.lanes[l] = j
	}
}

// stateOf returns the state's entry for j's identity: as the row's mapper read it when
// no earlier row of the run named the customer (nothing in this run can have written it
// since), else read afresh. Of an entry the mapper read, only the fields the run uses are
// set (Code, CardNumber, Hash, InFlight).
func (r *runner) stateOf(j *job) (state.Entry, bool, error) {
	if p := &j.pre; p.read && !j.seen {
		return state.Entry{Code: p.code, CardNumber: p.card, Hash: p.hash, InFlight: p.inFlight}, p.found, nil
	}
	return r.opt.Store.Get(j.id)
}

// prefetchedEntry is what the run uses of a row's state entry (see stateOf), as the
// row's mapper read it. It is held in the row's job, which is used again, rather than
// allocated for every row.
type prefetchedEntry struct {
	code, card string
	hash       [16]byte
	read       bool // the mapper read the entry
	found      bool // the state holds one
	inFlight   bool
}

// prefetched notes the row's state entry as its mapper read it (see prefetchState). An
// entry that could not be read is left to the dispatcher, which reads it again and meets
// the error itself.
func (j *job) prefetched(e state.Entry, ok bool, err error) {
	if err != nil {
		return
	}
	j.pre = prefetchedEntry{read: true, found: ok}
	if ok {
		j.pre.code, j.pre.card, j.pre.hash, j.pre.inFlight = e.Code, e.CardNumber, e.Hash, e.InFlight
	}
}

// stopping reports whether the run is stopping: no row is sent from now on.
func (r *runner) stopping() bool { return r.runCtx != nil && r.runCtx.Err() != nil }

// release finishes j and frees the rows of the same customer that waited for it.
func (r *runner) release(j *job) error {
	if j.laned {
		for _, l := range j.lanes {
			if r.lanes[l] == j {
				delete(r.lanes, l)
			}
		}
	}
	// What the rows after j need of it, read before finish: from then on the pipeline
	// may use j again (see finish).
	key := j.res.Identity.Key
	done := releasedRow{code: j.code, card: cmp.Or(j.card, j.knownCard), unknown: j.status == report.StatusUnknown,
		number: j.number, laneUnknown: j.laneUnknown}
	if done.unknown {
		// The code an unknown row shows is the one it was (or would have been) sent
		// with, no answer: its request may have made the customer under another code
		// (the API's rule 3).
		done.code = ""
	}
	if c := fieldOf(j.fields, "code"); done.code == "" && c != "" && j.status == report.StatusError && j.res.Valid() {
		// The row named its customer by this code, and got an error: the rows of its key
		// after it name that customer too, rather than make a new one, unless the state
		// remembers another code (the API may have refused the code itself). A row with
		// no answer passes nothing: its request may have made a customer under another
		// code (see the API's rule 3), so the rows after it are not sent without one.
		done.code, done.weak = c, true
	}
	noteKey := key != "" && j.res.Valid()
	next := j.next
	if err := r.finish(j); err != nil {
		return err
	}
	if noteKey {
		switch {
		case done.code != "" && (r.opt.Store == nil || done.weak || r.keys.has(key)):
			// A state remembers every code the API answered, but not a rejected row's
			// code, nor that a success came after a row with no answer.
			r.keys.note(key, keyOutcome{code: done.code, card: done.card, weak: done.weak})
		case done.unknown && done.code == "":
			// Also a row named by its code or card number: it may have made the customer
			// under a code no later row knows.
			r.keys.note(key, keyOutcome{unknown: cmp.Or(done.laneUnknown, done.number)})
		}
	}
	for _, n := range next {
		// A later row of the same key without a code of its own updates the customer
		// this row created or updated, even with no state database.
		sameKey := key != "" && key == n.res.Identity.Key
		if done.code != "" && n.res.Identity.Code == "" && n.laneCode == "" && sameKey {
			n.laneCode, n.laneWeak = done.code, done.weak
		}
		if sameKey && done.card != "" {
			n.knownCard = done.card
		}
		// After a row of the key that may have created the customer unseen, a later
		// row of the key with no code would create it a second time.
		if done.unknown && done.code == "" && n.laneCode == "" && n.laneUnknown == 0 && sameKey {
			n.laneUnknown = done.number
			if done.laneUnknown != 0 {
				n.laneUnknown = done.laneUnknown
			}
		}
		n.deps--
		if n.deps == 0 {
			if err := r.prepare(n); err != nil {
				return err
			}
		}
	}
	return nil
}

// releasedRow is what release keeps of a finished row for the rows after it.
type releasedRow struct {
	code, card  string // card: the row's card number, or the one it knew
	weak        bool   // code is the one the row named, not one the API answered
	unknown     bool   // the row ended unknown
	number      int
	laneUnknown int
}

// fieldOf returns the value of the field name in fields, "" if there is none.
func fieldOf(fields []mapping.Field, name string) string {
	for _, f := range fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// withoutField returns fields without the named field; fields itself when it has none.
func withoutField(fields []mapping.Field, name string) []mapping.Field {
	i := slices.IndexFunc(fields, func(f mapping.Field) bool { return f.Name == name })
	if i < 0 {
		return fields
	}
	return slices.Concat(fields[:i:i], fields[i+1:])
}

// withCode returns fields with a code field added in catalogue position (first).
func withCode(fields []mapping.Field, code string) []mapping.Field {
	out := make([]mapping.Field, 0, len(fields)+1)
	out = append(out, mapping.Field{Name: "code", Value: code})
	return append(out, fields...)
}
