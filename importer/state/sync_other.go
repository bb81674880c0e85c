//go:build !linux

package state

import (
	"errors"
	"os"
)

// fdatasync makes f's data durable: a full fsync where fdatasync is not available.
func fdatasync(f *os.File) error { return f.Sync() }

// preallocate is not supported here: the log grows as it is written.
func preallocate(*os.File, int64) error { return errors.ErrUnsupported }

// machineBootID is unknown here: a Store cannot tell a crashed process from a stopped
// machine, and waits for the disk before every request (see Store.Reserve).
func machineBootID() string { return "" }
