package queue

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"time"
)

// A journal record is framed as
//
//	[length u32 LE][crc32c u32 LE][type u8][payload]
//
// where length counts type+payload and the CRC covers the same bytes. A
// torn write (a crash mid-append) shows up as a short header, a length
// running past the end of the file, or a CRC mismatch; recovery stops there.
const headerLen = 8

// Record types.
const (
	recMessage byte = 1 // envelope + body; a later copy (compaction) supersedes an earlier one
	recAttempt byte = 2 // Attempts++, State=Attempted, NextAttempt for some recipients
	recUpdate  byte = 3 // recipient state changes after a delivery attempt
	recDerived byte = 4 // envelope + prefix + suffix of a message whose body wraps an earlier record's (derived.go)
	recWarned  byte = 5 // a delay warning reported some recipients (warned.go)
	// 6 is recStamp, the caller's state journaled with each commit (stamp.go).
)

// messageFormat versions the message payload so that a later release can
// add envelope fields and still read old journals. Format 2 adds a flags
// varint after the recipients (Message.Relayed); format 1 records, from
// journals of earlier releases, read with no flags set.
const messageFormat = 2

// Envelope flags (format 2). flagWarned says each recipient's warning
// state (Recipient.Warnings, LastWarned) follows the flags, in recipient
// order; records of messages never warned about, and every record
// written before delay warnings existed, do not have it, and read as
// never warned.
const (
	flagRelayed = 1 << 0
	flagWarned  = 1 << 1
	knownFlags  = flagRelayed | flagWarned
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt says a record passed its CRC but its payload does not decode.
var errCorrupt = errors.New("malformed record")

// frame fills in the header of rec, whose first headerLen bytes were
// reserved and whose byte headerLen is the record type.
func frame(rec []byte) []byte {
	body := rec[headerLen:]
	binary.LittleEndian.PutUint32(rec[0:], uint32(len(body)))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(body, crcTable))
	return rec
}

// encodeMessage returns the framed message record and the offset of the
// body inside it (Body reads it back from there with pread).
func encodeMessage(m *Message, body []byte) (rec []byte, bodyOff int) {
	return encodeMessageCap(m, body, 0)
}

// encodeMessageCap is encodeMessage with room for extra more bytes after
// the record (EnqueueWith appends derived records there).
func encodeMessageCap(m *Message, body []byte, extra int) (rec []byte, bodyOff int) {
	b := make([]byte, headerLen, headerLen+256+len(body)+extra)
	b = append(b, recMessage, messageFormat)
	b = appendEnvelope(b, m)
	b = binary.AppendUvarint(b, uint64(len(body)))
	bodyOff = len(b)
	b = append(b, body...)
	return frame(b), bodyOff
}

func appendEnvelope(b []byte, m *Message) []byte {
	b = binary.AppendVarint(b, m.MID)
	b = binary.AppendVarint(b, m.ICID)
	b = append(b, byte(m.Kind))
	b = appendString(b, m.From)
	b = appendTime(b, m.Received)
	b = binary.AppendVarint(b, m.Size)
	b = appendString(b, m.RemoteIP)
	b = appendString(b, m.Listener)
	b = appendString(b, m.MessageID)
	b = appendString(b, m.Subject)
	b = appendString(b, m.Host)
	b = binary.AppendVarint(b, m.OrigMID)
	b = appendString(b, m.Policy)
	b = binary.AppendUvarint(b, uint64(len(m.Rcpts)))
	for _, r := range m.Rcpts {
		b = binary.AppendVarint(b, int64(r.RID))
		b = appendString(b, r.Addr)
		b = append(b, byte(r.State))
		b = binary.AppendUvarint(b, uint64(r.Attempts))
		b = appendTime(b, r.NextAttempt)
		b = appendString(b, r.LastError)
	}
	var flags uint64
	if m.Relayed {
		flags |= flagRelayed
	}
	warned := warnedAny(m)
	if warned {
		flags |= flagWarned
	}
	b = binary.AppendUvarint(b, flags)
	if warned {
		for _, r := range m.Rcpts {
			b = binary.AppendUvarint(b, uint64(r.Warnings))
			b = appendTime(b, r.LastWarned)
		}
	}
	return b
}

// warnedAny reports whether a recipient of m carries warning state.
func warnedAny(m *Message) bool {
	for _, r := range m.Rcpts {
		if r.Warnings != 0 || !r.LastWarned.IsZero() {
			return true
		}
	}
	return false
}

// decodeMessage decodes a message payload (after the type byte). bodyPos
// is where the body starts within payload.
func decodeMessage(payload []byte) (m Message, bodyPos, bodyLen int, err error) {
	d := decoder{b: payload}
	format := d.byte()
	if format != 1 && format != messageFormat {
		return m, 0, 0, errCorrupt
	}
	m = d.envelope(format >= 2)
	bodyLen = int(d.uvarint())
	bodyPos = d.pos
	if d.err != nil || m.MID <= 0 || m.Kind > KindTDC || bodyLen != len(payload)-bodyPos {
		return Message{}, 0, 0, errCorrupt
	}
	return m, bodyPos, bodyLen, nil
}

