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
// A segment is a 64-byte header followed by records. The header is walHeaderV2 and then
// the boot id of the machine that wrote the segment (Linux's
// /proc/sys/kernel/random/boot_id; zeros where there is none), so that a later Open knows
// whether the machine has restarted since: until it does, a record written to the file
// is there to read even if no sync reached it (see Store.Reserve). Segments of earlier
// versions have a 16-byte header, walHeader, and no boot id.
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
	walHeader    = "custimport-wal\x00\x01" // version 1: records follow
	walHeaderV2  = "custimport-wal\x00\x02" // version 2: the boot id, then records
	walBootLen   = 48                       // bytes of a version 2 header's boot id
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

// segmentHeader returns the header of a segment written on the machine booted as boot.
func segmentHeader(boot string) []byte {
	h := make([]byte, len(walHeaderV2)+walBootLen)
	copy(h, walHeaderV2)
	copy(h[len(walHeaderV2):], boot)
	return h
}

// replaySegment applies the records of one segment's content to m, newest last, and
// returns how many records it applied and the boot id in its header ("" where it has
// none). A segment whose header is missing or zeros (a crash while creating it) holds
// nothing, and reports written as false; a header that is not ours is ErrCorrupt.
func replaySegment(b []byte, m map[string]Entry, name string, log *zap.Logger) (count int, boot string, written bool, err error) {
	switch {
	case len(b) < len(walHeader) || allZero(b[:len(walHeader)]):
		return 0, "", false, nil
	case bytes.Equal(b[:len(walHeader)], []byte(walHeader)):
		b = b[len(walHeader):]
	case bytes.Equal(b[:len(walHeaderV2)], []byte(walHeaderV2)):
		if len(b) < len(walHeaderV2)+walBootLen {
			// Cut short while being created: nothing was written after it.
			return 0, "", false, nil
		}
		boot = string(bytes.TrimRight(b[len(walHeaderV2):len(walHeaderV2)+walBootLen], "\x00"))
		b = b[len(walHeaderV2)+walBootLen:]
	default:
		return 0, "", false, fmt.Errorf("state log %q: %w (not a custimport log)", name, ErrCorrupt)
	}
	for {
		id, e, size, err := decodeRecord(b)
		if errors.Is(err, errLogEnd) {
			return count, boot, true, nil
		}
		if err != nil {
			// Never acknowledged: the write or the sync that would have made it
			// durable did not end.
			log.Info("state log ends in an incomplete record (a crash during a write); ignoring it",
				zap.String("file", name), zap.Int("records", count), zap.Error(err))
			return count, boot, true, nil
		}
		m[id] = e
		b = b[size:]
		count++
	}
}

// leftoverLog is what a run that did not close the state left in its log.
type leftoverLog struct {
	entries map[string]Entry // the newest entry of each identity logged
	segs    []int            // the segments' numbers
	// boots are the boot ids in the headers of the segments that hold anything, "" for
	// a segment that has none.
	boots []string
}

// readLog reads every log segment of the state at path.
func readLog(path string, log *zap.Logger) (leftoverLog, error) {
	segs, err := listSegments(path)
	if err != nil || len(segs) == 0 {
		return leftoverLog{}, err
	}
	l := leftoverLog{entries: map[string]Entry{}, segs: segs}
	for _, n := range segs {
		name := segmentPath(path, n)
		b, err := os.ReadFile(name)
		if err != nil {
			return leftoverLog{}, fmt.Errorf("read the state's log: %w", err)
		}
		count, boot, written, err := replaySegment(b, l.entries, name, log)
		if err != nil {
			return leftoverLog{}, err
		}
		if written {
			l.boots = append(l.boots, boot)
		}
		log.Debug("read state log", zap.String("file", name), zap.Int("records", count))
	}
	return l, nil
}

// complete reports whether every write the log's run made is in it, synced or not: the
// run wrote it since the machine last started, which is boot ("" where it is not known).
// A process that dies leaves what it wrote in the operating system's cache, which reads
// as the file; a machine that stops loses what no sync reached.
func (l leftoverLog) complete(boot string) bool {
	if boot == "" {
		return false
	}
	for _, b := range l.boots {
		if b != boot {
			return false
		}
	}
	return true
}

// segment is a log segment open for appending, used under Store.wmu.
type segment struct {
	n    int
	path string
	f    *os.File
	off  int64 // where the next record goes
	size int64 // bytes allocated
}

// createSegment creates log segment n, preallocated, its header and directory entry
// durable, so that a sync after each append needs no metadata of its own.
func createSegment(path string, n int, boot string) (*segment, error) {
	header := segmentHeader(boot)
	g := &segment{n: n, path: segmentPath(path, n), off: int64(len(header))}
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
	if _, err := f.WriteAt(header, 0); err != nil {
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

// write writes b at the end of the segment, without a sync.
func (g *segment) write(b []byte) error {
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
	g.off = end
	return nil
}

// sync makes what was written durable.
func (g *segment) sync() error { return fdatasync(g.f) }
