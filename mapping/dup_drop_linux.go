package mapping

import "syscall"

// dropSlots tells the kernel that a page-aligned part of a mapping from allocSlots will not
// be read again, so that its pages leave the resident set at once.
func dropSlots(mem []byte) {
	// Only a hint: if it fails, the pages go when the mapping is unmapped.
	_ = syscall.Madvise(mem, syscall.MADV_DONTNEED)
}
