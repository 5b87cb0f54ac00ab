package queue

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// recover replays every segment, oldest first, into q.msgs, and picks or
// creates the head segment.
//
// A record is acknowledged only after the fdatasync that follows its
// write, and a segment is sealed only once all its records are synced.
// So a bad record (short, over-long or failing its CRC) at the tail of
// the last segment is an unacknowledged write cut by a crash: it and
// everything after it (same batch) is dropped and the file truncated
// there. A bad record in an older segment is damage, not a crash; the
// rest of that segment is skipped and reported.
func (q *Queue) recover() error {
	nums, err := listSegments(q.dir)
	if err != nil {
		return err
	}
	var maxMID, maxICID int64
	for i, num := range nums {
		path := filepath.Join(q.dir, segName(num))
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("queue: cannot open journal segment: %w", err)
		}
		seg := &segment{num: num, path: path, f: f, live: map[int64]*entry{}}
		q.segs = append(q.segs, seg)
		if err := q.replaySegment(seg, i == len(nums)-1, &maxMID, &maxICID); err != nil {
			return err
		}
	}
	if n := len(q.segs); n == 0 || q.segs[n-1].size >= q.segMax {
		num := 1
		if n > 0 {
			num = q.segs[n-1].num + 1
		}
		seg, err := createSegment(q.dir, num)
		if err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		q.segs = append(q.segs, seg)
	}
	for mid, e := range q.msgs {
		e.seg.live[mid] = e
		e.seg.liveBytes += e.recLen
		q.liveBytes += e.recLen
		q.bodyBytes += e.size()
		q.activeRcpts += activeCount(&e.msg)
	}
	// The ids file normally covers these; this guards against its loss.
	q.ids.atLeast(ctrMID, maxMID+1)
	q.ids.atLeast(ctrICID, maxICID+1)
	return nil
}

// replaySegment applies one segment's records and sets seg.size to the
// end of its last good record.
func (q *Queue) replaySegment(seg *segment, last bool, maxMID, maxICID *int64) error {
	fi, err := seg.f.Stat()
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	size := fi.Size()
	r := bufio.NewReaderSize(io.NewSectionReader(seg.f, 0, size), 1<<20)
	var hdr [headerLen]byte
	var buf []byte
	off := int64(0)
	bad := ""
	for off < size {
		if size-off < headerLen {
			bad = "a truncated record header"
			if zero, err := zeroRest(r, nil); err != nil {
				return fmt.Errorf("queue: cannot read %s: %w", seg.path, err)
			} else if zero {
				bad = "" // the end of the zeros written ahead (prealloc.go)
			}
			break
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return fmt.Errorf("queue: cannot read %s: %w", seg.path, err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[0:]))
		if hdr == ([headerLen]byte{}) {
			// Zeros: the space written ahead of the records
			// (prealloc.go) when all that follows is zeros too.
			zero, err := zeroRest(r, buf)
			if err != nil {
				return fmt.Errorf("queue: cannot read %s: %w", seg.path, err)
			}
			if zero {
				seg.zeroed = size
				break
			}
		}
		if n == 0 || n > size-off-headerLen {
			bad = "a truncated record"
			break
		}
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("queue: cannot read %s: %w", seg.path, err)
		}
		if crc32.Checksum(buf, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
			bad = "a record failing its checksum"
			break
		}
		if err := q.replayRecord(seg, off, buf, maxMID, maxICID); err != nil {
			bad = "an undecodable record"
			break
		}
		off += headerLen + n
	}
	seg.size = off
	if bad == "" {
		return nil
	}
	if !last {
		q.logf("queue: %s: %s at offset %d in a sealed segment; ignoring its last %d bytes", seg.path, bad, off, size-off)
		return nil
	}
	q.logf("queue: %s: dropping %s at offset %d (%d bytes), left by a crash during a write", seg.path, bad, off, size-off)
	if err := seg.f.Truncate(off); err != nil {
		return fmt.Errorf("queue: cannot truncate %s: %w", seg.path, err)
	}
	if err := datasync(seg.f); err != nil {
		return fmt.Errorf("queue: cannot sync %s: %w", seg.path, err)
	}
	return nil
}

// replayRecord applies one record (type byte + payload) found at off.
// Records about unknown MIDs are those of finished messages whose own
// segment was already deleted: they are skipped.
func (q *Queue) replayRecord(seg *segment, off int64, rec []byte, maxMID, maxICID *int64) error {
	typ, payload := rec[0], rec[1:]
	switch typ {
	case recMessage:
		m, bodyPos, bodyLen, err := decodeMessage(payload)
		if err != nil {
			return err
		}
		return q.replayMessage(&entry{
			msg:     m,
			seg:     seg,
			bodyOff: off + headerLen + 1 + int64(bodyPos),
			bodyLen: int64(bodyLen),
			recLen:  headerLen + int64(len(rec)),
		}, maxMID, maxICID)
	case recDerived:
		m, back, baseLen, w, err := decodeDerived(payload)
		if err != nil || off-back < 0 {
			return errCorrupt
		}
		return q.replayMessage(&entry{msg: m, seg: seg, bodyOff: off - back, bodyLen: baseLen, recLen: headerLen + int64(len(rec)), wrap: w}, maxMID, maxICID)
	case recAttempt:
		mid, rids, next, err := decodeAttempt(payload)
		if err != nil {
			return err
		}
		*maxMID = max(*maxMID, mid)
		if e, ok := q.msgs[mid]; ok {
			applyAttempt(&e.msg, rids, next)
		}
	case recWarned:
		w, err := decodeWarned(payload)
		if err != nil {
			return err
		}
		*maxMID = max(*maxMID, w.MID)
		if e, ok := q.msgs[w.MID]; ok {
			applyWarned(&e.msg, w.RIDs, w.At)
		}
	case recUpdate:
		mid, ups, err := decodeUpdate(payload)
		if err != nil {
			return err
		}
		*maxMID = max(*maxMID, mid)
		if e, ok := q.msgs[mid]; ok {
			applyUpdates(&e.msg, ups)
			if finished(&e.msg) {
				delete(q.msgs, mid)
			}
		}
	case recStamp:
		q.stamp = append(q.stamp[:0], payload...)
	default:
		return errCorrupt
	}
	return nil
}

// replayMessage indexes the message of a recMessage or recDerived record;
// a later copy of a message (compaction's) supersedes an earlier one.
func (q *Queue) replayMessage(e *entry, maxMID, maxICID *int64) error {
	m := &e.msg
	if err := checkMessage(m); err != nil {
		return errCorrupt
	}
	*maxMID = max(*maxMID, m.MID)
	*maxICID = max(*maxICID, m.ICID)
	q.msgs[m.MID] = e
	if finished(m) {
		delete(q.msgs, m.MID)
	}
	return nil
}

// zeroRest reads r to its end and reports whether every byte was zero
// (scratch, when large enough, is the read buffer).
func zeroRest(r io.Reader, scratch []byte) (bool, error) {
	if cap(scratch) < 64<<10 {
		scratch = make([]byte, 64<<10)
	}
	scratch = scratch[:cap(scratch)]
	zero := true
	for {
		n, err := r.Read(scratch)
		for _, b := range scratch[:n] {
			if b != 0 {
				zero = false
			}
		}
		if err == io.EOF {
			return zero, nil
		}
		if err != nil {
			return false, err
		}
		if !zero {
			return false, nil
		}
	}
}
