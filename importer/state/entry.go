package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Entry is what the state remembers about one customer identity.
type Entry struct {
	// Code and CardNumber are what the API returned for the customer.
	Code, CardNumber string
	// Hash is the fingerprint of the fields last sent successfully; zero if none was.
	Hash [16]byte
	// Status is the last status the identity ended with: new, update, error, unknown, ...
	Status string
	// Time is when Status was recorded (UTC).
	Time time.Time
	// InFlight is true from Begin until Finish or Abandon: a request for the identity
	// may have left without its answer being recorded.
	InFlight bool
	// Reserved is true from Reserve until Begin, Finish, Abandon or Unreserve: a request
	// for the identity is about to leave, and none has yet. Only the run that reserved
	// the identity sees it set: a Store opened after a crash resolves it (see Reserve).
	Reserved bool
}

// empty reports whether e holds nothing: an identity reserved, then cleared, never sent.
// The state holds no entry for it.
func (e Entry) empty() bool { return e == Entry{} }

// HasHash reports whether e holds the fingerprint of a successful send.
func (e Entry) HasHash() bool { return e.Hash != [16]byte{} }

// ErrBadEntry marks a stored entry that cannot be decoded.
var ErrBadEntry = errors.New("unreadable state entry")

// The entry encoding, version 1:
//
//	byte     version (1)
//	byte     flags: flagInFlight | flagHash | flagTime | flagReserved
//	[16]byte hash, when flagHash
//	varint   seconds since 1970 UTC, when flagTime
//	uvarint  nanoseconds within the second, when flagTime
//	uvarint length + bytes of Status, Code, CardNumber in that order
//
// A typical entry (code, card number, status, time, hash) takes about 50 bytes, against
// about 150 as JSON (see BenchmarkEncodeEntry).
const (
	entryVersion = 1

	flagInFlight = 1 << 0
	flagHash     = 1 << 1
	flagTime     = 1 << 2
	flagReserved = 1 << 3
	flagsKnown   = flagInFlight | flagHash | flagTime | flagReserved
)

// appendEntry appends the encoding of e to b.
func appendEntry(b []byte, e Entry) []byte {
	var flags byte
	if e.InFlight {
		flags |= flagInFlight
	}
	if e.Reserved {
		flags |= flagReserved
	}
	if e.HasHash() {
		flags |= flagHash
	}
	if !e.Time.IsZero() {
		flags |= flagTime
	}
	b = append(b, entryVersion, flags)
	if flags&flagHash != 0 {
		b = append(b, e.Hash[:]...)
	}
	if flags&flagTime != 0 {
		b = binary.AppendVarint(b, e.Time.Unix())
		b = binary.AppendUvarint(b, uint64(e.Time.Nanosecond()))
	}
	for _, s := range [...]string{e.Status, e.Code, e.CardNumber} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// decodeEntry decodes an entry written by appendEntry. It never keeps a reference to b.
func decodeEntry(b []byte) (Entry, error) {
	var e Entry
	if len(b) < 2 {
		return e, fmt.Errorf("%w: %d bytes", ErrBadEntry, len(b))
	}
	if b[0] != entryVersion {
		return e, fmt.Errorf("%w: encoding version %d", ErrBadEntry, b[0])
	}
	flags := b[1]
	if flags&^flagsKnown != 0 {
		return e, fmt.Errorf("%w: flags %#x", ErrBadEntry, flags)
	}
	b = b[2:]
	e.InFlight = flags&flagInFlight != 0
	e.Reserved = flags&flagReserved != 0
	if flags&flagHash != 0 {
		if len(b) < len(e.Hash) {
			return e, fmt.Errorf("%w: hash cut short", ErrBadEntry)
		}
		copy(e.Hash[:], b)
		b = b[len(e.Hash):]
	}
	if flags&flagTime != 0 {
		sec, n := binary.Varint(b)
		if n <= 0 {
			return e, fmt.Errorf("%w: time", ErrBadEntry)
		}
		b = b[n:]
		nsec, n := binary.Uvarint(b)
		if n <= 0 || nsec >= uint64(time.Second) {
			return e, fmt.Errorf("%w: time", ErrBadEntry)
		}
		b = b[n:]
		e.Time = time.Unix(sec, int64(nsec)).UTC()
	}
	for i, s := range [...]*string{&e.Status, &e.Code, &e.CardNumber} {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return Entry{}, fmt.Errorf("%w: string cut short", ErrBadEntry)
		}
		switch {
		case i == 0:
			*s = status(b[n : n+int(l)])
		case l > 0: // (an empty card number is common)
			*s = string(b[n : n+int(l)])
		}
		b = b[n+int(l):]
	}
	if len(b) != 0 {
		return Entry{}, fmt.Errorf("%w: %d trailing bytes", ErrBadEntry, len(b))
	}
	return e, nil
}

// status returns the common statuses without allocating: a nightly run reads one entry
// per row.
func status(b []byte) string {
	switch string(b) {
	case "new":
		return "new"
	case "update":
		return "update"
	case "unchanged":
		return "unchanged"
	case "error":
		return "error"
	case "unknown":
		return "unknown"
	case "":
		return ""
	}
	return string(b)
}
