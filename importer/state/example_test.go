package state_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/custimport/custimport/importer/state"
)

// A run marks a row's identity in flight before its request leaves, and records the
// outcome after; the next night's run finds the code and the fingerprint.
func Example() {
	dir, err := os.MkdirTemp("", "state")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "custimport", "demo.db")

	s, err := state.Open(path, state.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Begin("key:C-1001"); err != nil {
		log.Fatal(err)
	}
	// ... the request is sent and answered ...
	if err := s.Finish("key:C-1001", state.Entry{
		Code: "1234567", Status: "new", Hash: [16]byte{0xfe},
		Time: time.Date(2026, 11, 27, 2, 30, 0, 0, time.UTC),
	}); err != nil {
		log.Fatal(err)
	}
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}

	// The next night, or a dry run: read-only, nothing is written.
	ro, err := state.Open(path, state.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer ro.Close()
	e, ok, err := ro.Get("key:C-1001")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ok, e.Code, e.HasHash(), e.InFlight)
	if err := ro.Export(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// true 1234567 true false
	// identity_kind,identity,code,card_number,last_status,last_sent
	// key,C-1001,1234567,,new,2026-11-27T02:30:00Z
}
