//go:build !unix

package state

// processAlive cannot tell here: a process id in the pid file is taken to be a live run.
func processAlive(int) bool { return true }
