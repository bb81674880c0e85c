package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name                    string
		live, roots, floor, min uint64
		want                    int
	}{
		{"before the first collection", 0, 0, 48 * mb, 200, 200},
		{"tiny heap capped by the runtime's minimum goal", 1 << 10, 0, 48 * mb, 200, 1200},
		{"small heap reaches the floor", 4 * mb, 0, 48 * mb, 200, 1100},
		{"roots count in the goal", 4 * mb, 4 * mb, 48 * mb, 200, 550},
		{"heap at a third of the floor", 16 * mb, 0, 48 * mb, 200, 200},
		{"heap near the floor keeps min", 40 * mb, 0, 48 * mb, 200, 200},
		{"heap over the floor keeps min", 100 * mb, 0, 48 * mb, 200, 200},
		{"custom min", 30 * mb, 0, 48 * mb, 50, 60},
		{"floor below the runtime's minimum", 1 * mb, 0, 2 * mb, 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percent(tt.live, tt.roots, tt.floor, tt.min); got != tt.want {
				t.Errorf("Percent(%d, %d, %d, %d) = %d, want %d", tt.live, tt.roots, tt.floor, tt.min, got, tt.want)
			}
		})
	}
}

// TestTune checks that the tuner follows collections and that Stop restores GOGC.
func TestTune(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	tu := Tune(Floor, Min)
	// The test binary's live heap is a few MB: the floor calls for a high percentage.
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for tu.GOGC() <= Min && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := tu.GOGC(); got <= Min {
		t.Fatalf("GOGC after collections = %d, want above %d for a small heap", got, Min)
	}
	if got := debug.SetGCPercent(-1); got != tu.GOGC() {
		t.Errorf("runtime GOGC = %d, tuner says %d", got, tu.GOGC())
	}
	debug.SetGCPercent(tu.GOGC())

	// A large live heap brings it down to Min.
	ballast := make([]byte, 2*Floor)
	for i := range ballast {
		if i%4096 == 0 {
			ballast[i] = 1
		}
	}
	deadline = time.Now().Add(5 * time.Second)
	for tu.GOGC() != Min && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := tu.GOGC(); got != Min {
		t.Errorf("GOGC with a %d MB live heap = %d, want %d", len(ballast)>>20, got, Min)
	}
	runtime.KeepAlive(ballast)

	tu.Stop()
	tu.Stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC after Stop = %d, want the 100 found by Tune", got)
	}
	// After Stop, collections change nothing.
	debug.SetGCPercent(77)
	runtime.GC()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if got := debug.SetGCPercent(100); got != 77 {
		t.Errorf("GOGC changed after Stop: %d", got)
	}
}
