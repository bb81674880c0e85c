//go:build !unix

package importer

import "time"

// cpuTime is unknown here: the benchmarks report no CPU figures.
func cpuTime() time.Duration { return 0 }

// settleDisk does nothing here.
func settleDisk() {}
