// Package msgheader splits the header block of a message (RFC 5322
// section 2.2) into its fields, as the sender authentication checks read
// it: DKIM verification (the DKIM-Signature fields), DMARC (From:) and
// the removal of Authentication-Results fields that claim seg's
// authserv-id (RFC 8601 section 5).
//
// The split follows go-msgauth's dkim reader (the library that verifies
// the signatures): a field starts on a line that does not begin with a
// space or a tab, every such line is a field (with or without a colon),
// and the header ends at the first empty line or at the end of the data.
// Fields therefore come out in the same number and order as the library
// sees them, so results can be paired with fields by position.
package msgheader

import (
	"bytes"
	"strings"
)

// Field is one header field.
type Field struct {
	// Name is the text before the first colon, spaces trimmed (the whole
	// line when there is no colon).
	Name string
	// Raw is the field as it stands in the message: its folded lines,
	// each with its line ending.
	Raw []byte
	// Start is the offset of Raw in the message.
	Start int
}

// Value is the field's body unfolded (RFC 5322 section 2.2.3: the line
// breaks before continuation lines removed) and trimmed.
func (f Field) Value() string {
	_, v, _ := bytes.Cut(f.Raw, []byte(":"))
	v = bytes.ReplaceAll(v, []byte("\r\n"), nil)
	v = bytes.ReplaceAll(v, []byte("\n"), nil)
	return strings.TrimSpace(string(v))
}

// Is reports whether the field's name is name, case-insensitively.
func (f Field) Is(name string) bool { return strings.EqualFold(f.Name, name) }

// Split returns the fields of msg's header block and where the header
// block ends (the offset of the empty line, or len(msg)).
func Split(msg []byte) (fields []Field, end int) {
	off := 0
	for off < len(msg) {
		line := msg[off:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		text := bytes.TrimRight(line, "\r\n")
		if len(text) == 0 {
			return fields, off
		}
		if (text[0] == ' ' || text[0] == '\t') && len(fields) > 0 {
			last := &fields[len(fields)-1]
			last.Raw = msg[last.Start : off+len(line)]
		} else {
			name, _, _ := bytes.Cut(text, []byte(":"))
			fields = append(fields, Field{Name: strings.TrimSpace(string(name)), Raw: line, Start: off})
		}
		off += len(line)
	}
	return fields, len(msg)
}

// All returns the fields named name, in order.
func All(msg []byte, name string) []Field {
	fields, _ := Split(msg)
	var out []Field
	for _, f := range fields {
		if f.Is(name) {
			out = append(out, f)
		}
	}
	return out
}
