package importer

// recentKeys is how many finished keys a run remembers (see keyMemory).
const recentKeys = 1 << 16

// keyOutcome is what the last finished row of a key left for later rows of that key.
type keyOutcome struct {
	code, card string // the customer's code and card number, when the row got them
	unknown    int    // the row that got no answer (it may have created the customer); 0 if none
	weak       bool   // code is one a rejected row named, not one the API answered (see release)
}

// keyMemory remembers the outcome of the rows of the last recentKeys keys that finished,
// so that a later row of the same key that has no code of its own updates the customer
// an earlier row created (or, after an unanswered row, is not sent), even once that row
// has left the lanes, and even without a state database. It is bounded: rows of one key
// further apart than that rely on the state (the default), which remembers every key.
type keyMemory struct {
	m    map[string]keyEntry
	ring []string // keys in the order they were noted; ring[next] is the oldest
	next int
}

type keyEntry struct {
	keyOutcome
	slot int // the key's place in ring
}

func newKeyMemory(n int) *keyMemory {
	return &keyMemory{m: make(map[string]keyEntry), ring: make([]string, n)}
}

// note records o as the outcome of key's latest finished row, forgetting the oldest key
// when full.
func (k *keyMemory) note(key string, o keyOutcome) {
	if e, ok := k.m[key]; ok {
		e.keyOutcome = o
		k.m[key] = e
		return
	}
	if old := k.ring[k.next]; old != "" {
		if e, ok := k.m[old]; ok && e.slot == k.next {
			delete(k.m, old)
		}
	}
	k.ring[k.next] = key
	k.m[key] = keyEntry{keyOutcome: o, slot: k.next}
	k.next = (k.next + 1) % len(k.ring)
}

// has reports whether k remembers key.
func (k *keyMemory) has(key string) bool {
	_, ok := k.m[key]
	return ok
}

// get returns the outcome noted for key.
func (k *keyMemory) get(key string) (keyOutcome, bool) {
	e, ok := k.m[key]
	return e.keyOutcome, ok
}
