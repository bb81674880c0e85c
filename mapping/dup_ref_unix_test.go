//go:build unix

package mapping

import (
	"syscall"
	"unsafe"
)

// allocRefSlots is allocSlots as it was for refDupTable: an anonymous private mapping.
func allocRefSlots(n int) ([]refDupSlot, []byte) {
	mem, err := syscall.Mmap(-1, 0, n*16, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]refDupSlot, n), nil
	}
	return unsafe.Slice((*refDupSlot)(unsafe.Pointer(unsafe.SliceData(mem))), n), mem
}
