//go:build unix

package importer

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used so far, all threads together. The send
// benchmarks report it beside wall time: on a machine shared with other work, CPU spent
// per row is the steadier figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// settleDisk has the system write every file's pending data to disk, so that what one
// side of a benchmark left for the disk (a dry run's results, which it does not sync; an
// input file just generated) is not written while the other side is timed. The
// benchmarks call it with their timers stopped.
func settleDisk() { syscall.Sync() }
