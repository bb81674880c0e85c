package importer

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/report"
)

// work sends one row, retrying under the contract's rules, and records the outcome on
// the job and in the state. runCtx ends when the run stops: no new attempt starts after
// that. sendCtx outlives the stop so that a request already sent gets its answer (the
// client bounds it with its own timeout).
func (r *runner) work(runCtx, sendCtx context.Context, j *job) {
	store := r.opt.Store
	if store == nil || j.id == "" {
		store = nil
	}
	// A row that could create a customer, or add points, is marked in flight first (the
	// dispatcher gives such rows to markers: see mark).
	begun := false
	if store != nil && !j.repeatSafe() {
		if !r.mark(runCtx, j, store) {
			return
		}
		begun = true
	}
	for attempt := 1; ; attempt++ {
		if attempt == 1 && begun {
			// The mark took this attempt's turn on the limiter; the run may have
			// stopped while the mark was written.
			if runCtx.Err() != nil {
				r.stoppedBefore(j, store, true, 0)
				return
			}
		} else if err := r.lim.Wait(runCtx); err != nil {
			r.stoppedBefore(j, store, begun, attempt-1)
			return
		}
		out := r.sendOne(sendCtx, j)
		j.attempts = attempt
		j.latency = out.Latency
		r.requests.Add(1)
		if attempt > 1 {
			r.retries.Add(1)
		}
		if out.Throttled {
			r.throttled.Add(1)
			r.lim.Throttled()
		}
		if out.HTTPStatus != 0 || out.Kind == api.Success {
			r.answered.Add(1)
		}
		switch out.Kind {
		case api.Success:
			r.lim.Succeeded()
			j.status, j.code, j.card = report.Status(out.Status), out.Code, out.CardNumber
			// The customer's card from now on: as answered, else as the row sent it (an
			// answer may leave it out), else the one it had. Later rows of the customer
			// do not ask for another (see prepare).
			j.knownCard = cmp.Or(out.CardNumber, fieldOf(j.fields, "card_number"), j.knownCard)
			if store != nil {
				// The outcome joins the next group commit; the worker goes on. A crash
				// before that commit leaves the row as a crash during the request does.
				store.FinishAsync(j.id, state.Entry{
					// An update that asked for no card answers none: the customer keeps
					// the card it has.
					Code: out.Code, CardNumber: j.knownCard, Hash: j.res.Hash,
					Status: out.Status, Time: r.opt.Now().UTC(),
				})
			}
			return
		case api.Rejected, api.CredentialsRejected:
			j.status, j.errMsg = report.StatusError, "API error: "+out.Message
			switch {
			case out.Kind == api.CredentialsRejected:
				j.stopCause = fmt.Errorf("%w: %s", ErrCredentials, out.Message)
			case out.Endpoint:
				j.stopCause = fmt.Errorf("%w: %s", ErrEndpoint, out.Message)
			}
			r.abandon(j, store, "error")
			return
		case api.MaybeProcessed:
			if !j.repeatSafe() {
				// A repeat could create a second customer, or add points twice.
				j.status = report.StatusUnknown
				j.errMsg = "no usable answer (" + out.Message + "): " + j.notRepeatedMsg()
				// The in-flight marker stays, so that no later run sends this row
				// again without a code.
				return
			}
		}
		// NotProcessed, or MaybeProcessed for a row that names its customer: retry.
		if attempt > r.opt.Retries {
			j.status = report.StatusError
			j.errMsg = fmt.Sprintf("gave up after %s: %s", plural(attempt, "attempt", "attempts"), out.Message)
			if out.Kind == api.MaybeProcessed {
				j.errMsg = fmt.Sprintf("gave up after %s; the last may have been applied: %s", plural(attempt, "attempt", "attempts"), out.Message)
			} else if out.HTTPStatus == 0 && r.answered.Load() == 0 {
				// No request of this run has reached the API (no HTTP answer at all:
				// refused, DNS, TLS): every row would wait through its retries the same
				// way. (An API that answers 429 or 503 is there, only busy.)
				j.stopCause = fmt.Errorf("%w: %s", ErrUnreachable, out.Message)
			}
			r.abandon(j, store, "error")
			return
		}
		wait := r.backoff(attempt, out.RetryAfter)
		if wait >= longWait {
			// Otherwise a run that waits minutes for a Retry-After says nothing meanwhile.
			r.log.Warn("waiting before a retry", zap.Int("row", j.number), zap.Int("attempt", attempt),
				zap.Duration("wait", wait.Round(time.Second)), zap.String("reason", out.Message))
		}
		if !r.sleep(runCtx, wait) {
			if out.Kind == api.MaybeProcessed {
				j.status = report.StatusError
				j.errMsg = "the run stopped before a retry; the last attempt may have been applied: " + out.Message
			} else {
				j.status = report.StatusSkipped
				j.errMsg = "the run stopped before a retry; not applied: " + out.Message
			}
			r.abandon(j, store, string(j.status))
			return
		}
	}
}

