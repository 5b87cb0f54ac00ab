package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// ID counters (MID, ICID, DCID) must increase strictly across restarts,
// kill -9 included. Writing the counter on every hand-out would cost an
// fsync per ID, so the queue reserves blocks: before handing out an ID
// beyond the durable limit it persists limit = next+idBlock-1. A crash
// skips the unused rest of a block but never reuses a number.
const idBlock = 1000

// Counter indexes.
const (
	ctrMID = iota
	ctrICID
	ctrDCID
	numCounters
)

const (
	idsFile  = "ids"
	idsMagic = "SEGIDS1\n"
	idsLen   = len(idsMagic) + 8*numCounters + 4
)

type idCounters struct {
	dir string

	mu    sync.Mutex
	next  [numCounters]int64 // next ID to hand out
	limit [numCounters]int64 // highest ID covered by the durable reservation
}

// loadIDs reads DIR/ids. A missing file means a new queue (IDs start at
// 1); a damaged one is an error, since guessing could reuse numbers.
func loadIDs(dir string) (*idCounters, error) {
	c := &idCounters{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, idsFile))
	if errors.Is(err, fs.ErrNotExist) {
		for i := range c.next {
			c.next[i] = 1
		}
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: cannot read the ID counters: %w", err)
	}
	body := b[:max(len(b)-4, 0)]
	if len(b) != idsLen || string(b[:len(idsMagic)]) != idsMagic ||
		crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[len(body):]) {
		return nil, fmt.Errorf("queue: the ID counter file %s is damaged; restore it or remove it after making sure new IDs cannot collide with old ones", filepath.Join(dir, idsFile))
	}
	for i := range c.limit {
		c.limit[i] = int64(binary.LittleEndian.Uint64(b[len(idsMagic)+8*i:]))
		c.next[i] = c.limit[i] + 1
	}
	return c, nil
}

// atLeast raises counter i so that it hands out nothing below min (the
// journal holds MID/ICID evidence even if the ids file was lost).
func (c *idCounters) atLeast(i int, min int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next[i] = max(c.next[i], min)
}

// take hands out the next ID of counter i, first making a new block
// durable when the current one is used up. On a persist error the ID is
// still handed out (IDs stay increasing within this process) and the
// error is returned so the queue can refuse further messages.
func (c *idCounters) take(i int) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.next[i]
	var err error
	if id > c.limit[i] {
		limit := c.limit
		limit[i] = id + idBlock - 1
		if err = c.persist(limit); err == nil {
			c.limit = limit
		}
	}
	c.next[i]++
	return id, err
}

// reserved reports whether id of counter i is covered by the durable
// reservation.
func (c *idCounters) reserved(i int, id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return id <= c.limit[i]
}

// current returns the last IDs handed out (0 if none).
func (c *idCounters) current() (ids [numCounters]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range ids {
		ids[i] = c.next[i] - 1
	}
	return ids
}

// persist writes the limits atomically: temp file, fsync, rename, fsync
// of the directory (the rename is only durable once the directory is).
func (c *idCounters) persist(limit [numCounters]int64) error {
	b := make([]byte, 0, idsLen)
	b = append(b, idsMagic...)
	for _, l := range limit {
		b = binary.LittleEndian.AppendUint64(b, uint64(l))
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
	tmp := filepath.Join(c.dir, idsFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("queue: cannot reserve IDs: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(c.dir, idsFile))
	}
	if err == nil {
		err = syncDir(c.dir)
	}
	if err != nil {
		return fmt.Errorf("queue: cannot reserve IDs: %w", err)
	}
	return nil
}
