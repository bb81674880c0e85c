package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// The write-ahead log. Every write is first appended to a log segment beside the bbolt
// file, <state>.wal.<n>, and is durable once that segment is fdatasync'ed: one small
// write and one sync for a whole group of writes, instead of a bbolt commit (page writes
// and two syncs). A checkpoint later copies the logged entries into bbolt in one large
// transaction and deletes the segments it covers. After a clean Close no segment is left;
// after a crash the next read-write Open folds the segments into bbolt before anything
// else, and a read-only Open reads them into memory without writing.
//
// A segment is a 16-byte header followed by records:
//
//	uint32 (little endian) n: length of the payload
//	uint32 CRC-32C of the four length bytes and the payload
//	payload: uvarint length + bytes of the identity, then the entry (appendEntry)
//
// Each record holds the identity's whole entry after the write, so replaying records in
// order gives the state after the last one whatever bbolt held before, and replaying a
// segment twice changes nothing. Segments are preallocated (zeros) and never reused: the
// log ends at the first record of length 0, and a record that is cut short or fails its
// checksum (a write a crash interrupted, never acknowledged) ends it too.
const (
	walHeader    = "custimport-wal\x00\x01"
	recordHead   = 8
	walSuffix    = ".wal."
	walPrealloc  = 4 << 20 // bytes a new segment reserves, and each extension
	maxSegmentNo = 1<<31 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// errLogEnd: the log ends here (zeros: never written).
	errLogEnd = errors.New("end of log")
	// errTornRecord: a record cut short or damaged, as a crash during its write leaves it.
	errTornRecord = errors.New("torn log record")
)

// appendRecord appends the log record of id's entry e to b.
func appendRecord(b []byte, id string, e Entry) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	b = appendEntry(b, e)
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-recordHead))
	crc := crc32.Update(crc32.Checksum(b[start:start+4], castagnoli), castagnoli, b[start+recordHead:])
	binary.LittleEndian.PutUint32(b[start+4:], crc)
	return b
}

