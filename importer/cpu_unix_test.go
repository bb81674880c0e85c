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