// sendOne makes one request for j, in one of the run's send slots when it has them.
func (r *runner) sendOne(ctx context.Context, j *job) api.Outcome {
	if r.slots != nil {
		r.slots <- struct{}{}
		defer func() { <-r.slots }()
	}
	return r.opt.Sender.Send(ctx, j.fields)
}

// mark takes a row that could create a customer (no code or card number names it)
// through the two waits before its first request: its turn on the rate limiter, then its
// mark in flight, so that a crash from then on leaves the row marked as possibly
// processed. (A row whose repeat is safe needs no mark: repeating it after a crash
// updates the same customer; see repeatSafe.) It reports whether the row may be sent;
// else j.status says why it ends.
//
// The dispatcher gives such rows to the reserver (see reserve), then to markers, which
// then send them too, so that the workers go on sending other rows meanwhile. There are
// --workers markers, which keeps the contract's promise: a crash leaves at most
// --workers rows that may have been processed. (The state writes records in the order
// they were made: a mark in the log means the answers recorded before it are there too.)
func (r *runner) mark(runCtx context.Context, j *job, store Store) bool {
	if err := r.lim.Wait(runCtx); err != nil {
		r.stoppedBefore(j, nil, false, 0)
		r.unreserve(j, store)
		return false
	}
	if err := store.Begin(j.id); err != nil {
		j.status, j.errMsg = report.StatusSkipped, "state: "+err.Error()
		j.stopCause = fmt.Errorf("state: %w", err)
		return false
	}
	j.reserved = false
	return true
}

// reserve takes the rows that need a mark from in, reserves them in the state a group at
// a time (one sync for the group), and hands them to out, the markers. A reserved row's
// mark then goes without a sync of its own (see state.Store.Reserve): the markers'
// marks, one after another, would each wait for one. While the markers have a row each
// waiting in out, the group grows: they take rows from out, and rows come to in, as
// fast as they are sent, and a sync for every row or two would cost the machine more
// than the requests do. took wakes it when a marker takes a row.
//
// At most cap(in) rows are reserved or marked at once; after a crash of the machine,
// rather than of the process, they may all be left unknown. A group whose reservation
// fails ends skipped, stopping the run; a stopping run reserves nothing more.
func (r *runner) reserve(runCtx context.Context, in <-chan *job, out, done chan<- *job, took <-chan struct{}) {
	store := r.opt.Store
	lowWater := r.opt.Workers
	var group []*job
	var ids []string
	for j := range in {
		group = append(group[:0], j)
	gather:
		for len(group) < cap(in) {
			select {
			case j, ok := <-in:
				if !ok {
					break gather
				}
				group = append(group, j)
				continue
			default:
			}
			if len(out) < lowWater || runCtx.Err() != nil {
				break
			}
			select {
			case j, ok := <-in:
				if !ok {
					break gather
				}
				group = append(group, j)
			case <-took:
			case <-runCtx.Done():
			}
		}
		if runCtx.Err() == nil {
			ids = ids[:0]
			for _, j := range group {
				ids = append(ids, j.id)
			}
			if err := store.Reserve(ids); err != nil {
				for _, j := range group {
					j.status, j.errMsg = report.StatusSkipped, "state: "+err.Error()
					j.stopCause = fmt.Errorf("state: %w", err)
					done <- j
				}
				continue
			}
			for _, j := range group {
				j.reserved = true
			}
		}
		for _, j := range group {
			out <- j
		}
	}
}

// unreserve clears the reservation of a row that will not be sent.
func (r *runner) unreserve(j *job, store Store) {
	if store != nil && j.reserved {
		store.Unreserve(j.id)
		j.reserved = false
	}
}

// stoppedBefore ends a row whose next attempt never started because the run stopped.
func (r *runner) stoppedBefore(j *job, store Store, begun bool, attempts int) {
	j.attempts = attempts
	j.status = report.StatusSkipped
	if attempts > 0 {
		j.status = report.StatusError
		j.errMsg = "the run stopped before a retry"
	}
	if begun {
		r.abandon(j, store, string(j.status))
	}
}

// abandon clears the in-flight marker of a row whose last request surely was not
// applied, or was rejected, or names its customer (so that a rerun repeats it safely).
func (r *runner) abandon(j *job, store Store, status string) {
	if store == nil {
		return
	}
	if err := store.Abandon(j.id, status); err != nil {
		j.errMsg += "; state: " + err.Error()
		j.stopCause = fmt.Errorf("state: %w", err)
	}
}

// backoff is the wait before attempt+1: exponential with full jitter, capped, and at
// least what a Retry-After asked for.
func (r *runner) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceil := r.opt.BackoffBase << min(attempt-1, 20)
	if ceil > r.opt.BackoffMax || ceil <= 0 {
		ceil = r.opt.BackoffMax
	}
	r.randMu.Lock()
	d := time.Duration(r.opt.Rand.Int64N(int64(ceil) + 1))
	r.randMu.Unlock()
	return max(d, retryAfter)
}

// longWait is the shortest wait before a retry that the log tells of (a Retry-After can
// ask for up to api.MaxRetryAfter).
const longWait = 10 * time.Second

// sleep waits d, or until ctx ends; it reports whether the whole wait passed.
func (r *runner) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
