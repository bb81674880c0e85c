//go:build linux && !arm

package report

import (
	"os"
	"syscall"
)

const writebackSupported = true

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE: start writing the range's dirty pages
// without waiting for them.
const syncFileRangeWrite = 2

// syncRange asks the system to start writing the n bytes of f from off to disk. It is
// only a hint: an error is ignored (the final Sync reports what matters).
func syncRange(f *os.File, off, n int64) {
	c, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = c.Control(func(fd uintptr) {
		_ = syscall.SyncFileRange(int(fd), off, n, syncFileRangeWrite)
	})
}
