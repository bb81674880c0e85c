package importer

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }
func limitOf(l *limiter) float64         { return float64(l.lim.Limit()) }
func waitN(t *testing.T, l *limiter, n int) {
	t.Helper()
	for range n {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLimiterThrottle(t *testing.T) {
	t.Run("halves once per second and recovers step by step", func(t *testing.T) {
		clk := newFakeClock()
		l := newLimiter(10, 1, clk.now)
		l.Throttled()
		if got := limitOf(l); got != 5 {
			t.Fatalf("after a 429: %v/s, want 5", got)
		}
		l.Throttled() // the same congestion: no second cut
		if got := limitOf(l); got != 5 {
			t.Fatalf("second 429 within a second: %v/s, want 5", got)
		}
		clk.add(1100 * time.Millisecond)
		l.Throttled()
		if got := limitOf(l); got != 2.5 {
			t.Fatalf("a second later: %v/s, want 2.5", got)
		}
		for range 4 {
			l.Succeeded()
		}
		if got := limitOf(l); got != 4.5 {
			t.Fatalf("after 4 successes: %v/s, want 4.5 (+0.5 each)", got)
		}
		for range 100 {
			l.Succeeded()
		}
		if got := limitOf(l); got != 10 {
			t.Fatalf("recovered to %v/s, want the configured 10", got)
		}
	})
	t.Run("never below the floor", func(t *testing.T) {
		clk := newFakeClock()
		l := newLimiter(1, 1, clk.now)
		for range 20 {
			clk.add(2 * time.Second)
			l.Throttled()
		}
		if got := l.lim.Limit(); got != minRate {
			t.Fatalf("%v/s, want the floor %v", got, minRate)
		}
	})
	t.Run("unlimited starts from the last second's rate and lifts again", func(t *testing.T) {
		clk := newFakeClock()
		l := newLimiter(0, 1, clk.now)
		for range 10 {
			waitN(t, l, 40)
			clk.add(100 * time.Millisecond)
		}
		l.Throttled()
		if got := limitOf(l); got < 150 || got > 200 {
			t.Fatalf("after a 429: %v/s, want about half of 400 (some requests fell out of the window)", got)
		}
		for range 40 {
			l.Succeeded()
		}
		if l.lim.Limit() != rate.Inf {
			t.Fatalf("still limited at %v/s after recovering", l.lim.Limit())
		}
		if l.Waits() != 400 {
			t.Fatalf("%d waits counted, want 400", l.Waits())
		}
	})
}
