package tracking

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// File is one indexed log file.
type File struct {
	Name        string
	First, Last time.Time // its first and last lines' stamps (zero: none yet)
}

// Files lists the indexed files, oldest first.
func (ix *Index) Files() ([]File, error) {
	ix.Sync()
	var out []File
	err := ix.db.View(func(tx *bolt.Tx) error {
		for _, f := range ix.files(tx, nil) {
			out = append(out, File{Name: f.r.Name, First: unix(f.r.First), Last: unix(f.r.Last)})
		}
		return nil
	})
	return out, err
}

func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// Query chooses messages: MID, or one of the regular expressions From, To,
// Subject (matched case-insensitively), or MessageID (exact, with or
// without its angle brackets); Since and Until (zero: open) bound the
// time the message began; Files (nil: all) names the log files searched.
type Query struct {
	MID               int64
	From, To, Subject *regexp.Regexp
	MessageID         string
	Since, Until      time.Time
	Files             []string
}

// Message is one message found: its MID and what findevent lists.
type Message struct {
	MID       int64
	Time      time.Time // when it began (zero: its start is not in the files searched)
	From      string
	HasFrom   bool
	To        []string
	Subject   string
	MessageID string
}

type fileRef struct {
	id uint32
	r  fileRecord
	b  *bolt.Bucket
}

// files returns the selected files' records and buckets, oldest first.
func (ix *Index) files(tx *bolt.Tx, names []string) []fileRef {
	var out []fileRef
	fb := tx.Bucket(bFiles)
	if fb == nil {
		return nil
	}
	fb.ForEach(func(k, v []byte) error {
		var r fileRecord
		if json.Unmarshal(v, &r) != nil {
			return nil
		}
		if names != nil && !contains(names, r.Name) {
			return nil
		}
		if b := tx.Bucket(fileKey(binary.BigEndian.Uint32(k))); b != nil {
			out = append(out, fileRef{binary.BigEndian.Uint32(k), r, b})
		}
		return nil
	})
	return out // bbolt iterates keys in order: big-endian ids, oldest first
}

// Find returns the messages q chooses, in MID order.
func (ix *Index) Find(q Query) ([]Message, error) {
	ix.Sync()
	var out []Message
	err := ix.db.View(func(tx *bolt.Tx) error {
		files := ix.files(tx, q.Files)
		mids := map[int64]bool{}
		switch {
		case q.MID > 0:
			for _, f := range files {
				if f.b.Bucket(bMID).Get(u64(q.MID)) != nil {
					mids[q.MID] = true
				}
			}
		case q.MessageID != "":
			want := strings.ToLower(strings.TrimSpace(q.MessageID))
			alt := "<" + strings.Trim(want, "<>") + ">"
			for _, f := range files {
				for _, w := range []string{want, alt} {
					scanKeys(f.b.Bucket(bMsgID), []byte(w+"\x00"), func(v string, mid int64) { mids[mid] = true })
				}
			}
		default:
			bucket, re := bFrom, q.From
			if q.To != nil {
				bucket, re = bTo, q.To
			} else if q.Subject != nil {
				bucket, re = bSubj, q.Subject
			}
			if re == nil {
				return nil
			}
			// The values are stored lower case; the pattern is matched
			// case-insensitively as findevent promises.
			ci, err := regexp.Compile("(?i)" + re.String())
			if err != nil {
				return err
			}
			for _, f := range files {
				if !q.Since.IsZero() && f.r.Last != 0 && f.r.Last < q.Since.Unix() {
					continue
				}
				if !q.Until.IsZero() && f.r.First != 0 && f.r.First > q.Until.Unix() {
					continue
				}
				seen := map[string]bool{}
				scanKeys(f.b.Bucket(bucket), nil, func(v string, mid int64) {
					ok, done := seen[v]
					if !done {
						ok = ci.MatchString(v)
						seen[v] = ok
					}
					if ok {
						mids[mid] = true
					}
				})
			}
		}
		for mid := range mids {
			m := ix.message(files, mid)
			if !q.Since.IsZero() && (m.Time.IsZero() || m.Time.Before(q.Since)) {
				continue
			}
			if !q.Until.IsZero() && (m.Time.IsZero() || m.Time.After(q.Until)) {
				continue
			}
			out = append(out, m)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].MID < out[j].MID })
	return out, err
}

// scanKeys calls f for each "value 0x00 MID" key with the prefix.
func scanKeys(b *bolt.Bucket, prefix []byte, f func(v string, mid int64)) {
	if b == nil {
		return
	}
	c := b.Cursor()
	k, _ := c.First()
	if prefix != nil {
		k, _ = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) < 9 || k[len(k)-9] != 0 {
			continue
		}
		f(string(k[:len(k)-9]), int64(binary.BigEndian.Uint64(k[len(k)-8:])))
	}
}

// message merges a message's summaries from the files.
func (ix *Index) message(files []fileRef, mid int64) Message {
	var s summary
	for _, f := range files {
		if v := f.b.Bucket(bMsg).Get(u64(mid)); v != nil {
			var o summary
			if json.Unmarshal(v, &o) == nil {
				s.merge(o)
			}
		}
	}
	m := Message{MID: mid, Time: unix(s.Time), To: s.To}
	if s.From != nil {
		m.From, m.HasFrom = *s.From, true
	}
	if s.Subject != nil {
		m.Subject = *s.Subject
	}
	if s.MsgID != nil {
		m.MessageID = *s.MsgID
	}
	return m
}

