//go:build !linux

package mapping

// dropSlots does nothing here: the old table's pages go when it is unmapped.
func dropSlots([]byte) {}

// hugeSlots does nothing here.
func hugeSlots([]byte) {}

// populateSlots does nothing here.
func populateSlots([]byte) {}
