package tracking

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names (doc.go, Layout).
var (
	bFiles = []byte("files")
	bMID   = []byte("mid")
	bICID  = []byte("icid")
	bDCID  = []byte("dcid")
	bGen   = []byte("gen")
	bMsg   = []byte("msg")
	bFrom  = []byte("from")
	bTo    = []byte("to")
	bSubj  = []byte("subj")
	bMsgID = []byte("msgid")
	subs   = [][]byte{bMID, bICID, bDCID, bGen, bMsg, bFrom, bTo, bSubj, bMsgID}
)

// fillPercent is how full bbolt fills a page before it splits one.
const fillPercent = 0.9

// maxValueKey bounds a search value in a key (bbolt keys are at most
// 32 KiB; a subject is matched on its first 512 bytes).
const maxValueKey = 512

// fileRecord is one log file the index holds.
type fileRecord struct {
	Name     string
	Dev, Ino uint64
	Next     int64 // indexed up to this offset
	First    int64 // Unix time of its first line
	Last     int64 // and of its last
}

// summary is what findevent lists per message.
type summary struct {
	Time    int64    `json:"t,omitempty"`
	ICID    int64    `json:"i,omitempty"`
	From    *string  `json:"f,omitempty"`
	To      []string `json:"r,omitempty"`
	Subject *string  `json:"s,omitempty"`
	MsgID   *string  `json:"m,omitempty"`
}

// merge takes what o knows and s does not.
func (s *summary) merge(o summary) {
	if s.Time == 0 || o.Time != 0 && o.Time < s.Time {
		s.Time = o.Time
	}
	if s.ICID == 0 {
		s.ICID = o.ICID
	}
	if s.From == nil {
		s.From = o.From
	}
	if s.Subject == nil {
		s.Subject = o.Subject
	}
	if s.MsgID == nil {
		s.MsgID = o.MsgID
	}
	for _, r := range o.To {
		if !contains(s.To, r) {
			s.To = append(s.To, r)
		}
	}
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// fileBatch is what a batch adds to one file.
type fileBatch struct {
	mid, icid, dcid map[int64][]int64
	msg             map[int64]*summary
	gen             [][2]int64
	keys            map[string][][]byte // bucket -> keys
	next            int64
	first, last     int64
}

// writer applies a batch inside one transaction.
type writer struct {
	tx    *bolt.Tx
	files map[uint32]*fileRecord
	maxID uint32
	batch map[uint32]*fileBatch
	lines int
}

func newWriter(tx *bolt.Tx) (*writer, error) {
	b, err := tx.CreateBucketIfNotExists(bFiles)
	if err != nil {
		return nil, err
	}
	w := &writer{tx: tx, files: map[uint32]*fileRecord{}, batch: map[uint32]*fileBatch{}}
	err = b.ForEach(func(k, v []byte) error {
		var r fileRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("file record %x: %w", k, err)
		}
		id := binary.BigEndian.Uint32(k)
		w.files[id] = &r
		w.maxID = max(w.maxID, id)
		return nil
	})
	return w, err
}

// current returns the id of the record named name (0: none). Two records
// never share a name: newFile and rename keep it so.
func (w *writer) current(name string) uint32 {
	var best uint32
	for id, r := range w.files {
		if r.Name == name && id > best {
			best = id
		}
	}
	return best
}

func fileKey(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte("f"), id)
}

func idKey(id uint32) []byte { return binary.BigEndian.AppendUint32(nil, id) }

func (w *writer) putFile(id uint32, r *fileRecord) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return w.tx.Bucket(bFiles).Put(idKey(id), v)
}

// create adds a file record and its buckets.
func (w *writer) create(r fileRecord) (uint32, error) {
	w.maxID++
	id := w.maxID
	fb, err := w.tx.CreateBucketIfNotExists(fileKey(id))
	if err != nil {
		return 0, err
	}
	for _, s := range subs {
		if _, err := fb.CreateBucketIfNotExists(s); err != nil {
			return 0, err
		}
	}
	w.files[id] = &r
	return id, w.putFile(id, &r)
}

// drop removes a file's record and entries (pruning).
func (w *writer) drop(id uint32) error {
	if err := w.flush(); err != nil {
		return err
	}
	delete(w.files, id)
	if err := w.tx.Bucket(bFiles).Delete(idKey(id)); err != nil {
		return err
	}
	if w.tx.Bucket(fileKey(id)) != nil {
		return w.tx.DeleteBucket(fileKey(id))
	}
	return nil
}

func (w *writer) fb(id uint32) *fileBatch {
	b := w.batch[id]
	if b == nil {
		b = &fileBatch{mid: map[int64][]int64{}, icid: map[int64][]int64{}, dcid: map[int64][]int64{},
			msg: map[int64]*summary{}, keys: map[string][][]byte{}}
		w.batch[id] = b
	}
	return b
}

func (w *writer) size() int { return w.lines }

// advance records that the file is indexed up to end (a line of no
// interest).
func (w *writer) advance(id uint32, end int64) {
	b := w.fb(id)
	b.next = max(b.next, end)
}

