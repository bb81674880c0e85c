package state

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap/zaptest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var clock = time.Date(2026, 11, 27, 2, 30, 0, 0, time.UTC)

func fixedNow() time.Time { return clock }

// openTB opens a read-write store at path and closes it when the test ends.
func openTB(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(path, Options{Now: fixedNow, Logger: zaptest.NewLogger(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func mustGet(tb testing.TB, s *Store, id string) (Entry, bool) {
	tb.Helper()
	e, ok, err := s.Get(id)
	if err != nil {
		tb.Fatalf("Get(%q): %v", id, err)
	}
	return e, ok
}

func fileSum(tb testing.TB, path string) [32]byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "1.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		perm fs.FileMode
	}{{dir, 0o700}, {path, 0o600}, {path + ".lock", 0o600}, {segmentPath(path, 1), 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^c.perm != 0 {
			t.Errorf("%s: mode %v, want at most %v", c.path, got, c.perm)
		}
	}
	if pid := readPID(path + ".lock"); pid != os.Getpid() {
		t.Errorf("pid file holds %d, want %d", pid, os.Getpid())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pid file left after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestLockInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	first, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		t.Run(fmt.Sprintf("read-only=%v", ro), func(t *testing.T) {
			start := time.Now()
			s, err := Open(path, Options{ReadOnly: ro})
			if err == nil {
				s.Close()
				t.Fatal("second Open succeeded")
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("second Open took %v, want it at once", d)
			}
			checkLocked(t, err, path, os.Getpid())
		})
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	s := openTB(t, path)
	if err := s.Begin("key:x"); err != nil {
		t.Fatal(err)
	}
}

func checkLocked(tb testing.TB, err error, path string, pid int) {
	tb.Helper()
	if !errors.Is(err, ErrLocked) {
		tb.Fatalf("err = %v, want ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) || le.PID != pid || le.Path != path {
		tb.Fatalf("err = %#v, want path %q pid %d", err, path, pid)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, "pid "+strconv.Itoa(pid)) {
		tb.Errorf("message %q lacks the path or the pid", msg)
	}
}

// helper starts this test binary as a helper process (see TestMain).
func helper(tb testing.TB, name, path string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name, helperPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestLockCrossProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	cmd := helper(t, "hold", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	_, err = Open(path, Options{})
	checkLocked(t, err, path, cmd.Process.Pid)
	_, err = Open(path, Options{ReadOnly: true})
	checkLocked(t, err, path, cmd.Process.Pid)

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	openTB(t, path)
}

func TestBeginSurvivesCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	if out, err := helper(t, "crash", path).Output(); err != nil {
		t.Fatalf("helper: %v %s", err, out)
	}
	// The dead helper's pid file is still there; opening takes it over.
	s := openTB(t, path)
	if pid := readPID(path + ".lock"); pid != os.Getpid() {
		t.Errorf("pid file holds %d after reopening, want %d", pid, os.Getpid())
	}
	if e, ok := mustGet(t, s, "key:crashed"); !ok || !e.InFlight {
		t.Errorf("crashed identity: %+v, %v; want in flight", e, ok)
	}
	if e, ok := mustGet(t, s, "key:done"); !ok || e.InFlight || e.Code != "77" {
		t.Errorf("finished identity: %+v, %v", e, ok)
	}
}

func TestBeginSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Begin("key:a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish("key:b", Entry{Code: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTB(t, path)
	if e, ok := mustGet(t, s, "key:a"); !ok || !e.InFlight {
		t.Errorf("key:a = %+v, %v; want in flight", e, ok)
	}
	if e, ok := mustGet(t, s, "key:b"); !ok || e.InFlight || e.Code != "1" {
		t.Errorf("key:b = %+v, %v", e, ok)
	}
}

func TestOperations(t *testing.T) {
	sent := Entry{Code: "100", CardNumber: "5555", Hash: [16]byte{9}, Status: "new", Time: clock.Add(-time.Hour)}
	inFlight := sent
	inFlight.InFlight = true
	abandoned := sent
	abandoned.Status, abandoned.Time = "error", clock
	local := time.FixedZone("NZDT", 13*3600)

	type step func(s *Store, id string) error
	begin := func(s *Store, id string) error { return s.Begin(id) }
	finish := func(e Entry) step { return func(s *Store, id string) error { return s.Finish(id, e) } }
	abandon := func(st string) step { return func(s *Store, id string) error { return s.Abandon(id, st) } }

	tests := []struct {
		name   string
		steps  []step
		want   Entry
		wantOK bool
	}{
		{"nothing", nil, Entry{}, false},
		{"begin on a new identity", []step{begin}, Entry{InFlight: true}, true},
		{"finish after begin", []step{begin, finish(sent)}, sent, true},
		{"begin keeps code, card, hash, status", []step{finish(sent), begin}, inFlight, true},
		{"begin twice", []step{finish(sent), begin, begin}, inFlight, true},
		{"abandon keeps code and hash", []step{finish(sent), begin, abandon("error")}, abandoned, true},
		{"abandon without begin", []step{abandon("error")}, Entry{Status: "error", Time: clock}, true},
		{"finish with zero time takes the clock", []step{begin, finish(Entry{Code: "1", Status: "new"})},
			Entry{Code: "1", Status: "new", Time: clock}, true},
		{"finish stores UTC", []step{finish(Entry{Code: "1", Time: clock.In(local)})}, Entry{Code: "1", Time: clock}, true},
		{"finish clears in flight", []step{finish(inFlight)}, sent, true},
		{"finish replaces everything", []step{finish(sent), begin, finish(Entry{Status: "unknown", Time: clock})},
			Entry{Status: "unknown", Time: clock}, true},
	}
	s := openTB(t, filepath.Join(t.TempDir(), "1.db"))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("key:%d", i)
			for _, st := range tt.steps {
				if err := st(s, id); err != nil {
					t.Fatal(err)
				}
			}
			got, ok := mustGet(t, s, id)
			if ok != tt.wantOK || !entriesEqual(got, tt.want) || got.Time.Location() != time.UTC {
				t.Errorf("got %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.wantOK)
			}
			var viewed Entry
			if err := s.View(func(r *Reader) error {
				var err error
				viewed, ok, err = r.Get(id)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || !entriesEqual(viewed, tt.want) {
				t.Errorf("View: got %+v, %v", viewed, ok)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	rw := openTB(t, filepath.Join(dir, "rw.db"))
	ro, err := Open(filepath.Join(dir, "missing.db"), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	closed, err := Open(filepath.Join(dir, "closed.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    *Store
		id   string
		want error
	}{
		{"read-only", ro, "key:a", ErrReadOnly},
		{"empty identity", rw, "", ErrIdentity},
		{"identity too long", rw, strings.Repeat("x", maxIdentity+1), ErrIdentity},
		{"closed", closed, "key:a", ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, err := range map[string]error{
				"Begin":   tt.s.Begin(tt.id),
				"Finish":  tt.s.Finish(tt.id, Entry{}),
				"Abandon": tt.s.Abandon(tt.id, "error"),
			} {
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: %v, want %v", name, err, tt.want)
				}
			}
		})
	}
	if _, _, err := closed.Get("key:a"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := closed.Stats(); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close: %v", err)
	}
}

func TestReadOnlyMissingCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "custimport", "1.db")
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mustGet(t, s, "key:a"); ok {
		t.Error("Get found an entry in a missing state")
	}
	if err := s.View(func(r *Reader) error {
		_, ok, err := r.Get("key:a")
		if ok {
			t.Error("Reader found an entry in a missing state")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats()
	if err != nil || st.Identities != 0 {
		t.Errorf("Stats = %+v, %v", st, err)
	}
	var buf bytes.Buffer
	if err := s.Export(&buf); err != nil || buf.String() != strings.Join(ExportHeader, ",")+"\n" {
		t.Errorf("Export = %q, %v", buf.String(), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("read-only open of a missing file left %v, %v", ents, err)
	}
}

func TestReadOnlyLeavesFileByteIdentical(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "1.db")
	s, err := Open(path, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		id := fmt.Sprintf("key:%d", i)
		if err := s.Begin(id); err != nil {
			t.Fatal(err)
		}
		if i%7 != 0 {
			if err := s.Finish(id, Entry{Code: strconv.Itoa(i), Status: "new"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, path)
	fi, _ := os.Stat(path)

	// Two dry runs at once: the shared lock lets both in.
	var ros []*Store
	for range 2 {
		ro, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		ros = append(ros, ro)
	}
	for _, ro := range ros {
		if e, ok := mustGet(t, ro, "key:1"); !ok || e.Code != "1" {
			t.Errorf("key:1 = %+v, %v", e, ok)
		}
		if _, err := ro.Stats(); err != nil {
			t.Fatal(err)
		}
		if err := ro.Export(&bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if err := ro.Begin("key:1"); !errors.Is(err, ErrReadOnly) {
			t.Errorf("Begin on read-only: %v", err)
		}
	}
	for _, ro := range ros {
		if err := ro.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if fileSum(t, path) != before {
		t.Error("a read-only open changed the file")
	}
	if fi2, _ := os.Stat(path); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("a read-only open changed the file's modification time")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("read-only open left files: %v", ents)
	}
}

func TestCorruptFile(t *testing.T) {
	garbage := bytes.Repeat([]byte("not a bolt file "), 1024)
	tests := []struct {
		name  string
		write func(tb testing.TB, path string)
		want  error
	}{
		{"garbage", func(tb testing.TB, path string) { writeFile(tb, path, garbage) }, ErrCorrupt},
		{"too short", func(tb testing.TB, path string) { writeFile(tb, path, []byte("hello")) }, ErrCorrupt},
		{"foreign bolt file", func(tb testing.TB, path string) {
			boltFile(tb, path, func(tx *bolt.Tx) error {
				_, err := tx.CreateBucket([]byte("other"))
				return err
			})
		}, ErrCorrupt},
		{"damaged pages", func(tb testing.TB, path string) {
			s, err := Open(path, Options{})
			if err != nil {
				tb.Fatal(err)
			}
			for i := range 300 {
				if err := s.Finish(fmt.Sprintf("key:%d", i), Entry{Code: "1"}); err != nil {
					tb.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				tb.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				tb.Fatal(err)
			}
			// Keep the two meta pages, scramble the rest.
			for i := 2 * os.Getpagesize(); i < len(b); i++ {
				b[i] = byte(i * 7)
			}
			writeFile(tb, path, b)
		}, ErrCorrupt},
		{"newer schema", func(tb testing.TB, path string) {
			boltFile(tb, path, func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket(bucketMeta)
				if err != nil {
					return err
				}
				return b.Put(keySchema, []byte{0, 0, 0, SchemaVersion + 1})
			})
		}, ErrNewerSchema},
	}
	for _, tt := range tests {
		for _, ro := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/read-only=%v", tt.name, ro), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "1.db")
				tt.write(t, path)
				before := fileSum(t, path)
				s, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), path) {
					t.Errorf("err = %v, want %v naming the file", err, tt.want)
				}
				if fileSum(t, path) != before {
					t.Error("the failed Open changed the file")
				}
				if _, err := os.Stat(path + ".lock"); !errors.Is(err, fs.ErrNotExist) {
					t.Error("the failed Open left a pid file")
				}
				if tt.name == "damaged pages" && !ro {
					return // bbolt panicked with the file mapped: the lock stays (see boltOpen)
				}
				// The failed Open let go of the file.
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				openTB(t, path)
			})
		}
	}
}

func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func boltFile(tb testing.TB, path string, fn func(*bolt.Tx) error) {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

func TestUnreadableEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	boltFile(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEntries).Put([]byte("key:bad"), []byte{9, 9, 9})
	})
	s = openTB(t, path)
	if _, _, err := s.Get("key:bad"); !errors.Is(err, ErrBadEntry) || !strings.Contains(err.Error(), "key:bad") {
		t.Errorf("Get: %v, want ErrBadEntry naming the identity", err)
	}
	if err := s.Export(&bytes.Buffer{}); !errors.Is(err, ErrBadEntry) {
		t.Errorf("Export: %v, want ErrBadEntry", err)
	}
	// A write replaces the unreadable entry.
	if err := s.Begin("key:bad"); err != nil {
		t.Fatal(err)
	}
	if e, ok := mustGet(t, s, "key:bad"); !ok || !e.InFlight {
		t.Errorf("after Begin: %+v, %v", e, ok)
	}
}

func TestConcurrentWriters(t *testing.T) {
	s := openTB(t, filepath.Join(t.TempDir(), "1.db"))
	const workers, perWorker = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				id := fmt.Sprintf("key:%d-%d", w, i)
				if err := s.Begin(id); err != nil {
					errs <- err
					return
				}
				if e, ok, err := s.Get(id); err != nil || !ok || !e.InFlight {
					errs <- fmt.Errorf("after Begin %s: %+v %v %v", id, e, ok, err)
					return
				}
				var err error
				if i%10 == 0 {
					err = s.Abandon(id, "error")
				} else {
					err = s.Finish(id, Entry{Code: strconv.Itoa(w*1000 + i), Status: "new"})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Identities: workers * perWorker, WithCode: workers * perWorker * 9 / 10,
		ByStatus: map[string]int{"new": workers * perWorker * 9 / 10, "error": workers * perWorker / 10}}
	if st.Identities != want.Identities || st.InFlight != 0 || st.WithCode != want.WithCode ||
		st.ByStatus["new"] != want.ByStatus["new"] || st.ByStatus["error"] != want.ByStatus["error"] {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	if e, _ := mustGet(t, s, "key:7-99"); e.Code != "7099" {
		t.Errorf("key:7-99 = %+v", e)
	}
}

func TestStats(t *testing.T) {
	s := openTB(t, filepath.Join(t.TempDir(), "1.db"))
	for id, e := range map[string]Entry{
		"key:a":  {Code: "1", Status: "new"},
		"key:b":  {Code: "2", Status: "update"},
		"code:3": {Code: "3", Status: "update"},
		"card:4": {Status: "error"},
	} {
		if err := s.Finish(id, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Begin("key:a"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Identities != 4 || st.InFlight != 1 || st.WithCode != 3 || st.ByStatus["update"] != 2 || st.ByStatus["error"] != 1 || st.ByStatus["new"] != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestExportGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	s := openTB(t, path)
	entries := []struct {
		id string
		e  Entry
	}{
		{"key:C-1001", Entry{Code: "1001", CardNumber: "5555000011112222", Status: "new", Time: clock}},
		{"code:1234", Entry{Code: "1234", Status: "update", Time: clock.Add(-24 * time.Hour).In(time.FixedZone("X", 3600))}},
		{"card:5555", Entry{Code: "88", CardNumber: "5555", Status: "update", Time: clock}},
		{"key:=HYPERLINK(\"x\")", Entry{Code: "-1", Status: "error", Time: clock}},
		{"key:with,comma \"quoted\"", Entry{Status: "unknown", Time: clock}},
		{"key:a:b", Entry{Code: "7", Status: "new"}},
		{"nocolon", Entry{Code: "8", Status: "new", Time: clock}},
		{"key:@sum", Entry{Code: "+9", Status: "new", Time: clock}},
	}
	for _, x := range entries {
		if err := s.Finish(x.id, x.e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Begin("key:in-flight"); err != nil {
		t.Fatal(err)
	}
	if err := s.Begin("card:5555"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Export(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "export.golden")
	if *update {
		writeFile(t, golden, buf.Bytes())
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("Export:\n%s\nwant:\n%s", got, want)
	}
}

func TestSmallStateStaysSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	s := openTB(t, path)
	for i := range 20 {
		if err := s.Finish(fmt.Sprintf("key:%d", i), Entry{Code: strconv.Itoa(i), Status: "new"}); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 2<<20 {
		t.Errorf("a state of 20 identities takes %d bytes", fi.Size())
	}
}

func TestReadOnlyEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	writeFile(t, path, nil)
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mustGet(t, s, "key:a"); ok {
		t.Error("Get found an entry in an empty file")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("read-only open of an empty file changed it: %v, %v", fi, err)
	}
}

func TestCloseWhileWriting(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "1.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	started := make(chan struct{}, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("key:%d-%d", w, i)
				err := s.Begin(id)
				if err == nil {
					err = s.Finish(id, Entry{Code: "1"})
				}
				if err == nil {
					_, _, err = s.Get(id)
				}
				if i == 0 {
					started <- struct{}{}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 8 {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("a write racing Close: %v, want ErrClosed", err)
		}
	}
}

// TestFinishAsync: writes made without waiting are on disk after Flush, and Close
// flushes what is still queued.
func TestFinishAsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if err := s.Begin(fmt.Sprintf("key:%d", i)); err != nil {
			t.Fatal(err)
		}
		s.FinishAsync(fmt.Sprintf("key:%d", i), Entry{Code: fmt.Sprint(1000 + i), Status: "new"})
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	e, ok, err := s.Get("key:499")
	if err != nil || !ok || e.Code != "1499" || e.InFlight {
		t.Fatalf("after Flush: %+v %v %v", e, ok, err)
	}
	for i := 500; i < 1000; i++ {
		s.FinishAsync(fmt.Sprintf("key:%d", i), Entry{Code: fmt.Sprint(1000 + i), Status: "new"})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Stats()
	if err != nil || st.Identities != 1000 || st.InFlight != 0 {
		t.Fatalf("after Close and reopen: %+v %v", st, err)
	}
}

// TestOpenWaitsForReaders: a read-write Open that finds the state held by a reader (a dry
// run or an export, which leave no pid file) waits for it rather than failing, and fails
// with a message that says so when the reader stays too long.
func TestOpenWaitsForReaders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "1.db")
	s := openTB(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	tune := defaultTuning()
	tune.readerWait = 10 * time.Second
	t.Run("reader lets go", func(t *testing.T) {
		r, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(300 * time.Millisecond)
			r.Close()
		}()
		start := time.Now()
		w, err := open(path, Options{}, tune)
		if err != nil {
			t.Fatalf("Open while a reader held the state: %v, want it to wait for the reader", err)
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("Open returned after %v, before the reader let go", d)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reader stays", func(t *testing.T) {
		r, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		tune.readerWait = 200 * time.Millisecond
		_, err = open(path, Options{}, tune)
		var le *LockedError
		if !errors.As(err, &le) || le.PID != 0 || !strings.Contains(err.Error(), "dry run") {
			t.Fatalf("err = %v, want a LockedError without pid that mentions a dry run", err)
		}
	})
}

// TestGetEach: GetEach finds what Get finds for every identity, in any order, with
// duplicates, missing ones between and beyond those stored, far apart (past the steps
// it walks) and close together, and entries written but not yet checkpointed.
func TestGetEach(t *testing.T) {
	s := openTB(t, filepath.Join(t.TempDir(), "s.db"))
	stored := map[string]Entry{}
	for i := 0; i < 300; i += 3 {
		stored[fmt.Sprintf("key:C%04d", i)] = Entry{Code: fmt.Sprint(1000 + i), Status: "new", Time: clock}
	}
	if err := s.apply(stored); err != nil { // in bbolt, as a checkpoint leaves them
		t.Fatal(err)
	}
	s.FinishAsync("key:C0004", Entry{Code: "pending", Status: "update", Time: clock})
	s.FinishAsync("key:C0006", Entry{Code: "newer", Status: "update", Time: clock})
	ids := []string{"key:C0299", "key:C0000", "key:C0004", "key:C0003", "key:C0003", "key:C0001",
		"key:C0006", "key:C0150", "key:C0151", "key:C0297", "key:D", "code:1", "key:C0099", "key:"}
	for i := 0; i < 300; i += 7 {
		ids = append(ids, fmt.Sprintf("key:C%04d", i))
	}
	checkGetEach := func(t *testing.T, ids []string) {
		t.Helper()
		if err := s.View(func(r *Reader) error {
			seen := make([]bool, len(ids))
			r.GetEach(ids, func(i int, e Entry, ok bool, err error) {
				if seen[i] {
					t.Errorf("%q given twice", ids[i])
				}
				seen[i] = true
				we, wok, werr := r.Get(ids[i])
				if err != nil || werr != nil || ok != wok || e != we {
					t.Errorf("%q: GetEach %+v %v %v, Get %+v %v %v", ids[i], e, ok, err, we, wok, werr)
				}
			})
			for i, ok := range seen {
				if !ok {
					t.Errorf("%q not given", ids[i])
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("any-order", func(t *testing.T) { checkGetEach(t, ids) })
	// Identities in order already (a file sorted by customer id) take another way.
	t.Run("in-order", func(t *testing.T) { checkGetEach(t, slices.Sorted(slices.Values(ids))) })
	// The pending entries win over bbolt's, and stored ones are found.
	if e, _ := mustGet(t, s, "key:C0006"); e.Code != "newer" {
		t.Fatalf("key:C0006 = %+v", e)
	}
}
