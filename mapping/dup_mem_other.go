//go:build !unix

package mapping

// allocSlots returns n zeroed slots on the Go heap; mem is always nil on this platform.
func allocSlots(n int) (slots []dupSlot, mem []byte) { return make([]dupSlot, n), nil }

// freeSlots does nothing: heap slots are the garbage collector's.
func freeSlots([]byte) {}
