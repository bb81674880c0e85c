package mapping

import "syscall"

// dropSlots tells the kernel that a page-aligned part of a mapping from allocSlots will not
// be read again, so that its pages leave the resident set at once.
func dropSlots(mem []byte) {
	// Only a hint: if it fails, the pages go when the mapping is unmapped.
	_ = syscall.Madvise(mem, syscall.MADV_DONTNEED)
}

// hugeSlots asks for a large mapping from allocSlots to be backed by huge pages where the
// system allows it: lookups at random places in a table of many megabytes miss the TLB
// far less.
func hugeSlots(mem []byte) {
	// Only a hint.
	_ = syscall.Madvise(mem, syscall.MADV_HUGEPAGE)
}

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14), which the syscall package lacks.
const madvPopulateWrite = 23

// populateSlots has the kernel hand out the pages of a mapping from allocSlots at once,
// rather than one fault at a time as they are first written.
func populateSlots(mem []byte) {
	// Only a hint: an older kernel refuses it, and the pages come as they are written.
	_ = syscall.Madvise(mem, madvPopulateWrite)
}
