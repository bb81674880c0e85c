//go:build unix

package sheet

import (
	"syscall"
	"time"
)

// csvCPUTime is the CPU time the process has used so far, all threads (the garbage
// collector's too) together. Benchmarks compare it rather than wall time, which other
// work on a shared machine would skew.
func csvCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
