//go:build !linux

package mapping

// dropSlots does nothing here: the old table's pages go when it is unmapped.
func dropSlots([]byte) {}
