// Package msgheader walks the header block of a message (RFC 5322
// section 2.2) field by field, as seg's SMTP server reads it for each
// message: the Message-ID and Subject of the log lines, the From: of DKIM
// signing and DMARC, the DKIM-Signature fields, and the
// Authentication-Results fields that claim seg's authserv-id (RFC 8601
// section 5). It runs on every message, so walking allocates nothing:
// fields point into the message.
//
// The split follows go-msgauth's dkim reader (the library that verifies
// the signatures): a field starts on a line that does not begin with a
// space or a tab, every such line is a field (with or without a colon),
// and the header ends at the first empty line or at the end of the data.
// Fields therefore come out in the same number and order as the library
// sees them, so results can be paired with fields by position.
package msgheader

import "bytes"

// Field is one header field.
type Field struct {
	// Raw is the field as it stands in the message: its folded lines,
	// each with its line ending.
	Raw []byte
	// Start is the offset of Raw in the message.
	Start int
	// Colon: the field's first line has a colon, so it has a body.
	Colon bool

	name []byte // the text before the first colon, spaces trimmed
}

// Name is the text before the first colon, spaces trimmed (the whole
// line when there is no colon).
func (f Field) Name() string { return string(f.name) }

// Is reports whether the field's name is name, ASCII case-insensitively.
func (f Field) Is(name string) bool {
	if len(f.name) != len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if lower(f.name[i]) != lower(name[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// ValueBytes is the field's body unfolded (RFC 5322 section 2.2.3: the
// line breaks before continuation lines removed) and trimmed. It points
// into the message when the field is on one line; callers must not
// change it.
func (f Field) ValueBytes() []byte {
	_, v, _ := bytes.Cut(f.Raw, []byte(":"))
	v = bytes.TrimSpace(v)
	if bytes.IndexByte(v, '\n') < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for len(v) > 0 {
		i := bytes.IndexByte(v, '\n')
		if i < 0 {
			return append(out, v...)
		}
		out = append(out, bytes.TrimSuffix(v[:i], []byte("\r"))...)
		v = v[i+1:]
	}
	return out
}

// Value is ValueBytes as a string.
func (f Field) Value() string { return string(f.ValueBytes()) }

// Each calls f with the fields of msg's header block in order, until f
// returns false, and returns where the header block ends (the offset of
// the empty line, or len(msg)) when it got there, -1 when f stopped it.
// A field reaches f once its continuation lines are in.
func Each(msg []byte, f func(Field) bool) (end int) {
	var cur Field
	have := false
	flush := func() bool {
		if !have {
			return true
		}
		have = false
		return f(cur)
	}
	off := 0
	for off < len(msg) {
		line := msg[off:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		text := bytes.TrimRight(line, "\r\n")
		if len(text) == 0 {
			break
		}
		if (text[0] == ' ' || text[0] == '\t') && have {
			cur.Raw = msg[cur.Start : off+len(line)]
		} else {
			if !flush() {
				return -1
			}
			name, _, colon := bytes.Cut(text, []byte(":"))
			cur, have = Field{Raw: line, Start: off, Colon: colon, name: bytes.TrimSpace(name)}, true
		}
		off += len(line)
	}
	if !flush() {
		return -1
	}
	return off
}

// Split returns the fields of msg's header block and where the header
// block ends (the offset of the empty line, or len(msg)).
func Split(msg []byte) (fields []Field, end int) {
	end = Each(msg, func(f Field) bool {
		fields = append(fields, f)
		return true
	})
	return fields, end
}

// All returns the fields named name, in order.
func All(msg []byte, name string) []Field {
	var out []Field
	Each(msg, func(f Field) bool {
		if f.Is(name) {
			out = append(out, f)
		}
		return true
	})
	return out
}
