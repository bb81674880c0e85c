package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errSameFile is wrapped by the error that refuses an output path naming a file the
// command reads, or another output.
var errSameFile = errors.New("names the same file as")

// namedPath is a file a command reads or writes, with what names it (a flag, or "the
// input").
type namedPath struct {
	name, path string
}

// checkOutputs refuses any output that is the same file as one of inputs or as an
// earlier output, before anything is read or written: a results file or a summary
// written over the customer list, the mapping or the state would destroy it. Empty
// paths are skipped.
func checkOutputs(outputs, inputs []namedPath) error {
	var errs []error
	for i, out := range outputs {
		if out.path == "" {
			continue
		}
		others := append(append([]namedPath{}, inputs...), outputs[:i]...)
		for _, in := range others {
			if in.path != "" && samePath(out.path, in.path) {
				errs = append(errs, fmt.Errorf("%s %q %w %s %q: refusing to overwrite it", out.name, out.path, errSameFile, in.name, in.path))
			}
		}
	}
	return errors.Join(errs...)
}

// samePath reports whether a and b name one file: the same cleaned absolute path, or,
// when both exist, the same file by os.SameFile (hard links, symbolic links). Where
// either is missing, their directories are compared with symbolic links resolved.
func samePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA == nil && errB == nil && absA == absB {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	if errA == nil || errB == nil {
		// One exists and the other does not: not one file. (A dangling symbolic link
		// that would create the existing file cannot be: the file exists.)
		return false
	}
	ra, okA := resolveDir(absA)
	rb, okB := resolveDir(absB)
	return okA && okB && ra == rb
}

// resolveDir returns abs with its directory's symbolic links resolved.
func resolveDir(abs string) (string, bool) {
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", false
	}
	return filepath.Join(dir, filepath.Base(abs)), true
}