// decodeRecord decodes the record at the start of b and returns its size. At the end of
// the log it returns errLogEnd; for a record cut short or damaged, an error wrapping
// errTornRecord. It keeps no reference to b.
func decodeRecord(b []byte) (id string, e Entry, size int, err error) {
	if len(b) < recordHead {
		if len(b) == 0 || allZero(b) {
			return "", Entry{}, 0, errLogEnd
		}
		return "", Entry{}, 0, fmt.Errorf("%w: %d bytes of a record header", errTornRecord, len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	if n == 0 {
		if allZero(b[:recordHead]) {
			return "", Entry{}, 0, errLogEnd
		}
		return "", Entry{}, 0, fmt.Errorf("%w: empty record", errTornRecord)
	}
	if uint64(n) > uint64(len(b)-recordHead) {
		return "", Entry{}, 0, fmt.Errorf("%w: %d bytes announced, %d left", errTornRecord, n, len(b)-recordHead)
	}
	p := b[recordHead : recordHead+int(n)]
	if crc32.Update(crc32.Checksum(b[:4], castagnoli), castagnoli, p) != binary.LittleEndian.Uint32(b[4:]) {
		return "", Entry{}, 0, fmt.Errorf("%w: checksum", errTornRecord)
	}
	l, k := binary.Uvarint(p)
	if k <= 0 || l == 0 || l > maxIdentity || l > uint64(len(p)-k) {
		return "", Entry{}, 0, fmt.Errorf("%w: identity", errTornRecord)
	}
	id = string(p[k : k+int(l)])
	e, err = decodeEntry(p[k+int(l):])
	if err != nil {
		return "", Entry{}, 0, fmt.Errorf("%w: %w", errTornRecord, err)
	}
	return id, e, recordHead + int(n), nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// segmentPath names the log segment n of the state at path.
func segmentPath(path string, n int) string {
	return path + walSuffix + strconv.Itoa(n)
}

// listSegments returns the numbers of the log segments of the state at path, in order.
func listSegments(path string) ([]int, error) {
	ents, err := os.ReadDir(filepath.Dir(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the state's log: %w", err)
	}
	prefix := filepath.Base(path) + walSuffix
	var segs []int
	for _, ent := range ents {
		rest, ok := strings.CutPrefix(ent.Name(), prefix)
		if !ok || rest == "" || len(rest) > 10 || strings.Trim(rest, "0123456789") != "" || !ent.Type().IsRegular() {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > maxSegmentNo {
			continue
		}
		segs = append(segs, n)
	}
	slices.Sort(segs)
	return segs, nil
}

// replaySegment applies the records of one segment's content to m, newest last. A
// segment whose header is missing or zeros (a crash while creating it) holds nothing; a
// header that is not ours is ErrCorrupt. It returns how many records it applied.
func replaySegment(b []byte, m map[string]Entry, name string, log *zap.Logger) (int, error) {
	if len(b) < len(walHeader) || allZero(b[:len(walHeader)]) {
		return 0, nil
	}
	if !bytes.Equal(b[:len(walHeader)], []byte(walHeader)) {
		return 0, fmt.Errorf("state log %q: %w (not a custimport log)", name, ErrCorrupt)
	}
	b = b[len(walHeader):]
	count := 0
	for {
		id, e, size, err := decodeRecord(b)
		if errors.Is(err, errLogEnd) {
			return count, nil
		}
		if err != nil {
			// Never acknowledged: the sync that would have made it durable did not end.
			log.Info("state log ends in an incomplete record (a crash during a write); ignoring it",
				zap.String("file", name), zap.Int("records", count), zap.Error(err))
			return count, nil
		}
		m[id] = e
		b = b[size:]
		count++
	}
}

// readLog reads every log segment of the state at path into one map (the newest entry of
// each identity logged) and returns it with the segments' numbers.
func readLog(path string, log *zap.Logger) (map[string]Entry, []int, error) {
	segs, err := listSegments(path)
	if err != nil || len(segs) == 0 {
		return nil, nil, err
	}
	m := map[string]Entry{}
	for _, n := range segs {
		name := segmentPath(path, n)
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, fmt.Errorf("read the state's log: %w", err)
		}
		count, err := replaySegment(b, m, name, log)
		if err != nil {
			return nil, nil, err
		}
		log.Debug("read state log", zap.String("file", name), zap.Int("records", count))
	}
	return m, segs, nil
}

// segment is a log segment open for appending; only the log writer goroutine uses it.
type segment struct {
	n    int
	path string
	f    *os.File
	off  int64 // where the next record goes
	size int64 // bytes allocated
}

// createSegment creates log segment n, preallocated, its header and directory entry
// durable, so that a sync after each append needs no metadata of its own.
func createSegment(path string, n int) (*segment, error) {
	g := &segment{n: n, path: segmentPath(path, n), off: int64(len(walHeader))}
	f, err := os.OpenFile(g.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create state log: %w", err)
	}
	g.f = f
	fail := func(err error) (*segment, error) {
		_ = f.Close()
		_ = os.Remove(g.path)
		return nil, fmt.Errorf("create state log %q: %w", g.path, err)
	}
	if preallocate(f, walPrealloc) == nil {
		g.size = walPrealloc
	}
	if _, err := f.WriteAt([]byte(walHeader), 0); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fail(err)
	}
	return g, nil
}

// append writes b at the end of the segment and makes it durable.
func (g *segment) append(b []byte) error {
	end := g.off + int64(len(b))
	if end > g.size {
		// Unallocated space would make every sync write metadata too; a failure here
		// only costs that.
		if preallocate(g.f, end+walPrealloc) == nil {
			g.size = end + walPrealloc
		}
	}
	if _, err := g.f.WriteAt(b, g.off); err != nil {
		return err
	}
	if err := fdatasync(g.f); err != nil {
		return err
	}
	g.off = end
	return nil
}
