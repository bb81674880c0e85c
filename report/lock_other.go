//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package report

import (
	"errors"
	"os"
)

// errLocked is tryLock's error when another open file holds the lock.
var errLocked = errors.New("locked")

// tryLock does nothing here: this system has no advisory lock that os exposes.
func tryLock(*os.File) error { return nil }

// openNoFollow is not available here: the symbolic link check in openPartial stands alone.
const openNoFollow = 0

// ownedByOther is not known here: false.
func ownedByOther(os.FileInfo) bool { return false }