// add records one line's facts at off in file id.
func (w *writer) add(id uint32, off, end int64, t time.Time, f facts) {
	b := w.fb(id)
	b.next = max(b.next, end)
	if b.first == 0 {
		b.first = t.Unix()
	}
	b.last = t.Unix()
	w.lines++
	for _, m := range f.mids {
		b.mid[m] = append(b.mid[m], off)
	}
	if len(f.mids) == 0 {
		// Connection lines: those that name no message.
		for _, c := range f.icids {
			b.icid[c] = append(b.icid[c], off)
		}
		for _, c := range f.dcids {
			b.dcid[c] = append(b.dcid[c], off)
		}
		return
	}
	mid := f.mids[0]
	if f.parent > 0 {
		b.gen = append(b.gen, [2]int64{f.parent, f.child})
		mid = f.child
	}
	s := b.msg[mid]
	touched := false
	if s == nil {
		s = &summary{}
	}
	if f.start {
		s.Time, touched = t.Unix(), true
		if len(f.icids) > 0 {
			s.ICID = f.icids[0]
		}
	}
	if f.parent > 0 && s.Time == 0 {
		s.Time, touched = t.Unix(), true
	}
	key := func(bucket []byte, v string) {
		v = strings.ToLower(v)
		if len(v) > maxValueKey {
			v = v[:maxValueKey]
		}
		k := binary.BigEndian.AppendUint64(append([]byte(v), 0), uint64(mid))
		b.keys[string(bucket)] = append(b.keys[string(bucket)], k)
	}
	switch {
	case f.hasFrom:
		s.From, touched = &f.from, true
		key(bFrom, f.from)
	case f.to != "":
		s.To, touched = append(s.To, f.to), true
		key(bTo, f.to)
	case f.subject != "":
		s.Subject, touched = &f.subject, true
		key(bSubj, f.subject)
	}
	if f.messageID != "" {
		s.MsgID, touched = &f.messageID, true
		key(bMsgID, f.messageID)
	}
	if touched {
		b.msg[mid] = s
	}
}

func u64(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

// flush writes the accumulated batch.
func (w *writer) flush() error {
	for id, b := range w.batch {
		r := w.files[id]
		if r == nil {
			continue // dropped in this batch
		}
		fb := w.tx.Bucket(fileKey(id))
		if fb == nil {
			continue
		}
		// Keys arrive mostly in ascending order (MIDs, connection IDs
		// and offsets grow): pack pages full instead of splitting them
		// in halves.
		for _, s := range subs {
			fb.Bucket(s).FillPercent = fillPercent
		}
		for _, x := range []struct {
			name []byte
			m    map[int64][]int64
		}{{bMID, b.mid}, {bICID, b.icid}, {bDCID, b.dcid}} {
			bk := fb.Bucket(x.name)
			for n, offs := range x.m {
				k := u64(n)
				if err := bk.Put(k, appendOffsets(bk.Get(k), offs)); err != nil {
					return err
				}
			}
		}
		gen := fb.Bucket(bGen)
		for _, g := range b.gen {
			if err := gen.Put(append(u64(g[0]), u64(g[1])...), nil); err != nil {
				return err
			}
		}
		msg := fb.Bucket(bMsg)
		for n, s := range b.msg {
			k := u64(n)
			if old := msg.Get(k); old != nil {
				var o summary
				if json.Unmarshal(old, &o) == nil {
					o.merge(*s)
					s = &o
				}
			}
			v, err := json.Marshal(s)
			if err != nil {
				return err
			}
			if err := msg.Put(k, v); err != nil {
				return err
			}
		}
		for name, keys := range b.keys {
			bk := fb.Bucket([]byte(name))
			for _, k := range keys {
				if err := bk.Put(k, nil); err != nil {
					return err
				}
			}
		}
		r.Next = max(r.Next, b.next)
		if b.last != 0 {
			if r.First == 0 {
				r.First = b.first
			}
			r.Last = max(r.Last, b.last)
		}
		if err := w.putFile(id, r); err != nil {
			return err
		}
	}
	w.batch = map[uint32]*fileBatch{}
	w.lines = 0
	return nil
}

// appendOffsets appends offsets (ascending, after those in v) to v, an
// encoded list: uvarint deltas from 0.
func appendOffsets(v []byte, offs []int64) []byte {
	last := int64(0)
	for _, o := range decodeOffsets(v) {
		last = o
	}
	out := append([]byte(nil), v...)
	for _, o := range offs {
		if o < last {
			continue // already there (a line indexed twice)
		}
		if o == last && len(out) > 0 {
			continue
		}
		out = binary.AppendUvarint(out, uint64(o-last))
		last = o
	}
	return out
}

// decodeOffsets reads a list appendOffsets wrote.
func decodeOffsets(v []byte) []int64 {
	var out []int64
	last := int64(0)
	for len(v) > 0 {
		d, n := binary.Uvarint(v)
		if n <= 0 {
			break
		}
		v = v[n:]
		last += int64(d)
		out = append(out, last)
	}
	return out
}