// Life is a message's story: its lines and those of the messages
// generated from it (its journal copies, its DSN), with
// their connections' lines, in log order.
type Life struct {
	MIDs  []int64  // the message first, then the generated ones
	Lines []string // whole lines, as in the files
}

// maxGenerated bounds the generated messages followed from one message
// (a loop in corrupted links cannot run away).
const maxGenerated = 1000

// Life returns mid's story from the files named (nil: all).
func (ix *Index) Life(mid int64, files []string) (Life, error) {
	ix.Sync()
	var life Life
	err := ix.db.View(func(tx *bolt.Tx) error {
		fs := ix.files(tx, files)
		// The message and what was generated from it, breadth first.
		seen := map[int64]bool{mid: true}
		queue := []int64{mid}
		for len(queue) > 0 && len(life.MIDs) < maxGenerated {
			m := queue[0]
			queue = queue[1:]
			life.MIDs = append(life.MIDs, m)
			for _, f := range fs {
				c := f.b.Bucket(bGen).Cursor()
				p := u64(m)
				for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
					child := int64(binary.BigEndian.Uint64(k[8:]))
					if !seen[child] {
						seen[child] = true
						queue = append(queue, child)
					}
				}
			}
		}
		rd := newReader(ix.dir, fs)
		defer rd.close()
		var refs []lineRef
		icids, dcids := map[int64]bool{}, map[int64]bool{}
		for _, m := range life.MIDs {
			for _, r := range rd.refs(bMID, m) {
				_, f, ok := rd.read(r, func(f facts) bool { return containsID(f.mids, m) })
				if !ok {
					continue
				}
				refs = append(refs, r)
				for _, c := range f.icids {
					if c != 0 {
						icids[c] = true
					}
				}
				for _, c := range f.dcids {
					dcids[c] = true
				}
			}
		}
		for c := range icids {
			for _, r := range rd.refs(bICID, c) {
				if _, _, ok := rd.read(r, func(f facts) bool { return len(f.mids) == 0 && containsID(f.icids, c) }); ok {
					refs = append(refs, r)
				}
			}
		}
		for c := range dcids {
			for _, r := range rd.refs(bDCID, c) {
				if _, _, ok := rd.read(r, func(f facts) bool { return len(f.mids) == 0 && containsID(f.dcids, c) }); ok {
					refs = append(refs, r)
				}
			}
		}
		sort.Slice(refs, func(i, j int) bool {
			if refs[i].file != refs[j].file {
				return refs[i].file < refs[j].file
			}
			return refs[i].off < refs[j].off
		})
		for i, r := range refs {
			if i > 0 && r == refs[i-1] {
				continue
			}
			line, _, _ := rd.read(r, nil)
			life.Lines = append(life.Lines, line)
		}
		return nil
	})
	return life, err
}

func containsID(s []int64, n int64) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

// lineRef is a line's place: the file's position in the list and offset.
type lineRef struct {
	file int
	off  int64
}

// reader reads lines at offsets from the files, each opened once.
type reader struct {
	dir   string
	files []fileRef
	open  map[int]*os.File
	cache map[lineRef]string
}

func newReader(dir string, files []fileRef) *reader {
	return &reader{dir: dir, files: files, open: map[int]*os.File{}, cache: map[lineRef]string{}}
}

func (rd *reader) close() {
	for _, f := range rd.open {
		f.Close()
	}
}

// refs returns the offsets listed under n in each file's bucket.
func (rd *reader) refs(bucket []byte, n int64) []lineRef {
	var out []lineRef
	for i, f := range rd.files {
		for _, o := range decodeOffsets(f.b.Bucket(bucket).Get(u64(n))) {
			out = append(out, lineRef{i, o})
		}
	}
	return out
}

// read returns the line at r when it begins a line and check (nil: any)
// accepts what it says: an entry that points elsewhere (a log that lost
// lines in a crash) is skipped.
func (rd *reader) read(r lineRef, check func(facts) bool) (string, facts, bool) {
	line, ok := rd.cache[r]
	if !ok {
		line, ok = rd.readAt(r)
		if !ok {
			return "", facts{}, false
		}
		rd.cache[r] = line
	}
	_, msg, ok := splitLine(line, time.Local)
	if !ok {
		return "", facts{}, false
	}
	f := parseLine(msg)
	if check != nil && !check(f) {
		return "", facts{}, false
	}
	return line, f, true
}

func (rd *reader) readAt(r lineRef) (string, bool) {
	f := rd.open[r.file]
	if f == nil {
		var err error
		if f, err = os.Open(filepath.Join(rd.dir, rd.files[r.file].r.Name)); err != nil {
			return "", false
		}
		rd.open[r.file] = f
	}
	start := r.off
	if start > 0 {
		start-- // the newline before the line
	}
	buf := make([]byte, 0, 512)
	chunk := make([]byte, 512)
	pos := start
	for {
		n, err := f.ReadAt(chunk, pos)
		buf = append(buf, chunk[:n]...)
		pos += int64(n)
		body := buf
		if r.off > 0 {
			if len(buf) == 0 || buf[0] != '\n' {
				return "", false
			}
			body = buf[1:]
		}
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			return string(body[:i]), true
		}
		if err == io.EOF || n == 0 || len(buf) > 1<<20 {
			return "", false
		}
	}
}
