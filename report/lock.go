package report

import (
	"errors"
	"fmt"
	"os"
)

// ErrBusy is the cause of Create's error when another process is writing the same results
// file.
var ErrBusy = errors.New("another run is writing these results")

// lockPartial opens the partial file at path (creating it when missing) and takes its
// lock, without waiting, so that two runs writing the same results (a dry run started
// during a real run of the same input, say) cannot write over each other's rows. The lock
// lasts until the returned file is closed, which Writer does once the results are in
// place. Where the system or the file system has no such lock, the file is only opened.
func lockPartial(path string) (*os.File, error) { return lockPartialWith(path, tryLock) }

// lockPartialWith is lockPartial with lock standing in for tryLock.
func lockPartialWith(path string, lock func(*os.File) error) (*os.File, error) {
	// The run that holds the lock may rename the file away between this open and the lock
	// being taken: the lock is then on its results, not on the partial file, so try again.
	for range 8 {
		f, err := openPartial(path, os.O_RDWR)
		if err != nil {
			return nil, err
		}
		if err := lock(f); errors.Is(err, errLocked) {
			_ = f.Close()
			return nil, fmt.Errorf("%w (%s is in use): give this run its own --results", ErrBusy, path)
		} else if err != nil {
			// A file system without locks (some network mounts): the results are
			// written all the same, unguarded, as where the system has none.
			return f, nil
		}
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr == nil && perr == nil && os.SameFile(fi, pi) {
			return f, nil
		}
		_ = f.Close()
	}
	return nil, fmt.Errorf("%w (%s keeps changing)", ErrBusy, path)
}

// openPartial opens (creating it when missing) the partial file at path with flag, as a
// file of the results: a regular file of this user's, not a symbolic link, of mode
// fileMode. A partial file left by an earlier run may have another mode, and in a
// directory shared with others it may be a file or a link planted to receive the
// results, which hold personal data.
func openPartial(path string, flag int) (*os.File, error) {
	// Checked before opening too: opening a FIFO to write waits for a reader.
	if fi, err := os.Lstat(path); err == nil {
		if err := checkPartial(path, fi); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, flag|os.O_CREATE|openNoFollow, fileMode)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkPartial(path, fi)
	}
	if err == nil && fi.Mode().Perm() != fileMode {
		if cerr := f.Chmod(fileMode); cerr != nil {
			err = fmt.Errorf("%s has mode %v and cannot be made %v (%w): remove it, or give the results another name",
				path, fi.Mode().Perm(), os.FileMode(fileMode), cerr)
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// checkPartial refuses a partial file that is not a regular file of this user's.
func checkPartial(path string, fi os.FileInfo) error {
	what := ""
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		what = "is a symbolic link"
	case !fi.Mode().IsRegular():
		what = "is not a regular file"
	case ownedByOther(fi):
		what = "belongs to another user"
	default:
		return nil
	}
	return fmt.Errorf("%s %s: remove it, or give the results another name", path, what)
}
