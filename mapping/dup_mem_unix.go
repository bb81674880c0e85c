//go:build unix

package mapping

import (
	"syscall"
	"unsafe"
)

// allocSlots returns n zeroed slots in an anonymous private memory mapping, outside the Go
// heap, and the mapping (for freeSlots). The kernel hands out zero pages as they are first
// written, so the untouched part of a table costs nothing. Where mapping fails, the slots
// come from the Go heap and mem is nil.
func allocSlots(n int) (slots []dupSlot, mem []byte) {
	mem, err := syscall.Mmap(-1, 0, n*int(unsafe.Sizeof(dupSlot{})),
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]dupSlot, n), nil
	}
	if len(mem) >= dupHugeBytes {
		hugeSlots(mem)
	}
	// A mapping is page-aligned, which is more than a dupSlot needs.
	return unsafe.Slice((*dupSlot)(unsafe.Pointer(unsafe.SliceData(mem))), n), mem
}

// freeSlots unmaps a mapping from allocSlots; nil does nothing.
func freeSlots(mem []byte) {
	if mem == nil {
		return
	}
	// Munmap fails only on a slice it did not map, which allocSlots rules out.
	_ = syscall.Munmap(mem)
}
