package importer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// limiter is the one token bucket every request of a run waits on. A 429 from the API
// halves its rate for every worker at once (at most once a second: the 429s of one
// congestion count once); each success afterwards wins back a little, so that the run
// recovers gradually instead of hammering again.
type limiter struct {
	lim   *rate.Limiter
	base  rate.Limit // the configured rate; rate.Inf when unlimited
	waits atomic.Int64

	mu      sync.Mutex
	now     func() time.Time
	recent  [10]bucket // requests per tenth of a second over the last second (unlimited base)
	lastCut time.Time  // when the rate was last halved
	ceiling rate.Limit // unlimited base: the rate at which to lift the limit again
}

// newLimiter returns a limiter of perSecond requests per second (0 or less: unlimited)
// with the given burst.
func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	base := rate.Inf
	if perSecond > 0 {
		base = rate.Limit(perSecond)
	}
	if burst < 1 {
		burst = 1
	}
	return &limiter{lim: rate.NewLimiter(base, burst), base: base, now: now}
}

// Wait blocks until a request may leave, or ctx ends.
func (l *limiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	if err := l.lim.Wait(ctx); err != nil {
		return err
	}
	if l.base == rate.Inf {
		tenth := l.now().UnixMilli() / 100
		l.mu.Lock()
		b := &l.recent[tenth%int64(len(l.recent))]
		if b.tenth != tenth {
			*b = bucket{tenth: tenth}
		}
		b.n++
		l.mu.Unlock()
	}
	return nil
}

// bucket counts the requests of one tenth of a second.
type bucket struct {
	tenth int64 // Unix time in tenths of a second
	n     int
}

// lastSecond counts the requests of the last second. l.mu must be held.
func (l *limiter) lastSecond() int {
	now := l.now().UnixMilli() / 100
	n := 0
	for _, b := range l.recent {
		if now-b.tenth < int64(len(l.recent)) {
			n += b.n
		}
	}
	return n
}

// minRate is the floor a run slows down to, however often it is throttled.
const minRate = rate.Limit(0.2)

// Throttled halves the shared rate, unless it was halved less than a second ago.
func (l *limiter) Throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.lastCut.IsZero() && now.Sub(l.lastCut) < time.Second {
		return
	}
	l.lastCut = now
	cur := l.lim.Limit()
	if cur == rate.Inf {
		// Unlimited so far: start from what the last second achieved.
		cur = max(rate.Limit(l.lastSecond()), 1)
		l.ceiling = cur
	}
	l.lim.SetLimit(max(cur/2, minRate))
}

// Succeeded wins back a twentieth of the configured rate (unlimited: of the rate at the
// first 429), up to the configured rate.
func (l *limiter) Succeeded() {
	if l.lim.Limit() == l.base {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := l.lim.Limit()
	if cur == l.base {
		return
	}
	top := l.base
	if top == rate.Inf {
		top = l.ceiling
	}
	next := cur + max(top/20, minRate)
	if next >= top {
		next = l.base
	}
	l.lim.SetLimit(next)
}

// Waits reports how many times Wait was called: one per request.
func (l *limiter) Waits() int64 { return l.waits.Load() }
