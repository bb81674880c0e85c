//go:build !unix

package sheet

import "time"

var csvStartTime = time.Now()

// csvCPUTime falls back to wall time where getrusage is not available.
func csvCPUTime() time.Duration { return time.Since(csvStartTime) }