// envelope reads what appendEnvelope wrote; flags says the payload's
// format has the flags varint (2 on).
func (d *decoder) envelope(flags bool) (m Message) {
	m.MID = d.varint()
	m.ICID = d.varint()
	m.Kind = Kind(d.byte())
	m.From = d.string()
	m.Received = d.time()
	m.Size = d.varint()
	m.RemoteIP = d.string()
	m.Listener = d.string()
	m.MessageID = d.string()
	m.Subject = d.string()
	m.Host = d.string()
	m.OrigMID = d.varint()
	m.Policy = d.string()
	n := d.count()
	if n > 0 {
		m.Rcpts = make([]Recipient, n)
	}
	for i := range m.Rcpts {
		r := &m.Rcpts[i]
		r.RID = int(d.varint())
		r.Addr = d.string()
		r.State = d.state()
		r.Attempts = int(d.uvarint())
		r.NextAttempt = d.time()
		r.LastError = d.string()
	}
	if flags {
		f := d.uvarint()
		if f&^knownFlags != 0 {
			d.fail() // a flag this release does not know
		}
		m.Relayed = f&flagRelayed != 0
		if f&flagWarned != 0 {
			for i := range m.Rcpts {
				r := &m.Rcpts[i]
				r.Warnings = int(d.uvarint())
				r.LastWarned = d.time()
			}
		}
	}
	return m
}

// encodeAttempt records Queue.Attempt.
func encodeAttempt(mid int64, rids []int, next time.Time) []byte {
	b := make([]byte, headerLen, headerLen+32+4*len(rids))
	b = append(b, recAttempt)
	b = binary.AppendVarint(b, mid)
	b = appendTime(b, next)
	b = binary.AppendUvarint(b, uint64(len(rids)))
	for _, rid := range rids {
		b = binary.AppendVarint(b, int64(rid))
	}
	return frame(b)
}

func decodeAttempt(payload []byte) (mid int64, rids []int, next time.Time, err error) {
	d := decoder{b: payload}
	mid = d.varint()
	next = d.time()
	n := d.count()
	rids = make([]int, 0, n)
	for range n {
		rids = append(rids, int(d.varint()))
	}
	if d.err != nil || d.pos != len(payload) {
		return 0, nil, time.Time{}, errCorrupt
	}
	return mid, rids, next, nil
}

// encodeUpdate records Queue.Update.
func encodeUpdate(mid int64, ups []Update) []byte {
	b := make([]byte, headerLen, headerLen+16+32*len(ups))
	b = append(b, recUpdate)
	b = binary.AppendVarint(b, mid)
	b = binary.AppendUvarint(b, uint64(len(ups)))
	for _, u := range ups {
		b = binary.AppendVarint(b, int64(u.RID))
		b = append(b, byte(u.State))
		b = appendTime(b, u.NextAttempt)
		b = appendString(b, u.LastError)
	}
	return frame(b)
}

func decodeUpdate(payload []byte) (mid int64, ups []Update, err error) {
	d := decoder{b: payload}
	mid = d.varint()
	n := d.count()
	ups = make([]Update, 0, n)
	for range n {
		var u Update
		u.RID = int(d.varint())
		u.State = d.state()
		u.NextAttempt = d.time()
		u.LastError = d.string()
		ups = append(ups, u)
	}
	if d.err != nil || d.pos != len(payload) {
		return 0, nil, errCorrupt
	}
	return mid, ups, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime stores the zero time as a single 0 byte; time.Time's
// UnixNano is undefined for it.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decoder reads a payload; the first error sticks and later reads return
// zero values, so callers check once at the end. It never panics on
// malformed input (FuzzRecover).
type decoder struct {
	b   []byte
	pos int
	err error
}

func (d *decoder) fail() { d.err = errCorrupt }

func (d *decoder) byte() byte {
	if d.err != nil || d.pos >= len(d.b) {
		d.fail()
		return 0
	}
	c := d.b[d.pos]
	d.pos++
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.pos:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.pos += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.pos:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.pos += n
	return v
}

// count reads an element count; every element takes at least one byte,
// so a count above the bytes left is corrupt (and must not drive a huge
// allocation).
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.pos) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := string(d.b[d.pos : d.pos+n])
	d.pos += n
	return s
}

func (d *decoder) state() State {
	s := State(d.byte())
	if s > Deleted {
		d.fail()
	}
	return s
}

func (d *decoder) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
		sec := d.varint()
		nsec := d.uvarint()
		if nsec >= 1e9 {
			d.fail()
			return time.Time{}
		}
		return time.Unix(sec, int64(nsec))
	default:
		d.fail()
		return time.Time{}
	}
}
