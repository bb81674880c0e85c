package importer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// limiter is the one token bucket every request of a run waits on. A 429 from the API
// halves its rate for every worker at once; each success afterwards wins back a little of
// the configured rate, so that the run recovers gradually instead of hammering again.
type limiter struct {
	lim   *rate.Limiter
	base  rate.Limit // the configured rate; rate.Inf when unlimited
	waits atomic.Int64

	mu       sync.Mutex
	now      func() time.Time
	recent   []time.Time // start times of the last second's requests, when base is unlimited
	throttle int         // 429s seen
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
		l.mu.Lock()
		l.recent = append(l.recent, l.now())
		l.trimRecent()
		l.mu.Unlock()
	}
	return nil
}

// trimRecent drops request times older than a second. l.mu must be held.
func (l *limiter) trimRecent() {
	cut := l.now().Add(-time.Second)
	i := 0
	for i < len(l.recent) && l.recent[i].Before(cut) {
		i++
	}
	l.recent = append(l.recent[:0], l.recent[i:]...)
}

// minRate is the floor a run slows down to, however often it is throttled.
const minRate = rate.Limit(0.2)

// Throttled slows the shared rate to half of what it is now.
func (l *limiter) Throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttle++
	cur := l.lim.Limit()
	if cur == rate.Inf {
		// Unlimited so far: half of what the last second achieved.
		l.trimRecent()
		cur = rate.Limit(len(l.recent))
		if cur < 1 {
			cur = 1
		}
	}
	next := cur / 2
	if next < minRate {
		next = minRate
	}
	l.lim.SetLimit(next)
}

// Succeeded wins back a twentieth of the configured rate (or, when unlimited, 5% of the
// current rate), up to the configured rate.
func (l *limiter) Succeeded() {
	cur := l.lim.Limit()
	if cur == l.base {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cur = l.lim.Limit()
	var step rate.Limit
	if l.base == rate.Inf {
		step = cur / 20
		if step < 0.05 {
			step = 0.05
		}
	} else {
		step = l.base / 20
	}
	next := cur + step
	if l.base != rate.Inf && next >= l.base {
		next = l.base
	}
	if l.base == rate.Inf && next > 1e6 {
		next = rate.Inf
	}
	l.lim.SetLimit(next)
}

// Waits reports how many times Wait was called: one per request.
func (l *limiter) Waits() int64 { return l.waits.Load() }
