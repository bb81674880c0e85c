//go:build linux

package state

import (
	"os"
	"strings"
	"syscall"
)

// fdatasync makes f's data durable, and of its metadata only what reading the data needs
// (a preallocated file needs none).
func fdatasync(f *os.File) error {
	if err := onFD(f, func(fd int) error { return syscall.Fdatasync(fd) }); err != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
	}
	return nil
}

// preallocate reserves the first size bytes of f (reading as zeros), growing the file.
func preallocate(f *os.File, size int64) error {
	return onFD(f, func(fd int) error { return syscall.Fallocate(fd, 0, 0, size) })
}

// onFD calls call with f's descriptor, again while it is interrupted (EINTR).
func onFD(f *os.File, call func(fd int) error) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := conn.Control(func(fd uintptr) {
		for {
			if serr = call(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}

// machineBootID returns the id Linux gives this boot of the machine ("" if unreadable).
func machineBootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(b))
	if len(id) == 0 || len(id) > walBootLen || strings.ContainsFunc(id, func(r rune) bool { return r < '!' || r > '~' }) {
		return ""
	}
	return id
}
