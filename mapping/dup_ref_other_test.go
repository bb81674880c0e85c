//go:build !unix

package mapping

// allocRefSlots is allocSlots as it was for refDupTable: here, on the Go heap.
func allocRefSlots(n int) ([]refDupSlot, []byte) { return make([]refDupSlot, n), nil }
